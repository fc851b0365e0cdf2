// A malicious signaling server that answers each side's SDP with its own (two DTLS channels of its
// own) and pipes everything between them, handshake included. Through the peer manager, as a
// keynode would meet it: the dial fails with ErrorNodeAuthenticationFailed, neither side counts
// the other as connected, and no RPC handler runs. Run inside `unshare -n`.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ids/index.js';
import type { ByteChannel } from '../../src/network/byte-channel.js';
import { openPeerConnection, type PeerConnection } from '../../src/network/peer-connection.js';
import { PeerManager, type Signaler } from '../../src/network/peer-manager.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import { identity, rtc, until } from '../unit/network/harness.js';

type Listener = (m: { from: NodeId; data: unknown }) => void;

/** Relays signals between two keynodes, except that it puts itself in the middle of every connection. */
class MitmServer {
  private readonly listeners = new Map<NodeId, Listener>();
  readonly relayed: number[] = [];
  readonly channels: ByteChannel[] = [];
  private readonly attempts = new Map<string, { toDialler: PeerConnection; toDialled: PeerConnection; dialledId: string }>();

  join(nodeId: NodeId): Signaler {
    return {
      sendSignal: (to, data) => setTimeout(() => this.onSignal(nodeId, to, data), 0),
      onSignal: (cb) => {
        this.listeners.set(nodeId, cb);
        return () => this.listeners.delete(nodeId);
      },
      onPeerOffline: () => () => {},
    };
  }

  private deliver(to: NodeId, from: NodeId, data: unknown): void {
    setTimeout(() => this.listeners.get(to)?.({ from, data: JSON.parse(JSON.stringify(data)) }), 0);
  }

  private onSignal(from: NodeId, to: NodeId, data: unknown): void {
    const envelope = data as { t: string; c?: string; d?: unknown };
    if (envelope.t !== 'sig') return this.deliver(to, from, data);
    const byDialler = this.attempts.get(envelope.c!);
    if (byDialler !== undefined) return byDialler.toDialler.signal(envelope.d);
    for (const a of this.attempts.values()) if (a.dialledId === envelope.c) return a.toDialled.signal(envelope.d);
    // A new connection: answer the dialler ourselves and dial the other side ourselves.
    const dialledId = `${envelope.c}x`;
    const toDialler = openPeerConnection({
      initiator: false,
      rtc,
      iceServers: [],
      sendSignal: (d) => this.deliver(from, to, { t: 'sig', c: envelope.c, d }),
    });
    const toDialled = openPeerConnection({
      initiator: true,
      rtc,
      iceServers: [],
      sendSignal: (d) => this.deliver(to, from, { t: 'sig', c: dialledId, d }),
    });
    this.attempts.set(envelope.c!, { toDialler, toDialled, dialledId });
    toDialler.signal(envelope.d);
    void Promise.all([toDialler.ready, toDialled.ready]).then(
      ([x, y]) => {
        this.channels.push(x, y);
        x.onMessage((m) => {
          this.relayed.push(m.byteLength);
          void y.send(m).catch(() => {});
        });
        y.onMessage((m) => {
          this.relayed.push(m.byteLength);
          void x.send(m).catch(() => {});
        });
      },
      () => {},
    );
  }
}

const managers: PeerManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
});

describe('a man in the middle at the signaling server', () => {
  it('is refused on both sides and no request is served', async () => {
    const server = new MitmServer();
    const ids = await Promise.all([identity(1), identity(2)]);
    ids.sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1));
    const served: NodeId[] = [];
    const connected: string[] = [];
    const [low, high] = ids.map((id) => {
      const handlers = new RpcHandlers();
      handlers.handleUnary('vaults.scan', async (ctx) => {
        served.push(ctx.remoteNodeId);
        return [];
      });
      const manager = new PeerManager({ nodeId: id.nodeId, sign: id.sign, rtc, iceServers: [], signaler: server.join(id.nodeId), handlers });
      manager.on('peer-connected', (n) => connected.push(n));
      managers.push(manager);
      return { id, manager };
    }) as [{ id: (typeof ids)[0]; manager: PeerManager }, { id: (typeof ids)[0]; manager: PeerManager }];

    // Either side dialling ends the same way (the high side asks the low side to dial).
    for (const [from, to] of [
      [low, high],
      [high, low],
    ] as const) {
      const before = server.relayed.length;
      const e = await from.manager.connect(to.id.nodeId).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'ErrorNodeAuthenticationFailed', message: expect.stringMatching(/could not prove|refused/) });
      // The middle really carried this handshake (hello and proof both ways), and both sides hung up on it.
      expect(server.relayed.length - before).toBeGreaterThanOrEqual(4);
      await until(() => server.channels.every((c) => c.closed));
    }
    expect(server.channels.length).toBe(4);
    expect(connected).toEqual([]);
    expect(low.manager.peers()).toEqual([]);
    expect(high.manager.peers()).toEqual([]);
    expect(served).toEqual([]);
  });
});
