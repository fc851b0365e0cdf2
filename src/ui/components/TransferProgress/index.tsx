// A clone or pull under way: a progress bar with what is happening (asking the owner, bytes
// received, writing the vault) and Cancel. The keynode runs in the service worker, which cannot
// call back into the page, so the page looks at vaults.transfers() a few times a second.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import type { Transfer } from '../../../keynode/transfers.js';
import { formatBytes } from '../../format.js';

const POLL_MS = 250;

export function TransferProgress({ keynode, vault, kind, label }: { keynode: Keynode; vault: string; kind: 'clone' | 'pull'; label: string }) {
  const [transfer, setTransfer] = useState<Transfer | undefined>(undefined);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    let live = true;
    const look = (): void =>
      void keynode.vaults.transfers().then(
        (all) => live && setTransfer(all.find((t) => t.vault === vault && t.kind === kind)),
        () => undefined,
      );
    look();
    const timer = setInterval(look, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [keynode, vault, kind]);

  const phase = transfer?.phase ?? 'negotiating';
  const text =
    phase === 'negotiating'
      ? 'Asking the owner for it…'
      : phase === 'receiving'
        ? `${formatBytes(transfer!.bytes)}${transfer!.totalBytes === undefined ? '' : ` of ${formatBytes(transfer!.totalBytes)}`} received`
        : 'Received. Checking and writing it…';
  const known = phase === 'receiving' && transfer?.totalBytes !== undefined;
  return (
    <div class="transfer" data-testid="transfer" data-phase={transfer?.phase ?? 'starting'}>
      {/* Without a value a progress bar is indeterminate: the pack's size is not known in advance. */}
      {known ? <progress aria-label={label} max={transfer!.totalBytes} value={transfer!.bytes} /> : <progress aria-label={label} />}
      <div class="row spread">
        <span class="small" role="status" aria-live="polite">
          {cancelling ? 'Cancelling…' : text}
        </span>
        <button
          type="button"
          disabled={phase === 'indexing' || cancelling}
          title={phase === 'indexing' ? 'Almost done: it is being written whole' : undefined}
          onClick={() => {
            setCancelling(true);
            void keynode.vaults.cancelTransfer(vault).then(
              (ok) => ok || setCancelling(false),
              () => setCancelling(false),
            );
          }}
        >
          Cancel
        </button>
      </div>
    </div>
  );
}
