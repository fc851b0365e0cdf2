// The app shell (first cut): this browser's keynode, its NodeId, the recovery code shown once, and
// its vaults. Talks only to the keynode API object it is given.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../keynode/keynode.js';
import type { VaultListItem } from '../types.js';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function App({ keynode }: { keynode: Keynode }) {
  const [vaults, setVaults] = useState<VaultListItem[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [codeSeen, setCodeSeen] = useState(keynode.recoveryCode === undefined);

  const refresh = async (): Promise<void> => setVaults(await keynode.vaults.list());
  useEffect(() => {
    void refresh();
    return keynode.on('vault-changed', () => void refresh());
  }, [keynode]);

  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      await keynode.vaults.create(name.trim());
      setName('');
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <main>
      <h1>keynode</h1>
      <section aria-labelledby="me">
        <h2 id="me">This keynode</h2>
        <p>
          NodeId: <code data-testid="node-id">{keynode.nodeId}</code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(keynode.nodeId)}>
            Copy NodeId
          </button>
        </p>
        {!codeSeen && keynode.recoveryCode !== undefined && (
          <div role="alert">
            <p>Write down your recovery code. It is shown only once and rebuilds this keynode on another browser:</p>
            <p>
              <code data-testid="recovery-code">{keynode.recoveryCode}</code>
            </p>
            <button type="button" onClick={() => setCodeSeen(true)}>
              I have written it down
            </button>
          </div>
        )}
      </section>
      <section aria-labelledby="vaults">
        <h2 id="vaults">Vaults</h2>
        {vaults.length === 0 ? (
          <p>No vaults yet.</p>
        ) : (
          <ul>
            {vaults.map((v) => (
              <li key={v.vaultId}>
                {v.vaultName} {v.remote && <small>(cloned from {v.remote.nodeId.slice(0, 12)}…)</small>}
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={(e) => void create(e)}>
          <label>
            New vault name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
          </label>
          <button type="submit">Create vault</button>
        </form>
        {error !== undefined && <p role="alert">{error}</p>}
      </section>
    </main>
  );
}
