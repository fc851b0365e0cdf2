// Restoring an encrypted backup (loaded when asked for, from the vault list): the file, its
// passphrase, and optionally another name. It becomes a new vault of this keynode, history included.
import { useState } from 'preact/hooks';
import { isKeynodeError } from '../../../errors.js';
import type { Keynode } from '../../../keynode/keynode.js';
import { useAction } from '../../hooks/useAction.js';
import { navigate, vaultPath } from '../../router.js';
import { submitting } from '../ActionForm/index.js';
import { ErrorNote } from '../ErrorNote/index.js';

export function RestoreBackup({ keynode }: { keynode: Keynode }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  const [name, setName] = useState('');
  const restore = useAction(async () => {
    const bytes = new Uint8Array(await file!.arrayBuffer());
    const id = await keynode.vaults.restoreBackup(bytes, passphrase, name.trim() === '' ? undefined : { name: name.trim() });
    setPassphrase('');
    navigate(vaultPath(id));
  });
  return (
    <form class="stack" data-testid="restore-backup" onSubmit={submitting(restore.run)}>
      <label>
        Backup file
        <input type="file" accept=".keynode-backup" required onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])} />
      </label>
      <label>
        Its passphrase
        <input type="password" autocomplete="off" required value={passphrase} onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Name of the restored vault <span class="muted small">(optional: the original name, or the next free one)</span>
        <input autocomplete="off" maxLength={255} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>
      <div>
        <button type="submit" class="primary" disabled={file === undefined || passphrase === '' || restore.busy}>
          {restore.busy ? 'Restoring…' : 'Restore'}
        </button>
      </div>
      {isKeynodeError(restore.error, 'ErrorKeynodePassphraseInvalid') ? (
        <div class="error-note" role="alert">
          <p>{restore.error.message}</p>
          <p class="next">Use the passphrase chosen when the backup was made — not necessarily this keynode’s.</p>
        </div>
      ) : (
        <ErrorNote error={restore.error} />
      )}
    </form>
  );
}
