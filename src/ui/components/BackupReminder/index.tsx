// A reminder on the vault list for vaults that exist only in this browser — nobody else ever fetched
// them, and they changed since their last backup: if the browser loses its data, they are gone.
import type { Keynode } from '../../../keynode/keynode.js';
import { formatAgo } from '../../format.js';
import { useLoad } from '../../hooks/useLoad.js';
import { Link, vaultPath } from '../../router.js';

export function BackupReminder({ keynode }: { keynode: Keynode }) {
  const reminders = useLoad(keynode, () => keynode.vaults.backupReminders(), []);
  const list = reminders.data ?? [];
  if (list.length === 0) return null;
  return (
    <section class="banner banner-warn" aria-labelledby="backup-reminder" data-testid="backup-reminder">
      <h2 id="backup-reminder">Only in this browser</h2>
      <p>
        {list.length === 1 ? 'This vault exists' : 'These vaults exist'} nowhere else: if this browser loses its data,{' '}
        {list.length === 1 ? 'it is' : 'they are'} gone. Download an encrypted backup, or share {list.length === 1 ? 'it' : 'them'} with another keynode of
        yours.
      </p>
      <ul class="plain">
        {list.map((v) => (
          <li key={v.vaultId}>
            <Link href={`${vaultPath(v.vaultId)}?tab=export`}>Back up “{v.vaultName}”</Link>{' '}
            <span class="muted small">{v.lastBackup === undefined ? 'never backed up' : `changed since its backup ${formatAgo(v.lastBackup)}`}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
