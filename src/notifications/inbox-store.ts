// The inbox and the requests list on disk: both are keyed by our own time-sortable NotificationId,
// so key order is arrival order, and both are capped by dropping the oldest. Functions take the
// caller's transaction so a receive is one all-or-nothing write.
// Unread inbox items are also listed in `meta` under `notifications:unread:<id>`, so the unread
// badge and "unread only" reads touch only unread keys instead of the whole (up to 10,000) inbox.
// Every change to the lists goes through this file, which keeps that index in step.
import { KeynodeError } from '../errors.js';
import type { NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';
import type { InboxRecord } from './types.js';

export type ListStore = 'inbox' | 'requests';

const unreadPrefix = 'notifications:unread:';

async function dropUnread(tx: Tx, store: ListStore, id: string): Promise<void> {
  if (store === 'inbox') await tx.delete('meta', unreadPrefix + id);
}

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
    for (const [key] of oldest) await deleteItem(tx, store, key);
  }
  await tx.put(store, record.id, record);
  if (store === 'inbox' && !record.isRead) await tx.put('meta', unreadPrefix + record.id, true);
}

export async function listItems(tx: Tx, store: ListStore, opts: ReadOptions = {}): Promise<InboxRecord[]> {
  const reverse = (opts.order ?? 'desc') === 'desc';
  const limit = opts.limit ?? Infinity;
  // Requests are accepted or blocked, never marked read, so `unread` means something only for the inbox.
  if (!opts.unread || store === 'requests') {
    return (await tx.entries<InboxRecord>(store, { reverse, limit })).map(([, r]) => r);
  }
  const out: InboxRecord[] = [];
  for (const [key] of await tx.entries('meta', { prefix: unreadPrefix, reverse, limit })) {
    const record = await tx.get<InboxRecord>('inbox', key.slice(unreadPrefix.length));
    if (record !== undefined) out.push(record);
  }
  return out;
}

/** Reads and marks what it returns as read, in the same transaction. */
export async function readAndMark(tx: Tx, opts: ReadOptions): Promise<InboxRecord[]> {
  const out: InboxRecord[] = [];
  for (const item of await listItems(tx, 'inbox', opts)) {
    const read = { ...item, isRead: true };
    if (!item.isRead) {
      await tx.put('inbox', item.id, read);
      await dropUnread(tx, 'inbox', item.id);
    }
    out.push(read);
  }
  return out;
}

export function countUnread(tx: Tx): Promise<number> {
  return tx.count('meta', { prefix: unreadPrefix });
}

export async function getItem(tx: Tx, store: ListStore, id: NotificationId): Promise<InboxRecord> {
  const record = await tx.get<InboxRecord>(store, id);
  if (record === undefined) {
    const where = store === 'inbox' ? 'inbox' : 'requests list';
    throw new KeynodeError('ErrorNotificationsUndefined', `There is no notification ${id} in the ${where}.`, { data: { id } });
  }
  return record;
}

export async function deleteItem(tx: Tx, store: ListStore, id: string): Promise<void> {
  await tx.delete(store, id);
  await dropUnread(tx, store, id);
}

export async function removeItem(tx: Tx, store: ListStore, id: NotificationId): Promise<InboxRecord> {
  const record = await getItem(tx, store, id);
  await deleteItem(tx, store, id);
  return record;
}

export async function clearItems(tx: Tx, store: ListStore): Promise<void> {
  for (const [key] of await tx.entries(store)) await tx.delete(store, key);
  if (store === 'inbox') {
    for (const [key] of await tx.entries('meta', { prefix: unreadPrefix })) await tx.delete('meta', key);
  }
}
