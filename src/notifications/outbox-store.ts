// The outbox on disk: signed notifications waiting for delivery, keyed by their own (sortable) id,
// each carrying the stored time of its next attempt so retries survive reloads without timers.
// A record is in one of three states (OutboxItem.state, docs/api.md):
//   pending            not tried yet
//   not-delivered-yet  tried and not handed over (offline, unreachable, its mailbox full …); tried
//                      again at nextAttemptAt, and at once when the recipient comes online
//   refused            the recipient (or the channel's authentication) said no; not tried again
import type { ErrorCode } from '../errors.js';
import { KeynodeError } from '../errors.js';
import type { NodeId, NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';
import type { OutboxItem, OutboxState } from '../types.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';
import type { OutboxRecord } from './types.js';

/**
 * What a recipient answers when it has decided not to take a notification (receive.ts): asking
 * again would get the same answer, so these end the attempts. Everything else is trouble on the way
 * and is tried again — a failed peer handshake too, which a tab closing mid-handshake causes as
 * often as an impostor does, and which a later attempt may pass.
 */
export const recipientRefusals: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ErrorNotificationsVerificationFailed',
  'ErrorNotificationsInvalidDestination',
  'ErrorNotificationsPermissionsNotFound',
  'ErrorNotificationsParse',
  'ErrorNotificationsReplay',
  'ErrorNotificationsExpired',
  'ErrorNotificationsClockSkew',
]);

/**
 * Refused only for a refusal: a record an older build marked failed after its last attempt on a
 * connection failure is simply not delivered yet, and is tried again.
 */
export function stateOf(record: OutboxRecord): OutboxState {
  if (record.failed === true && record.lastError !== undefined && recipientRefusals.has(record.lastError.code as ErrorCode)) return 'refused';
  return record.attempts === 0 ? 'pending' : 'not-delivered-yet';
}

export async function listOutbox(tx: Tx): Promise<OutboxRecord[]> {
  return (await tx.entries<OutboxRecord>('outbox')).map(([, r]) => r);
}

/** Records still worth trying now: due ones, or every one addressed to `only` (that peer just came online). */
export async function attemptable(tx: Tx, now: number, only?: NodeId): Promise<OutboxRecord[]> {
  return (await listOutbox(tx)).filter((r) => stateOf(r) !== 'refused' && (only === undefined ? r.nextAttemptAt <= now : r.to === only));
}

export async function removeOutbox(tx: Tx, id: NotificationId): Promise<void> {
  if ((await tx.get('outbox', id)) === undefined) {
    throw new KeynodeError('ErrorNotificationsUndefined', `There is no notification ${id} in the outbox.`, { data: { id } });
  }
  await tx.delete('outbox', id);
}

/** Writes down the outcome of one failed attempt: a refusal is final, anything else is tried again after a back-off. */
export function afterFailure(record: OutboxRecord, error: { code: ErrorCode; message: string }, now: number, policy: RetryPolicy): OutboxRecord {
  const attempts = record.attempts + 1;
  const { failed: _failed, ...rest } = record;
  const updated: OutboxRecord = { ...rest, attempts, lastError: { code: error.code, message: error.message } };
  if (recipientRefusals.has(error.code)) updated.failed = true;
  else updated.nextAttemptAt = now + retryDelay(policy, attempts);
  return updated;
}

/** The public view (docs/api.md): everything but the token text, with its state. */
export function toOutboxItem(record: OutboxRecord): OutboxItem {
  const { token: _token, createdAt: _createdAt, failed: _failed, ...item } = record;
  const state = stateOf(record);
  return state === 'refused' ? { ...item, state, failed: true } : { ...item, state };
}
