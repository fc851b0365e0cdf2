// One NotificationId generator for everything this keynode numbers (outbox ids, which are also the
// `jti` it signs, and the ids of received items). The last id used is kept in `meta`, so ids keep
// increasing across restarts even if the clock stepped back or the lists were cleared.
import { NotificationIdGenerator, isNotificationId, type NotificationId } from '../ids/index.js';
import type { KV, Tx } from '../storage/kv.js';

const lastIdKey = 'notifications:lastId';

export async function loadIdGenerator(kv: KV, clock: () => number, random?: (n: number) => Uint8Array): Promise<NotificationIdGenerator> {
  const last = await kv.read((tx) => tx.get<string>('meta', lastIdKey));
  return new NotificationIdGenerator(clock, random, isNotificationId(last) ? last : undefined);
}

/** Persists `id` as the last one used, unless a later one already is. */
export async function rememberId(tx: Tx, id: NotificationId): Promise<void> {
  const last = await tx.get<string>('meta', lastIdKey);
  if (last === undefined || id > last) await tx.put('meta', lastIdKey, id);
}
