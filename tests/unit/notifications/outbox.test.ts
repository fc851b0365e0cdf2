// The outbox (docs/polykey.md §10 scenario 32, 33; §9.5 "reattempt send notifications", "clears outbox
// notifications"): retries with capped back-off from stored times on an injected clock and never
// gives up by itself, each item's state is visible, refusals are never retried, delivered items leave.
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../../src/errors.js';
import type { NodeId } from '../../../src/ids/index.js';
import { codeOf, keynode, know, peerDelivery } from './harness.js';

const offline =
  (calls: string[] = []) =>
  async (to: NodeId): Promise<void> => {
    calls.push(to);
    throw new KeynodeError('ErrorNodeConnectionFailed', 'The keynode is offline.');
  };

describe('outbox retry (scenario 32)', () => {
  it('unreachable: never given up; attempts grow, the wait doubles from 30 s up to 6 h, and the state says so', async () => {
    const [me, n] = [await keynode(), await keynode()];
    const record = await me.n.send(n.nodeId, 'are you there?');
    const t0 = me.clock.now;
    expect(await me.n.nextDue()).toBe(t0);
    expect(await me.n.outbox.read()).toMatchObject([{ id: record.id, state: 'pending', attempts: 0 }]);
    const calls: string[] = [];
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 14; attempt++) {
      const before = me.clock.now;
      expect((await me.n.flushOutbox({ deliver: offline(calls) })).retrying).toEqual([record.id]);
      const [item] = await me.n.outbox.read();
      expect(item).toMatchObject({ state: 'not-delivered-yet', attempts: attempt, lastError: { code: 'ErrorNodeConnectionFailed' } });
      expect(item!.failed).toBeUndefined();
      waits.push(item!.nextAttemptAt! - before);
      // Not due yet: a flush a moment before the stored time tries nothing.
      me.clock.now = item!.nextAttemptAt! - 1;
      await me.n.flushOutbox({ deliver: offline(calls) });
      expect(calls).toHaveLength(attempt);
      me.clock.now = item!.nextAttemptAt!;
      expect(await me.n.nextDue()).toBe(me.clock.now);
    }
    const sixHours = 6 * 3600;
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, sixHours, sixHours, sixHours, sixHours].map((s) => s * 1000));
    // When the peer comes online it is tried at once, whatever is due.
    await me.n.flushOutbox({ deliver: offline(calls), only: n.nodeId });
    expect(calls).toHaveLength(15);
  });

  it('a record an older build gave up on after its last attempt is tried again', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const record = await me.n.send(n.nodeId, 'lost?');
    const givenUp = { ...record, attempts: 10, failed: true, lastError: { code: 'ErrorNodeConnectionFailed', message: 'offline' } };
    await me.kv.write((tx) => tx.put('outbox', record.id, givenUp));
    expect(await me.n.outbox.read()).toMatchObject([{ state: 'not-delivered-yet', attempts: 10 }]);
    expect((await me.n.outbox.read())[0]!.failed).toBeUndefined();
    expect((await me.n.flushOutbox({ deliver: peerDelivery(me, [n]) })).delivered).toEqual([record.id]);
  });

  it('the wait is capped at the policy maximum', async () => {
    const [me, n] = [await keynode({ retry: { firstDelayMs: 1000, maxDelayMs: 4000 } }), await keynode()];
    await me.n.send(n.nodeId, 'x');
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = me.clock.now;
      await me.n.flushOutbox({ deliver: offline() });
      const [item] = await me.n.outbox.read();
      waits.push(item!.nextAttemptAt! - before);
      me.clock.now = item!.nextAttemptAt!;
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000, 4000]);
  });

  it('once the peer is reachable the notification is delivered and removed', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    const record = await me.n.send(n.nodeId, 'eventually');
    await me.n.flushOutbox({ deliver: offline() });
    // The peer comes online before the next attempt is due: its items are tried at once.
    const result = await me.n.flushOutbox({ deliver: peerDelivery(me, [n]), only: n.nodeId });
    expect(result.delivered).toEqual([record.id]);
    expect(await me.n.outbox.read()).toEqual([]);
    expect(await me.n.nextDue()).toBeUndefined();
    expect((await n.n.read()).map((i) => i.peerNotificationId)).toEqual([record.id]);
  });

  it('`only` tries just that peer; other peers wait for their stored time', async () => {
    const [me, a, b] = [await keynode(), await keynode(), await keynode()];
    await me.n.send(a.nodeId, 'to a');
    await me.n.send(b.nodeId, 'to b');
    await me.n.flushOutbox({ deliver: offline() });
    const calls: string[] = [];
    await me.n.flushOutbox({ deliver: offline(calls), only: a.nodeId });
    expect(calls).toEqual([a.nodeId]);
  });

  it('a refusal by the recipient fails at once and is never retried', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await me.n.send(n.nodeId, 'who are you?'); // n has no record for me
    const deliver = peerDelivery(me, [n]);
    expect((await me.n.flushOutbox({ deliver })).failed).toHaveLength(1);
    await know(n, me); // even if n trusts me later, a refused item is not sent again by itself
    me.clock.advance(7 * 24 * 3600_000);
    expect(await me.n.flushOutbox({ deliver })).toEqual({ delivered: [], retrying: [], failed: [] });
    expect(await n.n.read()).toEqual([]);
    const [item] = await me.n.outbox.read();
    expect(item).toMatchObject({ state: 'refused', failed: true, attempts: 1, lastError: { code: 'ErrorNotificationsPermissionsNotFound' } });
    expect(item!.lastError!.message).toMatch(/does not know this keynode/);
    expect(await me.n.nextDue()).toBeUndefined();
  });

  it('an error that is not a KeynodeError counts as a connection failure: retried, not lost', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await me.n.send(n.nodeId, 'x');
    const result = await me.n.flushOutbox({
      deliver: async () => {
        throw new TypeError('socket went away');
      },
    });
    expect(result.retrying).toHaveLength(1);
    expect((await me.n.outbox.read())[0]).toMatchObject({ attempts: 1, lastError: { code: 'ErrorNodeConnectionFailed' } });
  });

  it('two flushes at once deliver each token once', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    await me.n.send(n.nodeId, 'one');
    await me.n.send(n.nodeId, 'two');
    const delivered: string[] = [];
    const deliver = async (to: NodeId, token: string): Promise<void> => {
      delivered.push(token);
      await peerDelivery(me, [n])(to, token);
    };
    await Promise.all([me.n.flushOutbox({ deliver }), me.n.flushOutbox({ deliver, only: n.nodeId })]);
    expect(delivered).toHaveLength(2);
    expect(await n.n.read()).toHaveLength(2);
  });

  it('an item removed while it was being delivered is not put back', async () => {
    const [me, n] = [await keynode(), await keynode()];
    const record = await me.n.send(n.nodeId, 'x');
    await me.n.flushOutbox({
      deliver: async () => {
        await me.n.outbox.remove(record.id);
        throw new KeynodeError('ErrorNodeConnectionFailed', 'offline');
      },
    });
    expect(await me.n.outbox.read()).toEqual([]);
  });
});

describe('outbox contents (scenario 33)', () => {
  it('lists queued items without their tokens, removes one, and clear cancels pending sends', async () => {
    const [me, n] = [await keynode(), await keynode()];
    const r1 = await me.n.send(n.nodeId, 'one');
    const r2 = await me.n.send(n.nodeId, 'two');
    const items = await me.n.outbox.read();
    expect(items.map((i) => i.id)).toEqual([r1.id, r2.id]);
    expect(items[0]).toEqual({
      id: r1.id,
      to: n.nodeId,
      data: { type: 'General', message: 'one' },
      state: 'pending',
      attempts: 0,
      nextAttemptAt: me.clock.now,
    });
    expect((await me.n.outbox.get(r1.id))?.token).toBe(r1.token);
    await me.n.outbox.remove(r1.id);
    expect(await codeOf(() => me.n.outbox.remove(r1.id))).toBe('ErrorNotificationsUndefined');
    expect((await me.n.outbox.read()).map((i) => i.id)).toEqual([r2.id]);
    await me.n.outbox.clear();
    const calls: string[] = [];
    await me.n.flushOutbox({ deliver: offline(calls) });
    expect(calls).toEqual([]);
    expect(await me.n.outbox.read()).toEqual([]);
  });

  it("a share queues its notification in the caller's transaction: all or nothing with the ACL", async () => {
    const [me, n] = [await keynode(), await keynode()];
    const record = await me.n.createOutgoing(n.nodeId, { type: 'GestaltInvite' });
    // The transaction fails after both writes: neither the ACL change nor the outbox item survive.
    const err = await me.kv
      .write(async (tx) => {
        await me.graph.setNode(tx, n.nodeId);
        await me.acl.setNodeAction(tx, n.nodeId, 'claim');
        await me.n.putOutbox(tx, record);
        throw new KeynodeError('ErrorInternal', 'simulated failure');
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorInternal' });
    expect(await me.n.outbox.read()).toEqual([]);
    expect(await me.kv.read((tx) => me.acl.getNodePerm(tx, n.nodeId))).toBeUndefined();
    await me.kv.write(async (tx) => {
      await me.graph.setNode(tx, n.nodeId);
      await me.acl.setNodeAction(tx, n.nodeId, 'claim');
      await me.n.putOutbox(tx, record);
    });
    expect((await me.n.outbox.read()).map((i) => i.data)).toEqual([{ type: 'GestaltInvite' }]);
  });

  it('a clock with fractions of a millisecond still signs a token the recipient accepts', async () => {
    const [me, n] = [await keynode(), await keynode()];
    await know(n, me);
    me.clock.now += 0.75;
    const { token } = await me.n.send(n.nodeId, 'x');
    expect((await n.n.receive(token, { via: 'mailbox' })).status).toBe('inbox');
  });

  it('refuses to send what the recipient could not accept', async () => {
    const [me, n] = [await keynode(), await keynode()];
    expect(await codeOf(() => me.n.send('not-a-node', 'x'))).toBe('ErrorNodeIdInvalid');
    expect(await codeOf(() => me.n.send(n.nodeId, 'x'.repeat(10_001)))).toBe('ErrorInvalidArgument');
    const bad = { type: 'VaultShare', vaultId: 'nope', vaultName: 'v', actions: ['clone'] } as never;
    const err = await me.n.createOutgoing(n.nodeId, bad).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorInvalidArgument' });
    expect((err as Error).message).toMatch(/vaultId/);
    expect(await me.n.outbox.read()).toEqual([]);
  });
});
