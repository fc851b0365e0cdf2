// Home: the vaults of this keynode — its own, and copies cloned from others (with whose) — and a
// form to create one.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { displayName, useNicknames } from '../contacts-store.js';
import { useAction } from '../hooks/useAction.js';
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
      <section class="card" aria-labelledby="new-vault">
        <h2 id="new-vault">New vault</h2>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
        >
          <label class="grow">
            Vault name
            <input autocomplete="off" value={name} required maxLength={255} placeholder="e.g. production" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="primary" disabled={create.busy || name.trim() === ''}>
            Create vault
          </button>
        </form>
        <ErrorNote error={create.error} />
      </section>
      <ErrorNote error={vaults.error} />
      <section class="card" aria-labelledby="own-vaults">
        <h2 id="own-vaults">Your vaults</h2>
        {vaults.data !== undefined && own.length === 0 && <p class="muted">No vaults yet. Create one above to keep your first secret.</p>}
        <ul class="plain vault-list">
          {own.map((v) => (
            <li key={v.vaultId}>
              <Link href={vaultPath(v.vaultId)}>{v.vaultName}</Link>
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="cloned-vaults">
        <h2 id="cloned-vaults">Shared with you</h2>
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
      </section>
    </>
  );
}
