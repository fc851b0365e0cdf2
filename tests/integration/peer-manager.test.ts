// The peer manager over real WebRTC with an in-memory signaler: connections open on demand and
// are reused, two keynodes dialling each other at once end with one connection, idle connections
// close, and a dropped connection is opened anew. Run inside `unshare -n`.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ids/index.js';
import { PeerManager } from '../../src/network/peer-manager.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import { identity, MemorySignalHub, rtc, until, type Identity } from '../unit/network/harness.js';

const managers: PeerManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
});

interface Node {
  id: Identity;
  manager: PeerManager;
  events: string[];
  served: string[];
}

function start(hub: MemorySignalHub, id: Identity, idleMs?: number): Node {
  const handlers = new RpcHandlers();
  const served: string[] = [];
  handlers.handleUnary('sigchain.get', async (ctx) => {
    served.push(ctx.remoteNodeId);
    return { owner: id.nodeId, caller: ctx.remoteNodeId };
  });
  const manager = new PeerManager({
    nodeId: id.nodeId,
    sign: id.sign,
    rtc,
    iceServers: [],
    signaler: hub.join(id.nodeId),
    handlers,
    ...(idleMs === undefined ? {} : { idleMs }),
  });
  managers.push(manager);
  const events: string[] = [];
  manager.on('peer-connected', (n) => events.push(`connected ${n}`));
  manager.on('peer-disconnected', (n) => events.push(`disconnected ${n}`));
  return { id, manager, events, served };
}

/** Two nodes, `low` having the lower NodeId (the side that always creates the WebRTC offer). */
async function twoNodes(idleMs?: number) {
  const hub = new MemorySignalHub();
  const ids = await Promise.all([identity(1), identity(2)]);
  ids.sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1));
  return { hub, low: start(hub, ids[0]!, idleMs), high: start(hub, ids[1]!, idleMs) };
}

describe('peer manager', () => {
  for (const dialler of ['low', 'high'] as const) {
    it(`opens a connection on demand and reuses it (dialled by the ${dialler} NodeId)`, async () => {
      const nodes = await twoNodes();
      const from = nodes[dialler];
      const to = dialler === 'low' ? nodes.high : nodes.low;
      const rpc = await from.manager.connect(to.id.nodeId);
      expect(rpc.remoteNodeId).toBe(to.id.nodeId);
      await expect(rpc.callUnary('sigchain.get', null)).resolves.toEqual({ owner: to.id.nodeId, caller: from.id.nodeId });
      expect(await from.manager.connect(to.id.nodeId)).toBe(rpc);
      await until(() => to.manager.peers().length === 1);
      expect(from.manager.peers()).toEqual([to.id.nodeId]);
      expect(to.manager.peers()).toEqual([from.id.nodeId]);
      // The side that was dialled can call back on the same connection.
      const back = await to.manager.connect(from.id.nodeId);
      await expect(back.callUnary('sigchain.get', null)).resolves.toEqual({ owner: from.id.nodeId, caller: to.id.nodeId });
      expect(from.events).toEqual([`connected ${to.id.nodeId}`]);
      expect(to.events).toEqual([`connected ${from.id.nodeId}`]);
    });
  }

  it('dedupes concurrent connects, and both sides dialling at once make one connection', async () => {
    const { low, high } = await twoNodes();
    const [a1, a2, b1] = await Promise.all([low.manager.connect(high.id.nodeId), low.manager.connect(high.id.nodeId), high.manager.connect(low.id.nodeId)]);
    expect(a1).toBe(a2);
    await expect(a1.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: high.id.nodeId });
    await expect(b1.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: low.id.nodeId });
    expect(low.events).toEqual([`connected ${high.id.nodeId}`]);
    expect(high.events).toEqual([`connected ${low.id.nodeId}`]);
    expect(low.manager.peers()).toEqual([high.id.nodeId]);
    expect(high.manager.peers()).toEqual([low.id.nodeId]);
  });

  it('closes idle connections, and opens a new one on the next connect', async () => {
    const { low, high } = await twoNodes(150);
    const rpc = await high.manager.connect(low.id.nodeId);
    await rpc.callUnary('sigchain.get', null);
    await until(() => low.manager.peers().length === 0 && high.manager.peers().length === 0);
    expect(rpc.closed).toBe(true);
    expect(high.events).toEqual([`connected ${low.id.nodeId}`, `disconnected ${low.id.nodeId}`]);
    const again = await high.manager.connect(low.id.nodeId);
    expect(again).not.toBe(rpc);
    await expect(again.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: low.id.nodeId });
  });

  for (const destroyer of ['low', 'high'] as const) {
    it(`re-opens after the ${destroyer} side destroys the connection`, async () => {
      const nodes = await twoNodes();
      const remote = nodes[destroyer];
      const local = destroyer === 'low' ? nodes.high : nodes.low;
      const first = await local.manager.connect(remote.id.nodeId);
      await until(() => remote.manager.peers().length === 1);
      (await remote.manager.connect(local.id.nodeId)).close();
      await until(() => local.manager.peers().length === 0);
      expect(local.events).toEqual([`connected ${remote.id.nodeId}`, `disconnected ${remote.id.nodeId}`]);
      await expect(first.callUnary('sigchain.get', null)).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
      const second = await local.manager.connect(remote.id.nodeId);
      expect(second).not.toBe(first);
      await expect(second.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: remote.id.nodeId });
    });
  }

  it('re-opens when the remote keynode restarts before we noticed the old connection died', async () => {
    const { hub, low, high } = await twoNodes();
    await high.manager.connect(low.id.nodeId);
    // The low side goes away without a word and comes back with the same identity.
    low.manager.stop();
    hub.leave(low.id.nodeId);
    const reborn = start(hub, low.id);
    const rpc = await reborn.manager.connect(high.id.nodeId);
    await expect(rpc.callUnary('sigchain.get', null)).resolves.toMatchObject({ owner: high.id.nodeId });
  });

  it('fails at once for a node that is not online, and refuses to work once stopped', async () => {
    const { low } = await twoNodes();
    const offline = (await identity(9)).nodeId;
    await expect(low.manager.connect(offline)).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
    await expect(low.manager.connect('not-a-node-id' as NodeId)).rejects.toMatchObject({ code: 'ErrorNodeIdInvalid' });
    low.manager.stop();
    low.manager.stop();
    await expect(low.manager.connect(offline)).rejects.toMatchObject({ code: 'ErrorKeynodeStopped' });
  });
});
