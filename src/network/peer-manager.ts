// Keeps at most one authenticated RPC connection per peer: opens it on demand, answers peers that
// dial us, closes it when idle, forgets it when it drops (the next connect opens a new one).
// It runs wherever the keynode core runs and takes channels from a dialer (dialer.ts): in Node the
// dialer opens WebRTC itself; in the browser's service worker it is a bridge to the network host
// tab that owns the RTCPeerConnections. The handshake (signed with the node key) and the RPC run
// here, so the private key never leaves the core.
import { KeynodeError } from '../errors.js';
import { assertNodeId, type NodeId } from '../ids/index.js';
import { Emitter } from '../utils/emitter.js';
import type { ByteChannel, RtcImpl } from './byte-channel.js';
import { asConnectionError, SignalingDialer, stoppedError, type DialedChannel, type Dialer, type Signaler } from './dialer.js';
import { authenticatePeer } from './peer-auth.js';
import type { PeerConnection, PeerConnectionOptions } from './peer-connection.js';
import { RpcPeer, type RpcLimits } from './rpc.js';
import type { RpcHandlers } from './rpc-handlers.js';

export type { Signaler } from './dialer.js';

interface CommonOptions {
  nodeId: NodeId;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  handlers: RpcHandlers;
  /** Connections with no stream for this long are closed. */
  idleMs?: number;
  /** Limit for opening the channel plus the handshake. */
  connectTimeoutMs?: number;
  rpcLimits?: RpcLimits;
  /** Time source for idleness (ms since the epoch). */
  clock?: () => number;
}

/** What it takes to make the dialer here (Node, or a page running the core). */
export interface OwnDialerOptions {
  dialer?: undefined;
  /** The WebRTC implementation; unused when `openConnection` is given. */
  rtc?: RtcImpl;
  /** Read at every new connection, so a list filled in later (from signaling) is used. */
  iceServers: RTCIceServer[];
  signaler: Signaler;
  /** Opens the transport instead of WebRTC here (tests: an in-memory pair). */
  openConnection?: (options: PeerConnectionOptions) => PeerConnection;
}

/**
 * Either a dialer made elsewhere (the service worker's bridge to the network host tab; it outlives
 * this manager, which never stops it), or the pieces to make and own a signaling dialer here.
 */
export type PeerManagerOptions = CommonOptions & ({ dialer: Dialer } | OwnDialerOptions);

export type PeerManagerEvent = 'peer-connected' | 'peer-disconnected';

/** How often a connection to a peer that left is checked for its last stream to end. */
const FORGET_CHECK_MS = 1000;

interface Entry {
  remote: NodeId;
  /** The channel being authenticated right now; a newer one replaces it. */
  pending: ByteChannel | undefined;
  rpc: RpcPeer | undefined;
  promise: Promise<RpcPeer>;
  resolve: (rpc: RpcPeer) => void;
  reject: (e: KeynodeError) => void;
}

export class PeerManager {
  private readonly entries = new Map<NodeId, Entry>();
  private readonly events = new Emitter<Record<PeerManagerEvent, NodeId>>();
  private readonly unsubscribe: Array<() => void>;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly clock: () => number;
  private readonly dialer: Dialer;
  private readonly ownsDialer: boolean;
  private stopped = false;

  constructor(private readonly options: PeerManagerOptions) {
    this.idleMs = options.idleMs ?? 5 * 60_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.clock = options.clock ?? Date.now;
    this.ownsDialer = options.dialer === undefined;
    if (options.dialer !== undefined) this.dialer = options.dialer;
    else {
      this.dialer = new SignalingDialer({
        nodeId: options.nodeId,
        rtc: options.rtc,
        openConnection: options.openConnection,
        iceServers: options.iceServers,
        signaler: options.signaler,
        connectTimeoutMs: this.connectTimeoutMs,
        isBusy: (remote) => this.entries.get(remote)?.pending !== undefined,
      });
    }
    this.unsubscribe = [this.dialer.onChannel((d) => this.onChannel(d))];
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
    this.dialer.dial(remote).then(
      (dialed) => {
        if (this.entries.get(remote) !== entry || this.stopped) {
          dialed.channel.close();
          return;
        }
        this.authenticate(entry, dialed);
      },
      (e: unknown) => {
        // A channel that arrived meanwhile (the peer dialled us) may still be authenticating.
        if (entry.pending === undefined && entry.rpc === undefined) this.fail(entry, asConnectionError(e));
      },
    );
    return entry.promise;
  }

  /** NodeIds with an open, authenticated connection. */
  peers(): NodeId[] {
    return [...this.entries.values()].filter((e) => e.rpc !== undefined).map((e) => e.remote);
  }

  /**
   * The signaling server says `nodeId` left. The connection to it is likely dead without having
   * noticed — a closed tab sends no goodbye, and WebRTC takes many seconds to give up — so it is
   * closed as soon as no stream runs on it, and the next request dials afresh. A running stream
   * (the peer may only have lost its signaling socket) is left to finish, or to fail by its own
   * timeout.
   */
  forgetWhenIdle(nodeId: NodeId): void {
    const entry = this.entries.get(nodeId);
    const rpc = entry?.rpc;
    if (entry === undefined || rpc === undefined) return;
    const check = (): void => {
      if (this.stopped || this.entries.get(nodeId) !== entry || entry.rpc !== rpc) return;
      if (rpc.activeStreams === 0) this.discard(entry);
      else (setTimeout(check, FORGET_CHECK_MS) as { unref?: () => void }).unref?.();
    };
    check();
  }

  on(event: PeerManagerEvent, cb: (nodeId: NodeId) => void): () => void {
    return this.events.on(event, cb);
  }

  /** Closes everything; later connects fail with ErrorKeynodeStopped. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweep);
    for (const u of this.unsubscribe) u();
    if (this.ownsDialer) this.dialer.stop();
    for (const entry of [...this.entries.values()]) {
      this.fail(entry, stoppedError());
      this.discard(entry);
    }
  }

  // ---- channels ------------------------------------------------------------------------------

  /** A channel the other side opened: it replaces whatever we had with that peer. */
  private onChannel(dialed: DialedChannel): void {
    if (this.stopped) {
      dialed.channel.close();
      return;
    }
    let entry = this.entries.get(dialed.remote);
    if (entry?.rpc !== undefined) {
      // The peer dials again: it dropped the old connection before we noticed.
      this.discard(entry);
      entry = undefined;
    }
    this.authenticate(entry ?? this.newEntry(dialed.remote), dialed);
  }

  private authenticate(entry: Entry, { channel, role }: DialedChannel): void {
    const { options } = this;
    entry.pending?.close();
    this.setPending(entry, channel);
    const current = (): boolean => entry.pending === channel && this.entries.get(entry.remote) === entry && !this.stopped;
    void (async () => {
      try {
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
        this.setPending(entry, undefined);
        entry.rpc = rpc;
        rpc.onClose(() => this.dropped(entry, rpc));
        entry.resolve(rpc);
        this.events.emit('peer-connected', entry.remote);
      } catch (e) {
        channel.close();
        if (current()) this.fail(entry, asConnectionError(e));
      }
    })();
  }

  private newEntry(remote: NodeId): Entry {
    let resolve!: (rpc: RpcPeer) => void;
    let reject!: (e: KeynodeError) => void;
    const promise = new Promise<RpcPeer>((res, rej) => ((resolve = res), (reject = rej)));
    // Incoming connections have no caller waiting on them.
    promise.catch(() => {});
    const entry: Entry = { remote, pending: undefined, rpc: undefined, promise, resolve, reject };
    this.entries.set(remote, entry);
    return entry;
  }

  private fail(entry: Entry, error: KeynodeError): void {
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote);
    entry.pending?.close();
    this.setPending(entry, undefined);
    entry.reject(error);
  }

  /** Forgets a connection we no longer trust to be alive, and closes it. */
  private discard(entry: Entry): void {
    const rpc = entry.rpc;
    this.entries.delete(entry.remote);
    if (rpc !== undefined) {
      rpc.close();
      this.events.emit('peer-disconnected', entry.remote);
    }
  }

  private dropped(entry: Entry, rpc: RpcPeer): void {
    if (this.entries.get(entry.remote) !== entry || entry.rpc !== rpc) return;
    this.entries.delete(entry.remote);
    this.events.emit('peer-disconnected', entry.remote);
  }

  private closeIdle(): void {
    const now = this.clock();
    for (const entry of this.entries.values()) {
      const rpc = entry.rpc;
      if (rpc !== undefined && rpc.activeStreams === 0 && now - rpc.lastActivity >= this.idleMs) this.discard(entry);
    }
  }

  /** Tracks the channel being authenticated, and tells a remote dialer (for its glare rule). */
  private setPending(entry: Entry, channel: ByteChannel | undefined): void {
    const was = entry.pending !== undefined;
    entry.pending = channel;
    if (was !== (channel !== undefined)) this.dialer.authenticating?.(entry.remote, channel !== undefined);
  }
}
