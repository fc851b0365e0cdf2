// The core's view of the network when it runs in the service worker: a signaling client and a
// dialer that are both answered by the network host tab over a MessagePort. The host changes (the
// leader tab closes, another takes the lock) and so does the worker (the browser restarts it): each
// attach replaces the previous host, and every channel that came through the old one is closed, so
// the peer manager opens new ones on demand. With no host, the core is offline: its outbox and
// queued pulls wait and are retried when a host logs in again.
import { KeynodeError } from '../../errors.js';
import { assertNodeId, type NodeId } from '../../ids/index.js';
import type { SignalingLike } from '../../keynode/network.js';
import { stoppedError, type DialedChannel, type Dialer } from '../../network/dialer.js';
import { SignalingEventSource } from '../../network/signaling-client.js';
import { PortByteChannel } from './port-channel.js';
import { LOGIN_PREFIX, type ChannelMeta, type CoreToHost, type HostToCore } from './protocol.js';

interface Host {
  port: MessagePort;
  channels: Set<PortByteChannel>;
}

interface Request {
  resolve(message: { value: unknown; port: MessagePort | undefined }): void;
  reject(e: KeynodeError): void;
}

const prefix = new TextEncoder().encode(LOGIN_PREFIX);

function noHost(): KeynodeError {
  return new KeynodeError('ErrorNodeConnectionFailed', 'No keynode tab is holding the network connection right now; it reconnects when a tab is open.');
}

export class HostBridge extends SignalingEventSource implements SignalingLike, Dialer {
  private host: Host | undefined;
  private readonly channelListeners = new Set<(d: DialedChannel) => void>();
  private readonly requests = new Map<number, Request>();
  private nextRid = 1;
  private readonly watched = new Set<NodeId>();
  private contacts: NodeId[] | undefined;
  private readonly unsentAcks = new Set<string>();
  /** Whether the core wants to be logged in (it does unless network.disconnect() was called). */
  private wanted = true;
  private dialerStopped = false;
  private signer: ((bytes: Uint8Array) => Promise<Uint8Array>) | undefined;
  /** Host events that came before the core subscribed (a host may attach while the core is built). */
  private early: Array<{ host: Host; message: HostToCore }> | undefined = [];
  private signerReady: Promise<void>;
  private setSignerReady!: () => void;

  constructor() {
    super();
    this.signerReady = new Promise((resolve) => (this.setSignerReady = resolve));
  }

  /** The core's login signer; the host's sign requests wait for it. */
  bindSigner(sign: (bytes: Uint8Array) => Promise<Uint8Array>): void {
    this.signer = sign;
    this.setSignerReady();
    // The core subscribes right after it binds (same task): replay what it would have missed,
    // such as the login status or mailbox items of a host that was logged in already.
    queueMicrotask(() => {
      const early = this.early ?? [];
      this.early = undefined;
      for (const { host, message } of early) if (this.host === host) this.onHostEvent(message);
    });
  }

  /** A new host tab took over (or the same tab re-attached to a restarted worker). */
  attach(port: MessagePort): void {
    this.detach();
    const host: Host = { port, channels: new Set() };
    this.host = host;
    port.onmessage = (event: MessageEvent) => {
      if (this.host === host) this.onHostMessage(host, event.data as HostToCore, event.ports[0]);
    };
    if (this.contacts !== undefined) this.post({ t: 'contacts', nodeIds: this.contacts });
    if (this.watched.size > 0) this.post({ t: 'watch', nodeIds: [...this.watched] });
    if (this.unsentAcks.size > 0) {
      this.post({ t: 'ack-mailbox', ids: [...this.unsentAcks] });
      this.unsentAcks.clear();
    }
    if (this.wanted) void this.connect().catch(() => undefined);
  }

  // ---- SignalingLike ---------------------------------------------------------------------------

  async connect(): Promise<void> {
    this.wanted = true;
    if (this.currentStatus === 'connected') return;
    await this.request((rid) => ({ t: 'connect', rid }));
  }

  async close(): Promise<void> {
    this.wanted = false;
    if (this.host === undefined) return;
    await this.request((rid) => ({ t: 'close', rid })).catch(() => undefined);
  }

  async putMailbox(to: NodeId, token: string): Promise<{ id: string; delivered: boolean }> {
    const target = assertNodeId(to);
    const { value } = await this.request((rid) => ({ t: 'put-mailbox', rid, to: target, token }));
    return value as { id: string; delivered: boolean };
  }

  watch(nodeIds: readonly NodeId[]): void {
    for (const id of nodeIds) this.watched.add(assertNodeId(id));
    if (this.host !== undefined) this.post({ t: 'watch', nodeIds: [...this.watched] });
  }

  setContacts(nodeIds: readonly NodeId[]): void {
    this.contacts = nodeIds.map((id) => assertNodeId(id));
    if (this.host !== undefined) this.post({ t: 'contacts', nodeIds: this.contacts });
  }

  unwatch(nodeIds: readonly NodeId[]): void {
    for (const id of nodeIds) this.watched.delete(id);
    if (this.host !== undefined) this.post({ t: 'watch', nodeIds: [...this.watched] });
  }

  ackMailbox(ids: readonly string[]): void {
    if (this.host === undefined) {
      for (const id of ids) this.unsentAcks.add(id);
      return;
    }
    this.post({ t: 'ack-mailbox', ids: [...ids] });
  }

  // ---- Dialer --------------------------------------------------------------------------------

  async dial(remote: NodeId): Promise<DialedChannel> {
    if (this.dialerStopped) throw stoppedError();
    const { value, port } = await this.request((rid) => ({ t: 'dial', rid, remote }));
    if (port === undefined) throw new KeynodeError('ErrorInternal', 'The network host opened a channel but sent no port for it.');
    return this.adopt(value as ChannelMeta, port);
  }

  onChannel(cb: (dialed: DialedChannel) => void): () => void {
    this.channelListeners.add(cb);
    return () => this.channelListeners.delete(cb);
  }

  authenticating(remote: NodeId, busy: boolean): void {
    this.post({ t: 'authenticating', remote, busy });
  }

  /** The peer manager stopped: no more dials, and channels the host offers are refused. */
  stop(): void {
    this.dialerStopped = true;
  }

  // ---- internals -------------------------------------------------------------------------------

  private detach(): void {
    const host = this.host;
    if (host === undefined) return;
    this.host = undefined;
    host.port.onmessage = null;
    host.port.close();
    const gone = new KeynodeError('ErrorNodeConnectionFailed', 'The tab that held the network connection went away.');
    for (const channel of host.channels) channel.closedNow(gone);
    for (const request of this.requests.values()) request.reject(gone);
    this.requests.clear();
    this.setStatus('offline');
  }

  private adopt(meta: ChannelMeta, port: MessagePort): DialedChannel {
    const channel = new PortByteChannel(port, meta.localFingerprint, meta.remoteFingerprint);
    const host = this.host;
    if (host === undefined) channel.close();
    else {
      host.channels.add(channel);
      channel.onClose(() => host.channels.delete(channel));
    }
    return { remote: assertNodeId(meta.remote), channel, role: meta.role };
  }

  private onHostMessage(host: Host, message: HostToCore, port: MessagePort | undefined): void {
    switch (message.t) {
      case 'reply': {
        const request = this.requests.get(message.rid);
        if (request === undefined) return;
        this.requests.delete(message.rid);
        if (message.ok) request.resolve({ value: message.value, port });
        else request.reject(KeynodeError.fromJSON(message.error));
        return;
      }
      case 'status':
      case 'peer-online':
      case 'peer-offline':
      case 'mailbox':
      case 'error':
        if (this.early !== undefined) this.early.push({ host, message });
        else this.onHostEvent(message);
        return;
      case 'channel': {
        if (port === undefined) return;
        const dialed = this.adopt(message.meta, port);
        if (this.channelListeners.size === 0 || this.dialerStopped) {
          dialed.channel.close();
          return;
        }
        for (const cb of [...this.channelListeners]) cb(dialed);
        return;
      }
      case 'sign':
        void this.signLogin(host, message.rid, message.bytes);
        return;
      case 'bye':
        if (this.host === host) this.detach();
        return;
    }
  }

  private onHostEvent(message: HostToCore): void {
    switch (message.t) {
      case 'status':
        this.servers = message.iceServers;
        this.setStatus(message.status);
        return;
      case 'peer-online':
      case 'peer-offline':
        this.emitter.emit(message.t, { nodeId: assertNodeId(message.nodeId) });
        return;
      case 'mailbox':
        this.emitter.emit('mailbox', { items: message.items });
        return;
      case 'error':
        this.emitter.emit('error', KeynodeError.fromJSON(message.error));
        return;
    }
  }

  /** Signs for the host only what a signaling login signs; never arbitrary bytes. */
  private async signLogin(host: Host, rid: number, bytes: unknown): Promise<void> {
    let reply: CoreToHost;
    try {
      if (!(bytes instanceof Uint8Array) || bytes.length > 4096 || !prefix.every((b, i) => bytes[i] === b)) {
        throw new KeynodeError('ErrorInvalidArgument', 'The keynode signs only signaling login challenges for the network host.');
      }
      await this.signerReady;
      const signature = await this.signer!(bytes);
      reply = { t: 'signed', rid, ok: true, signature };
    } catch (e) {
      const error = e instanceof KeynodeError ? e : new KeynodeError('ErrorSignalingLoginFailed', 'The keynode could not sign the login.', { cause: e });
      reply = { t: 'signed', rid, ok: false, error: error.toJSON() };
    }
    if (this.host === host) this.post(reply);
  }

  private request(make: (rid: number) => CoreToHost): Promise<{ value: unknown; port: MessagePort | undefined }> {
    if (this.host === undefined) return Promise.reject(noHost());
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.requests.set(rid, { resolve, reject });
      this.post(make(rid));
    });
  }

  private post(message: CoreToHost): void {
    this.host?.port.postMessage(message);
  }
}
