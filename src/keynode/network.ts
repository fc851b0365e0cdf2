// The keynode's network: the signaling client (login, relay, presence, mailbox) and the peer manager
// (one authenticated RPC connection per peer). It delivers notifications — an open or openable peer
// channel first, else the signaling server's mailbox — and retries the outbox when it can: on start,
// when signaling (re)connects, when a peer we owe something comes online, and at the next due time.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { isNodeId, type NodeId } from '../ids/index.js';
import { PeerManager, type Signaler } from '../network/peer-manager.js';
import type { RpcPeer } from '../network/rpc.js';
import { RpcHandlers } from '../network/rpc-handlers.js';
import { SignalingClient } from '../network/signaling-client.js';
import { recipientRefusals } from '../notifications/outbox-store.js';
import { openMailboxItem, sealForMailbox } from '../notifications/sealed-item.js';
import type { CoreContext } from './context.js';
import { gatedHandlers, type Gate } from './gate.js';
import type { KeynodeParts } from './keynode.js';
import { registerPeerService } from './peer-service.js';

/** What the network uses of a signaling client: the real one, or the service worker's bridge to the host tab. */
export type SignalingLike = Pick<
  SignalingClient,
  'status' | 'iceServers' | 'on' | 'connect' | 'close' | 'putMailbox' | 'watch' | 'unwatch' | 'ackMailbox' | 'setContacts'
>;

export type NetworkOptions = Pick<KeynodeParts, 'signalingUrl' | 'bridged' | 'rtc' | 'iceServers' | 'WebSocket' | 'connectTimeoutMs' | 'idleMs'> & {
  /** Peer requests run inside the keynode's session gate (refused while it is locked). */
  gate?: Gate;
};

export type SignalingState = 'connected' | 'connecting' | 'offline';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Longest one delivery attempt may take, in connect timeouts (the peer manager's default is 20 s). */
const DELIVERY_ATTEMPT_CONNECT_TIMEOUTS = 3;

function offline(): KeynodeError {
  return new KeynodeError('ErrorNodeConnectionFailed', 'This keynode is not connected to a signaling server, so it cannot reach other keynodes right now.');
}

export class Network {
  private readonly signaling: SignalingLike | undefined;
  /** Replaced by a fresh one on disconnect(): a stopped PeerManager cannot be restarted. */
  private peers: PeerManager | undefined;
  private newPeers: (() => PeerManager) | undefined;
  private readonly handlers = new RpcHandlers();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly watchSources: Array<() => Promise<NodeId[]>> = [];
  private readonly reachable = new Set<(nodeId?: NodeId) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private mailboxDeferred = false;
  private refusedWhileLocked = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly options: NetworkOptions,
  ) {
    const refused = (): boolean => (this.refusedWhileLocked = true);
    registerPeerService(ctx, options.gate === undefined ? this.handlers : gatedHandlers(this.handlers, options.gate, refused));
    // Ours if given; else what the signaling server hands out at login (filled in place below).
    const iceServers: RTCIceServer[] = [...(options.iceServers ?? [])];
    const common = { nodeId: ctx.nodeId, sign: (bytes: Uint8Array) => ctx.identity.sign(bytes), handlers: this.handlers, clock: ctx.clock };
    let signaling: SignalingLike;
    let peerOptions: ConstructorParameters<typeof PeerManager>[0];
    if (options.bridged !== undefined) {
      // The service worker: the host tab logs in (with our signature) and opens the channels.
      signaling = options.bridged.signaling({ signLogin: (bytes) => ctx.identity.sign(bytes) });
      peerOptions = { ...common, dialer: options.bridged.dialer };
    } else {
      if (options.signalingUrl === undefined) return;
      const client = new SignalingClient({
        url: options.signalingUrl,
        nodeId: ctx.nodeId,
        sign: (bytes) => ctx.identity.sign(bytes),
        logger: { debug: (m, d) => ctx.logger.debug(m, d), warn: (m, d) => ctx.logger.warn(m, d) },
        ...(options.WebSocket !== undefined && { WebSocket: options.WebSocket }),
      });
      signaling = client;
      if (options.rtc === undefined) throw new KeynodeError('ErrorInternal', 'No WebRTC implementation was given for the network.');
      const signaler: Signaler = {
        sendSignal: (to, data) => client.sendSignal(to, data),
        onSignal: (cb) => client.on('signal', cb),
        onPeerOffline: (cb) => client.on('undeliverable', (e) => cb(e.nodeId)),
      };
      // Never simple-peer's public STUN defaults: ours, the signaling server's, or none.
      peerOptions = { ...common, rtc: options.rtc, iceServers, signaler };
    }
    this.signaling = signaling;
    if (options.idleMs !== undefined) peerOptions.idleMs = options.idleMs;
    if (options.connectTimeoutMs !== undefined) peerOptions.connectTimeoutMs = options.connectTimeoutMs;
    this.newPeers = () => {
      const peers = new PeerManager(peerOptions);
      // Peers we connect to are watched, so that we hear when they leave (see 'peer-offline').
      peers.on('peer-connected', (nodeId) => {
        this.emitStatus();
        // At once, not after refreshWatch's reads: a peer that leaves before the server has our
        // watch is never reported. (Kept across signaling reconnects.)
        this.signaling?.watch([nodeId]);
      });
      peers.on('peer-disconnected', () => this.emitStatus());
      return peers;
    };
    this.peers = this.newPeers();

    this.unsubscribe.push(
      signaling.on('status', (status) => {
        this.emitStatus();
        if (status === 'connected') {
          if (options.iceServers === undefined) iceServers.splice(0, iceServers.length, ...signaling.iceServers);
          void this.refreshWatch();
          this.flushSoon();
          this.reachableNow();
        }
      }),
      signaling.on('ice-servers', (servers) => {
        if (options.iceServers === undefined) iceServers.splice(0, iceServers.length, ...servers);
      }),
      signaling.on('peer-online', ({ nodeId }) => {
        this.flushSoon(nodeId);
        this.reachableNow(nodeId);
      }),
      // A watched peer left signaling (its tab closed, most likely): its connection is likely dead too.
      // (Not on 'peer-online': the server also sends that for a peer that was online when watched.)
      signaling.on('peer-offline', ({ nodeId }) => this.peers?.forgetWhenIdle(nodeId)),
      signaling.on('mailbox', ({ items }) => void this.receiveMailbox(items)),
      signaling.on('error', (e) => ctx.logger.warn('signaling error', { code: e.code, message: e.message })),
    );
  }

  /** Logs in to the signaling server (resolves at login; keeps reconnecting in the background). */
  async start(): Promise<void> {
    if (this.signaling === undefined) return;
    await this.signaling.connect().catch((e: unknown) => {
      this.ctx.logger.warn('signaling login failed; retrying in the background', { code: (e as KeynodeError).code });
    });
  }

  async connect(): Promise<void> {
    if (this.signaling === undefined) throw offline();
    await this.signaling.connect();
  }

  async disconnect(): Promise<void> {
    this.peers?.stop();
    // Closes every channel, but the keynode must be able to reach peers after connect() again.
    if (!this.stopped && this.newPeers !== undefined) this.peers = this.newPeers();
    await this.signaling?.close();
  }

  status(): { signaling: SignalingState; peers: string[] } {
    return { signaling: this.signaling?.status ?? 'offline', peers: this.peers?.peers() ?? [] };
  }

  private emitStatus(): void {
    this.ctx.events.emit('network', this.status());
  }

  /** The authenticated RPC connection to a keynode, opened on demand. */
  async peer(nodeId: NodeId): Promise<RpcPeer> {
    if (this.stopped) throw new KeynodeError('ErrorKeynodeStopped', 'This keynode has been stopped.');
    // Said plainly here: the peer manager's refusal would otherwise read as "it may be offline".
    if (nodeId === this.ctx.nodeId) {
      throw new KeynodeError('ErrorInvalidArgument', "That is this keynode's own NodeId: name another keynode to reach.");
    }
    if (this.peers === undefined || this.signaling === undefined) throw offline();
    if (this.signaling.status !== 'connected') {
      await this.signaling.connect().catch(() => undefined);
      if ((this.signaling.status as SignalingState) !== 'connected') throw offline();
    }
    try {
      return await this.peers.connect(nodeId);
    } catch (e) {
      if (isKeynodeError(e) && (e.code === 'ErrorNodeAuthenticationFailed' || e.code === 'ErrorNodeConnectionFailed')) throw e;
      throw new KeynodeError('ErrorNodeConnectionFailed', `Could not reach ${nodeId}: it may be offline.`, { cause: e });
    }
  }

  // ---- notifications ---------------------------------------------------------------------------

  /**
   * Direct over a peer channel; if the peer cannot be reached, into its signaling mailbox. Only the
   * recipient's own refusals stay refusals (the outbox then stops retrying); a full mailbox says so
   * in its own words; every other transport trouble becomes ErrorNodeConnectionFailed. The outbox
   * retries both with back-off.
   */
  async deliver(to: NodeId, token: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One attempt never holds up the outbox for good: a request the server dropped unanswered (it
    // drops messages over its rate limit) would otherwise leave every later item pending forever.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KeynodeError('ErrorNodeConnectionFailed', `Handing the notification to ${to} took too long.`)),
        DELIVERY_ATTEMPT_CONNECT_TIMEOUTS * (this.options.connectTimeoutMs ?? 20_000),
      );
    });
    try {
      await Promise.race([this.deliverOnce(to, token), deadline]);
    } catch (e) {
      if (isKeynodeError(e) && recipientRefusals.has(e.code)) throw e;
      if (isKeynodeError(e, 'ErrorSignalingMailboxFull')) {
        throw new KeynodeError(
          'ErrorSignalingMailboxFull',
          'The recipient is offline and its mailbox on the signaling server takes no more from this keynode for now; keynode will try again.',
          { cause: e },
        );
      }
      throw new KeynodeError('ErrorNodeConnectionFailed', `The notification could not be handed to ${to} yet.`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private async deliverOnce(to: NodeId, token: string): Promise<void> {
    let direct: RpcPeer | undefined;
    try {
      direct = await this.peer(to);
    } catch (e) {
      if (!isKeynodeError(e, 'ErrorNodeConnectionFailed') || this.signaling?.status !== 'connected') throw e;
    }
    if (direct !== undefined) {
      await direct.callUnary('notifications.send', { token });
      return;
    }
    // Sealed to the recipient: the server keeps only ciphertext until the recipient next logs in.
    await this.signaling!.putMailbox(to, await sealForMailbox(to, token));
  }

  private async receiveMailbox(items: Array<{ id: string; from: NodeId; token: string }>): Promise<void> {
    const handled: string[] = [];
    for (const item of items) {
      try {
        const token = await openMailboxItem(this.ctx.identity, item.token);
        // `from` is who the server logged in as the depositor: a token someone else left is a copy.
        await this.ctx.notifications.receive(token, { via: 'mailbox', depositedBy: item.from });
      } catch (e) {
        // Locked: it cannot be stored now. Left unacknowledged, the server keeps it and hands it
        // over again at the next login (announceUnlocked logs in again after the unlock).
        if (isKeynodeError(e, 'ErrorKeynodeLocked')) {
          this.mailboxDeferred = true;
          continue;
        }
        // No key to open it (an old plaintext store): kept on the server until it expires, not dropped.
        if (isKeynodeError(e, 'ErrorKeysNotFound')) {
          this.ctx.logger.warn('mailbox item kept: no key to open it', { code: e.code });
          continue;
        }
        // A bad or unwanted token is dropped (acknowledged) so it does not come back forever.
        this.ctx.logger.info('mailbox token refused', { code: (e as KeynodeError).code });
      }
      handled.push(item.id);
    }
    if (handled.length > 0) this.signaling?.ackMailbox(handled);
  }

  /**
   * After an unlock: logs in to signaling again if anything was turned away while locked — the
   * server then resends the mailbox items left unacknowledged, and peers that watch this keynode
   * hear it come online, so their queued pulls run now rather than at their next retry.
   */
  async announceUnlocked(): Promise<void> {
    if (!(this.mailboxDeferred || this.refusedWhileLocked) || this.signaling === undefined) return;
    this.mailboxDeferred = false;
    this.refusedWhileLocked = false;
    await this.signaling.close();
    await this.signaling.connect().catch(() => undefined);
  }

  /** Other work that waits for keynodes to come online (queued pulls) registers here. */
  addWatchSource(source: () => Promise<NodeId[]>): void {
    this.watchSources.push(source);
  }

  /** `cb()` when signaling (re)connects, `cb(nodeId)` when a watched keynode comes online. */
  onReachable(cb: (nodeId?: NodeId) => void): () => void {
    this.reachable.add(cb);
    return () => this.reachable.delete(cb);
  }

  private reachableNow(nodeId?: NodeId): void {
    for (const cb of [...this.reachable]) cb(nodeId);
  }

  /**
   * Tells the signaling server our contacts — every node the ACL grants anything (trust, a share):
   * only they see our presence, and their mailbox puts to us come first — and asks it to tell us
   * when anyone we owe a notification or a pull logs in.
   */
  async refreshWatch(): Promise<void> {
    if (this.signaling?.status !== 'connected') return;
    const { acl, storage } = this.ctx;
    const contacts = await storage.kv.read(async (tx) => [...(await acl.snapshot(tx)).pointers.keys()]).catch(() => undefined);
    if (contacts !== undefined) this.signaling.setContacts(contacts);
    const outbox = async (): Promise<NodeId[]> => (await this.ctx.notifications.outbox.read()).filter((p) => p.state !== 'refused').map((p) => p.to as NodeId);
    const all = new Set<NodeId>();
    for (const source of [outbox, ...this.watchSources]) {
      for (const nodeId of await source().catch(() => [])) if (isNodeId(nodeId)) all.add(nodeId);
    }
    this.signaling.watch([...all]);
  }

  /** Attempts delivery of what is due (or everything owed to `only`) without blocking the caller. */
  flushSoon(only?: NodeId): void {
    if (this.stopped) return;
    void this.flush(only).catch((e: unknown) => this.ctx.logger.warn('outbox flush failed', { message: String(e) }));
  }

  async flush(only?: NodeId): Promise<void> {
    const deliver = (to: NodeId, token: string): Promise<void> => this.deliver(to, token);
    const result = await this.ctx.notifications.flushOutbox(only === undefined ? { deliver } : { deliver, only });
    // An attempt changes what the outbox shows (delivered, not delivered yet, refused); screens that
    // show it reload on the network event, so it is told again (src/ui/routes/Notifications.tsx).
    if (result.delivered.length + result.retrying.length + result.failed.length > 0) this.emitStatus();
    await this.refreshWatch().catch(() => undefined);
    await this.schedule();
  }

  /** One timer for the next due outbox item, re-armed after every flush (a PWA has no background timers; a tab does). */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const due = await this.ctx.notifications.nextDue();
    if (due === undefined) return;
    const delay = Math.min(Math.max(due - this.ctx.clock(), 1000), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.flushSoon(), delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    for (const u of this.unsubscribe) u();
    this.peers?.stop();
    await this.signaling?.close();
  }
}
