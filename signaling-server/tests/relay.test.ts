// Relaying SDP/ICE between logged-in keynodes and presence: `from` is always the authenticated
// NodeId, an absent target is reported, and watchers learn when a node comes and goes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import { loggedIn, makeIdentity } from './helpers.js';

let server: SignalingServer;
beforeEach(async () => {
  server = await startSignalingServer({ port: 0 });
});
afterEach(() => server.close());

describe('signaling relay', () => {
  it('relays a signal with `from` set by the server, whatever the sender wrote', async () => {
    const alice = await loggedIn(server.url);
    const bob = await loggedIn(server.url);
    const mallory = await makeIdentity();
    const sdp = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    alice.peer.send({ type: 'signal', to: bob.id.nodeId, from: mallory.nodeId, data: sdp });
    expect(await bob.peer.next('signal')).toEqual({ type: 'signal', from: alice.id.nodeId, data: sdp });
    bob.peer.send({ type: 'signal', to: alice.id.nodeId, data: { candidate: 'c' } });
    expect(await alice.peer.next('signal')).toEqual({ type: 'signal', from: bob.id.nodeId, data: { candidate: 'c' } });
  });

  it('answers peer-offline when the target is not connected, echoing the request id', async () => {
    const alice = await loggedIn(server.url);
    const nobody = await makeIdentity();
    alice.peer.send({ type: 'signal', to: nobody.nodeId, data: {}, rid: 9 });
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: nobody.nodeId, rid: 9 });
  });

  it('tells a watcher when a watched node logs in and out, and who is already online', async () => {
    const alice = await loggedIn(server.url);
    const early = await loggedIn(server.url);
    const late = await makeIdentity();
    alice.peer.send({ type: 'watch', nodeIds: [early.id.nodeId, late.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: early.id.nodeId });
    // Not online yet: said at once too (without a rid: it is news of a watched node, not an answer).
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: late.nodeId });
    const lateConn = await loggedIn(server.url, late);
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: late.nodeId });
    lateConn.peer.close();
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: late.nodeId });
  });

  it('reports "already online" only for newly watched nodes, so re-sending the same set is quiet', async () => {
    const alice = await loggedIn(server.url);
    const [one, two] = await Promise.all([loggedIn(server.url), loggedIn(server.url)]);
    alice.peer.send({ type: 'watch', nodeIds: [one.id.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: one.id.nodeId });
    // The same set again, then one more: the next peer-online is about the new one only.
    alice.peer.send({ type: 'watch', nodeIds: [one.id.nodeId] });
    alice.peer.send({ type: 'watch', nodeIds: [one.id.nodeId, two.id.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: two.id.nodeId });
  });

  it('bounds the number of watched NodeIds', async () => {
    const small = await startSignalingServer({ port: 0, limits: { maxWatch: 2 } });
    try {
      const alice = await loggedIn(small.url);
      const ids = await Promise.all([makeIdentity(), makeIdentity(), makeIdentity()]);
      alice.peer.send({ type: 'watch', nodeIds: ids.map((i) => i.nodeId), rid: 1 });
      expect(await alice.peer.next('error')).toMatchObject({ code: 'too-many', rid: 1, message: expect.stringMatching(/at most 2/) });
    } finally {
      await small.close();
    }
  });
});
