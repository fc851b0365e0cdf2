// Mailboxes in this process's memory: bounded per recipient (count, bytes) and in total, items
// expire after a time limit. Lost on restart, which is acceptable: senders keep their outbox and retry.
import type { NodeId } from '../../../src/ids/index.js';
import type { MailboxItem } from '../protocol.js';
import type { MailboxPutResult, MailboxStore } from './mailbox-store.js';

export interface MailboxBounds {
  mailboxMaxItems: number;
  mailboxMaxBytes: number;
  mailboxTtlMs: number;
  mailboxTotalBytes: number;
}

interface Box {
  items: MailboxItem[];
  bytes: number;
}

// Tokens are ASCII in practice (signed JSON in base64url), but count UTF-8 bytes to be exact.
const sizeOf = (item: MailboxItem): number => new TextEncoder().encode(item.token).length;

export class MemoryMailboxStore implements MailboxStore {
  private readonly boxes = new Map<NodeId, Box>();
  private totalBytes = 0;

  constructor(
    private readonly bounds: MailboxBounds,
    private readonly clock: () => number = Date.now,
  ) {}

  async put(to: NodeId, item: MailboxItem): Promise<MailboxPutResult> {
    const box = this.live(to) ?? { items: [], bytes: 0 };
    const size = sizeOf(item);
    if (box.items.length + 1 > this.bounds.mailboxMaxItems) return { ok: false, reason: 'count' };
    if (box.bytes + size > this.bounds.mailboxMaxBytes) return { ok: false, reason: 'bytes' };
    if (this.totalBytes + size > this.bounds.mailboxTotalBytes) return { ok: false, reason: 'total' };
    box.items.push(item);
    box.bytes += size;
    this.totalBytes += size;
    this.boxes.set(to, box);
    return { ok: true };
  }

  async list(to: NodeId): Promise<MailboxItem[]> {
    return [...(this.live(to)?.items ?? [])];
  }

  async ack(to: NodeId, ids: readonly string[]): Promise<number> {
    const box = this.boxes.get(to);
    if (box === undefined) return 0;
    const gone = new Set(ids);
    const before = box.items.length;
    this.replace(to, box, box.items.filter((item) => !gone.has(item.id)));
    return before - box.items.length;
  }

  async sweep(): Promise<void> {
    for (const to of [...this.boxes.keys()]) this.live(to);
  }

  async close(): Promise<void> {
    this.boxes.clear();
    this.totalBytes = 0;
  }

  /** The box with its expired items removed (undefined when nothing is left). */
  private live(to: NodeId): Box | undefined {
    const box = this.boxes.get(to);
    if (box === undefined) return undefined;
    const oldest = this.clock() - this.bounds.mailboxTtlMs;
    if (box.items.some((item) => item.at <= oldest)) {
      this.replace(to, box, box.items.filter((item) => item.at > oldest));
    }
    return this.boxes.get(to);
  }

  private replace(to: NodeId, box: Box, items: MailboxItem[]): void {
    const bytes = items.reduce((n, item) => n + sizeOf(item), 0);
    this.totalBytes -= box.bytes - bytes;
    box.items = items;
    box.bytes = bytes;
    if (items.length === 0) this.boxes.delete(to);
  }
}
