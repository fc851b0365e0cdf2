// The contact lists keynodes send at login, remembered in memory so they still count while their
// owner is offline (a mailbox fills when its owner is away). Bounded: each list expires a while
// after it was last sent, and when a source's lists or all lists together hold too many NodeIds the
// oldest lists go first — a source's own first, so minting identities only evicts its own lists.
// Losing a list costs its owner only priority, until its next login sends it again.
import type { NodeId } from '../../../protocol/node-id.js';

export interface ContactBounds {
  /** Time a list is kept after it was last set. */
  mailboxTtlMs: number;
  contactsSourceIds: number;
  contactsTotalIds: number;
}

interface List {
  ids: ReadonlySet<NodeId>;
  source: string;
  at: number;
}

export class ContactBook {
  /** In the order they were last set, oldest first. */
  private readonly lists = new Map<NodeId, List>();
  private readonly idsBySource = new Map<string, number>();
  private totalIds = 0;

  constructor(
    private readonly bounds: ContactBounds,
    private readonly clock: () => number,
  ) {}

  set(owner: NodeId, contacts: readonly NodeId[], source: string): void {
    this.remove(owner);
    if (contacts.length === 0) return;
    const list: List = { ids: new Set(contacts), source, at: this.clock() };
    this.lists.set(owner, list);
    this.count(source, list.ids.size);
    for (const [other, old] of this.lists) {
      if ((this.idsBySource.get(source) ?? 0) <= this.bounds.contactsSourceIds) break;
      if (other !== owner && old.source === source) this.remove(other);
    }
    for (const other of this.lists.keys()) {
      if (this.totalIds <= this.bounds.contactsTotalIds) break;
      if (other !== owner) this.remove(other);
    }
  }

  get(owner: NodeId): ReadonlySet<NodeId> | undefined {
    const list = this.lists.get(owner);
    if (list === undefined) return undefined;
    if (list.at <= this.clock() - this.bounds.mailboxTtlMs) {
      this.remove(owner);
      return undefined;
    }
    return list.ids;
  }

  has(owner: NodeId, contact: NodeId): boolean {
    return this.get(owner)?.has(contact) ?? false;
  }

  sweep(): void {
    for (const owner of [...this.lists.keys()]) this.get(owner);
  }

  clear(): void {
    this.lists.clear();
    this.idsBySource.clear();
    this.totalIds = 0;
  }

  private remove(owner: NodeId): void {
    const list = this.lists.get(owner);
    if (list === undefined) return;
    this.lists.delete(owner);
    this.count(list.source, -list.ids.size);
  }

  private count(source: string, delta: number): void {
    const n = (this.idsBySource.get(source) ?? 0) + delta;
    if (n > 0) this.idsBySource.set(source, n);
    else this.idsBySource.delete(source);
    this.totalIds += delta;
  }
}
