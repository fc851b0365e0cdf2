// Pull a cloned vault from its owner: its progress while it runs (with Cancel), then "Up to date" or
// "Updated to <id>", each saying where from (another holder when the owner was away, holders.ts). When the owner cannot be reached the pull is queued in the keynode, shown as waiting for
// the owner, runs by itself when the owner comes online, and can be cancelled.
import { useEffect, useRef, useState } from 'preact/hooks';
import { isKeynodeError } from '../../../errors.js';
import type { Keynode } from '../../../keynode/keynode.js';
import { describePullSource } from '../../../keynode/pull-source.js';
import { isCancelled } from '../../../keynode/transfers.js';
import type { VaultListItem } from '../../../types.js';
import { shortId } from '../../format.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { TransferProgress } from '../TransferProgress/index.js';

const SLOW_PULL_MS = 15_000;

export function PullControl({ keynode, vault, ownerName }: { keynode: Keynode; vault: VaultListItem; ownerName: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const queue = useLoad(keynode, async () => (await keynode.vaults.queuedPulls()).find((q) => q.vaultId === vault.vaultId), [vault.vaultId]);
  const queued = queue.data;
  const wasQueued = useRef(false);
  // Where the last pull of this vault came from, as the core announced it (the queued pull's caller is the core).
  const lastSource = useRef<{ source: string; via?: 'owner-linked' | 'own-linked' } | undefined>(undefined);
  useEffect(
    () =>
      keynode.on('vault-changed', (e) => {
        if (e.vaultId === vault.vaultId && e.reason === 'pull' && e.source !== undefined) {
          lastSource.current = e.via === undefined ? { source: e.source } : { source: e.source, via: e.via };
        }
      }),
    [keynode, vault.vaultId],
  );
  const sourceText = async (pulled: { source: string; via?: 'owner-linked' | 'own-linked' }): Promise<string> => {
    const names = await keynode.gestalts.nicknames().catch(() => ({}) as Record<string, string>);
    return describePullSource(pulled, (nodeId) => names[nodeId] ?? shortId(nodeId, 12), ownerName);
  };

  // A queued pull that leaves the queue without a failure has run: say so.
  useEffect(() => {
    if (queued !== undefined && queued.failed === undefined) {
      wasQueued.current = true;
      return;
    }
    if (queued === undefined && wasQueued.current) {
      wasQueued.current = false;
      const came = lastSource.current;
      void Promise.all([keynode.vaults.log(vault.vaultId, { limit: 1 }), came === undefined ? undefined : sourceText(came)]).then(
        ([[head], from]) =>
          setResult(
            `The queued pull ran. Updated to ${head === undefined ? 'the latest version' : `version ${shortId(head.commitId, 8)}`}${from === undefined ? '' : ` — pulled from ${from}.`}`,
          ),
        () => setResult('The queued pull ran.'),
      );
    }
  }, [queued, keynode, vault.vaultId]);

  // A pull that hangs (a channel the owner dropped without closing) must not leave only a spinner:
  // after a while the user may stop waiting and queue it instead.
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!busy) {
      setSlow(false);
      return;
    }
    const timer = setTimeout(() => setSlow(true), SLOW_PULL_MS);
    return () => clearTimeout(timer);
  }, [busy]);
  const queueInstead = async (): Promise<void> => {
    try {
      await keynode.vaults.queuePull(vault.vaultId);
      await queue.reload();
    } catch (e) {
      setError(e);
    }
  };

  const pull = async (): Promise<void> => {
    setBusy(true);
    setResult(undefined);
    setError(undefined);
    try {
      const pulled = await keynode.vaults.pull(vault.vaultId);
      const source = await sourceText(pulled);
      // The version and where it came from: with the owner away it may be another holder.
      setResult(pulled.from === pulled.to ? `Up to date. Checked with ${source}.` : `Updated to version ${shortId(pulled.to, 8)} — pulled from ${source}.`);
    } catch (e) {
      if (isCancelled(e)) setResult('Pull cancelled. Your copy is as it was.');
      else if (isKeynodeError(e, 'ErrorNodeConnectionFailed')) await queueInstead();
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (): Promise<void> => {
    wasQueued.current = false;
    await keynode.vaults.cancelQueuedPull(vault.vaultId).catch(setError);
    await queue.reload();
  };

  return (
    <div class="pull">
      <div class="row">
        <button type="button" class="primary" onClick={() => void pull()} disabled={busy} aria-busy={busy}>
          {busy ? 'Pulling…' : 'Pull changes'}
        </button>
        {busy && slow && queued === undefined && (
          <button type="button" onClick={() => void queueInstead()}>
            Stop waiting and queue it
          </button>
        )}
      </div>
      {busy && <TransferProgress keynode={keynode} vault={vault.vaultId} kind="pull" label={`Pulling from ${ownerName}`} />}
      {busy && slow && queued === undefined && (
        <p class="muted">{ownerName} is slow to answer. You can queue the pull: it runs by itself when they are reachable.</p>
      )}
      <div role="status" aria-live="polite" data-testid="pull-status">
        {queued !== undefined && queued.failed === undefined && (
          <div class="queued">
            <p>Queued — will run when {ownerName} is online. You can close this page; the pull waits in this browser.</p>
            <button type="button" onClick={() => void cancel()}>
              Cancel queued pull
            </button>
          </div>
        )}
        {queued?.failed !== undefined && (
          <div class="queued">
            <ErrorNote error={{ name: 'KeynodeError', code: queued.failed.code, message: `The queued pull was refused: ${queued.failed.message}` }} />
            <button type="button" onClick={() => void cancel()}>
              Dismiss
            </button>
          </div>
        )}
        {result !== undefined && <p class="ok">{result}</p>}
      </div>
      <ErrorNote error={error} />
    </div>
  );
}
