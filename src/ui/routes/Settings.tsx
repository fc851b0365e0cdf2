// Settings: this keynode's NodeId, the connection, installing the app, keeping the data (persistent
// storage and a usage meter), and restoring another identity from a recovery code.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { NodeIdCard } from '../components/NodeIdCard/index.js';
import { useNetworkStatus } from '../components/StatusIndicator/index.js';
import { formatBytes } from '../format.js';
import { useAction } from '../hooks/useAction.js';
import type { PwaControls } from '../types.js';
import { RestoreForm } from './FirstRun.js';

export function Settings({ keynode, pwa, onRestore }: { keynode: Keynode; pwa: PwaControls | undefined; onRestore: ((code: string) => Promise<void>) | undefined }) {
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <section class="card" aria-labelledby="identity">
        <h2 id="identity">This keynode</h2>
        <NodeIdCard nodeId={keynode.nodeId} />
      </section>
      <Connection keynode={keynode} />
      <Storage pwa={pwa} />
      <Install pwa={pwa} />
      {onRestore !== undefined && (
        <section class="card" aria-labelledby="restore">
          <h2 id="restore">Restore from a recovery code</h2>
          <p>
            This replaces this browser’s keynode — its NodeId, contacts and notifications — with the keynode the code belongs to. It is possible only
            while this browser holds no vaults, so that nothing is lost. Vaults are not in the code: clone them again from the people who share them.
          </p>
          <RestoreForm onRestore={onRestore} />
        </section>
      )}
    </>
  );
}

function Connection({ keynode }: { keynode: Keynode }) {
  const { status, online } = useNetworkStatus(keynode);
  const connect = useAction(() => keynode.network.connect());
  const state = status?.signaling ?? 'connecting';
  return (
    <section class="card" aria-labelledby="network">
      <h2 id="network">Connection</h2>
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
    </section>
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
    <section class="card" aria-labelledby="storage">
      <h2 id="storage">Storage</h2>
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
    </section>
  );
}

function Install({ pwa }: { pwa: PwaControls | undefined }) {
  const control = pwa?.installPrompt;
  const [available, setAvailable] = useState(control?.available ?? false);
  useEffect(() => control?.onChange(setAvailable), [control]);
  if (control === undefined || !available) return null;
  return (
    <section class="card" aria-labelledby="install">
      <h2 id="install">Install keynode</h2>
      <p>Installed, keynode opens in its own window, works offline, and its data is less likely to be cleared by the browser.</p>
      <button type="button" class="primary" onClick={() => void control.prompt()}>
        Install keynode
      </button>
    </section>
  );
}
