// The network host: RTCPeerConnection exists only in a window (docs/measurements.md §5), so one tab —
// the holder of the Web Lock HOST_LOCK; the next waiting tab takes over when it closes — holds the
// signaling WebSocket and the peer connections for the core in the service worker. It logs in with
// a signature the core makes (the key never leaves the core), opens data channels with the dialer,
// and pipes each channel's bytes to the core over its own MessagePort. It re-attaches whenever the
// worker instance changes (the browser stopped and restarted it); the WebSocket lives on in the tab
// meanwhile, so only the peer channels have to be opened again.
import { KeynodeError } from '../../errors.js';
import { assertNodeId } from '../../ids/index.js';
import type { RtcImpl } from '../../network/byte-channel.js';
import { SignalingDialer, type DialedChannel } from '../../network/dialer.js';
import { SignalingClient } from '../../network/signaling-client.js';
import type { SwRpcClient } from '../sw-rpc/client.js';
import { EVENTS_CHANNEL, type BroadcastMessage } from '../sw-rpc/protocol.js';
import { pipeChannelToPort } from './port-channel.js';
import { HOST_LOCK, type ChannelMeta, type CoreToHost, type HostToCore } from './protocol.js';

export interface NetworkHostOptions {
  rpc: SwRpcClient;
  nodeId: string;
  /** Without one there is no network: the host is elected but stays offline. */
  signalingUrl: string | undefined;
  rtc?: RtcImpl;
  /** Told when this tab becomes (true) or stops being (false) the host. */
  onLeader?: (leader: boolean) => void;
}

export interface NetworkHost {
  readonly leader: boolean;
  /** Gives up the lock (another tab takes over) and closes this tab's connections. */
  stop(): Promise<void>;
}

export function startNetworkHost(options: NetworkHostOptions): NetworkHost {
  let leader = false;
  let release: (() => void) | undefined;
  let session: HostSession | undefined;
  let stopped = false;
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks === undefined) throw new KeynodeError('ErrorInternal', 'This browser has no Web Locks, so no tab can be elected to hold the network.');
  void locks.request(HOST_LOCK, () => {
    if (stopped) return undefined;
    leader = true;
    session = new HostSession(options);
    options.onLeader?.(true);
    // Held until this tab closes or stop() is called.
    return new Promise<void>((resolve) => (release = resolve));
  });
  return {
    get leader() {
      return leader;
    },
    async stop() {
      stopped = true;
      await session?.stop();
      session = undefined;
      if (leader) options.onLeader?.(false);
      leader = false;
      release?.();
    },
  };
}

class HostSession {
  private readonly signaling: SignalingClient | undefined;
  private readonly dialer: SignalingDialer | undefined;
  private port: MessagePort | undefined;
  private readonly pipes = new Set<() => void>();
  private readonly signs = new Map<number, { resolve(sig: Uint8Array): void; reject(e: KeynodeError): void }>();
  private nextRid = 1;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly events: BroadcastChannel;
  private attachedTo: string | undefined;
  /** Peers whose channel the core is authenticating right now (the dialer's glare rule). */
  private readonly authenticating = new Set<string>();

  constructor(private readonly options: NetworkHostOptions) {
    const nodeId = assertNodeId(options.nodeId);
    if (options.signalingUrl !== undefined) {
      const signaling = new SignalingClient({ url: options.signalingUrl, nodeId, sign: (bytes) => this.sign(bytes) });
      this.signaling = signaling;
      // Filled in place at login, as the dialer reads it at each attempt.
      const iceServers: RTCIceServer[] = [];
      this.dialer = new SignalingDialer({
        nodeId,
        rtc: options.rtc ?? (globalThis as unknown as RtcImpl),
        iceServers,
        signaler: {
          sendSignal: (to, data) => signaling.sendSignal(to, data),
          onSignal: (cb) => signaling.on('signal', cb),
          onPeerOffline: (cb) => signaling.on('undeliverable', (e) => cb(e.nodeId)),
        },
        isBusy: (remote) => this.authenticating.has(remote),
      });
      this.unsubscribe.push(
        signaling.on('status', (status) => {
          if (status === 'connected') iceServers.splice(0, iceServers.length, ...signaling.iceServers);
          this.post({ t: 'status', status, iceServers: signaling.iceServers });
        }),
        signaling.on('ice-servers', (servers) => iceServers.splice(0, iceServers.length, ...servers)),
        signaling.on('peer-online', ({ nodeId: n }) => void this.deliver({ t: 'peer-online', nodeId: n })),
        signaling.on('peer-offline', ({ nodeId: n }) => void this.deliver({ t: 'peer-offline', nodeId: n })),
        signaling.on('mailbox', ({ items }) => void this.deliver({ t: 'mailbox', items })),
        signaling.on('error', (e) => this.post({ t: 'error', error: e.toJSON() })),
        this.dialer.onChannel((d) => void this.forward(d)),
      );
    }
    // A worker that restarted tells every tab; the ping's answer says whether it is our worker.
    this.events = new BroadcastChannel(EVENTS_CHANNEL);
    this.events.onmessage = (event: MessageEvent) => {
      if ((event.data as BroadcastMessage).kn === 'started') options.rpc.ping();
    };
    this.unsubscribe.push(options.rpc.onInstance((instance) => this.attach(instance)));
    addEventListener('pagehide', this.bye);
    const current = options.rpc.currentInstance;
    if (current !== undefined) this.attach(current);
    else options.rpc.ping();
  }

  private readonly bye = (): void => this.post({ t: 'bye' });

  async stop(): Promise<void> {
    removeEventListener('pagehide', this.bye);
    this.bye();
    for (const u of this.unsubscribe) u();
    this.events.close();
    this.dialer?.stop();
    for (const close of [...this.pipes]) close();
    this.port?.close();
    this.port = undefined;
    await this.signaling?.close();
  }

  /** Gives a new worker instance a fresh port; channels of the old one died with its core. */
  private attach(instance: string): void {
    if (this.attachedTo === instance) return;
    this.attachedTo = instance;
    for (const close of [...this.pipes]) close();
    this.authenticating.clear();
    for (const pending of this.signs.values())
      pending.reject(new KeynodeError('ErrorSignalingLoginFailed', 'The keynode restarted before it signed the login.'));
    this.signs.clear();
    this.port?.close();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.onmessage = (event: MessageEvent) => void this.onCoreMessage(event.data as CoreToHost);
    this.options.rpc.attachHost(port2).catch(() => {
      // The worker was replaced before it took the port: the next instance gets a new one.
      if (this.port === port1) this.attachedTo = undefined;
      this.options.rpc.ping();
    });
    const signaling = this.signaling;
    this.post({ t: 'status', status: signaling?.status ?? 'offline', iceServers: signaling?.iceServers ?? [] });
  }

  private post(message: HostToCore, transfer: Transferable[] = []): void {
    this.port?.postMessage(message, transfer);
  }

  /**
   * For what arrives unasked (an incoming channel, mailbox items): the worker may have been stopped
   * since it last spoke, and a port does not wake it. A ping does; if a new instance answers, the
   * host re-attaches first, so this goes to the live core.
   */
  private async deliver(message: HostToCore, transfer: Transferable[] = []): Promise<void> {
    await this.options.rpc.probe().catch(() => undefined);
    this.post(message, transfer);
  }

  private reply(rid: number, work: () => Promise<unknown>): void {
    work().then(
      (value) => this.post({ t: 'reply', rid, ok: true, value }),
      (e: unknown) => this.post({ t: 'reply', rid, ok: false, error: asError(e).toJSON() }),
    );
  }

  private async onCoreMessage(message: CoreToHost): Promise<void> {
    const signaling = this.signaling;
    switch (message.t) {
      case 'connect':
        return this.reply(message.rid, async () => {
          if (signaling === undefined) throw noSignaling();
          await signaling.connect();
        });
      case 'close':
        return this.reply(message.rid, async () => {
          await signaling?.close();
        });
      case 'put-mailbox':
        return this.reply(message.rid, async () => {
          if (signaling === undefined) throw noSignaling();
          return signaling.putMailbox(assertNodeId(message.to), message.token);
        });
      case 'watch':
        signaling?.watch(message.nodeIds.map((n) => assertNodeId(n)));
        return;
      case 'contacts':
        signaling?.setContacts(message.nodeIds.map((n) => assertNodeId(n)));
        return;
      case 'ack-mailbox':
        signaling?.ackMailbox(message.ids);
        return;
      case 'authenticating':
        if (message.busy) this.authenticating.add(message.remote);
        else this.authenticating.delete(message.remote);
        return;
      case 'dial': {
        const rid = message.rid;
        try {
          if (this.dialer === undefined) throw noSignaling();
          const dialed = await this.dialer.dial(assertNodeId(message.remote));
          const { meta, port } = this.pipe(dialed);
          this.post({ t: 'reply', rid, ok: true, value: meta }, [port]);
        } catch (e) {
          this.post({ t: 'reply', rid, ok: false, error: asError(e).toJSON() });
        }
        return;
      }
      case 'signed': {
        const pending = this.signs.get(message.rid);
        this.signs.delete(message.rid);
        if (message.ok) pending?.resolve(message.signature);
        else pending?.reject(KeynodeError.fromJSON(message.error));
        return;
      }
    }
  }

  /** A channel the other side opened: handed to the core unasked. */
  private async forward(dialed: DialedChannel): Promise<void> {
    await this.options.rpc.probe().catch(() => undefined);
    if (this.port === undefined) {
      dialed.channel.close();
      return;
    }
    const { meta, port } = this.pipe(dialed);
    this.post({ t: 'channel', meta }, [port]);
  }

  private pipe(dialed: DialedChannel): { meta: ChannelMeta; port: MessagePort } {
    const { port1, port2 } = new MessageChannel();
    const close = pipeChannelToPort(dialed.channel, port1);
    const forget = (): void => void this.pipes.delete(wrapped);
    const wrapped = (): void => {
      forget();
      close();
    };
    this.pipes.add(wrapped);
    dialed.channel.onClose(forget);
    const meta: ChannelMeta = {
      remote: dialed.remote,
      role: dialed.role,
      localFingerprint: dialed.channel.localFingerprint,
      remoteFingerprint: dialed.channel.remoteFingerprint,
    };
    return { meta, port: port2 };
  }

  /** Asks the core to sign the login challenge; it refuses anything else. */
  private sign(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.port === undefined) return Promise.reject(new KeynodeError('ErrorSignalingLoginFailed', 'The keynode is not reachable to sign the login.'));
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.signs.set(rid, { resolve, reject });
      this.post({ t: 'sign', rid, bytes });
    });
  }
}

function noSignaling(): KeynodeError {
  return new KeynodeError('ErrorNodeConnectionFailed', 'This app has no signaling server configured, so it cannot reach other keynodes.');
}

function asError(e: unknown): KeynodeError {
  return e instanceof KeynodeError ? e : new KeynodeError('ErrorNodeConnectionFailed', 'The network host failed.', { cause: e });
}
