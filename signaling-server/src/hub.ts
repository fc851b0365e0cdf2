// Who is logged in and who watches whom, on this server instance. Routing a signal or a mailbox
// delivery is a lookup here; presence changes fan out to the watchers of that NodeId.
//
// Presence is told only to watchers the watched node has introduced itself to: a NodeId on its
// contact list, or one it has signalled during this connection (the last `maxWatch` of them).
// That keeps what keynodes rely on — a node hears when a peer it is connected to leaves (they
// signalled each other to connect), and when a contact it owes a notification or a pull comes
// online (the contact lists it) — while a stranger watching any NodeId learns nothing: to it, a
// node it may not watch always reads as offline.
import type { NodeId } from '../../protocol/node-id.js';
import type { Limits } from './limits.js';
import type { RelayRefusal, Sender } from './outbound.js';
import type { ServerMessageOut } from '../../protocol/signaling.js';
import { TokenBucket } from './rate-limit.js';

/** The part of a connection the hub needs. */
export interface Member extends Sender {
  /** Presence news is charged to the node it is about, like a message from it. */
  relay(message: ServerMessageOut, from: Sender): RelayRefusal | undefined;
  replaced(): void;
}

type Joined = Member & { nodeId: NodeId };

export class Hub {
  private readonly online = new Map<NodeId, Joined>();
  private readonly watchers = new Map<NodeId, Set<Member>>();
  private readonly watching = new Map<Member, Set<NodeId>>();
  private readonly contacts = new Map<Member, ReadonlySet<NodeId>>();
  /** NodeIds each connection has signalled, oldest first. */
  private readonly introduced = new Map<Member, Set<NodeId>>();
  // Kept after a node disconnects (until refilled) so reconnecting is no way round the rate limit.
  private readonly nodeBuckets = new Map<NodeId, TokenBucket>();

  constructor(private readonly limits: Limits) {}

  get(nodeId: NodeId): Member | undefined {
    return this.online.get(nodeId);
  }

  /** Makes `member` the one connection of its NodeId, with the contacts remembered for it; an earlier one is told and closed. */
  join(member: Joined, contacts: readonly NodeId[]): void {
    this.contacts.set(member, new Set(contacts));
    const previous = this.online.get(member.nodeId);
    this.online.set(member.nodeId, member);
    if (previous !== undefined && previous !== member) previous.replaced();
    // Also on a replacing login: the peer's old WebRTC connections died with its old page.
    this.tell(member, { type: 'peer-online', nodeId: member.nodeId });
  }

  leave(member: Member): void {
    this.watch(member, []);
    const nodeId = member.nodeId;
    if (nodeId !== undefined && this.online.get(nodeId) === member) {
      this.tell(member, { type: 'peer-offline', nodeId });
      this.online.delete(nodeId);
    }
    this.contacts.delete(member);
    this.introduced.delete(member);
  }

  /** Whether `watcher` may learn `subject`'s presence. */
  mayWatch(watcher: Sender, subject: Member): boolean {
    const id = watcher.nodeId;
    return id !== undefined && (this.contacts.get(subject)?.has(id) === true || this.introduced.get(subject)?.has(id) === true);
  }

  /**
   * Replaces the set of NodeIds `member` watches. Returns the newly watched ones with what the
   * watcher may be told of them now: online only if it is and the watcher may know.
   */
  watch(member: Member, nodeIds: readonly NodeId[]): Array<{ nodeId: NodeId; online: boolean }> {
    const before = this.watching.get(member) ?? new Set<NodeId>();
    for (const old of before) {
      const set = this.watchers.get(old);
      set?.delete(member);
      if (set?.size === 0) this.watchers.delete(old);
    }
    if (nodeIds.length === 0) {
      this.watching.delete(member);
      return [];
    }
    const ids = new Set(nodeIds);
    this.watching.set(member, ids);
    for (const id of ids) {
      let set = this.watchers.get(id);
      if (set === undefined) this.watchers.set(id, (set = new Set()));
      set.add(member);
    }
    return [...ids]
      .filter((id) => !before.has(id))
      .map((nodeId) => {
        const subject = this.online.get(nodeId);
        return { nodeId, online: subject !== undefined && this.mayWatch(member, subject) };
      });
  }

  /** `member` lists new contacts: watchers who may now know it is online are told, and those who may no longer, that it left. */
  setContacts(member: Member, contacts: readonly NodeId[]): void {
    const allowed = this.allowedWatchers(member);
    this.contacts.set(member, new Set(contacts));
    const now = this.allowedWatchers(member);
    for (const watcher of now) if (!allowed.has(watcher)) watcher.relay({ type: 'peer-online', nodeId: member.nodeId! }, member);
    for (const watcher of allowed) if (!now.has(watcher)) watcher.relay({ type: 'peer-offline', nodeId: member.nodeId! }, member);
  }

  /**
   * `member` signalled `to`: from now on `to` may watch it, and is told it is online if it already
   * watches. Returns whether `to` is new to the list, and the oldest one it pushed out, if any.
   */
  signalled(member: Member, to: NodeId): { added: boolean; evicted: NodeId | undefined } {
    let set = this.introduced.get(member);
    if (set === undefined) this.introduced.set(member, (set = new Set()));
    if (set.has(to)) return { added: false, evicted: undefined };
    const before = this.allowedWatchers(member);
    set.add(to);
    let evicted: NodeId | undefined;
    if (set.size > this.limits.maxWatch) {
      evicted = set.values().next().value!;
      set.delete(evicted);
    }
    for (const watcher of this.allowedWatchers(member)) {
      if (!before.has(watcher)) watcher.relay({ type: 'peer-online', nodeId: member.nodeId! }, member);
    }
    return { added: true, evicted };
  }

  /** Connections watching `nodeId` on this instance. */
  watchersOf(nodeId: NodeId): Member[] {
    return [...(this.watchers.get(nodeId) ?? [])];
  }

  /** The contacts `member` listed. */
  contactsOf(member: Member): NodeId[] {
    return [...(this.contacts.get(member) ?? [])];
  }

  /** The NodeIds `member` has signalled on this connection (the last `maxWatch`). */
  introducedBy(member: Member): NodeId[] {
    return [...(this.introduced.get(member) ?? [])];
  }

  nodeBucket(nodeId: NodeId): TokenBucket {
    let bucket = this.nodeBuckets.get(nodeId);
    if (bucket === undefined) this.nodeBuckets.set(nodeId, (bucket = new TokenBucket(this.limits.nodeRatePerSecond, this.limits.nodeRateBurst)));
    return bucket;
  }

  /** Forgets the rate state of offline nodes whose buckets are full again. */
  sweep(): void {
    for (const [nodeId, bucket] of this.nodeBuckets) {
      if (!this.online.has(nodeId) && bucket.isFull()) this.nodeBuckets.delete(nodeId);
    }
  }

  /** The watchers of the online `subject` that may know its presence (none when it is not the online one). */
  private allowedWatchers(subject: Member): Set<Member> {
    const id = subject.nodeId;
    if (id === undefined || this.online.get(id) !== subject) return new Set();
    return new Set([...(this.watchers.get(id) ?? [])].filter((w) => w !== subject && this.mayWatch(w, subject)));
  }

  /** News about `subject` for the watchers it has introduced itself to. */
  private tell(subject: Member, message: ServerMessageOut): void {
    for (const watcher of this.allowedWatchers(subject)) watcher.relay(message, subject);
  }
}
