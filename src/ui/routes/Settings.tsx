// Settings: this keynode's NodeId, security (passphrase, auto-lock), the connection, installing the
// app, keeping the data (persistent storage and a usage meter), and restoring another identity from
// a recovery code.
import { useEffect, useId, useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import { Card } from '../components/Card/index.js';
import { submitting } from '../components/ActionForm/index.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { NodeIdCard } from '../components/NodeIdCard/index.js';
import { useNetworkStatus } from '../components/StatusIndicator/index.js';
import { formatBytes } from '../format.js';
import { useAction } from '../hooks/useAction.js';
import type { PwaControls } from '../types.js';
import { RestoreForm } from './FirstRun.js';
import { PassphraseFields } from '../components/PassphraseFields/index.js';

export function Settings({
  keynode,
  pwa,
  onRestore,
}: {
  keynode: Keynode;
  pwa: PwaControls | undefined;
  onRestore: ((code: string, passphrase: string) => Promise<void>) | undefined;
}) {
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <Card id="identity" title="This keynode">
        <NodeIdCard nodeId={keynode.nodeId} />
      </Card>
      <Security keynode={keynode} />
      <Connection keynode={keynode} />
      <Storage pwa={pwa} />
      <Install pwa={pwa} />
      {onRestore !== undefined && (
        <Card id="restore" title="Restore from a recovery code">
          <p>
            This replaces this browser’s keynode — its NodeId, contacts and notifications — with the keynode the code belongs to. It is possible only while this
            browser holds no vaults, so that nothing is lost. Vaults are not in the code: clone them again from the people who share them.
          </p>
          <RestoreForm onRestore={onRestore} />
        </Card>
      )}
    </>
  );
}

const AUTO_LOCK_CHOICES: Array<[number | null, string]> = [
  [5 * 60_000, 'After 5 minutes'],
  [15 * 60_000, 'After 15 minutes'],
  [60 * 60_000, 'After 1 hour'],
  [4 * 3600_000, 'After 4 hours'],
  [null, 'Never (only when the last tab closes)'],
];

function Security({ keynode }: { keynode: Keynode }) {
  const [autoLock, setAutoLock] = useState<number | null | undefined>(undefined);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState<string | undefined>(undefined);
  const [changed, setChanged] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const id = useId();
  useEffect(() => {
    keynode.lockState().then(
      (s) => setAutoLock(s.autoLockMs),
      () => undefined,
    );
  }, [keynode]);
  const saveAutoLock = useAction(async (ms: number | null) => {
    await keynode.setAutoLock(ms);
    setAutoLock(ms);
  });
  const change = useAction(async () => {
    setChanged(false);
    await keynode.setPassphrase(current, next!);
    setCurrent('');
    setChanged(true);
    setFormKey((k) => k + 1); // clears the new-passphrase fields
  });
  const known = AUTO_LOCK_CHOICES.some(([ms]) => ms === autoLock);
  return (
    <Card id="security" title="Security">
      <p>Everything this keynode keeps in the browser is encrypted with your passphrase. It locks when the last keynode tab closes, and:</p>
      <div class="field">
        <label for={`${id}-auto`}>Lock automatically</label>
        <select
          id={`${id}-auto`}
          value={String(autoLock)}
          disabled={autoLock === undefined || saveAutoLock.busy}
          onChange={(e) => {
            const raw = (e.target as HTMLSelectElement).value;
            void saveAutoLock.run(raw === 'null' ? null : Number(raw));
          }}
        >
          {!known && autoLock !== undefined && <option value={String(autoLock)}>After {Math.round((autoLock ?? 0) / 60_000)} minutes</option>}
          {AUTO_LOCK_CHOICES.map(([ms, label]) => (
            <option key={String(ms)} value={String(ms)}>
              {label} without use
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={saveAutoLock.error} />
      <h3>Change the passphrase</h3>
      <form key={formKey} class="stack" onSubmit={submitting(change.run)}>
        <div class="field">
          <label for={`${id}-current`}>Current passphrase</label>
          <input
            id={`${id}-current`}
            type="password"
            autocomplete="current-password"
            value={current}
            onInput={(e) => setCurrent((e.target as HTMLInputElement).value)}
          />
        </div>
        <PassphraseFields onChange={setNext} />
        <div>
          <button type="submit" disabled={current === '' || next === undefined || change.busy}>
            {change.busy ? 'Changing…' : 'Change passphrase'}
          </button>
        </div>
        {changed && (
          <p class="ok" role="status">
            The passphrase was changed. Use the new one from now on.
          </p>
        )}
        <ErrorNote error={change.error} />
      </form>
    </Card>
  );
}

function Connection({ keynode }: { keynode: Keynode }) {
  const { status, online } = useNetworkStatus(keynode);
  const connect = useAction(() => keynode.network.connect());
  const state = status?.signaling ?? 'connecting';
  return (
    <Card id="network" title="Connection">
      <p>
        {state === 'connected'
          ? `Connected. ${status!.peers.length} other ${status!.peers.length === 1 ? 'keynode is' : 'keynodes are'} connected directly right now.`
          : !online
            ? 'This device is offline. Your vaults still open and read; sharing, cloning and pulling wait until you are back online.'
            : state === 'connecting'
              ? 'Connecting to the signaling server, which introduces keynodes to each other. It never sees your secrets.'
              : 'Not connected: other keynodes cannot reach this one. Your vaults still work here.'}
      </p>
      {state === 'offline' && (
        <button type="button" onClick={() => void connect.run()}>
          Connect now
        </button>
      )}
      <ErrorNote error={connect.error} />
    </Card>
  );
}

// Without the platform's controls, the browser's own StorageManager answers directly.
const browserStorage: Required<Pick<PwaControls, 'storageEstimate' | 'requestPersistentStorage'>> = {
  async storageEstimate() {
    const storage = navigator.storage;
    if (storage?.estimate === undefined) return { usage: 0, quota: 0, persisted: false };
    const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted()]);
    return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  },
  async requestPersistentStorage() {
    if (navigator.storage?.persist === undefined) return false;
    return (await navigator.storage.persisted()) || navigator.storage.persist();
  },
};

function Storage({ pwa: given }: { pwa: PwaControls | undefined }) {
  const pwa = {
    storageEstimate: given?.storageEstimate ?? browserStorage.storageEstimate,
    requestPersistentStorage: given?.requestPersistentStorage ?? browserStorage.requestPersistentStorage,
  };
  const [estimate, setEstimate] = useState<{ usage: number; quota: number; persisted: boolean } | undefined>(undefined);
  const [asked, setAsked] = useState<boolean | undefined>(undefined);
  const refresh = (): void => void pwa.storageEstimate().then(setEstimate, () => undefined);
  useEffect(refresh, [given]);
  const persist = useAction(async () => {
    setAsked(await pwa.requestPersistentStorage());
    refresh();
  });
  const share = estimate !== undefined && estimate.quota > 0 ? estimate.usage / estimate.quota : 0;
  return (
    <Card id="storage" title="Storage">
      {estimate !== undefined && (
        <>
          <p>
            keynode uses {formatBytes(estimate.usage)} of the {formatBytes(estimate.quota)} this browser allows.
          </p>
          <meter min={0} max={1} value={share} aria-label="Storage used" high={0.8} optimum={0} />
          <p>
            {estimate.persisted
              ? 'Kept: the browser will not delete keynode’s data to make room.'
              : 'Not protected: the browser may delete keynode’s data when it runs short of space. Ask it to keep your data.'}
          </p>
        </>
      )}
      {estimate !== undefined && !estimate.persisted && (
        <button type="button" onClick={() => void persist.run()}>
          Keep my data
        </button>
      )}
      {asked === false && <p role="status">The browser said no. Installing keynode as an app usually makes it agree.</p>}
      <ErrorNote error={persist.error} />
    </Card>
  );
}

function Install({ pwa }: { pwa: PwaControls | undefined }) {
  const control = pwa?.installPrompt;
  const [available, setAvailable] = useState(control?.available ?? false);
  useEffect(() => control?.onChange(setAvailable), [control]);
  if (control === undefined || !available) return null;
  return (
    <Card id="install" title="Install keynode">
      <p>Installed, keynode opens in its own window, works offline, and its data is less likely to be cleared by the browser.</p>
      <button type="button" class="primary" onClick={() => void control.prompt()}>
        Install keynode
      </button>
    </Card>
  );
}
