// The inbox and the requests list on disk: both are keyed by our own time-sortable NotificationId,
// so key order is arrival order, and both are capped by dropping the oldest. Functions take the
// caller's transaction so a receive is one all-or-nothing write.
import { KeynodeError } from '../errors.js';
import type { NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';
import type { InboxRecord } from './types.js';

export type ListStore = 'inbox' | 'requests';

export interface ReadOptions {
  /** Only unread items. */
  unread?: boolean;
  /** 'desc' (the default here: newest first, as a person reads a mailbox) or 'asc'. Polykey defaults to 'asc'. */
  order?: 'asc' | 'desc';
  limit?: number;
}

/** Adds a record, first dropping the oldest ones so the list never holds more than `cap`. */
export async function addCapped(tx: Tx, store: ListStore, record: InboxRecord, cap: number): Promise<void> {
  const count = await tx.count(store);
  if (count >= cap) {
    const oldest = await tx.entries<InboxRecord>(store, { limit: count - cap + 1 });
    for (const [key] of oldest) await tx.delete(store, key);
  }
  await tx.put(store, record.id, record);
}

export async function listItems(tx: Tx, store: ListStore, opts: ReadOptions = {}): Promise<InboxRecord[]> {
  const reverse = (opts.order ?? 'desc') === 'desc';
  const limit = opts.limit ?? Infinity;
  if (!opts.unread) {
    return (await tx.entries<InboxRecord>(store, { reverse, limit })).map(([, r]) => r);
  }
  // The unread filter cannot be pushed into the key range; the list is capped, so a scan is bounded.
  const out: InboxRecord[] = [];
  for (const [, record] of await tx.entries<InboxRecord>(store, { reverse })) {
    if (out.length >= limit) break;
    if (!record.isRead) out.push(record);
  }
  return out;
}

/** Reads and marks what it returns as read, in the same transaction. */
export async function readAndMark(tx: Tx, opts: ReadOptions): Promise<InboxRecord[]> {
  const items = await listItems(tx, 'inbox', opts);
  const out: InboxRecord[] = [];
  for (const item of items) {
    if (item.isRead) {
      out.push(item);
      continue;
    }
    const read = { ...item, isRead: true };
    await tx.put('inbox', item.id, read);
    out.push(read);
  }
  return out;
}

export async function countUnread(tx: Tx): Promise<number> {
  let n = 0;
  for (const [, record] of await tx.entries<InboxRecord>('inbox')) if (!record.isRead) n += 1;
  return n;
}

export async function getItem(tx: Tx, store: ListStore, id: NotificationId): Promise<InboxRecord> {
  const record = await tx.get<InboxRecord>(store, id);
  if (record === undefined) {
    const where = store === 'inbox' ? 'inbox' : 'requests list';
    throw new KeynodeError('ErrorNotificationsUndefined', `There is no notification ${id} in the ${where}.`, { data: { id } });
  }
  return record;
}

export async function removeItem(tx: Tx, store: ListStore, id: NotificationId): Promise<InboxRecord> {
  const record = await getItem(tx, store, id);
  await tx.delete(store, id);
  return record;
}

export async function clearItems(tx: Tx, store: ListStore): Promise<void> {
  for (const [key] of await tx.entries(store)) await tx.delete(store, key);
}
