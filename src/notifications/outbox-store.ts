// The outbox on disk: signed notifications waiting for delivery, keyed by their own (sortable) id,
// each carrying the stored time of its next attempt so retries survive reloads without timers.
import { KeynodeError, type ErrorCode } from '../errors.js';
import type { NodeId, NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';
import type { OutboxItem } from '../types.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';
import type { OutboxRecord } from './types.js';

export async function listOutbox(tx: Tx): Promise<OutboxRecord[]> {
  return (await tx.entries<OutboxRecord>('outbox')).map(([, r]) => r);
}

/** Records still worth trying now: due ones, or every one addressed to `only` (that peer just came online). */
export async function attemptable(tx: Tx, now: number, only?: NodeId): Promise<OutboxRecord[]> {
  return (await listOutbox(tx)).filter(
    (r) => !r.failed && (only === undefined ? r.nextAttemptAt <= now : r.to === only),
  );
}

export async function removeOutbox(tx: Tx, id: NotificationId): Promise<void> {
  if ((await tx.get('outbox', id)) === undefined) {
    throw new KeynodeError('ErrorNotificationsUndefined', `There is no notification ${id} in the outbox.`, { data: { id } });
  }
  await tx.delete('outbox', id);
}

/**
 * Writes down the outcome of one failed attempt. A connection failure is retried after a back-off
 * until the attempts run out; anything else is the recipient's (or our) refusal and is final.
 */
export function afterFailure(
  record: OutboxRecord,
  error: { code: ErrorCode; message: string },
  now: number,
  policy: RetryPolicy,
): OutboxRecord {
  const attempts = record.attempts + 1;
  const updated: OutboxRecord = { ...record, attempts, lastError: { code: error.code, message: error.message } };
  if (error.code === 'ErrorNodeConnectionFailed' && attempts < policy.maxAttempts) {
    updated.nextAttemptAt = now + retryDelay(policy, attempts);
  } else {
    updated.failed = true;
  }
  return updated;
}

/** The public view (API.md): everything but the token text. */
export function toOutboxItem(record: OutboxRecord): OutboxItem {
  const { token: _token, createdAt: _createdAt, ...item } = record;
  return item;
}
