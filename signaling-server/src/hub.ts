// Who is logged in and who watches whom, on this server instance. Routing a signal or a mailbox
// delivery is a lookup here; presence changes fan out to the watchers of that NodeId.
import type { NodeId } from '../../src/ids/index.js';
import type { Limits } from './limits.js';
import { TokenBucket } from './rate-limit.js';
import type { RelayRefusal, Sender } from './outbound.js';
import type { ServerMessageOut } from './protocol.js';

/** The part of a connection the hub needs. */
export interface Member extends Sender {
  /** Presence news is charged to the node it is about, like a message from it. */
  relay(message: ServerMessageOut, from: Sender): RelayRefusal | undefined;
  replaced(): void;
}

export class Hub {
  private readonly online = new Map<NodeId, Member>();
  private readonly watchers = new Map<NodeId, Set<Member>>();
  private readonly watching = new Map<Member, Set<NodeId>>();
  // Kept after a node disconnects (until refilled) so reconnecting is no way round the rate limit.
  private readonly nodeBuckets = new Map<NodeId, TokenBucket>();

  constructor(private readonly limits: Limits) {}

  get(nodeId: NodeId): Member | undefined {
    return this.online.get(nodeId);
  }

  /** Makes `member` the one connection of its NodeId; an earlier one is told and closed. */
  join(member: Member & { nodeId: NodeId }): void {
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
      this.online.delete(nodeId);
      this.tell(member, { type: 'peer-offline', nodeId });
    }
  }

  /** Replaces the set of NodeIds `member` watches; returns the ones it did not watch before. */
  watch(member: Member, nodeIds: readonly NodeId[]): NodeId[] {
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
    return [...ids].filter((id) => !before.has(id));
  }

  nodeBucket(nodeId: NodeId): TokenBucket {
    let bucket = this.nodeBuckets.get(nodeId);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.limits.nodeRatePerSecond, this.limits.nodeRateBurst);
      this.nodeBuckets.set(nodeId, bucket);
    }
    return bucket;
  }

  /** Forgets the rate state of offline nodes whose buckets are full again. */
  sweep(): void {
    for (const [nodeId, bucket] of this.nodeBuckets) {
      if (!this.online.has(nodeId) && bucket.isFull()) this.nodeBuckets.delete(nodeId);
    }
  }

  /** News about `subject` for its watchers (not itself). */
  private tell(subject: Member, message: ServerMessageOut): void {
    for (const watcher of this.watchers.get(subject.nodeId!) ?? []) {
      if (watcher !== subject) watcher.relay(message, subject);
    }
  }
}
