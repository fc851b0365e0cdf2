// Relaying SDP/ICE between logged-in keynodes and presence: `from` is always the authenticated
// NodeId, an absent target is reported, and watchers learn when a node comes and goes — only
// watchers the node has introduced itself to, by listing them as contacts or by signalling them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import { listContacts, loggedIn, makeIdentity, settled } from './helpers.js';

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

  it('tells a watcher its contacts list when they log in and out, and who is already online', async () => {
    const alice = await loggedIn(server.url);
    const early = await loggedIn(server.url);
    await listContacts(early.peer, [alice.id.nodeId]);
    const late = await makeIdentity();
    alice.peer.send({ type: 'watch', nodeIds: [early.id.nodeId, late.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: early.id.nodeId });
    // Not online yet: said at once too (without a rid: it is news of a watched node, not an answer).
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: late.nodeId });
    const lateConn = await loggedIn(server.url, late);
    // Its list arrives after its login: Alice is told once it does.
    lateConn.peer.send({ type: 'contacts', nodeIds: [alice.id.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: late.nodeId });
    lateConn.peer.close();
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: late.nodeId });
    // Remembered while it was away: at its next login the server tells Alice straight away.
    await loggedIn(server.url, late);
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: late.nodeId });
  });

  it('tells a stranger nothing: a node that has not introduced itself reads as offline', async () => {
    const mallory = await loggedIn(server.url);
    const bob = await makeIdentity();
    const first = await loggedIn(server.url, bob);
    mallory.peer.send({ type: 'watch', nodeIds: [bob.nodeId] });
    expect(await mallory.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: bob.nodeId });
    first.peer.close();
    await first.peer.closed;
    const again = await loggedIn(server.url, bob);
    // Nor does a put tell it that Bob is online, though Bob gets the item at once.
    mallory.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'hi' });
    expect(await mallory.peer.next('mailbox.stored')).toMatchObject({ delivered: false });
    expect(await again.peer.next('mailbox')).toMatchObject({ items: [{ from: mallory.id.nodeId, token: 'hi' }] });
    await settled(mallory.peer);
    expect(mallory.peer.messages.filter((m) => m.nodeId === bob.nodeId).map((m) => m.type)).toEqual(['peer-offline']);
  });

  it('lets a node watch one that signalled it, for the rest of that connection', async () => {
    const [alice, bob] = [await loggedIn(server.url), await loggedIn(server.url)];
    alice.peer.send({ type: 'watch', nodeIds: [bob.id.nodeId] });
    expect(await alice.peer.next('peer-offline')).toMatchObject({ nodeId: bob.id.nodeId });
    // Bob answers Alice's offer: now she may know he is there, and is told so.
    bob.peer.send({ type: 'signal', to: alice.id.nodeId, data: { type: 'answer' } });
    expect(await alice.peer.next('signal')).toMatchObject({ from: bob.id.nodeId });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: bob.id.nodeId });
    // A vanished peer is reported (the keynode then drops its dead WebRTC connection at once).
    bob.peer.ws.terminate();
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: bob.id.nodeId });
    // The introduction ended with that connection.
    const back = await loggedIn(server.url, bob.id);
    await settled(alice.peer);
    expect(alice.peer.messages.filter((m) => m.type === 'peer-online')).toHaveLength(1);
    back.peer.close();
  });

  it('tells a watcher dropped from the contacts that the node left', async () => {
    const [alice, bob] = [await loggedIn(server.url), await loggedIn(server.url)];
    await listContacts(bob.peer, [alice.id.nodeId]);
    alice.peer.send({ type: 'watch', nodeIds: [bob.id.nodeId] });
    expect(await alice.peer.next('peer-online')).toMatchObject({ nodeId: bob.id.nodeId });
    bob.peer.send({ type: 'contacts', nodeIds: [] });
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: bob.id.nodeId });
  });

  it('reports "already online" only for newly watched nodes, so re-sending the same set is quiet', async () => {
    const alice = await loggedIn(server.url);
    const [one, two] = await Promise.all([loggedIn(server.url), loggedIn(server.url)]);
    await Promise.all([listContacts(one.peer, [alice.id.nodeId]), listContacts(two.peer, [alice.id.nodeId])]);
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
