// The receiving rules (docs/polykey.md §10 scenarios 27, 28; B8, B9; replay): signed and addressed, bound to the
// authenticated peer, accepted once, within its age, refused copies refused again, then the
// receiver's trust gate decides.
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../../src/errors.js';
import type { NodeId } from '../../../src/ids/index.js';
import { parseNotification, type NotificationEvent } from '../../../src/notifications/index.js';
import { MAX_CLOCK_SKEW_MS, MAX_TOKEN_AGE_MS } from '../../../src/notifications/receive.js';
import { codeOf, keynode, know, peerDelivery } from './harness.js';

describe('signed and addressed (scenario 27)', () => {
  it('the recipient verifies my signature and stores my message', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const record = await me.n.send(n.nodeId, 'hello N');
    const result = await n.n.receive(record.token, { via: 'peer', authenticatedPeer: me.nodeId });
    expect(result.status).toBe('inbox');
    const [item] = await n.n.read();
    expect(item).toMatchObject({ from: me.nodeId, data: { type: 'General', message: 'hello N' }, peerNotificationId: record.id });
  });

  it('an altered payload is refused as unverifiable, and nothing is stored', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const { token } = await me.n.send(n.nodeId, 'pay 10');
    const tampered = token.replace('pay 10', 'pay 99');
    expect(await codeOf(() => n.n.receive(tampered, { via: 'mailbox' }))).toBe('ErrorNotificationsVerificationFailed');
    expect(await n.n.read()).toEqual([]);
  });

  it('a notification addressed to another keynode is refused', async () => {
    const [me, n, other] = [await keynode(), await keynode(), await keynode()];
    await know(n, me);
    const { token } = await me.n.send(other.nodeId, 'for other');
    expect(await codeOf(() => n.n.receive(token, { via: 'mailbox' }))).toBe('ErrorNotificationsInvalidDestination');
    expect(await n.n.read()).toEqual([]);
  });
});

describe('B8: the sender is bound to the authenticated peer', () => {
  it('a token relayed over a channel authenticated as someone else is refused', async () => {
    const [me, n, relay] = [await keynode(), await keynode(), await keynode()];
    await know(n, me);
    await know(n, relay);
    const { token } = await me.n.send(n.nodeId, 'relayed');
    const err = await n.n.receive(token, { via: 'peer', authenticatedPeer: relay.nodeId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsVerificationFailed' });
    expect((err as Error).message).toMatch(/different keynode than the one connected/);
    expect(await n.n.read()).toEqual([]);
    // The same token from the mailbox (no channel to bind to) is accepted: the signature proves iss.
    expect((await n.n.receive(token, { via: 'mailbox' })).status).toBe('inbox');
  });

  it('a peer delivery must say which peer the channel authenticated', async () => {
    const [me, n] = [await keynode(), await keynode()];
    const { token } = await me.n.send(n.nodeId, 'x');
    expect(await codeOf(() => n.n.receive(token, { via: 'peer' }))).toBe('ErrorInvalidArgument');
  });
});

describe('receiver trust gate (scenario 28, B9)', () => {
  it('no record for the sender: refused, and the sender sees the refusal in its outbox', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await me.n.send(n.nodeId, 'hi');
    const result = await me.n.flushOutbox({ deliver: peerDelivery(me, [n]) });
    expect(result.failed).toHaveLength(1);
    const [item] = await me.n.outbox.read();
    expect(item).toMatchObject({ failed: true, attempts: 1, lastError: { code: 'ErrorNotificationsPermissionsNotFound' } });
    expect(await n.n.read()).toEqual([]);
    expect(await n.n.requests.read()).toEqual([]);
  });

  it('a record without notify: kept in the requests list, not the inbox, and the sender gets a success', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me, { notify: false });
    await me.n.send(n.nodeId, 'may I?');
    const result = await me.n.flushOutbox({ deliver: peerDelivery(me, [n]) });
    expect(result.delivered).toHaveLength(1);
    expect(await me.n.outbox.read()).toEqual([]);
    expect(await n.n.read()).toEqual([]);
    expect(await n.n.unreadCount()).toBe(0);
    const requests = await n.n.requests.read();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ from: me.nodeId, data: { message: 'may I?' } });
  });

  it('with notify: in the inbox, unread', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    await me.n.send(n.nodeId, 'welcome');
    await me.n.flushOutbox({ deliver: peerDelivery(me, [n]) });
    expect(await n.n.unreadCount()).toBe(1);
    const [item] = await n.n.read({ unread: true });
    expect(item).toMatchObject({ from: me.nodeId, data: { type: 'General', message: 'welcome' } });
  });

  it('an event fires for inbox arrivals and for requests, and stops after unsubscribing', async () => {
    const [me, n, stranger] = [await keynode(), await keynode(), await keynode()];
    await know(n, me);
    await know(n, stranger, { notify: false });
    const events: NotificationEvent[] = [];
    const off = n.n.onNotification((e) => events.push(e));
    await n.n.receive((await me.n.send(n.nodeId, 'a')).token, { via: 'mailbox' });
    await n.n.receive((await stranger.n.send(n.nodeId, 'b')).token, { via: 'mailbox' });
    off();
    await n.n.receive((await me.n.send(n.nodeId, 'c')).token, { via: 'mailbox' });
    expect(events.map((e) => [e.kind, e.item.from])).toEqual([
      ['inbox', me.nodeId],
      ['request', stranger.nodeId],
    ]);
  });

  it('a listener that throws does not turn an accepted notification into a refusal', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    n.n.onNotification(() => {
      throw new Error('UI bug');
    });
    const { token } = await me.n.send(n.nodeId, 'still here');
    expect((await n.n.receive(token, { via: 'mailbox' })).status).toBe('inbox');
  });
});

describe('replay', () => {
  it('the same token delivered again is a success that stores nothing new', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const { token } = await me.n.send(n.nodeId, 'once');
    const first = await n.n.receive(token, { via: 'peer', authenticatedPeer: me.nodeId });
    const again = await n.n.receive(token, { via: 'mailbox' });
    expect(first.status).toBe('inbox');
    expect(again).toEqual({ status: 'duplicate', id: (first as { id: string }).id });
    expect(await n.n.read()).toHaveLength(1);
    // Still a duplicate after the user removed the item: removing must not re-open the door.
    await n.n.remove((await n.n.read())[0]!.id);
    expect((await n.n.receive(token, { via: 'mailbox' })).status).toBe('duplicate');
    expect(await n.n.read()).toEqual([]);
  });

  it('past the replay memory, a forgotten old token is refused, never stored twice; newer ones still arrive', async () => {
    const [me, n] = [await keynode(), await keynode({ seenCap: 3 })];
    await know(n, me);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await me.n.send(n.nodeId, `m${i}`)).token);
    for (const t of tokens.slice(0, 4)) await n.n.receive(t, { via: 'mailbox' });
    // m0 has been forgotten: its replay cannot be told apart, so it is refused.
    expect(await codeOf(() => n.n.receive(tokens[0]!, { via: 'mailbox' }))).toBe('ErrorNotificationsReplay');
    expect((await n.n.receive(tokens[3]!, { via: 'mailbox' })).status).toBe('duplicate');
    expect((await n.n.receive(tokens[4]!, { via: 'mailbox' })).status).toBe('inbox');
    expect((await n.n.read({ order: 'asc' })).map((i) => i.data)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'].map((message) => ({ type: 'General', message })));
  });
});

describe('token age', () => {
  const day = 24 * 3600_000;

  it('a token older than 30 days is refused as expired, one just inside is taken', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const old = (await me.n.send(n.nodeId, 'old')).token;
    const edge = (await me.n.send(n.nodeId, 'edge')).token;
    n.clock.advance(MAX_TOKEN_AGE_MS);
    expect((await n.n.receive(edge, { via: 'mailbox' })).status).toBe('inbox');
    n.clock.advance(1);
    const err = await n.n.receive(old, { via: 'mailbox' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsExpired', message: expect.stringMatching(/more than 30 days ago/) });
    expect((await n.n.read()).map((i) => i.data)).toEqual([{ type: 'General', message: 'edge' }]);
    // A link says so in its own words.
    const link = await me.n.createOutgoing(n.nodeId, { type: 'General', message: 'link' });
    n.clock.advance(31 * day);
    expect(await n.n.openLink(link.token).catch((e: Error) => e.message)).toMatch(/share link .* has expired; ask the sender for a new one/);
  });

  it('a token dated more than 15 minutes ahead is refused, and the same copy is refused once its time has come', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    me.clock.advance(MAX_CLOCK_SKEW_MS);
    const justAhead = (await me.n.send(n.nodeId, 'just ahead')).token;
    expect((await n.n.receive(justAhead, { via: 'mailbox' })).status).toBe('inbox');
    me.clock.advance(60_000);
    const ahead = (await me.n.send(n.nodeId, 'ahead')).token;
    const err = await n.n.receive(ahead, { via: 'mailbox' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsClockSkew', message: expect.stringMatching(/16 minutes ahead .* clocks disagree/) });
    n.clock.advance(3600_000);
    expect(await codeOf(() => n.n.receive(ahead, { via: 'mailbox' }))).toBe('ErrorNotificationsReplay');
    expect((await n.n.read()).map((i) => i.data)).toEqual([{ type: 'General', message: 'just ahead' }]);
  });

  it('the sender signs a token that waited a week again (same jti, fresh iat), so it arrives however long the recipient was away', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const record = await me.n.send(n.nodeId, 'patience');
    const tokens: string[] = [];
    const offline = async (_to: NodeId, token: string): Promise<void> => {
      tokens.push(token);
      throw new KeynodeError('ErrorNodeConnectionFailed', 'offline');
    };
    await me.n.flushOutbox({ deliver: offline });
    me.clock.advance(40 * day);
    n.clock.advance(40 * day);
    await me.n.flushOutbox({ deliver: offline });
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(record.token);
    const [first, second] = tokens.map((t) => parseNotification(t).payload);
    expect(second!.jti).toBe(first!.jti);
    expect(second!.iat - first!.iat).toBe(40 * day);
    // The first copy has expired; the re-signed one is taken, and then the first is a duplicate.
    expect(await codeOf(() => n.n.receive(tokens[0]!, { via: 'mailbox' }))).toBe('ErrorNotificationsExpired');
    const taken = await n.n.receive(tokens[1]!, { via: 'mailbox' });
    expect(taken.status).toBe('inbox');
    expect((await n.n.receive(tokens[1]!, { via: 'mailbox' })).status).toBe('duplicate');
  });
});

describe('refused tokens are remembered', () => {
  it('a token refused while the sender was unknown is refused again after the sender is trusted; new ones arrive', async () => {
    const [me, n] = [await keynode(), await keynode()];
    const { token } = await me.n.send(n.nodeId, 'before trust');
    expect(await codeOf(() => n.n.receive(token, { via: 'mailbox' }))).toBe('ErrorNotificationsPermissionsNotFound');
    await know(n, me);
    const err = await n.n.receive(token, { via: 'mailbox' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsReplay', message: expect.stringMatching(/refused when it first arrived/) });
    expect(await codeOf(() => n.n.receive(token, { via: 'peer', authenticatedPeer: me.nodeId }))).toBe('ErrorNotificationsReplay');
    expect(await codeOf(() => n.n.openLink(token))).toBe('ErrorNotificationsReplay');
    expect(await n.n.read()).toEqual([]);
    expect((await n.n.receive((await me.n.send(n.nodeId, 'after trust')).token, { via: 'mailbox' })).status).toBe('inbox');
  });

  it("the memory is bounded: a forgotten refusal still cannot be replayed (the sender's floor rose past it)", async () => {
    const [me, n] = [await keynode(), await keynode({ seenCap: 3 })];
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await me.n.send(n.nodeId, `m${i}`)).token);
    for (const t of tokens) expect(await codeOf(() => n.n.receive(t, { via: 'mailbox' }))).toBe('ErrorNotificationsPermissionsNotFound');
    await know(n, me);
    for (const t of tokens) expect(await codeOf(() => n.n.receive(t, { via: 'mailbox' }))).toBe('ErrorNotificationsReplay');
    expect((await n.n.receive((await me.n.send(n.nodeId, 'new')).token, { via: 'mailbox' })).status).toBe('inbox');
    expect(await n.n.read()).toHaveLength(1);
  });

  it('a token left in the mailbox by another keynode than its signer is refused and not remembered', async () => {
    const [me, n, other] = [await keynode(), await keynode(), await keynode()];
    await know(n, me);
    const { token } = await me.n.send(n.nodeId, 'mine');
    const err = await n.n.receive(token, { via: 'mailbox', depositedBy: other.nodeId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsVerificationFailed', message: expect.stringMatching(/left in the mailbox by a different keynode/) });
    // A copy cannot spoil the real delivery.
    expect((await n.n.receive(token, { via: 'mailbox', depositedBy: me.nodeId })).status).toBe('inbox');
  });
});

describe('a pairing invite from a keynode not known yet (src/keynode/pairing.ts)', () => {
  const NONCE = 'AAAAAAAAAAAAAAAAAAAAAA';
  const invite = (pairing?: string) => (pairing === undefined ? { type: 'GestaltInvite' as const } : { type: 'GestaltInvite' as const, pairing });

  it('is let in (to the requests list) only while its nonce is the pending one; any other is refused as a stranger’s', async () => {
    const [phone, laptop] = [await keynode(), await keynode()];
    let pending: string | undefined = NONCE;
    phone.n.takePairingInvites((nonce) => nonce === pending);
    const send = async (pairing?: string) => (await laptop.n.createOutgoing(phone.nodeId, invite(pairing))).token;

    expect(await codeOf(async () => phone.n.receive(await send(), { via: 'mailbox' }))).toBe('ErrorNotificationsPermissionsNotFound');
    expect(await codeOf(async () => phone.n.receive(await send('BBBBBBBBBBBBBBBBBBBBBB'), { via: 'mailbox' }))).toBe('ErrorNotificationsPermissionsNotFound');
    const taken = await phone.n.receive(await send(NONCE), { via: 'peer', authenticatedPeer: laptop.nodeId });
    expect(taken.status).toBe('request');
    expect((await phone.n.requests.read()).map((r) => r.data)).toEqual([{ type: 'GestaltInvite', pairing: NONCE }]);
    pending = undefined; // used up
    expect(await codeOf(async () => phone.n.receive(await send(NONCE), { via: 'mailbox' }))).toBe('ErrorNotificationsPermissionsNotFound');
    expect(await phone.n.requests.read()).toHaveLength(1);
  });

  it('the pairing field is a 22-character base64url nonce and nothing else (the schema every arriving token passes too)', async () => {
    const [phone, laptop] = [await keynode(), await keynode()];
    for (const bad of ['', 'A'.repeat(21), 'A'.repeat(23), 'A'.repeat(100_000), 'AAAAAAAAAAAAAAAAAAAAA=', 'AAAAAAAAAAAAAAAAAAAA/+']) {
      expect(await codeOf(() => laptop.n.createOutgoing(phone.nodeId, invite(bad))), bad.slice(0, 30)).toBe('ErrorInvalidArgument');
    }
    expect(await codeOf(() => laptop.n.createOutgoing(phone.nodeId, { type: 'GestaltInvite', pairing: 7 } as never))).toBe('ErrorInvalidArgument');
  });
});
