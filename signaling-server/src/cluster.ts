// Routing between keynodes, whether they are logged in on this instance or on another one of the
// same deployment. Alone (no Redis), this is the hub and nothing more. With Redis, a NodeId's one
// connection is recorded there (stores/redis-presence.ts); a signal or mailbox delivery for a node
// on another instance is published to that instance, which queues it under the same per-sender
// budgets as a local one and answers only when it cannot deliver (the node left, or the sender has
// too much waiting there). Presence news crosses instances as "this NodeId changed": each instance
// re-reads that node's state for its own watchers and tells them only what changed, with the same
// rule as the hub (a watcher hears a node's presence only if the node introduced itself to it).
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import type { NodeId } from '../../protocol/node-id.js';
import { Source } from './admission.js';
import { Hub, type Member } from './hub.js';
import type { Limits } from './limits.js';
import type { RelayRefusal, Sender } from './outbound.js';
import {
  jsonNestedDeeperThan,
  MailboxDeliverySchema,
  MAX_JSON_DEPTH,
  NodeIdSchema,
  RelayedSignalSchema,
  RidSchema,
  type ServerMessageOut,
} from '../../protocol/signaling.js';
import { monotonicNow, type TokenBucket } from './rate-limit.js';
import type { RedisLink } from './stores/redis-link.js';
import { OWNER_PATTERN, parsePresence, RedisPresence } from './stores/redis-presence.js';

/** What the cluster needs of a connection, beyond what the hub does. */
export interface ClusterMember extends Member {
  /** Unique within this instance. */
  readonly connId: string;
  /** The socket has closed. */
  readonly gone: boolean;
  /** A message the connection caused (an answer to its request). */
  own(message: ServerMessageOut): void;
  /** Another instance refused a relay from this connection. */
  relayRefused(to: NodeId, reason: RelayRefusal, rid: number | undefined): void;
  /** Redis is unreachable: tell the keynode and close, so it reconnects once it is back. */
  unavailable(): void;
}

type Joined = ClusterMember & { nodeId: NodeId };

export type Delivery = { status: 'offline' } | { status: 'refused'; reason: RelayRefusal } | { status: 'sent' };

const OwnerSchema = v.pipe(v.string(), v.regex(OWNER_PATTERN));
const InstanceMessageSchema = v.variant('k', [
  v.object({
    k: v.literal('relay'),
    to: NodeIdSchema,
    c: OwnerSchema,
    from: NodeIdSchema,
    src: v.pipe(v.string(), v.maxLength(128)),
    msg: v.variant('type', [RelayedSignalSchema, MailboxDeliverySchema]),
    back: v.optional(OwnerSchema),
    rid: RidSchema,
  }),
  v.object({ k: v.literal('busy'), c: OwnerSchema, to: NodeIdSchema, reason: v.picklist(['sender', 'source', 'total']), rid: RidSchema }),
  v.object({ k: v.literal('offline'), c: OwnerSchema, to: NodeIdSchema, rid: RidSchema }),
  v.object({ k: v.literal('replace'), n: NodeIdSchema, c: OwnerSchema }),
]);
type InstanceMessage = v.InferOutput<typeof InstanceMessageSchema>;

const instanceOf = (owner: string): string => owner.slice(0, owner.indexOf('/'));
/** How long a remote node's connection is taken from memory rather than Redis (news about it drops it sooner). */
const OWNER_CACHE_MS = 5000;
const OWNER_CACHE_MAX = 50_000;
const ignore = (): void => undefined;

export class Cluster {
  readonly hub: Hub;
  readonly instanceId = randomBytes(9).toString('base64url');
  private readonly presence: RedisPresence | undefined;
  /** Logged-in connections of this instance, by "<instance>/<connection>". */
  private readonly conns = new Map<string, Joined>();
  /** Remote nodes each local watcher has been told are online (the hub tells about local ones). */
  private readonly told = new Map<NodeId, Set<ClusterMember>>();
  private readonly toldBy = new Map<ClusterMember, Set<NodeId>>();
  /** Relay budgets of senders on other instances, by their source address. */
  private readonly remoteSources = new Map<string, Source>();
  /** Presence re-checks in flight, one chain per NodeId so their answers apply in order. */
  private readonly rechecks = new Map<NodeId, Promise<void>>();
  /** Logouts not yet recorded in Redis; close() waits for them so others see the nodes leave. */
  private readonly releasing = new Set<Promise<void>>();
  /** Logins closed while Redis was away, to be forgotten there once it is back. */
  private orphans: Array<readonly [NodeId, string]> = [];
  /**
   * Where remote nodes were last seen logged in, so a relay costs one trip to Redis (the publish)
   * and not two. Dropped on any presence news about the node, when its instance does not answer or
   * says it left, and whenever the link to Redis drops (news may have been missed meanwhile).
   */
  private readonly owners = new Map<NodeId, { owner: string; at: number }>();
  /** Presence announcements heard so far: a read that overlapped one is not cached. */
  private presenceHeard = 0;

  private constructor(
    private readonly limits: Limits,
    private readonly link: RedisLink | undefined,
  ) {
    this.hub = new Hub(limits);
    // A login is visible for three heartbeats without a refresh, so a crashed instance's nodes fade.
    this.presence = link === undefined ? undefined : new RedisPresence(link, Math.max(3 * limits.heartbeatMs, 10_000));
  }

  static async open(limits: Limits, link?: RedisLink): Promise<Cluster> {
    const cluster = new Cluster(limits, link);
    if (link !== undefined && cluster.presence !== undefined) {
      const presence = cluster.presence;
      const mine = presence.instanceChannel(cluster.instanceId);
      await link.subscribe([presence.presenceChannel, mine], (channel, message) => {
        if (channel === mine) cluster.onInstanceMessage(message);
        else if (channel === presence.presenceChannel) {
          cluster.presenceHeard += 1;
          const nodeId = parsePresence(message);
          if (nodeId === undefined) return;
          cluster.owners.delete(nodeId);
          cluster.recheck(nodeId);
        }
      });
      link.onChange((up) => {
        cluster.owners.clear();
        if (up) return cluster.forgetOrphans();
        for (const [owner, member] of [...cluster.conns]) {
          cluster.orphans.push([member.nodeId, owner]);
          member.unavailable();
        }
      });
    }
    return cluster;
  }

  /** False while Redis is unreachable: logins are refused then. */
  get available(): boolean {
    return this.link === undefined || this.link.up;
  }

  nodeBucket(nodeId: NodeId): TokenBucket {
    return this.hub.nodeBucket(nodeId);
  }

  /** Makes `member` the one connection of its NodeId, everywhere; false if it closed meanwhile. */
  async join(member: Joined, contacts: readonly NodeId[]): Promise<boolean> {
    const owner = this.owner(member);
    if (this.presence !== undefined) {
      await this.presence.claim(member.nodeId, owner, contacts);
      if (member.gone) {
        this.presence.release(member.nodeId, owner).catch(ignore);
        return false;
      }
    }
    this.hub.join(member, contacts);
    this.conns.set(owner, member);
    return true;
  }

  leave(member: ClusterMember): void {
    this.hub.leave(member);
    for (const nodeId of [...(this.toldBy.get(member) ?? [])]) this.untell(nodeId, member);
    const owner = this.owner(member);
    if (member.nodeId !== undefined && this.conns.get(owner) === member) {
      this.conns.delete(owner);
      this.release(member.nodeId, owner);
    }
  }

  /** Waits (briefly) for logouts to reach Redis, so other instances see this one's nodes leave. */
  async close(): Promise<void> {
    await Promise.race([Promise.all(this.releasing), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  /**
   * Hands `message` from `from` to the connection of `to`, wherever it is. With `rid`, a remote
   * instance that cannot deliver answers later: `peer-offline` or `receiver-busy` for that request.
   */
  async deliver(from: Joined, to: NodeId, message: ServerMessageOut, answer?: { rid: number | undefined }): Promise<Delivery> {
    const relay = (member: Member): Delivery => {
      const refused = member.relay(message, from);
      return refused === undefined ? { status: 'sent' } : { status: 'refused', reason: refused };
    };
    const local = this.hub.get(to);
    if (local !== undefined) return relay(local);
    if (this.presence === undefined) return { status: 'offline' };
    const owner = await this.ownerOf(to);
    if (owner === undefined) return { status: 'offline' };
    const instance = instanceOf(owner);
    const mine = instance === this.instanceId ? this.conns.get(owner) : undefined;
    // Logged in here a moment ago (the hub had not seen it when we looked).
    if (mine !== undefined) return relay(mine);
    const heard =
      instance === this.instanceId
        ? 0 // recorded as ours but no longer here: a connection that is gone
        : await this.presence.publish(instance, {
            k: 'relay',
            to,
            c: owner,
            from: from.nodeId,
            src: from.source.key,
            msg: message,
            ...(answer === undefined ? {} : { back: this.owner(from), rid: answer.rid }),
          });
    if (heard === 0) {
      // Nobody listens for that connection any more (its instance stopped): forget it.
      this.owners.delete(to);
      this.presence.release(to, owner).catch(ignore);
      return { status: 'offline' };
    }
    return { status: 'sent' };
  }

  /** Whether `watcher` may learn that `subject` is online, and it is. */
  async mayWatchOnline(watcher: Sender, subject: NodeId): Promise<boolean> {
    const local = this.hub.get(subject);
    if (local !== undefined) return this.hub.mayWatch(watcher, local);
    if (this.presence === undefined || watcher.nodeId === undefined) return false;
    const state = await this.presence.state(subject, [watcher.nodeId]);
    return state.online && state.allowed[0] === true;
  }

  /** Replaces what `member` watches; the newly watched with whether it may be told they are online. */
  async watch(member: ClusterMember, nodeIds: readonly NodeId[]): Promise<Array<{ nodeId: NodeId; online: boolean }>> {
    const fresh = this.hub.watch(member, nodeIds);
    const kept = new Set(nodeIds);
    for (const nodeId of [...(this.toldBy.get(member) ?? [])]) if (!kept.has(nodeId)) this.untell(nodeId, member);
    const presence = this.presence;
    const watcher = member.nodeId;
    if (presence === undefined || watcher === undefined) return fresh;
    return Promise.all(
      fresh.map(async (entry) => {
        if (entry.online || this.hub.get(entry.nodeId) !== undefined) return entry;
        const state = await presence.state(entry.nodeId, [watcher]);
        const online = state.online && state.allowed[0] === true;
        if (online) this.tell(entry.nodeId, member);
        return { nodeId: entry.nodeId, online };
      }),
    );
  }

  setContacts(member: Joined, contacts: readonly NodeId[]): void {
    this.hub.setContacts(member, contacts);
    this.publishAudience(member);
  }

  signalled(member: Joined, to: NodeId): void {
    const { added, evicted } = this.hub.signalled(member, to);
    if (!added || this.presence === undefined) return;
    // One NodeId at a time: rewriting the whole audience on every new peer would cost Redis O(n²).
    const stillAllowed = evicted !== undefined && this.hub.contactsOf(member).includes(evicted);
    this.presence.addAllowed(member.nodeId, this.owner(member), to, stillAllowed ? undefined : evicted).catch(ignore);
  }

  /** Heartbeat: keeps this instance's logins visible and forgets idle budgets. */
  async beat(): Promise<void> {
    this.hub.sweep();
    for (const [key, source] of this.remoteSources) if (source.idle()) this.remoteSources.delete(key);
    if (this.presence === undefined || !this.available) return;
    await this.presence.refresh([...this.conns].map(([owner, member]) => [member.nodeId, owner] as const));
  }

  /** The connection `nodeId` is logged in on, from memory when fresh, else from Redis. */
  private async ownerOf(nodeId: NodeId): Promise<string | undefined> {
    const cached = this.owners.get(nodeId);
    if (cached !== undefined && monotonicNow() - cached.at < OWNER_CACHE_MS) return cached.owner;
    const heard = this.presenceHeard;
    const owner = await this.presence!.owner(nodeId);
    this.owners.delete(nodeId);
    // Only a read no presence news overlapped: news about this node may have been read before it.
    if (owner !== undefined && heard === this.presenceHeard && this.available) {
      this.owners.set(nodeId, { owner, at: monotonicNow() });
      if (this.owners.size > OWNER_CACHE_MAX) this.owners.delete(this.owners.keys().next().value!);
    }
    return owner;
  }

  private release(nodeId: NodeId, owner: string): void {
    if (this.presence === undefined || !this.available) return;
    const done = this.presence.release(nodeId, owner).catch(ignore);
    this.releasing.add(done);
    void done.then(() => this.releasing.delete(done));
  }

  /**
   * Redis is back: the logins closed while it was away still read as online there (until they
   * expire) unless their keynodes logged in again meanwhile; forget them now.
   */
  private forgetOrphans(): void {
    const orphans = this.orphans;
    this.orphans = [];
    for (const [nodeId, owner] of orphans) this.release(nodeId, owner);
  }

  private owner(member: ClusterMember): string {
    return `${this.instanceId}/${member.connId}`;
  }

  /** Records in Redis who may watch `member` now (its contacts and the nodes it signalled). */
  private publishAudience(member: Joined): void {
    if (this.presence === undefined) return;
    const allowed = [...new Set([...this.hub.contactsOf(member), ...this.hub.introducedBy(member)])];
    this.presence.allow(member.nodeId, this.owner(member), allowed).catch(ignore);
  }

  private remoteSender(nodeId: NodeId, sourceKey: string): Sender {
    let source = this.remoteSources.get(sourceKey);
    if (source === undefined) this.remoteSources.set(sourceKey, (source = new Source(sourceKey, this.limits, monotonicNow)));
    return { nodeId, source };
  }

  private tell(subject: NodeId, watcher: ClusterMember): void {
    let watchers = this.told.get(subject);
    if (watchers === undefined) this.told.set(subject, (watchers = new Set()));
    watchers.add(watcher);
    let subjects = this.toldBy.get(watcher);
    if (subjects === undefined) this.toldBy.set(watcher, (subjects = new Set()));
    subjects.add(subject);
  }

  private untell(subject: NodeId, watcher: ClusterMember): void {
    const watchers = this.told.get(subject);
    watchers?.delete(watcher);
    if (watchers?.size === 0) this.told.delete(subject);
    const subjects = this.toldBy.get(watcher);
    subjects?.delete(subject);
    if (subjects?.size === 0) this.toldBy.delete(watcher);
  }

  private recheck(nodeId: NodeId): void {
    const next = (this.rechecks.get(nodeId) ?? Promise.resolve()).then(() => this.recheckNow(nodeId)).catch(ignore);
    this.rechecks.set(nodeId, next);
    void next.then(() => {
      if (this.rechecks.get(nodeId) === next) this.rechecks.delete(nodeId);
    });
  }

  /** Re-reads a remote node's presence for this instance's watchers of it and tells each what changed. */
  private async recheckNow(subject: NodeId): Promise<void> {
    if (this.presence === undefined) return;
    // A node logged in here is the hub's to tell about.
    if (this.hub.get(subject) !== undefined) {
      for (const watcher of [...(this.told.get(subject) ?? [])]) this.untell(subject, watcher);
      return;
    }
    const watchers = this.hub.watchersOf(subject).filter((w): w is ClusterMember => w.nodeId !== undefined && w.nodeId !== subject) as ClusterMember[];
    const before = this.told.get(subject);
    if (watchers.length === 0) {
      for (const watcher of [...(before ?? [])]) this.untell(subject, watcher);
      return;
    }
    const state = await this.presence.state(
      subject,
      watchers.map((w) => w.nodeId!),
    );
    if (this.hub.get(subject) !== undefined) return;
    const from = this.remoteSender(subject, 'cluster');
    watchers.forEach((watcher, i) => {
      const now = state.online && state.allowed[i] === true;
      const was = this.told.get(subject)?.has(watcher) === true;
      if (now && !was) {
        this.tell(subject, watcher);
        watcher.relay({ type: 'peer-online', nodeId: subject }, from);
      } else if (!now && was) {
        this.untell(subject, watcher);
        watcher.relay({ type: 'peer-offline', nodeId: subject }, from);
      }
    });
  }

  private onInstanceMessage(raw: Buffer): void {
    // Our own instances wrote it, but Redis is another party: bound and check it like client input.
    if (raw.length > this.limits.hardMaxMessageBytes + 4096) return;
    const text = raw.toString('utf8');
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH + 2)) return;
    let parsed: v.SafeParseResult<typeof InstanceMessageSchema>;
    try {
      parsed = v.safeParse(InstanceMessageSchema, JSON.parse(text));
    } catch {
      return;
    }
    if (parsed.success) this.handle(parsed.output);
  }

  private handle(message: InstanceMessage): void {
    const presence = this.presence!;
    switch (message.k) {
      case 'relay': {
        const target = this.conns.get(message.c);
        if (target === undefined || target.gone || target.nodeId !== message.to) {
          if (message.back !== undefined) {
            const answer = { k: 'offline', c: message.back, to: message.to, ...(message.rid === undefined ? {} : { rid: message.rid }) };
            presence.publish(instanceOf(message.back), answer).catch(ignore);
          }
          if (instanceOf(message.c) === this.instanceId) presence.release(message.to, message.c).catch(ignore);
          return;
        }
        const refused = target.relay(message.msg as ServerMessageOut, this.remoteSender(message.from, message.src));
        if (refused !== undefined && message.back !== undefined) {
          const answer = { k: 'busy', c: message.back, to: message.to, reason: refused, ...(message.rid === undefined ? {} : { rid: message.rid }) };
          presence.publish(instanceOf(message.back), answer).catch(ignore);
        }
        return;
      }
      case 'busy':
        return this.conns.get(message.c)?.relayRefused(message.to, message.reason, message.rid);
      case 'offline':
        this.owners.delete(message.to);
        return this.conns.get(message.c)?.own({ type: 'peer-offline', nodeId: message.to, ...(message.rid === undefined ? {} : { rid: message.rid }) });
      case 'replace': {
        const member = this.conns.get(message.c);
        if (member !== undefined && member.nodeId === message.n) member.replaced();
        return;
      }
    }
  }
}
