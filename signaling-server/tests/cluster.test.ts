// Several signaling instances sharing one real redis-server (started by the test, persistence on):
// keynodes on different instances reach each other, mailboxes are one, a NodeId has one connection
// across all instances, state survives restarts, and losing Redis loses nothing acknowledged.
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignalingClient } from '../../src/network/signaling-client.js';
import { redisCommand, startRedis, type RedisProcess } from '../../tests/utils/services.js';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import type { Limits } from '../src/limits.js';
import { listContacts, loggedIn, makeIdentity, put, RawPeer, settled, type Identity } from './helpers.js';

let redis: RedisProcess;
const servers: SignalingServer[] = [];
const clients: SignalingClient[] = [];

async function instance(limits: Partial<Limits> = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({ port: 0, redisUrl: redis.url, limits });
  servers.push(server);
  return server;
}

beforeEach(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await redis.stop();
});

/** Every mailbox token `id` receives at login on `url` (the welcome and the messages after it). */
async function mailboxAt(url: string, id: Identity, expected: number): Promise<string[]> {
  const { peer, welcome } = await loggedIn(url, id);
  const tokens = (welcome.mailbox as Array<{ token: string }>).map((i) => i.token);
  while (tokens.length < expected) tokens.push(...((await peer.next('mailbox')).items as Array<{ token: string }>).map((i) => i.token));
  await settled(peer);
  peer.close();
  await peer.closed;
  return tokens;
}

describe('signaling instances sharing Redis', () => {
  it('relays signals and presence between keynodes logged in on different instances', async () => {
    const [a, b] = [await instance(), await instance()];
    const alice = await loggedIn(a.url);
    const bob = await loggedIn(b.url);
    alice.peer.send({ type: 'signal', to: bob.id.nodeId, data: { sdp: 'offer' } });
    expect(await bob.peer.next('signal')).toEqual({ type: 'signal', from: alice.id.nodeId, data: { sdp: 'offer' } });
    bob.peer.send({ type: 'signal', to: alice.id.nodeId, data: { sdp: 'answer' } });
    expect(await alice.peer.next('signal')).toEqual({ type: 'signal', from: bob.id.nodeId, data: { sdp: 'answer' } });

    // A node on neither instance is offline, as on one instance.
    const nobody = (await makeIdentity()).nodeId;
    alice.peer.send({ type: 'signal', to: nobody, data: 0, rid: 7 });
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: nobody, rid: 7 });

    // Bob signalled Alice, so Alice may watch him: online now, offline when he leaves, online when back (on A this time).
    alice.peer.send({ type: 'watch', nodeIds: [bob.id.nodeId] });
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: bob.id.nodeId });
    bob.peer.close();
    expect(await alice.peer.next('peer-offline')).toEqual({ type: 'peer-offline', nodeId: bob.id.nodeId });
    const back = await loggedIn(a.url, bob.id);
    await listContacts(back.peer, [alice.id.nodeId]);
    expect(await alice.peer.next('peer-online')).toEqual({ type: 'peer-online', nodeId: bob.id.nodeId });

    // A stranger watching Bob from the other instance learns nothing.
    const eve = await loggedIn(b.url);
    eve.peer.send({ type: 'watch', nodeIds: [bob.id.nodeId] });
    expect(await eve.peer.waitFor(['peer-online', 'peer-offline'])).toEqual({ type: 'peer-offline', nodeId: bob.id.nodeId });
  });

  it('delivers mailbox items across instances, at once to an online recipient and at the next login otherwise', async () => {
    const [a, b] = [await instance(), await instance()];
    const alice = await loggedIn(a.url);
    const bob = await makeIdentity();
    expect(await put(alice.peer, bob.nodeId, 'while-away')).toMatchObject({ type: 'mailbox.stored', delivered: false });

    const bobOnB = await loggedIn(b.url, bob);
    expect(bobOnB.welcome.mailbox).toMatchObject([{ from: alice.id.nodeId, token: 'while-away' }]);
    await listContacts(bobOnB.peer, [alice.id.nodeId]);
    // Live: Alice's put on A reaches Bob on B, and Alice (a contact) learns it was delivered.
    expect(await put(alice.peer, bob.nodeId, 'live')).toMatchObject({ type: 'mailbox.stored', delivered: true });
    const live = await bobOnB.peer.next('mailbox');
    expect(live.items).toMatchObject([{ from: alice.id.nodeId, token: 'live' }]);

    // An ack on B empties the one mailbox every instance reads.
    bobOnB.peer.send({ type: 'mailbox.ack', ids: [(bobOnB.welcome.mailbox as Array<{ id: string }>)[0]!.id, (live.items as Array<{ id: string }>)[0]!.id] });
    await settled(bobOnB.peer);
    bobOnB.peer.close();
    await bobOnB.peer.closed;
    expect(await mailboxAt(a.url, bob, 0)).toEqual([]);
  });

  it('applies one mailbox bound to puts arriving through different instances', async () => {
    const limits = { mailboxMaxItems: 2 };
    const [a, b] = [await instance(limits), await instance(limits)];
    const bob = await makeIdentity();
    const alice = await loggedIn(a.url);
    const carol = await loggedIn(b.url);
    expect(await put(alice.peer, bob.nodeId, 'a1')).toMatchObject({ type: 'mailbox.stored' });
    expect(await put(carol.peer, bob.nodeId, 'c1')).toMatchObject({ type: 'mailbox.stored' });
    expect(await put(alice.peer, bob.nodeId, 'a2')).toMatchObject({ type: 'error', code: 'mailbox-full' });
    expect(await put(carol.peer, bob.nodeId, 'c2')).toMatchObject({ type: 'error', code: 'mailbox-full' });
    expect((await mailboxAt(b.url, bob, 2)).sort()).toEqual(['a1', 'c1']);
  });

  it('keeps one connection per NodeId across instances: a newer login replaces the older one', async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    const id = await makeIdentity();
    const first = await loggedIn(a.url, id);
    // A sender on a third instance reaches the first connection (its instance now knows where it is)…
    const sender = await loggedIn(c.url);
    sender.peer.send({ type: 'signal', to: id.nodeId, data: 'to the first' });
    expect(await first.peer.next('signal')).toMatchObject({ from: sender.id.nodeId, data: 'to the first' });
    const second = await loggedIn(b.url, id);
    expect(await first.peer.next('error')).toMatchObject({ code: 'replaced' });
    expect((await first.peer.closed).code).toBe(4001);
    // …and, once the node moved, the new one.
    sender.peer.send({ type: 'signal', to: id.nodeId, data: 'to the second' });
    expect(await second.peer.next('signal')).toMatchObject({ from: sender.id.nodeId, data: 'to the second' });
    // Signals from either instance now reach the connection on B.
    for (const url of [a.url, b.url]) {
      const other = await loggedIn(url);
      other.peer.send({ type: 'signal', to: id.nodeId, data: { via: url } });
      expect(await second.peer.next('signal')).toMatchObject({ from: other.id.nodeId, data: { via: url } });
    }
    expect(second.peer.messages.some((m) => m.type === 'error')).toBe(false);
  });

  it('keeps mailboxes across the restart of every instance, and of Redis itself', async () => {
    const a = await instance();
    const alice = await loggedIn(a.url);
    const bob = await makeIdentity();
    await put(alice.peer, bob.nodeId, 'kept-1');
    await put(alice.peer, bob.nodeId, 'kept-2');
    await Promise.all(servers.splice(0).map((s) => s.close()));

    const b = await instance();
    expect(await mailboxAt(b.url, bob, 2)).toEqual(['kept-1', 'kept-2']);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    // A crash of Redis (no shutdown save): the append-only file has every acknowledged write.
    await redis.kill();
    await redis.restart();
    const c = await instance();
    expect(await mailboxAt(c.url, bob, 2)).toEqual(['kept-1', 'kept-2']);
  });

  it('checks what it reads from Redis as if a client had sent it', async () => {
    const a = await instance({ maxTokenBytes: 100 });
    const alice = await loggedIn(a.url);
    const bob = await makeIdentity();
    await put(alice.peer, bob.nodeId, 'genuine');
    // Entries this server never wrote: not JSON, a `from` that is no NodeId, a token over the limit.
    const now = Date.now();
    await redisCommand(
      redis.url,
      'RPUSH',
      `keynode:mb:${bob.nodeId}`,
      'not json',
      JSON.stringify({ x: 0, i: 'A'.repeat(22), f: 'nobody', t: 'forged', a: now, s: 6, o: 'x' }),
      JSON.stringify({ x: 0, i: 'B'.repeat(22), f: alice.id.nodeId, t: 'y'.repeat(1000), a: now, s: 1000, o: 'x' }),
    );
    // A login record that is no connection, and garbage on every channel the instance listens to.
    const ghost = await makeIdentity();
    await redisCommand(redis.url, 'SET', `keynode:on:${ghost.nodeId}`, '{"not":"an owner"}');
    const [channel] = (await redisCommand(redis.url, 'PUBSUB', 'CHANNELS', 'keynode:i:*')) as string[];
    for (const junk of ['not json', '{"k":"relay"}', '['.repeat(5000), JSON.stringify({ k: 'replace', n: alice.id.nodeId, c: 'x' }), 'x'.repeat(1 << 20)]) {
      await redisCommand(redis.url, 'PUBLISH', channel!, junk);
      await redisCommand(redis.url, 'PUBLISH', 'keynode:presence', junk);
    }

    expect((await loggedIn(a.url, bob)).welcome.mailbox).toMatchObject([{ token: 'genuine' }]);
    alice.peer.send({ type: 'signal', to: ghost.nodeId, data: 0, rid: 3 });
    expect(await alice.peer.next('peer-offline')).toMatchObject({ nodeId: ghost.nodeId, rid: 3 });
    // Alice was not replaced by the forged message, and the instance still relays.
    const carol = await loggedIn(a.url);
    carol.peer.send({ type: 'signal', to: alice.id.nodeId, data: 'still here' });
    expect(await alice.peer.next('signal')).toMatchObject({ data: 'still here' });
    expect(alice.peer.messages.some((m) => m.type === 'error')).toBe(false);
  });

  it('survives Redis dying mid-traffic: clients are told and reconnect, and every acknowledged put is delivered', async () => {
    const limits = {
      mailboxSenderItems: 1000,
      mailboxMaxItems: 1000,
      mailboxStrangerItems: 1000,
      mailboxSenderBytes: 1 << 20,
      mailboxMaxBytes: 1 << 20,
      mailboxStrangerBytes: 1 << 20,
    };
    const [a, b] = [await instance(limits), await instance(limits)];
    const aliceId = await makeIdentity();
    const alice = new SignalingClient({ url: a.url, nodeId: aliceId.nodeId, sign: aliceId.sign, WebSocket, backoff: { initialMs: 50, maxMs: 400 } });
    clients.push(alice);
    const errors: string[] = [];
    alice.on('error', (e) => errors.push(e.code));
    const statuses: string[] = [];
    alice.on('status', (s) => statuses.push(s));
    await alice.connect();
    const carol = await loggedIn(b.url);
    const bob = await makeIdentity();

    const acknowledged: string[] = [];
    let refused = 0;
    let i = 0;
    // Puts go on while Redis is killed and restarted; each is either acknowledged or refused, never lost in between.
    const traffic = (async () => {
      while (acknowledged.length < 40 || i < 60) {
        if (i > 400) throw new Error('the traffic loop did not finish');
        const token = `t${i++}`;
        try {
          await alice.putMailbox(bob.nodeId, token);
          acknowledged.push(token);
        } catch {
          refused++;
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    while (acknowledged.length < 10) await new Promise((r) => setTimeout(r, 10));
    await redis.kill();
    // Carol, on the other instance, is told in words and by close code, and cannot log in again while Redis is away.
    expect(await carol.peer.next('error')).toMatchObject({ code: 'unavailable' });
    expect((await carol.peer.closed).code).toBe(1013);
    const retry = await RawPeer.open(a.url);
    expect(await retry.login(carol.id)).toMatchObject({ type: 'error', code: 'unavailable' });
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();
    await traffic;
    // Carol's login, closed while Redis was away, is forgotten there once it is back (not left to expire).
    const key = `keynode:on:${carol.id.nodeId}`;
    while ((await redisCommand(redis.url, 'GET', key)) !== null) await new Promise((r) => setTimeout(r, 50));

    expect(refused).toBeGreaterThan(0);
    expect(errors).toContain('ErrorSignalingUnavailable');
    expect(statuses.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
    // Both instances serve again and relay to each other (their subscriptions came back with Redis),
    // and Bob's mailbox holds every put that was acknowledged.
    const carolAgain = await loggedIn(b.url, carol.id);
    const dave = await loggedIn(a.url);
    dave.peer.send({ type: 'signal', to: carol.id.nodeId, data: 'after the outage' });
    expect(await carolAgain.peer.next('signal')).toMatchObject({ from: dave.id.nodeId, data: 'after the outage' });
    const delivered = await mailboxAt(b.url, bob, acknowledged.length);
    for (const token of acknowledged) expect(delivered).toContain(token);
  });
});
