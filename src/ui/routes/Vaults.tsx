// Home: the vaults of this keynode — its own, and copies cloned from others (with whose) — a form to
// create one, a reminder for vaults that exist only here, and restoring an encrypted backup.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import { Card } from '../components/Card/index.js';
import { submitting } from '../components/ActionForm/index.js';
import { BackupReminder } from '../components/BackupReminder/index.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { displayName, useNicknames } from '../contacts-store.js';
import { useAction } from '../hooks/useAction.js';
import { useLazy } from '../hooks/useLazy.js';
import { useLoad } from '../hooks/useLoad.js';
import { Link, navigate, vaultPath } from '../router.js';

export function Vaults({ keynode, onCreated }: { keynode: Keynode; onCreated?: () => void }) {
  const vaults = useLoad(keynode, () => keynode.vaults.list(), []);
  const names = useNicknames();
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const id = await keynode.vaults.create(name.trim());
    setName('');
    onCreated?.();
    navigate(vaultPath(id));
  });
  const list = [...(vaults.data ?? [])].sort((a, b) => a.vaultName.localeCompare(b.vaultName));
  const own = list.filter((v) => v.remote === undefined);
  const cloned = list.filter((v) => v.remote !== undefined);

  return (
    <>
      <h1 tabIndex={-1}>Vaults</h1>
      <BackupReminder keynode={keynode} />
      <Card id="new-vault" title="New vault">
        <form class="row" onSubmit={submitting(create.run)}>
          <label class="grow">
            Vault name
            <input
              autocomplete="off"
              value={name}
              required
              maxLength={255}
              placeholder="e.g. production"
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" class="primary" disabled={create.busy || name.trim() === ''}>
            Create vault
          </button>
        </form>
        <ErrorNote error={create.error} />
        <Restore keynode={keynode} />
      </Card>
      <ErrorNote error={vaults.error} />
      <Card id="own-vaults" title="Your vaults">
        {vaults.data !== undefined && own.length === 0 && <p class="muted">No vaults yet. Create one above to keep your first secret.</p>}
        <ul class="plain vault-list">
          {own.map((v) => (
            <li key={v.vaultId}>
              <Link href={vaultPath(v.vaultId)}>{v.vaultName}</Link>
            </li>
          ))}
        </ul>
      </Card>
      <Card id="cloned-vaults" title="Shared with you">
        {vaults.data !== undefined && cloned.length === 0 && (
          <p class="muted">
            Nothing yet. When someone shares a vault, it appears in <Link href="/notifications">Notifications</Link>; you can also{' '}
            <Link href="/remote">look at what a contact shares</Link>.
          </p>
        )}
        <ul class="plain vault-list">
          {cloned.map((v) => (
            <li key={v.vaultId}>
              <Link href={vaultPath(v.vaultId)}>{v.vaultName}</Link> <span class="muted small">read-only copy from {displayName(names, v.remote!.nodeId)}</span>
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}

/** "Restore a backup", whose form loads when opened. */
function Restore({ keynode }: { keynode: Keynode }) {
  const [open, setOpen] = useState(false);
  const { module, error } = useLazy(() => import('../components/RestoreBackup/index.js'), open);
  return (
    <div class="stack">
      <div>
        <button type="button" class="linkish" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Close' : 'Restore a vault from an encrypted backup…'}
        </button>
      </div>
      {open && (module !== undefined ? <module.RestoreBackup keynode={keynode} /> : <ErrorNote error={error} />)}
    </div>
  );
}
