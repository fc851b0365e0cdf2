// The peer manager over a transport that is not WebRTC in this context (as in the service worker,
// where a page holds the RTCPeerConnection): an in-memory channel pair behind `openConnection`.
// The manager's logic — handshake, dedupe, glare, drop and re-open — must not care.
import { afterEach, describe, expect, it } from 'vitest';
import type { ByteChannel } from '../../../src/network/byte-channel.js';
import type { PeerConnection, PeerConnectionOptions } from '../../../src/network/peer-connection.js';
import { PeerManager, type PeerManagerOptions } from '../../../src/network/peer-manager.js';
import { RpcHandlers } from '../../../src/network/rpc-handlers.js';
import { identity, memoryPair, MemorySignalHub, until, type Identity } from './harness.js';

/** Pairs an initiator with the responder that receives its "offer" (the offer names the pair). */
function memoryTransport() {
  const waiting = new Map<string, (channel: ByteChannel) => void>();
  let opened = 0;
  const open = (options: PeerConnectionOptions): PeerConnection => {
    opened += 1;
    let resolve!: (c: ByteChannel) => void;
    let reject!: (e: Error) => void;
    const ready = new Promise<ByteChannel>((res, rej) => ((resolve = res), (reject = rej)));
    ready.catch(() => {});
    let channel: ByteChannel | undefined;
    if (options.initiator) {
      const token = `pair-${opened}`;
      waiting.set(token, (c) => resolve((channel = c)));
      options.sendSignal({ type: 'offer', sdp: token });
    }
    return {
      signal(data) {
        const token = (data as { sdp?: string }).sdp ?? '';
        const initiator = waiting.get(token);
        if (options.initiator || initiator === undefined) return;
        waiting.delete(token);
        const { a, b } = memoryPair();
        initiator(a);
        resolve((channel = b));
      },
      ready,
      destroy() {
        reject(new Error('destroyed'));
        channel?.close();
      },
    };
  };
  return { open, opened: () => opened };
}

const managers: PeerManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
});

function start(
  hub: MemorySignalHub,
  transport: ReturnType<typeof memoryTransport>,
  id: Identity,
  tuning: Pick<PeerManagerOptions, 'idleMs' | 'rpcLimits'> = {},
) {
  const handlers = new RpcHandlers();
  handlers.handleUnary('sigchain.get', async (ctx) => ({ owner: id.nodeId, caller: ctx.remoteNodeId }));
  const manager = new PeerManager({
    nodeId: id.nodeId,
    sign: id.sign,
    iceServers: [],
    signaler: hub.join(id.nodeId),
    handlers,
    openConnection: transport.open,
    ...tuning,
  });
  managers.push(manager);
  return manager;
}

describe('peer manager over an injected transport', () => {
  it('closes an idle connection on time although heartbeats keep flowing on it', async () => {
    const hub = new MemorySignalHub();
    const transport = memoryTransport();
    const [x, y] = await Promise.all([identity(7), identity(8)]);
    // Heartbeats every 20 ms, many times within the 400 ms idle limit: they must not count as use.
    const tuning = { idleMs: 400, rpcLimits: { heartbeatMs: 20, deadAfterMs: 5000 } };
    const mx = start(hub, transport, x, tuning);
    start(hub, transport, y, tuning);
    const rx = await mx.connect(y.nodeId);
    await expect(rx.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: y.nodeId });
    await until(() => rx.closed && mx.peers().length === 0);
  });

  it('authenticates, dedupes a glare into one connection, and re-opens after a drop', async () => {
    const hub = new MemorySignalHub();
    const transport = memoryTransport();
    const [x, y] = await Promise.all([identity(5), identity(6)]);
    const mx = start(hub, transport, x);
    const my = start(hub, transport, y);
    const [rx, ry] = await Promise.all([mx.connect(y.nodeId), my.connect(x.nodeId)]);
    expect(transport.opened()).toBe(2); // one initiator, one responder: a single connection
    await expect(rx.callUnary('sigchain.get', null)).resolves.toEqual({ owner: y.nodeId, caller: x.nodeId });
    await expect(ry.callUnary('sigchain.get', null)).resolves.toEqual({ owner: x.nodeId, caller: y.nodeId });

    ry.close();
    await until(() => mx.peers().length === 0 && my.peers().length === 0);
    const again = await mx.connect(y.nodeId);
    await expect(again.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: y.nodeId });
  });

  it('fails a connect with ErrorNodeConnectionFailed when there is no transport at all', async () => {
    const hub = new MemorySignalHub();
    const [x, y] = await Promise.all([identity(5), identity(6)]);
    const [low, high] = [x, y].sort((p, q) => (p.nodeId < q.nodeId ? -1 : 1)) as [Identity, Identity];
    const manager = new PeerManager({ nodeId: low.nodeId, sign: low.sign, iceServers: [], signaler: hub.join(low.nodeId), handlers: new RpcHandlers() });
    managers.push(manager);
    hub.join(high.nodeId);
    await expect(manager.connect(high.nodeId)).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
  });
});
