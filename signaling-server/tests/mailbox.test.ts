// The mailbox: opaque tokens wait for an offline recipient, arrive at its next login (or at once
// when it is online), stay until acknowledged, and are bounded in count, bytes and time.
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import type { Limits } from '../src/limits.js';
import { loggedIn, makeIdentity } from './helpers.js';

let server: SignalingServer | undefined;
let now = 1_000_000;
async function start(limits: Partial<Limits> = {}): Promise<string> {
  server = await startSignalingServer({ port: 0, limits, clock: () => now });
  return server.url;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
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
    const url = await start({ maxMessageBytes: 4096, maxTokenBytes: 1000 });
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
