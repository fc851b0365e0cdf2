// Replay protection: the (sender, sender's id) of every token we accepted, so the same token
// delivered twice (a retry after a lost answer, a link opened again, or an attacker's copy) stores
// nothing new — and of every token we refused for a reason that time could change (the sender was
// unknown then, or the token was dated ahead of our clock), so a copy kept by anyone is refused
// later too, even once the sender is trusted (receive.ts). Bounded: past `cap` entries the oldest is
// forgotten, and that sender's "floor" rises to its id. Sender ids (`jti`) increase, so a token at or
// below its sender's floor is too old to tell and is refused (ErrorNotificationsReplay), never
// stored twice and never taken after a refusal.
//   tok:<iss>:<jti> → SeenEntry     ord:<our id> → "<iss>:<jti>"     floor:<iss> → jti
//   size → how many ord: entries there are (counting a key range costs a scan of it)
import { KeynodeError, type ErrorCode } from '../errors.js';
import type { NodeId, NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';

export interface SeenEntry {
  /**
   * Our id for the item this token became (in the inbox or the requests list: accepting moves it);
   * for a refused token, an id of ours that only orders the entry for forgetting.
   */
  id: NotificationId;
  /** Set when the token was refused: the code it was refused with. */
  refused?: ErrorCode;
}

const tokKey = (iss: NodeId, jti: NotificationId): string => `tok:${iss}:${jti}`;

export async function lookupSeen(tx: Tx, iss: NodeId, jti: NotificationId): Promise<SeenEntry | undefined> {
  const entry = await tx.get<SeenEntry>('seen', tokKey(iss, jti));
  if (entry !== undefined) return entry;
  const floor = await tx.get<NotificationId>('seen', `floor:${iss}`);
  if (floor !== undefined && jti <= floor) {
    throw new KeynodeError(
      'ErrorNotificationsReplay',
      'This notification is older than the ones this keynode still remembers, so it may be a copy of one already received; it was not stored.',
      { data: { iss, jti } },
    );
  }
  return undefined;
}

export async function recordSeen(tx: Tx, iss: NodeId, jti: NotificationId, entry: SeenEntry, cap: number): Promise<void> {
  await tx.put('seen', tokKey(iss, jti), entry);
  await tx.put('seen', `ord:${entry.id}`, `${iss}:${jti}`);
  const count = ((await tx.get<number>('seen', 'size')) ?? 0) + 1;
  await tx.put('seen', 'size', Math.min(count, cap));
  if (count <= cap) return;
  for (const [ordKey, ref] of await tx.entries<string>('seen', { prefix: 'ord:', limit: count - cap })) {
    const [oldIss, oldJti] = ref.split(':') as [NodeId, NotificationId];
    await tx.delete('seen', ordKey);
    await tx.delete('seen', tokKey(oldIss, oldJti));
    const floor = await tx.get<NotificationId>('seen', `floor:${oldIss}`);
    if (floor === undefined || oldJti > floor) await tx.put('seen', `floor:${oldIss}`, oldJti);
  }
}
