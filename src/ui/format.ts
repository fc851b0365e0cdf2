// Words for the screen: errors as sentences with what to do next, short ids, dates and sizes.
import { isKeynodeError, type ErrorCode } from '../errors.js';

/** What a person can do about each error the core may raise here; the core's message says what happened. */
const nextSteps: Partial<Record<ErrorCode, string>> = {
  ErrorNodeConnectionFailed: 'The other keynode is not reachable now. It has to have keynode open; try again when it is online.',
  ErrorVaultsPermissionDenied: 'The owner does not share this vault with you (any more). Ask them to share it again.',
  ErrorVaultRemoteDefined: 'This vault is a read-only copy. Fork it to get a copy you can edit.',
  ErrorVaultsVaultDefined: 'Pick another name.',
  ErrorVaultsNameInvalid: 'Use a name without "/" or ":".',
  ErrorSecretsSecretDefined: 'Choose another path, or edit the existing secret.',
  ErrorSecretsPathInvalid: 'Use a path like "db/password": no leading "/", no "..".',
  ErrorGestaltsGraphNodeIdMissing: 'Add this keynode to your contacts first (Contacts → Trust).',
  ErrorNodeIdInvalid: 'Copy the whole NodeId again: it starts with "v" and has 53 characters.',
  ErrorNotificationsInvalidDestination: 'Send the sender your NodeId (Contacts → This browser) so they can share with this keynode.',
  ErrorNotificationsVerificationFailed: 'The link was changed on the way. Ask the sender for a new one.',
  ErrorNotificationsPermissionsNotFound: 'Trust the sender in Contacts first, then open the link again.',
  ErrorVaultsMergeConflict: 'Your copy and the owner’s have different histories. Fork your copy to keep it, then clone again.',
  ErrorNodePermissionDenied: 'The other keynode has not allowed this. Ask its owner to invite you first.',
  ErrorStorageQuota: 'The browser has no more room for keynode. Free some space (Settings shows usage).',
  ErrorSignalingNotConnected: 'keynode is offline. Check your connection; local vaults still work.',
  ErrorKeysRecoveryCodeInvalid: 'Check each word of the recovery code and try again.',
  ErrorKeynodeLocked: 'Try again once it is unlocked. A queued pull runs by itself then.',
  ErrorKeynodePassphraseInvalid: 'Check the passphrase (is Caps Lock on?) and try again. Forgot it? Unlock with your recovery code instead.',
  ErrorStorageCorrupt: 'Something changed keynode’s stored data outside keynode. Restore from a backup, or clone your vaults again from who shares them.',
};

export interface ShownError {
  message: string;
  next?: string;
  code?: string;
}

export function describeError(e: unknown): ShownError {
  if (isKeynodeError(e)) {
    const next = nextSteps[e.code];
    return next === undefined ? { message: e.message, code: e.code } : { message: e.message, next, code: e.code };
  }
  return { message: e instanceof Error ? e.message : String(e), next: 'Try again; if it keeps happening, reload the page.' };
}

/** The first characters of an id: enough to tell ids apart at a glance. */
export const shortId = (id: string, n = 10): string => (id.length <= n + 1 ? id : `${id.slice(0, n)}…`);

/** "2 hours ago", "in 5 minutes", "just now": how long ago `ms` was, in the browser's language. */
export function formatAgo(ms: number, now = Date.now()): string {
  const seconds = (ms - now) / 1000;
  if (Math.abs(seconds) < 45) return 'just now';
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['month', 2_592_000],
    ['year', 31_536_000],
  ];
  let [unit, size] = units[0]!;
  for (const [u, s] of units) if (Math.abs(seconds) >= s) [unit, size] = [u, s];
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
}

export const formatDate = (ms: number): string => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
