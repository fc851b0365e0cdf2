// The dialer: the half of the peer layer that needs WebRTC (docs/design.md §1, §5). It carries the
// signaling envelope, settles glare and opens WebRTC data channels, handing each opened channel over
// as `{ remote, channel, role }`. It does no authentication: the peer manager (peer-manager.ts) runs
// the handshake and the RPC wherever the core runs. In Node both halves share a process; in the
// browser this runs in the network host tab and its channels are bridged to the service worker.
// Glare: the lower NodeId is always the WebRTC initiator; the higher one asks it to dial (a "dial"
// signal), so two keynodes connecting at once still end with one connection.
import * as v from 'valibot';
import { KeynodeError } from '../errors.js';
import { isNodeId, randomBytes, type NodeId } from '../ids/index.js';
import { base64urlEncode } from '../keys/crypto.js';
import type { ByteChannel, RtcImpl } from './byte-channel.js';
import type { PeerRole } from './peer-auth.js';
import { openPeerConnection, type PeerConnection, type PeerConnectionOptions } from './peer-connection.js';

/** An opened, not yet authenticated, channel to the keynode the signaling server says it is. */
export interface DialedChannel {
  remote: NodeId;
  channel: ByteChannel;
  role: PeerRole;
}

export interface Dialer {
  /** Opens a channel to `remote` (or takes the one `remote` is opening to us). */
  dial(remote: NodeId): Promise<DialedChannel>;
  /** Channels nobody dialled for: the other side opened them. */
  onChannel(cb: (dialed: DialedChannel) => void): () => void;
  /** Fails pending dials and closes attempts still opening; safe to call twice. */
  stop(): void;
  /**
   * Told by the peer manager while it authenticates a channel to `remote`, when the dialer cannot
   * ask it directly (it runs in another context): a "dial" request then is glare, not a lost link.
   */
  authenticating?(remote: NodeId, busy: boolean): void;
}

/** What the dialer needs from signaling; the signaling client is adapted to this. */
export interface Signaler {
  /** Relays opaque signal data to `to` (which must be online). */
  sendSignal(to: NodeId, data: unknown): void;
  /** Signals relayed to us; `from` is the NodeId the signaling server authenticated. */
  onSignal(cb: (message: { from: NodeId; data: unknown }) => void): () => void;
  /** The server could not deliver to `nodeId`: it is not online. */
  onPeerOffline(cb: (nodeId: NodeId) => void): () => void;
}

export interface SignalingDialerOptions {
  nodeId: NodeId;
  /** The WebRTC implementation; unused when `openConnection` is given. */
  rtc?: RtcImpl;
  /** Opens the transport; default a WebRTC connection here (tests inject an in-memory one). */
  openConnection?: (options: PeerConnectionOptions) => PeerConnection;
  /** Read at each attempt, so a list filled in after login is used. */
  iceServers: RTCIceServer[];
  signaler: Signaler;
  /** Limit for the data channel to open (and for the other side to answer a dial request). */
  connectTimeoutMs?: number;
  /**
   * Whether a channel to `remote` is still being authenticated by whoever took it. A "dial" request
   * that arrives meanwhile crossed our own dial (glare) and is ignored, as one connection is coming.
   */
  isBusy?: (remote: NodeId) => boolean;
}

const Envelope = v.variant('t', [
  v.strictObject({ t: v.literal('dial') }),
  v.strictObject({ t: v.literal('sig'), c: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/)), d: v.unknown() }),
]);
type Envelope = v.InferOutput<typeof Envelope>;

// Incoming attempts still opening at once; more are ignored so signals cannot exhaust us.
const MAX_PENDING_INCOMING = 64;

interface Attempt {
  id: string;
  pc: PeerConnection;
  incoming: boolean;
}

interface Waiter {
  promise: Promise<DialedChannel>;
  resolve(d: DialedChannel): void;
  reject(e: KeynodeError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class SignalingDialer implements Dialer {
  private readonly attempts = new Map<NodeId, Attempt>();
  private readonly waiters = new Map<NodeId, Waiter>();
  private readonly listeners = new Set<(d: DialedChannel) => void>();
  private readonly unsubscribe: Array<() => void>;
  private readonly connectTimeoutMs: number;
  private stopped = false;

  constructor(private readonly options: SignalingDialerOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.unsubscribe = [options.signaler.onSignal((m) => this.onSignal(m.from, m.data)), options.signaler.onPeerOffline((n) => this.onPeerOffline(n))];
  }

  dial(remote: NodeId): Promise<DialedChannel> {
    if (this.stopped) return Promise.reject(stoppedError());
    const existing = this.waiters.get(remote);
    if (existing !== undefined) return existing.promise;
    const waiter = this.newWaiter(remote);
    if (this.dialsTo(remote)) {
      if (!this.attempts.has(remote)) this.startAttempt(remote, base64urlEncode(randomBytes(12)), 'initiator');
    } else {
      // The other side is the initiator: ask it to dial, and wait for its offer.
      waiter.timer = setTimeout(
        () => this.failWaiter(remote, new KeynodeError('ErrorNodeConnectionFailed', `${remote} did not answer in time.`)),
        this.connectTimeoutMs,
      );
      this.sendEnvelope(remote, { t: 'dial' });
    }
    return waiter.promise;
  }

  onChannel(cb: (dialed: DialedChannel) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    for (const attempt of this.attempts.values()) attempt.pc.destroy();
    this.attempts.clear();
    for (const remote of [...this.waiters.keys()]) this.failWaiter(remote, stoppedError());
  }

  // ---- signals -------------------------------------------------------------------------------

  private onSignal(from: NodeId, data: unknown): void {
    if (this.stopped || !isNodeId(from) || from === this.options.nodeId) return;
    const parsed = v.safeParse(Envelope, data);
    if (!parsed.success) return;
    const message = parsed.output;
    const attempt = this.attempts.get(from);
    if (message.t === 'dial') {
      if (!this.dialsTo(from) || attempt !== undefined || this.options.isBusy?.(from) === true) return;
      this.startAttempt(from, base64urlEncode(randomBytes(12)), 'initiator');
      return;
    }
    if (attempt?.id === message.c) {
      attempt.pc.signal(message.d);
      return;
    }
    if (this.dialsTo(from) || !isOffer(message.d)) return; // stale signal of an attempt we dropped
    if (this.pendingIncoming() >= MAX_PENDING_INCOMING) return;
    // The peer dials again: whatever it was opening before is abandoned.
    attempt?.pc.destroy();
    this.startAttempt(from, message.c, 'responder');
    this.attempts.get(from)?.pc.signal(message.d);
  }

  private onPeerOffline(nodeId: NodeId): void {
    if (this.waiters.has(nodeId)) this.abandon(nodeId, new KeynodeError('ErrorNodeConnectionFailed', `${nodeId} is not online.`));
  }

  // ---- attempts ------------------------------------------------------------------------------

  private startAttempt(remote: NodeId, id: string, role: PeerRole): void {
    const { options } = this;
    let pc: PeerConnection;
    try {
      if (options.openConnection === undefined && options.rtc === undefined) {
        throw new KeynodeError('ErrorNodeConnectionFailed', 'No WebRTC implementation was given, so no peer connection can be made.');
      }
      pc = (options.openConnection ?? openPeerConnection)({
        initiator: role === 'initiator',
        rtc: options.rtc as RtcImpl,
        iceServers: options.iceServers,
        sendSignal: (d) => this.sendEnvelope(remote, { t: 'sig', c: id, d }),
        timeoutMs: this.connectTimeoutMs,
      });
    } catch (e) {
      this.failWaiter(
        remote,
        e instanceof KeynodeError ? e : new KeynodeError('ErrorNodeConnectionFailed', 'The peer connection could not be created.', { cause: e }),
      );
      return;
    }
    this.attempts.set(remote, { id, pc, incoming: role === 'responder' });
    const current = (): boolean => this.attempts.get(remote)?.id === id && !this.stopped;
    pc.ready.then(
      (channel) => {
        if (!current()) {
          channel.close();
          return;
        }
        this.attempts.delete(remote);
        this.deliver({ remote, channel, role });
      },
      (e: unknown) => {
        pc.destroy();
        if (!current()) return;
        this.attempts.delete(remote);
        this.failWaiter(remote, asConnectionError(e));
      },
    );
  }

  private deliver(dialed: DialedChannel): void {
    const waiter = this.waiters.get(dialed.remote);
    if (waiter !== undefined) {
      this.waiters.delete(dialed.remote);
      clearTimeout(waiter.timer);
      waiter.resolve(dialed);
      return;
    }
    if (this.listeners.size === 0) {
      dialed.channel.close();
      return;
    }
    for (const cb of [...this.listeners]) cb(dialed);
  }

  private newWaiter(remote: NodeId): Waiter {
    let resolve!: (d: DialedChannel) => void;
    let reject!: (e: KeynodeError) => void;
    const promise = new Promise<DialedChannel>((res, rej) => ((resolve = res), (reject = rej)));
    const waiter: Waiter = { promise, resolve, reject, timer: undefined };
    this.waiters.set(remote, waiter);
    return waiter;
  }

  private failWaiter(remote: NodeId, error: KeynodeError): void {
    const waiter = this.waiters.get(remote);
    if (waiter === undefined) return;
    this.waiters.delete(remote);
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }

  private pendingIncoming(): number {
    let n = 0;
    for (const a of this.attempts.values()) if (a.incoming) n += 1;
    return n;
  }

  private dialsTo(remote: NodeId): boolean {
    return this.options.nodeId < remote;
  }

  private sendEnvelope(to: NodeId, envelope: Envelope): void {
    try {
      this.options.signaler.sendSignal(to, envelope);
    } catch (e) {
      this.abandon(to, new KeynodeError('ErrorNodeConnectionFailed', 'The signaling server is not reachable.', { cause: e }));
    }
  }

  /** Drops the attempt to `remote`, and fails its dial with `error`. */
  private abandon(remote: NodeId, error: KeynodeError): void {
    this.attempts.get(remote)?.pc.destroy();
    this.attempts.delete(remote);
    this.failWaiter(remote, error);
  }
}

function isOffer(d: unknown): boolean {
  return typeof d === 'object' && d !== null && (d as { type?: unknown }).type === 'offer';
}

export function stoppedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeStopped', 'The keynode has stopped; it makes no more connections.');
}

export function asConnectionError(e: unknown): KeynodeError {
  return e instanceof KeynodeError ? e : new KeynodeError('ErrorNodeConnectionFailed', 'Connecting to the peer failed.', { cause: e });
}
