// Persistence (docs/polykey.md §9.5 "notifications are persistent across restarts", "Generator maintains order
// between instances"): a new manager on the same storage sees the inbox, outbox, requests, replay
// memory and block list, and its ids keep increasing even when the clock went back.
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../../src/errors.js';
import { keynode, know, TestClock } from './harness.js';

describe('restart', () => {
  it('a fresh manager starts empty', async () => {
    const n = await keynode();
    expect(await n.n.read()).toEqual([]);
    expect(await n.n.unreadCount()).toBe(0);
    expect(await n.n.outbox.read()).toEqual([]);
    expect(await n.n.nextDue()).toBeUndefined();
    expect(await n.n.requests.read()).toEqual([]);
    expect(await n.n.requests.blocked()).toEqual([]);
  });

  it('inbox, read marks, outbox with its retry time, requests, replay memory and ids survive', async () => {
    const sender = await keynode();
    const stranger = await keynode();
    const n = await keynode();
    await know(n, sender);
    await know(n, stranger, { notify: false });
    const t1 = (await sender.n.send(n.nodeId, 'one')).token;
    const t2 = (await sender.n.send(n.nodeId, 'two')).token;
    await n.n.receive(t1, { via: 'mailbox' });
    await n.n.receive(t2, { via: 'mailbox' });
    await n.n.read({ limit: 1 }); // 'two' read
    await n.n.receive((await stranger.n.send(n.nodeId, 'hi?')).token, { via: 'mailbox' });
    const queued = await n.n.send(sender.nodeId, 'pending');
    await n.n.flushOutbox({
      deliver: async () => {
        throw new KeynodeError('ErrorNodeConnectionFailed', 'offline');
      },
    });
    const before = await n.n.read({ order: 'asc' });

    // Restart with the clock ten minutes behind (within the skew a token may have): ids must still increase.
    const again = await keynode({ name: n.name, clock: new TestClock(n.clock.now - 600_000) });
    expect(again.nodeId).toBe(n.nodeId);
    expect((await again.n.read({ order: 'asc' })).map((i) => [i.id, i.data])).toEqual(before.map((i) => [i.id, i.data]));
    const outbox = await again.n.outbox.read();
    expect(outbox).toMatchObject([{ id: queued.id, attempts: 1, nextAttemptAt: n.clock.now + 30_000 }]);
    expect(await again.n.nextDue()).toBe(n.clock.now + 30_000);
    expect((await again.n.requests.read()).map((r) => r.from)).toEqual([stranger.nodeId]);
    expect((await again.n.receive(t1, { via: 'mailbox' })).status).toBe('duplicate');

    const next = await again.n.send(sender.nodeId, 'after restart');
    expect(next.id > queued.id).toBe(true);
    await again.n.receive((await sender.n.send(n.nodeId, 'three')).token, { via: 'mailbox' });
    const ids = (await again.n.read({ order: 'asc' })).map((i) => i.id);
    expect(ids).toHaveLength(3);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[2]! > next.id).toBe(true);
  });

  it('the block list survives a restart', async () => {
    const [sender, n] = [await keynode(), await keynode()];
    await know(n, sender, { notify: false });
    await n.n.receive((await sender.n.send(n.nodeId, 'x')).token, { via: 'mailbox' });
    await n.n.requests.block((await n.n.requests.read())[0]!.id);
    const again = await keynode({ name: n.name });
    expect(await again.n.requests.blocked()).toEqual([sender.nodeId]);
    expect((await again.n.receive((await sender.n.send(n.nodeId, 'y')).token, { via: 'mailbox' })).status).toBe('blocked');
  });
});
