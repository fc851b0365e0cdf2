// Shared test fixtures for the peer layer: identities, a real WebRTC pair wired through direct
// in-process signaling, and a tiny in-memory signaler (the real signaling server arrives later).
// Anything here that opens WebRTC must run inside a loopback-only network namespace.
import { encodeNodeId, type NodeId } from '../../../src/ids/index.js';
import { keyPairFromSeed, sign as signWith } from '../../../src/keys/crypto.js';
import { openPeerConnection, type PeerConnection } from '../../../src/network/peer-connection.js';
import { CloseSignal, InboundQueue, type ByteChannel } from '../../../src/network/byte-channel.js';
import { KeynodeError } from '../../../src/errors.js';
import type { Signaler } from '../../../src/network/peer-manager.js';
import { nodeRtc } from '../../../src/platform/node-rtc.js';

export const rtc = nodeRtc();

export interface Identity {
  nodeId: NodeId;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
}

export async function identity(seedByte: number): Promise<Identity> {
  const pair = await keyPairFromSeed(new Uint8Array(32).fill(seedByte));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (bytes) => signWith(pair.privateKey, bytes) };
}

/** Two real peer connections whose signals go straight to each other. */
export async function webrtcPair(): Promise<{ a: ByteChannel; b: ByteChannel; pcA: PeerConnection; pcB: PeerConnection }> {
  // Signals are delivered asynchronously, as a real signaling server would.
  const pcA: PeerConnection = openPeerConnection({
    initiator: true,
    rtc,
    iceServers: [],
    sendSignal: (d) => setTimeout(() => pcB.signal(d), 0),
  });
  const pcB: PeerConnection = openPeerConnection({
    initiator: false,
    rtc,
    iceServers: [],
    sendSignal: (d) => setTimeout(() => pcA.signal(d), 0),
  });
  const [a, b] = await Promise.all([pcA.ready, pcB.ready]);
  return { a, b, pcA, pcB };
}

/** Every keynode registers under its NodeId; signals to an unknown NodeId come back as peer-offline. */
export class MemorySignalHub {
  private readonly members = new Map<NodeId, { signal: Set<(m: { from: NodeId; data: unknown }) => void>; offline: Set<(n: NodeId) => void> }>();

  join(nodeId: NodeId): Signaler {
    const member = { signal: new Set<(m: { from: NodeId; data: unknown }) => void>(), offline: new Set<(n: NodeId) => void>() };
    this.members.set(nodeId, member);
    return {
      sendSignal: (to, data) => {
        // JSON round trip: the real server relays text, so nothing may rely on object identity.
        const copy: unknown = JSON.parse(JSON.stringify(data));
        setTimeout(() => {
          const target = this.members.get(to);
          if (target === undefined) for (const cb of member.offline) cb(to);
          else for (const cb of target.signal) cb({ from: nodeId, data: copy });
        }, 0);
      },
      onSignal: (cb) => {
        member.signal.add(cb);
        return () => member.signal.delete(cb);
      },
      onPeerOffline: (cb) => {
        member.offline.add(cb);
        return () => member.offline.delete(cb);
      },
    };
  }

  leave(nodeId: NodeId): void {
    this.members.delete(nodeId);
  }
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of body) {
    parts.push(p);
    n += p.byteLength;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Resolves when `predicate` holds, checking after each event-loop turn (no wall-clock deadline). */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}

/**
 * Two ByteChannels joined in memory (the seam between the RPC layer and the transport), with no
 * message size limit, so tests can send what a hostile peer could put on a real channel.
 */
export function memoryPair(): { a: ByteChannel; b: ByteChannel } {
  const make = (local: string, remote: string) => {
    const inbound = new InboundQueue(() => undefined);
    const closeSignal = new CloseSignal();
    let other: { inbound: InboundQueue; close: () => void } | undefined;
    const channel: ByteChannel & { inbound: InboundQueue } = {
      inbound,
      localFingerprint: local,
      remoteFingerprint: remote,
      get closed() {
        return closeSignal.closed;
      },
      send: async (data) => {
        if (closeSignal.closed) throw new KeynodeError('ErrorNodeConnectionFailed', 'closed');
        const copy = data.slice();
        setTimeout(() => other?.inbound.deliver(copy), 0);
      },
      onMessage: (cb) => inbound.subscribe(cb),
      onClose: (cb) => closeSignal.subscribe(cb),
      close: () => {
        if (closeSignal.closed) return;
        setTimeout(() => {
          closeSignal.fire();
          other?.close();
        }, 1);
      },
    };
    return { channel, setOther: (o: typeof other) => (other = o) };
  };
  const a = make('sha-256 AA', 'sha-256 BB');
  const b = make('sha-256 BB', 'sha-256 AA');
  a.setOther({ inbound: b.channel.inbound, close: () => b.channel.close() });
  b.setOther({ inbound: a.channel.inbound, close: () => a.channel.close() });
  return { a: a.channel, b: b.channel };
}
