// An encrypted backup of this vault (loaded with the export tab): its whole history in one file,
// encrypted to a passphrase chosen here — not the keynode's, since whoever restores it may be
// someone else, or this person on a new device. Any keynode restores it (Vaults → Restore).
import { useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { formatBytes } from '../../format.js';
import { useAction } from '../../hooks/useAction.js';
import { ActionForm } from '../ActionForm/index.js';
import { PassphraseFields } from '../PassphraseFields/index.js';

/** Hands `bytes` to the browser as a download. */
export function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function BackupPanel({ keynode, vault, vaultName }: { keynode: Keynode; vault: string; vaultName: string }) {
  const [passphrase, setPassphrase] = useState<string | undefined>(undefined);
  const [formKey, setFormKey] = useState(0);
  const [made, setMade] = useState<{ name: string; size: number } | undefined>(undefined);
  const backup = useAction(async () => {
    const bytes = await keynode.vaults.backup(vault, passphrase!);
    const name = `${vaultName.replace(/[\\/:*?"<>|]/g, '-')}-${new Date().toISOString().slice(0, 10)}.keynode-backup`;
    download(bytes, name);
    setMade({ name, size: bytes.length });
    setFormKey((k) => k + 1); // clears the passphrase fields
    setPassphrase(undefined);
  });
  return (
    <section class="stack backup" aria-labelledby="backup-heading">
      <h2 id="backup-heading">Encrypted backup</h2>
      <p>
        One file with every secret of “{vaultName}” and its whole history, encrypted with a passphrase you choose now. Keep it somewhere safe; any keynode can
        restore it (Vaults → Restore a backup). Without the passphrase nobody can open it — you neither.
      </p>
      <ActionForm key={formKey} action={backup} ready={passphrase !== undefined} label="Download encrypted backup" busyLabel="Encrypting…">
        <PassphraseFields label="Backup passphrase" onChange={setPassphrase} />
      </ActionForm>
      {made !== undefined && (
        <p class="ok" role="status">
          Saved {made.name} ({formatBytes(made.size)}).
        </p>
      )}
    </section>
  );
}
