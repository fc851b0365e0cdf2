// What a mailbox store does, whatever holds it (memory now; Redis lists with a TTL for several
// instances later). Async so a networked store fits the same interface. Every mailbox quota is
// decided here, in one place, and so are the contact lists the quotas depend on.
import type { NodeId } from '../../../protocol/node-id.js';
import type { MailboxItem } from '../../../protocol/signaling.js';

/**
 * Which bound a put would cross: the recipient's mailbox as a whole (`count`, `bytes`); within it,
 * the sender's share (`sender`), the share of strangers at the sender's address (`source`) or of
 * all strangers (`strangers`); over all mailboxes, the sender's address (`source-total`), all
 * strangers (`strangers-total`) or everyone (`total`). A stranger is a sender the recipient has not
 * listed as a contact.
 */
export type MailboxRefusal = 'count' | 'bytes' | 'sender' | 'source' | 'strangers' | 'source-total' | 'strangers-total' | 'total';

export type MailboxPutResult = { ok: true } | { ok: false; reason: MailboxRefusal };

export interface MailboxStore {
  /** Stores the item for `to` unless a bound would be crossed; then stores nothing. `source` is the sender's address key. */
  put(to: NodeId, item: MailboxItem, source: string): Promise<MailboxPutResult>;
  /** Unexpired items for `to`, oldest first. */
  list(to: NodeId): Promise<MailboxItem[]>;
  /** Removes the given ids from `to`'s mailbox (unknown ids are ignored); returns how many went. */
  ack(to: NodeId, ids: readonly string[]): Promise<number>;
  /**
   * Replaces the NodeIds `owner` accepts as contacts: their puts to it are not a stranger's. Kept
   * for the mailbox lifetime after the last call, so they count while `owner` is offline; `source`
   * (the owner's address) is charged for remembering them.
   */
  setContacts(owner: NodeId, contacts: readonly NodeId[], source: string): Promise<void>;
  /** The contacts `owner` last set, if still remembered. */
  contacts(owner: NodeId): Promise<NodeId[]>;
  /** Drops expired items and contact lists everywhere. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}
