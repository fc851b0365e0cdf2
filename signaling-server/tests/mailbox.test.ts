// The mailbox: opaque tokens wait for an offline recipient, arrive at its next login (or at once
// when it is online), stay until acknowledged, and are bounded in count, bytes and time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import type { Limits } from '../src/limits.js';
import type { NodeId } from '../../src/ids/index.js';
import { flushRedis, startRedis, type RedisProcess } from '../../tests/utils/services.js';
import { listContacts, loggedIn, makeIdentity, put } from './helpers.js';

let server: SignalingServer | undefined;
let now = 1_000_000;
let storeUnderTest: 'memory' | 'redis' = 'memory';
let redis: RedisProcess | undefined;
async function start(limits: Partial<Limits> = {}): Promise<string> {
  server = await startSignalingServer({ port: 0, limits, clock: () => now, ...(storeUnderTest === 'redis' ? { redisUrl: redis!.url } : {}) });
  return server.url;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (redis !== undefined) await flushRedis(redis.url);
});

// Every case runs against both stores: the Redis one must keep exactly the memory one's promises.
describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  beforeAll(async () => {
    storeUnderTest = store;
    if (store === 'redis') redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    redis = undefined;
  });

  describe('signaling mailbox', () => {
    it('stores for an offline recipient, delivers in the welcome, and forgets after the ack', async () => {
      const url = await start();
      const alice = await loggedIn(url);
      const bob = await makeIdentity();
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'signed.token.1', rid: 1 });
      const stored = await alice.peer.next('mailbox.stored');
      expect(stored).toMatchObject({ rid: 1, delivered: false, id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });

      const first = await loggedIn(url, bob);
      expect(first.welcome.mailbox).toEqual([{ id: stored.id, from: alice.id.nodeId, token: 'signed.token.1', at: now }]);
      // Not acknowledged yet: a new login gets it again.
      first.peer.close();
      await first.peer.closed;
      const second = await loggedIn(url, bob);
      expect(second.welcome.mailbox).toHaveLength(1);
      second.peer.send({ type: 'mailbox.ack', ids: [stored.id] });
      // The ack is processed before a later message on the same connection; prove it with a round trip.
      second.peer.send({ type: 'signal', to: (await makeIdentity()).nodeId, data: 0 });
      await second.peer.next('peer-offline');
      second.peer.close();
      await second.peer.closed;
      expect((await loggedIn(url, bob)).welcome.mailbox).toEqual([]);
    });

    it('delivers at once to an online recipient, and keeps the item until it is acknowledged', async () => {
      const url = await start();
      const alice = await loggedIn(url);
      const bob = await loggedIn(url);
      // `delivered` tells only a contact that Bob is online.
      bob.peer.send({ type: 'contacts', nodeIds: [alice.id.nodeId] });
      alice.peer.send({ type: 'mailbox.put', to: bob.id.nodeId, token: 'tok' });
      expect(await bob.peer.next('mailbox')).toMatchObject({ items: [{ from: alice.id.nodeId, token: 'tok' }] });
      expect(await alice.peer.next('mailbox.stored')).toMatchObject({ delivered: true });
      bob.peer.close();
      await bob.peer.closed;
      expect((await loggedIn(url, bob.id)).welcome.mailbox).toMatchObject([{ token: 'tok' }]);
    });

    it('refuses a put beyond the count bound and stores nothing', async () => {
      const url = await start({ mailboxMaxItems: 2 });
      const alice = await loggedIn(url);
      const bob = await makeIdentity();
      for (const rid of [1, 2]) {
        alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: `t${rid}`, rid });
        await alice.peer.next('mailbox.stored');
      }
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 't3', rid: 3 });
      const error = await alice.peer.next('error');
      expect(error).toMatchObject({ code: 'mailbox-full', rid: 3 });
      expect(error.message).toMatch(/full \(2 items\); nothing was stored/);
      expect((await loggedIn(url, bob)).welcome.mailbox).toMatchObject([{ token: 't1' }, { token: 't2' }]);
    });

    it('refuses a put beyond the byte bound, and a token over the size limit', async () => {
      const url = await start({ mailboxMaxBytes: 100, maxTokenBytes: 80 });
      const alice = await loggedIn(url);
      const bob = await makeIdentity();
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'x'.repeat(81), rid: 1 });
      expect(await alice.peer.next('error')).toMatchObject({ code: 'too-large', rid: 1 });
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'x'.repeat(60), rid: 2 });
      await alice.peer.next('mailbox.stored');
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'y'.repeat(60), rid: 3 });
      expect(await alice.peer.next('error')).toMatchObject({ code: 'mailbox-full', rid: 3, message: expect.stringMatching(/exceed 100 bytes/) });
      expect((await loggedIn(url, bob)).welcome.mailbox).toMatchObject([{ token: 'x'.repeat(60) }]);
    });

    it('bounds all mailboxes together, so many recipients cannot fill the server', async () => {
      const url = await start({ mailboxTotalBytes: 100 });
      const alice = await loggedIn(url);
      alice.peer.send({ type: 'mailbox.put', to: (await makeIdentity()).nodeId, token: 'x'.repeat(60) });
      await alice.peer.next('mailbox.stored');
      alice.peer.send({ type: 'mailbox.put', to: (await makeIdentity()).nodeId, token: 'x'.repeat(60) });
      expect(await alice.peer.next('error')).toMatchObject({ code: 'mailbox-full', message: expect.stringMatching(/server's mailbox storage is full/) });
    });

    it('drops items after the time limit (injected clock)', async () => {
      const url = await start({ mailboxTtlMs: 60_000 });
      const alice = await loggedIn(url);
      const bob = await makeIdentity();
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'old' });
      await alice.peer.next('mailbox.stored');
      now += 30_000;
      alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: 'newer' });
      await alice.peer.next('mailbox.stored');
      now += 30_001;
      expect((await loggedIn(url, bob)).welcome.mailbox).toMatchObject([{ token: 'newer' }]);
    });

    it('splits a large mailbox over the welcome and following messages, each under the size limit', async () => {
      const url = await start({ maxMessageBytes: 4096, maxTokenBytes: 1000, mailboxSenderItems: 20 });
      const alice = await loggedIn(url);
      const bob = await makeIdentity();
      for (let i = 0; i < 20; i++) {
        alice.peer.send({ type: 'mailbox.put', to: bob.nodeId, token: String(i).padEnd(900, '.') });
        await alice.peer.next('mailbox.stored');
      }
      const conn = await loggedIn(url, bob);
      const tokens = (conn.welcome.mailbox as Array<{ token: string }>).map((i) => i.token);
      while (tokens.length < 20) tokens.push(...((await conn.peer.next('mailbox')).items as Array<{ token: string }>).map((i) => i.token));
      expect(tokens.map((t) => Number.parseInt(t))).toEqual([...Array(20).keys()]);
      const sizes = conn.peer.messages.map((m) => JSON.stringify(m).length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    });
  });

  describe('signaling mailbox quotas', () => {
    it("gives each sender a share of a recipient's mailbox, in items and in bytes", async () => {
      const url = await start({ mailboxSenderItems: 2, mailboxSenderBytes: 1000 });
      const bob = await makeIdentity();
      const alice = await loggedIn(url, undefined, at('127.0.0.1'));
      expect(await put(alice.peer, bob.nodeId, 'a1')).toMatchObject({ type: 'mailbox.stored' });
      expect(await put(alice.peer, bob.nodeId, 'a2')).toMatchObject({ type: 'mailbox.stored' });
      const refusal = await put(alice.peer, bob.nodeId, 'a3');
      expect(refusal).toMatchObject({ type: 'error', code: 'mailbox-quota' });
      expect(refusal.message).toMatch(/You already have the most the mailbox of v\w+ keeps from one sender \(2 items or 1000 bytes\); nothing was stored/);
      // Bytes: a sender at another address starts with its own share, and 900 + 200 is over it.
      const carol = await loggedIn(url, undefined, at('127.0.0.2'));
      expect(await put(carol.peer, bob.nodeId, 'c'.repeat(900))).toMatchObject({ type: 'mailbox.stored' });
      expect(await put(carol.peer, bob.nodeId, 'c'.repeat(200))).toMatchObject({ code: 'mailbox-quota' });
      expect((await loggedIn(url, bob)).welcome.mailbox).toMatchObject([{ token: 'a1' }, { token: 'a2' }, { token: 'c'.repeat(900) }]);
    });

    it("makes strangers at one address share one sender's share, so fresh identities gain nothing", async () => {
      const url = await start({ mailboxSenderItems: 2 });
      const bob = await makeIdentity();
      const first = await loggedIn(url, undefined, at('127.0.0.1'));
      await put(first.peer, bob.nodeId, 't1');
      await put(first.peer, bob.nodeId, 't2');
      const throwaway = await loggedIn(url, undefined, at('127.0.0.1'));
      const refusal = await put(throwaway.peer, bob.nodeId, 't3');
      expect(refusal).toMatchObject({
        code: 'mailbox-quota',
        message: expect.stringMatching(/Keynodes at your network address that v\w+ has not listed as contacts already have/),
      });
      // A contact at that same address is counted as itself.
      const friend = await makeIdentity();
      await listContactsAndLeave(url, bob, [friend.nodeId]);
      const friendConn = await loggedIn(url, friend, at('127.0.0.1'));
      expect(await put(friendConn.peer, bob.nodeId, 'from a friend')).toMatchObject({ type: 'mailbox.stored' });
    });

    it("keeps room for the recipient's contacts however many strangers fill its mailbox", async () => {
      const url = await start({ mailboxMaxItems: 5, mailboxSenderItems: 3, mailboxStrangerItems: 3 });
      const [bob, alice] = [await makeIdentity(), await makeIdentity()];
      await listContactsAndLeave(url, bob, [alice.nodeId]);
      // Strangers from two addresses fill the strangers' share (3 items).
      for (const address of ['127.0.0.2', '127.0.0.3']) {
        const stranger = await loggedIn(url, undefined, at(address));
        await put(stranger.peer, bob.nodeId, address);
        if (address === '127.0.0.2') await put(stranger.peer, bob.nodeId, address);
      }
      const late = await loggedIn(url, undefined, at('127.0.0.4'));
      expect(await put(late.peer, bob.nodeId, 'one more stranger')).toMatchObject({
        code: 'mailbox-quota',
        message: expect.stringMatching(/keeps at most 3 items or \d+ bytes from keynodes it has not listed as contacts, and that share is full/),
      });
      // Bob's contact, e.g. with a VaultShare, still gets in while Bob is offline.
      const aliceConn = await loggedIn(url, alice, at('127.0.0.5'));
      expect(await put(aliceConn.peer, bob.nodeId, 'VaultShare')).toMatchObject({ type: 'mailbox.stored', delivered: false });
      expect(await put(aliceConn.peer, bob.nodeId, 'VaultShare 2')).toMatchObject({ type: 'mailbox.stored' });
      // The mailbox as a whole is still bounded, contacts included.
      expect(await put(aliceConn.peer, bob.nodeId, 'VaultShare 3')).toMatchObject({
        code: 'mailbox-full',
        message: expect.stringMatching(/is full \(5 items\)/),
      });
      const tokens = ((await loggedIn(url, bob)).welcome.mailbox as Array<{ token: string }>).map((i) => i.token);
      expect(tokens).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.3', 'VaultShare', 'VaultShare 2']);
    });

    it('caps what one address stores over all mailboxes, and what all strangers store', async () => {
      const url = await start({ mailboxSourceBytes: 100, mailboxStrangerTotalBytes: 150 });
      const alice = await loggedIn(url, undefined, at('127.0.0.1'));
      expect(await put(alice.peer, (await makeIdentity()).nodeId, 'x'.repeat(60))).toMatchObject({ type: 'mailbox.stored' });
      expect(await put(alice.peer, (await makeIdentity()).nodeId, 'x'.repeat(60))).toMatchObject({
        code: 'mailbox-quota',
        message: expect.stringMatching(/your network address already have 100 bytes waiting in mailboxes on this server/),
      });
      // Strangers from other addresses fill the strangers' 150 bytes; a contact still gets in.
      const carol = await loggedIn(url, undefined, at('127.0.0.2'));
      expect(await put(carol.peer, (await makeIdentity()).nodeId, 'y'.repeat(60))).toMatchObject({ type: 'mailbox.stored' });
      const dave = await loggedIn(url, undefined, at('127.0.0.3'));
      expect(await put(dave.peer, (await makeIdentity()).nodeId, 'z'.repeat(60))).toMatchObject({
        code: 'mailbox-full',
        message: expect.stringMatching(/mailbox storage for senders their recipients have not listed as contacts is full/),
      });
      const bob = await makeIdentity();
      await listContactsAndLeave(url, bob, [dave.id.nodeId]);
      expect(await put(dave.peer, bob.nodeId, 'z'.repeat(60))).toMatchObject({ type: 'mailbox.stored' });
    });

    it('with the default limits, 16 throwaway identities neither lock a mailbox nor fill the server', async () => {
      const url = await start();
      const [bob, alice] = [await makeIdentity(), await makeIdentity()];
      await listContactsAndLeave(url, bob, [alice.nodeId]);
      const token = 't'.repeat(16 * 1024);
      const throwaways = await Promise.all(Array.from({ length: 16 }, () => loggedIn(url, undefined, at('127.0.0.2'))));
      // Each puts to Bob: the address's one share (64 KiB) is soon used up.
      const atBob = await Promise.all(throwaways.map((t) => put(t.peer, bob.nodeId, token)));
      expect(atBob.filter((r) => r.type === 'mailbox.stored')).toHaveLength(4);
      expect(atBob.filter((r) => r.code === 'mailbox-quota')).toHaveLength(12);
      // Then everywhere else: the address's 2 MiB over all mailboxes is soon used up too.
      let stored = 0;
      for (let round = 0; round < 9; round++) {
        const replies = await Promise.all(throwaways.map(async (t) => put(t.peer, (await makeIdentity()).nodeId, token)));
        stored += replies.filter((r) => r.type === 'mailbox.stored').length;
      }
      expect(stored).toBe(2 * 64 - 4);
      // Alice's VaultShare to Bob, and a stranger's from elsewhere, still get in.
      const aliceConn = await loggedIn(url, alice, at('127.0.0.3'));
      expect(await put(aliceConn.peer, bob.nodeId, 'VaultShare')).toMatchObject({ type: 'mailbox.stored' });
      const stranger = await loggedIn(url, undefined, at('127.0.0.4'));
      expect(await put(stranger.peer, bob.nodeId, 'hello')).toMatchObject({ type: 'mailbox.stored' });
    });

    it('refuses a contact list longer than maxContacts', async () => {
      const url = await start({ maxContacts: 2 });
      const bob = await loggedIn(url);
      const ids = await Promise.all([makeIdentity(), makeIdentity(), makeIdentity()]);
      bob.peer.send({ type: 'contacts', nodeIds: ids.map((i) => i.nodeId), rid: 5 });
      expect(await bob.peer.next('error')).toMatchObject({ code: 'too-many', rid: 5, message: expect.stringMatching(/at most 2 contacts/) });
    });
  });
});

/** Logs `owner` in, lists its contacts, and logs it out again: they are remembered while it is away. */
async function listContactsAndLeave(url: string, owner: Awaited<ReturnType<typeof makeIdentity>>, contacts: NodeId[]): Promise<void> {
  const conn = await loggedIn(url, owner);
  await listContacts(conn.peer, contacts);
  conn.peer.close();
  await conn.peer.closed;
}

const at = (localAddress: string) => ({ localAddress });
