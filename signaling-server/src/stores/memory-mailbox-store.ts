// Mailboxes in this process's memory, with every quota: per recipient (count, bytes), per sender
// within one recipient's mailbox, a share for strangers (senders the recipient has not listed as
// contacts) within it and over all mailboxes, per source address over all mailboxes, and in total.
// Items expire after a time limit. Lost on restart, which is acceptable: senders keep their outbox
// and retry.
//
// Why these: a recipient's contacts may fill its whole mailbox, strangers only their share, so
// throwaway identities can never lock out a VaultShare from someone the recipient already trusts;
// strangers at one address share one sender's quota, so minting identities gains nothing there; and
// what one address stores over all mailboxes is capped, so a handful of sources cannot take the
// server's whole budget (a contact's puts count there too, or an attacker's own pairs of
// identities would be an unbounded way in).
import type { NodeId } from '../../../protocol/node-id.js';
import type { MailboxItem } from '../../../protocol/signaling.js';
import { ContactBook, type ContactBounds } from './contact-book.js';
import type { MailboxPutResult, MailboxRefusal, MailboxStore } from './mailbox-store.js';

export interface MailboxBounds extends ContactBounds {
  mailboxMaxItems: number;
  mailboxMaxBytes: number;
  mailboxSenderItems: number;
  mailboxSenderBytes: number;
  mailboxStrangerItems: number;
  mailboxStrangerBytes: number;
  mailboxSourceBytes: number;
  mailboxStrangerTotalBytes: number;
  mailboxTotalBytes: number;
}

interface Entry {
  item: MailboxItem;
  size: number;
  source: string;
  stranger: boolean;
}

// Tokens are ASCII in practice (signed JSON in base64url), but count UTF-8 bytes to be exact.
const sizeOf = (item: MailboxItem): number => new TextEncoder().encode(item.token).length;

const sum = (entries: readonly Entry[]): { items: number; bytes: number } => ({
  items: entries.length,
  bytes: entries.reduce((n, e) => n + e.size, 0),
});

export class MemoryMailboxStore implements MailboxStore {
  private readonly boxes = new Map<NodeId, Entry[]>();
  private readonly contactBook: ContactBook;
  private readonly bytesBySource = new Map<string, number>();
  private strangerBytes = 0;
  private totalBytes = 0;

  constructor(
    private readonly bounds: MailboxBounds,
    private readonly clock: () => number = Date.now,
  ) {
    this.contactBook = new ContactBook(bounds, clock);
  }

  async put(to: NodeId, item: MailboxItem, source: string): Promise<MailboxPutResult> {
    const b = this.bounds;
    const box = this.live(to) ?? [];
    const entry: Entry = { item, size: sizeOf(item), source, stranger: !this.contactBook.has(to, item.from) };
    const fits = (used: { items: number; bytes: number }, maxItems: number, maxBytes: number) =>
      used.items + 1 <= maxItems && used.bytes + entry.size <= maxBytes;
    // The sender's own share first: it is the refusal the sender can do something about.
    if (!fits(sum(box.filter((e) => e.item.from === item.from)), b.mailboxSenderItems, b.mailboxSenderBytes)) return refuse('sender');
    if (entry.stranger) {
      const strangers = box.filter((e) => e.stranger);
      if (!fits(sum(strangers.filter((e) => e.source === source)), b.mailboxSenderItems, b.mailboxSenderBytes)) return refuse('source');
      if (!fits(sum(strangers), b.mailboxStrangerItems, b.mailboxStrangerBytes)) return refuse('strangers');
    }
    const whole = sum(box);
    if (whole.items + 1 > b.mailboxMaxItems) return refuse('count');
    if (whole.bytes + entry.size > b.mailboxMaxBytes) return refuse('bytes');
    if ((this.bytesBySource.get(source) ?? 0) + entry.size > b.mailboxSourceBytes) return refuse('source-total');
    if (entry.stranger && this.strangerBytes + entry.size > b.mailboxStrangerTotalBytes) return refuse('strangers-total');
    if (this.totalBytes + entry.size > b.mailboxTotalBytes) return refuse('total');
    box.push(entry);
    this.boxes.set(to, box);
    this.count(entry, 1);
    return { ok: true };
  }

  async list(to: NodeId): Promise<MailboxItem[]> {
    return (this.live(to) ?? []).map((e) => e.item);
  }

  async ack(to: NodeId, ids: readonly string[]): Promise<number> {
    const box = this.boxes.get(to);
    if (box === undefined) return 0;
    const gone = new Set(ids);
    return this.keep(to, box, (e) => !gone.has(e.item.id));
  }

  async setContacts(owner: NodeId, contacts: readonly NodeId[], source: string): Promise<void> {
    this.contactBook.set(owner, contacts, source);
  }

  async contacts(owner: NodeId): Promise<NodeId[]> {
    return [...(this.contactBook.get(owner) ?? [])];
  }

  async sweep(): Promise<void> {
    for (const to of [...this.boxes.keys()]) this.live(to);
    this.contactBook.sweep();
  }

  async close(): Promise<void> {
    this.boxes.clear();
    this.bytesBySource.clear();
    this.contactBook.clear();
    this.strangerBytes = 0;
    this.totalBytes = 0;
  }

  /** The box with its expired items removed (undefined when nothing is left). */
  private live(to: NodeId): Entry[] | undefined {
    const box = this.boxes.get(to);
    if (box === undefined) return undefined;
    const oldest = this.clock() - this.bounds.mailboxTtlMs;
    this.keep(to, box, (e) => e.item.at > oldest);
    return this.boxes.get(to);
  }

  /** Keeps only the entries `keep` accepts; returns how many went. */
  private keep(to: NodeId, box: Entry[], keep: (e: Entry) => boolean): number {
    const kept = box.filter(keep);
    if (kept.length === box.length) return 0;
    for (const e of box) if (!keep(e)) this.count(e, -1);
    if (kept.length === 0) this.boxes.delete(to);
    else this.boxes.set(to, kept);
    return box.length - kept.length;
  }

  private count(entry: Entry, sign: 1 | -1): void {
    const bytes = sign * entry.size;
    const bySource = (this.bytesBySource.get(entry.source) ?? 0) + bytes;
    if (bySource > 0) this.bytesBySource.set(entry.source, bySource);
    else this.bytesBySource.delete(entry.source);
    if (entry.stranger) this.strangerBytes += bytes;
    this.totalBytes += bytes;
  }
}

function refuse(reason: MailboxRefusal): MailboxPutResult {
  return { ok: false, reason };
}
