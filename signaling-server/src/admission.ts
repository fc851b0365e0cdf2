// Admission of TCP connections. Each one is counted from accept until it closes — upgraded or not,
// logged in or not — against the process's socket budget (fd-budget.ts) and against its source's
// limits (source-address.ts), and must complete its login before a deadline. Refusing happens before
// any upgrade or signature check, so a flood of refused connections costs the server little, and
// one source can hold at most its share of the descriptors however it behaves.
//
// Fresh identities cost nothing to make, so nothing an attacker could gain by making many is
// granted per NodeId alone: connections, bytes read, queued relays and mailbox space are also
// bounded per source address. We chose that over a proof of work in the login challenge because a
// keynode logs in again at every reconnect, from phones and service workers, while an attacker
// pays for the work once per identity with faster hardware; per-source bounds cost honest
// keynodes nothing unless many share one address (a NAT), and those limits are configurable.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Limits } from './limits.js';
import type { WireErrorCode } from '../../protocol/signaling.js';
import { monotonicNow, TokenBucket, ViolationCounter, type MonotonicClock } from './rate-limit.js';
import { forwardedAddress, sourceKey } from './source-address.js';

/** What one source address holds and may still do, shared by all its connections. */
export class Source {
  sockets = 0;
  /** Bytes of this source's relayed messages still queued towards receivers (relay-budget.ts). */
  relayBytes = 0;
  readonly connects: TokenBucket;
  /** Bytes read from all its sockets; in debt, the server stops reading them for a while. */
  readonly bytes: TokenBucket;
  /** Only the first refusal in a window is explained; a source that keeps knocking is cut at once. */
  readonly refusals: ViolationCounter;

  constructor(
    readonly key: string,
    limits: Limits,
    now: MonotonicClock,
  ) {
    this.connects = new TokenBucket(limits.sourceConnectsPerSecond, limits.sourceConnectBurst, now);
    this.bytes = new TokenBucket(limits.sourceBytesPerSecond, limits.sourceBytesBurst, now);
    this.refusals = new ViolationCounter(Infinity, now);
  }

  /** Nothing is open or queued and its buckets are full: forgetting it changes nothing. */
  idle(): boolean {
    return this.sockets === 0 && this.relayBytes === 0 && this.connects.isFull() && this.bytes.isFull();
  }
}

export interface Refusal {
  status: 429 | 503;
  code: WireErrorCode;
  message: string;
  /** False for repeated refusals of one source: close without an answer. */
  explain: boolean;
}

export type Admitted = { source: Source; loginDeadline: number } | { refusal: Refusal };

export class Admission {
  /** Every socket not yet closed, for shutdown. */
  readonly sockets = new Set<Socket>();
  private readonly sources = new Map<string, Source>();
  private readonly sourceOf = new WeakMap<Socket, Source>();
  private readonly deadlines = new WeakMap<Socket, { at: number; timer: ReturnType<typeof setTimeout> }>();
  /** Budget refusals of connections whose source is not known yet (behind proxies). */
  private readonly anonymousRefusals: ViolationCounter;

  constructor(
    private readonly limits: Limits,
    /** Sockets the process may hold (fd-budget.ts). */
    readonly socketBudget: number,
    /** Reverse proxies in front whose X-Forwarded-For entries are trusted; 0 = the socket's address. */
    private readonly trustedProxies: number,
    private readonly now: MonotonicClock = monotonicNow,
  ) {
    this.anonymousRefusals = new ViolationCounter(Infinity, now);
  }

  /**
   * A TCP connection was accepted. Undefined when it may go on to the upgrade; else why not. A
   * refusal that will not be explained is decided before any bookkeeping: the caller destroys the
   * socket at once, and a flood of them costs only the accept.
   */
  accept(socket: Socket): Refusal | undefined {
    let refusal: Refusal | undefined;
    if (this.sockets.size >= this.socketBudget) {
      const source = this.trustedProxies === 0 ? this.source(socket.remoteAddress) : undefined;
      refusal = this.refusal(source, 503, 'server-full', 'The signaling server has no room for more connections; try again later.');
    } else if (this.trustedProxies === 0) {
      refusal = this.assign(socket, socket.remoteAddress);
    }
    if (refusal !== undefined && !refusal.explain) return refusal;
    this.sockets.add(socket);
    // Whatever the socket is waiting for, it does not hold a descriptor past the login deadline.
    const at = this.now() + this.limits.loginTimeoutMs;
    const timer = setTimeout(() => socket.destroy(), this.limits.loginTimeoutMs);
    timer.unref();
    this.deadlines.set(socket, { at, timer });
    socket.once('close', () => {
      this.sockets.delete(socket);
      clearTimeout(timer);
      const source = this.sourceOf.get(socket);
      if (source !== undefined) source.sockets -= 1;
    });
    return refusal;
  }

  /**
   * The upgrade request arrived. The pre-upgrade deadline stops here; the session keeps the same
   * deadline for its login (`loginDeadline`, on the monotonic clock).
   */
  upgrade(socket: Socket, req: IncomingMessage): Admitted {
    const deadline = this.deadlines.get(socket);
    if (deadline !== undefined) clearTimeout(deadline.timer);
    let source = this.sourceOf.get(socket);
    if (source === undefined) {
      const address = forwardedAddress(req.headers['x-forwarded-for'], this.trustedProxies) ?? socket.remoteAddress;
      const refusal = this.assign(socket, address);
      if (refusal !== undefined) return { refusal };
      source = this.sourceOf.get(socket)!;
    }
    return { source, loginDeadline: deadline?.at ?? this.now() + this.limits.loginTimeoutMs };
  }

  /** Forgets sources with nothing open, queued or owed. */
  sweep(): void {
    for (const [key, source] of this.sources) if (source.idle()) this.sources.delete(key);
  }

  private source(address: string | undefined): Source {
    const key = sourceKey(address);
    let source = this.sources.get(key);
    if (source === undefined) this.sources.set(key, (source = new Source(key, this.limits, this.now)));
    return source;
  }

  private assign(socket: Socket, address: string | undefined): Refusal | undefined {
    const source = this.source(address);
    const { maxConnectionsPerSource, sourceConnectsPerSecond } = this.limits;
    const why =
      source.sockets >= maxConnectionsPerSource
        ? `Your network address already has ${maxConnectionsPerSource} connections open to this server, the most it allows; close one or try again later.`
        : !source.connects.take()
          ? `Your network address opens connections too fast (at most ${sourceConnectsPerSecond} per second); try again in a few seconds.`
          : undefined;
    if (why !== undefined) return this.refusal(source, 429, 'too-many-connections', why);
    source.sockets += 1;
    this.sourceOf.set(socket, source);
    return undefined;
  }

  private refusal(source: Source | undefined, status: Refusal['status'], code: WireErrorCode, message: string): Refusal {
    return { status, code, message, explain: (source?.refusals ?? this.anonymousRefusals).record().first };
  }
}
