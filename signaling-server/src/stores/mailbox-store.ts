// What a mailbox store does, whatever holds it (memory now; Redis lists with a TTL for several
// instances later). Async so a networked store fits the same interface.
import type { NodeId } from '../../../src/ids/index.js';
import type { MailboxItem } from '../protocol.js';

export type MailboxPutResult =
  | { ok: true }
  | { ok: false; reason: 'count' | 'bytes' | 'total' };

export interface MailboxStore {
  /** Stores the item for `to` unless a bound would be crossed; then stores nothing. */
  put(to: NodeId, item: MailboxItem): Promise<MailboxPutResult>;
  /** Unexpired items for `to`, oldest first. */
  list(to: NodeId): Promise<MailboxItem[]>;
  /** Removes the given ids from `to`'s mailbox (unknown ids are ignored); returns how many went. */
  ack(to: NodeId, ids: readonly string[]): Promise<number>;
  /** Drops expired items everywhere. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}
