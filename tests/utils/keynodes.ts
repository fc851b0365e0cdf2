// Helpers for the peer integration suite: real keynodes (createKeynode, memory storage) logged in to a
// real signaling server, talking over real WebRTC on loopback. Also the seams a test may wrap: a
// WebRTC implementation that counts the bytes a keynode sends, and a "raw peer" — an authenticated
// peer connection with no keynode behind it, for speaking RPC frames by hand. Nothing inside the
// keynode is replaced. Run inside a loopback-only namespace (`npm test`).
import wrtc from '@roamhq/wrtc';
import { createKeynode, type CreateKeynodeOptions, type Keynode } from '../../src/index.js';
import { encodeNodeId, NotificationIdGenerator, randomBytes, type NodeId } from '../../src/ids/index.js';
import { keyPairFromSeed, sign as signWith } from '../../src/keys/crypto.js';
import type { ByteChannel, RtcImpl } from '../../src/network/byte-channel.js';
import { PeerManager } from '../../src/network/peer-manager.js';
import type { RpcPeer } from '../../src/network/rpc.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import { SignalingClient } from '../../src/network/signaling-client.js';
import { signNotification } from '../../src/notifications/notification-token.js';
import { tokenFromLink } from '../../src/notifications/share-link.js';
import type { NotificationData } from '../../src/types.js';
import { nodeRtc } from '../../src/platform/node-rtc.js';
import { startSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import WebSocket from 'ws';

let counter = 0;

/** A storage name no other keynode in this process uses. */
export function freshName(label: string): string {
  counter += 1;
  return `peers-${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** One signaling server and every keynode and raw peer started against it; `stopAll` ends them. */
export class Net {
  readonly started: Array<{ stop(): Promise<void> }> = [];
  private constructor(public server: SignalingServer) {}

  static async start(port = 0): Promise<Net> {
    return new Net(await startSignalingServer({ port }));
  }

  get url(): string {
    return this.server.url;
  }

  /** A memory keynode logged in to this server (login finished when it resolves). */
  async node(label: string, extra: CreateKeynodeOptions = {}): Promise<Keynode> {
    const k = await createKeynode({ storage: 'memory', name: freshName(label), signalingUrl: this.url, ...extra });
    this.started.push(k);
    return k;
  }

  /** Stops the signaling server (keynodes keep trying to log in again). */
  async stopServer(): Promise<void> {
    await this.server.close();
  }

  /** Starts the signaling server again on the same port (same URL), with empty state. */
  async startServerAgain(): Promise<void> {
    this.server = await startSignalingServer({ port: this.server.port });
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((k) => k.stop().catch(() => undefined)));
    await this.server.close();
  }
}

/** The `code` of the KeynodeError a call rejects with; fails the test if it resolves. */
export async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Waits until `probe` returns something truthy (delivery is asynchronous by design). Never a timing
 * assertion: if the outcome never comes, the test's own timeout fails it.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 25): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `a` trusts `b` (grants notify), so `b`'s notifications land in `a`'s inbox. */
export async function trustEachOther(a: Keynode, b: Keynode): Promise<void> {
  await a.gestalts.trust(b.nodeId);
  await b.gestalts.trust(a.nodeId);
}

/** `owner` shares `vault` with `peer`, both trusting each other first. */
export async function shareWith(owner: Keynode, vault: string, peer: Keynode): Promise<void> {
  await owner.gestalts.trust(peer.nodeId);
  await owner.vaults.share(vault, peer.nodeId);
}

/** Links `a` and `b` into one gestalt: `a` invites, `b` claims. */
export async function link(a: Keynode, b: Keynode): Promise<void> {
  await a.gestalts.invite(b.nodeId);
  await b.gestalts.claim(a.nodeId);
}

/** The signed notification token a share link carries (a token signed by the link's maker). */
export function tokenOf(link: string): string {
  return tokenFromLink(link);
}

/** A deterministic-enough pseudo-random buffer (incompressible, so packs really are this large). */
export function noise(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 65536) out.set(randomBytes(Math.min(65536, bytes - off)), off);
  return out;
}

// ---- the WebRTC seam -----------------------------------------------------------------------------

/** What a counting WebRTC has sent so far; `onSend` (if set) runs after each message is handed over. */
export interface SentCounter {
  bytes: number;
  onSend?: (total: number) => void;
  /** Every data channel this side opened or accepted (a test may close one to cut the line). */
  channels: Array<{ close(): void }>;
}

/** Bytes counted in `sent` while `fn` runs (only one peer may talk to the counted keynode meanwhile). */
export async function measureSent<T>(sent: { bytes: number }, fn: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const before = sent.bytes;
  const result = await fn();
  return { result, bytes: sent.bytes - before };
}

/**
 * A fresh signaling server with two keynodes: an owner whose sent bytes are counted, and a peer.
 * `measure(fn)` is what the owner sends while `fn` runs (only the peer may talk to it meanwhile).
 */
export async function countedOwnerAndPeer(): Promise<{
  net: Net;
  owner: Keynode;
  peer: Keynode;
  measure: <T>(fn: () => Promise<T>) => Promise<{ result: T; bytes: number }>;
}> {
  const net = await Net.start();
  const counting = countingRtc();
  const [owner, peer] = await Promise.all([net.node('owner', { rtc: counting.rtc }), net.node('peer')]);
  return { net, owner, peer, measure: (fn) => measureSent(counting.sent, fn) };
}

/** WebRTC for Node whose data channels add every byte this side sends to `sent`. */
export function countingRtc(): { rtc: RtcImpl; sent: SentCounter } {
  const sent: SentCounter = { bytes: 0, channels: [] };
  const wrap = (channel: { send(data: unknown): void; close(): void }): void => {
    sent.channels.push(channel);
    const send = channel.send.bind(channel);
    channel.send = (data: unknown) => {
      sent.bytes += (data as ArrayBufferView).byteLength ?? (data as ArrayBuffer).byteLength ?? 0;
      send(data);
      sent.onSend?.(sent.bytes);
    };
  };
  const Base = wrtc.RTCPeerConnection as unknown as new (config?: RTCConfiguration) => RTCPeerConnection;
  class CountingPeerConnection extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('datachannel', (e) => wrap((e as RTCDataChannelEvent).channel));
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      wrap(channel);
      return channel;
    }
  }
  const base = nodeRtc();
  return { rtc: { ...base, RTCPeerConnection: CountingPeerConnection as unknown as RtcImpl['RTCPeerConnection'] }, sent };
}

/**
 * WebRTC for Node that can vanish like a killed tab: after `vanish()` this side's connections send
 * nothing, hear nothing and close nothing, so the other side gets no goodbye and only WebRTC's own
 * timeouts would tell it. `release()` really closes them (at the end of a test).
 */
export function vanishingRtc(): { rtc: RtcImpl; vanish(): void; release(): void } {
  let vanished = false;
  const real: Array<() => void> = [];
  const silence = (channel: RTCDataChannel): void => {
    const send = channel.send.bind(channel);
    const close = channel.close.bind(channel);
    real.push(close);
    // (Native properties: read-only for assignment, so defined on the instance.)
    Object.defineProperty(channel, 'send', { configurable: true, value: (data: never) => (vanished ? undefined : send(data)) });
    Object.defineProperty(channel, 'close', { configurable: true, value: () => (vanished ? undefined : close()) });
    // wrtc dispatches to `channel['on' + type]`: every handler is read through this filter.
    for (const type of ['message', 'close', 'error', 'closing']) {
      let handler: ((e: Event) => void) | null = null;
      Object.defineProperty(channel, `on${type}`, {
        configurable: true,
        get: () => (handler === null ? null : (e: Event) => (vanished ? undefined : handler?.(e))),
        set: (fn: ((e: Event) => void) | null) => (handler = fn),
      });
    }
  };
  const Base = wrtc.RTCPeerConnection as unknown as new (config?: RTCConfiguration) => RTCPeerConnection;
  class VanishingPeerConnection extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      real.push(() => super.close());
      this.addEventListener('datachannel', (e) => silence((e as RTCDataChannelEvent).channel));
      // Its events (the other side closing, ICE failing) reach nobody once vanished: wrtc sends
      // them all through dispatchEvent.
      const dispatch = this.dispatchEvent.bind(this);
      Object.defineProperty(this, 'dispatchEvent', { configurable: true, value: (e: Event) => (vanished ? true : dispatch(e)) });
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      silence(channel);
      return channel;
    }
    override close(): void {
      if (!vanished) super.close();
    }
  }
  return {
    rtc: { ...nodeRtc(), RTCPeerConnection: VanishingPeerConnection as unknown as RtcImpl['RTCPeerConnection'] },
    vanish: () => {
      vanished = true;
    },
    release: () => {
      for (const close of real.splice(0)) {
        try {
          close();
        } catch {
          // already closed
        }
      }
    },
  };
}

// ---- a raw peer ----------------------------------------------------------------------------------

export interface RawPeer {
  nodeId: NodeId;
  /** Its key, to sign whatever it likes (claims, tokens). */
  signer: { nodeId: NodeId; sign(bytes: Uint8Array): Promise<Uint8Array> };
  /** The authenticated RPC connection to `to` (handlers: none). */
  connect(to: string): Promise<RpcPeer>;
  /** The byte channel under that connection, to write anything at all on it. */
  channelOf(rpc: RpcPeer): ByteChannel;
  /** Stays logged in to signaling but stops answering connection attempts (a silent peer). */
  stopAnswering(): void;
  /** A notification signed by this raw peer (its own key), addressed to `to`. */
  signNotification(to: string, data: NotificationData): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A peer with its own fresh identity, logged in to the signaling server and able to open
 * authenticated channels, but with no keynode behind it: it serves nothing (or only the `handlers`
 * given, e.g. a hostile `sigchain.get`) and can send anything.
 */
export async function rawPeer(net: Net, handlers = new RpcHandlers()): Promise<RawPeer> {
  const pair = await keyPairFromSeed(randomBytes(32));
  const nodeId = encodeNodeId(pair.publicKey);
  const sign = (bytes: Uint8Array) => signWith(pair.privateKey, bytes);
  const signaling = new SignalingClient({ url: net.url, nodeId, sign, WebSocket: WebSocket as never });
  await signaling.connect();
  const peers = new PeerManager({
    nodeId,
    sign,
    rtc: nodeRtc(),
    iceServers: [],
    signaler: {
      sendSignal: (to, data) => signaling.sendSignal(to, data),
      onSignal: (cb) => signaling.on('signal', cb),
      onPeerOffline: (cb) => signaling.on('undeliverable', (e) => cb(e.nodeId)),
    },
    handlers,
  });
  const ids = new NotificationIdGenerator();
  const raw: RawPeer = {
    nodeId,
    signer: { nodeId, sign },
    connect: (to) => peers.connect(to as NodeId),
    // The RPC layer keeps its channel private; a hostile peer would simply own it.
    channelOf: (rpc) => (rpc as unknown as { channel: ByteChannel }).channel,
    stopAnswering: () => peers.stop(),
    signNotification: (to, data) =>
      signNotification({ typ: 'notification', iss: nodeId, sub: to as NodeId, jti: ids.next(), iat: Date.now(), data }, { nodeId, sign }),
    async stop() {
      peers.stop();
      await signaling.close();
    },
  };
  net.started.push(raw);
  return raw;
}
