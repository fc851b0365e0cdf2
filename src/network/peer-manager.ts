// Keeps at most one authenticated RPC connection per peer: opens it on demand, answers peers that
// dial us, closes it when idle, forgets it when it drops (the next connect opens a new one).
// Exactly one side dials: the lower NodeId is always the WebRTC initiator; the higher one asks it
// to dial (a "dial" signal), so two keynodes connecting at once still end with one connection.
import * as v from 'valibot';
import { KeynodeError } from '../errors.js';
import { assertNodeId, isNodeId, randomBytes, type NodeId } from '../ids/index.js';
import { base64urlEncode } from '../keys/crypto.js';
import type { RtcImpl } from './byte-channel.js';
import { authenticatePeer, type PeerRole } from './peer-auth.js';
import { openPeerConnection, type PeerConnection, type PeerConnectionOptions } from './peer-connection.js';
import { RpcPeer, type RpcLimits } from './rpc.js';
import type { RpcHandlers } from './rpc-handlers.js';

/** What the peer manager needs from signaling; the signaling client is adapted to this. */
export interface Signaler {
  /** Relays opaque signal data to `to` (which must be online). */
  sendSignal(to: NodeId, data: unknown): void;
  /** Signals relayed to us; `from` is the NodeId the signaling server authenticated. */
  onSignal(cb: (message: { from: NodeId; data: unknown }) => void): () => void;
  /** The server could not deliver to `nodeId`: it is not online. */
  onPeerOffline(cb: (nodeId: NodeId) => void): () => void;
}

export interface PeerManagerOptions {
  nodeId: NodeId;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  /** The WebRTC implementation; unused when `openConnection` is given. */
  rtc?: RtcImpl;
  /** Read at every new connection, so a list filled in later (from signaling) is used. */
  iceServers: RTCIceServer[];
  signaler: Signaler;
  /**
   * Opens the transport. Default: a WebRTC connection in this context. Where WebRTC lives
   * elsewhere (a page, while the core runs in the service worker) this is a proxy to it; the
   * manager only needs signals in and out and, once open, a ByteChannel with the fingerprints.
   */
  openConnection?: (options: PeerConnectionOptions) => PeerConnection;
  handlers: RpcHandlers;
  /** Connections with no stream for this long are closed. */
  idleMs?: number;
  /** Limit for opening the channel plus the handshake. */
  connectTimeoutMs?: number;
  rpcLimits?: RpcLimits;
  /** Time source for idleness (ms since the epoch). */
  clock?: () => number;
}

export type PeerManagerEvent = 'peer-connected' | 'peer-disconnected';

const Envelope = v.variant('t', [
  v.strictObject({ t: v.literal('dial') }),
  v.strictObject({ t: v.literal('sig'), c: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/)), d: v.unknown() }),
]);
type Envelope = v.InferOutput<typeof Envelope>;

// Incoming attempts still opening at once; more are ignored so signals cannot exhaust us.
const MAX_PENDING_INCOMING = 64;

interface Entry {
  remote: NodeId;
  attempt: { id: string; pc: PeerConnection; incoming: boolean } | undefined;
  rpc: RpcPeer | undefined;
  promise: Promise<RpcPeer>;
  resolve: (rpc: RpcPeer) => void;
  reject: (e: KeynodeError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class PeerManager {
  private readonly entries = new Map<NodeId, Entry>();
  private readonly listeners = new Map<PeerManagerEvent, Set<(nodeId: NodeId) => void>>();
  private readonly unsubscribe: Array<() => void>;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly clock: () => number;
  private stopped = false;

  constructor(private readonly options: PeerManagerOptions) {
    this.idleMs = options.idleMs ?? 5 * 60_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.clock = options.clock ?? Date.now;
    this.unsubscribe = [
      options.signaler.onSignal((m) => this.onSignal(m.from, m.data)),
      options.signaler.onPeerOffline((n) => this.onPeerOffline(n)),
    ];
    this.sweep = setInterval(() => this.closeIdle(), Math.max(20, Math.min(this.idleMs / 4, 30_000)));
    // The sweep alone must not keep a Node process alive.
    (this.sweep as { unref?: () => void }).unref?.();
  }

  /** The authenticated connection to `nodeId`, opened if there is none. */
  connect(nodeId: NodeId): Promise<RpcPeer> {
    if (this.stopped) return Promise.reject(stoppedError());
    let remote: NodeId;
    try {
      remote = assertNodeId(nodeId);
    } catch (e) {
      return Promise.reject(e);
    }
    if (remote === this.options.nodeId) {
      return Promise.reject(new KeynodeError('ErrorInvalidArgument', 'A keynode cannot connect to itself.'));
    }
    const existing = this.entries.get(remote);
    if (existing !== undefined) return existing.promise;
    const entry = this.newEntry(remote);
    if (this.dialsTo(remote)) {
      this.startAttempt(entry, base64urlEncode(randomBytes(12)), 'initiator');
    } else {
      // The other side is the initiator: ask it to dial, and wait for its offer.
      entry.timer = setTimeout(
        () => this.fail(entry, new KeynodeError('ErrorNodeConnectionFailed', `${remote} did not answer in time.`)),
        this.connectTimeoutMs,
      );
      this.sendEnvelope(remote, { t: 'dial' });
    }
    return entry.promise;
  }

  /** NodeIds with an open, authenticated connection. */
  peers(): NodeId[] {
    return [...this.entries.values()].filter((e) => e.rpc !== undefined).map((e) => e.remote);
  }

  on(event: PeerManagerEvent, cb: (nodeId: NodeId) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  /** Closes everything; later connects fail with ErrorKeynodeStopped. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweep);
    for (const u of this.unsubscribe) u();
    for (const entry of [...this.entries.values()]) {
      this.entries.delete(entry.remote);
      clearTimeout(entry.timer);
      entry.attempt?.pc.destroy();
      entry.reject(stoppedError());
      if (entry.rpc !== undefined) {
        entry.rpc.close();
        this.emit('peer-disconnected', entry.remote);
      }
    }
  }

  // ---- signals -------------------------------------------------------------------------------

  private onSignal(from: NodeId, data: unknown): void {
    if (this.stopped || !isNodeId(from) || from === this.options.nodeId) return;
    const parsed = v.safeParse(Envelope, data);
    if (!parsed.success) return;
    const message = parsed.output;
    const entry = this.entries.get(from);
    if (message.t === 'dial') {
      if (!this.dialsTo(from) || entry?.attempt !== undefined) return;
      // A peer asking us to dial while we think we are connected has lost that connection.
      if (entry?.rpc !== undefined) this.discard(entry);
      this.startAttempt(this.entries.get(from) ?? this.newEntry(from), base64urlEncode(randomBytes(12)), 'initiator');
      return;
    }
    if (entry?.attempt?.id === message.c) {
      entry.attempt.pc.signal(message.d);
      return;
    }
    if (this.dialsTo(from) || !isOffer(message.d)) return; // stale signal of an attempt we dropped
    if (this.pendingIncoming() >= MAX_PENDING_INCOMING) return;
    let target = entry;
    if (target?.rpc !== undefined) {
      // The peer dials again: it dropped the old connection before we noticed.
      this.discard(target);
      target = undefined;
    }
    target?.attempt?.pc.destroy();
    target ??= this.newEntry(from);
    this.startAttempt(target, message.c, 'responder');
    target.attempt?.pc.signal(message.d);
  }

  private onPeerOffline(nodeId: NodeId): void {
    const entry = this.entries.get(nodeId);
    if (entry !== undefined && entry.rpc === undefined) {
      this.fail(entry, new KeynodeError('ErrorNodeConnectionFailed', `${nodeId} is not online.`));
    }
  }

  // ---- connection attempts -------------------------------------------------------------------

  private startAttempt(entry: Entry, id: string, role: PeerRole): void {
    const { options } = this;
    const open = options.openConnection ?? openPeerConnection;
    let pc: PeerConnection;
    try {
      if (options.openConnection === undefined && options.rtc === undefined) {
        throw new KeynodeError('ErrorNodeConnectionFailed', 'No WebRTC implementation was given, so no peer connection can be made.');
      }
      pc = open({
        initiator: role === 'initiator',
        rtc: options.rtc as RtcImpl,
        iceServers: options.iceServers,
        sendSignal: (d) => this.sendEnvelope(entry.remote, { t: 'sig', c: id, d }),
        timeoutMs: this.connectTimeoutMs,
      });
    } catch (e) {
      this.fail(entry, e instanceof KeynodeError ? e : new KeynodeError('ErrorNodeConnectionFailed', 'The peer connection could not be created.', { cause: e }));
      return;
    }
    entry.attempt = { id, pc, incoming: role === 'responder' };
    const current = (): boolean => entry.attempt?.id === id && this.entries.get(entry.remote) === entry && !this.stopped;
    void (async () => {
      try {
        const channel = await pc.ready;
        const remoteNodeId = await authenticatePeer({
          channel,
          nodeId: options.nodeId,
          sign: options.sign,
          role,
          // The signaling server authenticated who this is; the handshake must agree.
          expectedNodeId: entry.remote,
          timeoutMs: this.connectTimeoutMs,
        });
        if (!current()) {
          channel.close();
          return;
        }
        const rpc = new RpcPeer({ channel, remoteNodeId, role, handlers: options.handlers, clock: this.clock, ...options.rpcLimits });
        clearTimeout(entry.timer);
        entry.attempt = undefined;
        entry.rpc = rpc;
        rpc.onClose(() => this.dropped(entry, rpc));
        entry.resolve(rpc);
        this.emit('peer-connected', entry.remote);
      } catch (e) {
        pc.destroy();
        if (current()) {
          this.fail(entry, e instanceof KeynodeError ? e : new KeynodeError('ErrorNodeConnectionFailed', 'Connecting to the peer failed.', { cause: e }));
        }
      }
    })();
  }

  private newEntry(remote: NodeId): Entry {
    let resolve!: (rpc: RpcPeer) => void;
    let reject!: (e: KeynodeError) => void;
    const promise = new Promise<RpcPeer>((res, rej) => ((resolve = res), (reject = rej)));
    // Incoming connections have no caller waiting on them.
    promise.catch(() => {});
    const entry: Entry = { remote, attempt: undefined, rpc: undefined, promise, resolve, reject, timer: undefined };
    this.entries.set(remote, entry);
    return entry;
  }

  private fail(entry: Entry, error: KeynodeError): void {
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote);
    clearTimeout(entry.timer);
    entry.attempt?.pc.destroy();
    entry.attempt = undefined;
    entry.reject(error);
  }

  /** Forgets a connection we no longer trust to be alive, and closes it. */
  private discard(entry: Entry): void {
    const rpc = entry.rpc;
    this.entries.delete(entry.remote);
    if (rpc !== undefined) {
      rpc.close();
      this.emit('peer-disconnected', entry.remote);
    }
  }

  private dropped(entry: Entry, rpc: RpcPeer): void {
    if (this.entries.get(entry.remote) !== entry || entry.rpc !== rpc) return;
    this.entries.delete(entry.remote);
    this.emit('peer-disconnected', entry.remote);
  }

  private closeIdle(): void {
    const now = this.clock();
    for (const entry of this.entries.values()) {
      const rpc = entry.rpc;
      if (rpc !== undefined && rpc.activeStreams === 0 && now - rpc.lastActivity >= this.idleMs) this.discard(entry);
    }
  }

  private pendingIncoming(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.attempt?.incoming === true) n += 1;
    return n;
  }

  private dialsTo(remote: NodeId): boolean {
    return this.options.nodeId < remote;
  }

  private sendEnvelope(to: NodeId, envelope: Envelope): void {
    try {
      this.options.signaler.sendSignal(to, envelope);
    } catch (e) {
      const entry = this.entries.get(to);
      if (entry !== undefined && entry.rpc === undefined) {
        this.fail(entry, new KeynodeError('ErrorNodeConnectionFailed', 'The signaling server is not reachable.', { cause: e }));
      }
    }
  }

  private emit(event: PeerManagerEvent, nodeId: NodeId): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(nodeId);
  }
}

function isOffer(d: unknown): boolean {
  return typeof d === 'object' && d !== null && (d as { type?: unknown }).type === 'offer';
}

function stoppedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeStopped', 'The keynode has stopped; it makes no more connections.');
}
