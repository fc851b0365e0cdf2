// "Clone" for a vault someone shares with us (from a notification, a share link or a scan), with
// its progress and Cancel while it runs: or, when this browser already has a copy, a link to it.
import type { Keynode } from '../../../keynode/keynode.js';
import { isCancelled } from '../../../keynode/transfers.js';
import type { VaultListItem } from '../../../types.js';
import { useAction } from '../../hooks/useAction.js';
import { useLoad } from '../../hooks/useLoad.js';
import { Link, navigate, vaultPath } from '../../router.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { TransferProgress } from '../TransferProgress/index.js';

export const findClone = (vaults: VaultListItem[] | undefined, owner: string, remoteVaultId: string): VaultListItem | undefined =>
  vaults?.find((v) => v.remote?.nodeId === owner && v.remote.vaultId === remoteVaultId);

export function SharedVaultOffer({ keynode, owner, vaultId, vaultName }: { keynode: Keynode; owner: string; vaultId: string; vaultName: string }) {
  const vaults = useLoad(keynode, () => keynode.vaults.list(), []);
  const existing = findClone(vaults.data, owner, vaultId);
  const clone = useAction(async () => {
    const id = await keynode.vaults.clone(vaultId, owner);
    navigate(vaultPath(id));
  });
  if (existing !== undefined) {
    return (
      <p class="row">
        <span>You have a copy: </span>
        <Link href={vaultPath(existing.vaultId)}>Open “{existing.vaultName}”</Link>
      </p>
    );
  }
  return (
    <div class="stack">
      <div class="row">
        <button
          type="button"
          class="primary"
          aria-label={clone.busy ? undefined : `Clone ${vaultName}`}
          disabled={clone.busy}
          aria-busy={clone.busy}
          onClick={() => void clone.run()}
        >
          {clone.busy ? 'Cloning…' : 'Clone'}
        </button>
      </div>
      {clone.busy && <TransferProgress keynode={keynode} vault={vaultId} kind="clone" label={`Cloning ${vaultName}`} />}
      {isCancelled(clone.error) ? <p role="status">The clone was cancelled. Nothing of it was kept.</p> : <ErrorNote error={clone.error} />}
    </div>
  );
}
