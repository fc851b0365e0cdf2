// The inbox (docs/polykey.md §10 scenarios 29–31, 33; §9.5 titles): reading marks read, unread filter, order and
// limit, the cap drops the oldest, remove and clear.
import { describe, expect, it } from 'vitest';
import { codeOf, keynode, know, type TestNode } from './harness.js';

/** n receives messages m1..mk from a sender it trusts, one clock tick apart. */
async function inboxWith(k: number, opts: { inboxCap?: number } = {}): Promise<{ n: TestNode; sender: TestNode }> {
  const sender = await keynode();
  const n = await keynode(opts);
  await know(n, sender);
  for (let i = 1; i <= k; i++) {
    sender.clock.advance(1000);
    n.clock.advance(1000);
    await n.n.receive((await sender.n.send(n.nodeId, `m${i}`)).token, { via: 'mailbox' });
  }
  return { n, sender };
}

const messages = (items: Array<{ data: unknown }>): string[] => items.map((i) => (i.data as { message: string }).message);

describe('inbox', () => {
  it('marks notifications as read: both returned, then an unread-only read returns nothing (scenario 29)', async () => {
    const { n } = await inboxWith(2);
    expect(await n.n.unreadCount()).toBe(2);
    const items = await n.n.read();
    expect(items).toHaveLength(2);
    expect(items.every((i) => i.isRead)).toBe(true);
    expect(await n.n.read({ unread: true })).toEqual([]);
    expect(await n.n.unreadCount()).toBe(0);
  });

  it('can read only unread notifications, and that read marks just those', async () => {
    const { n, sender } = await inboxWith(2);
    await n.n.read();
    await n.n.receive((await sender.n.send(n.nodeId, 'm3')).token, { via: 'mailbox' });
    expect(messages(await n.n.read({ unread: true }))).toEqual(['m3']);
    expect(await n.n.unreadCount()).toBe(0);
  });

  it('reads newest first by default; asc gives oldest first; limit cuts (scenario 30)', async () => {
    const { n } = await inboxWith(5);
    expect(messages(await n.n.read({ limit: 2 }))).toEqual(['m5', 'm4']);
    expect(messages(await n.n.read({ order: 'desc', limit: 2 }))).toEqual(['m5', 'm4']);
    expect(messages(await n.n.read({ order: 'asc' }))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(messages(await n.n.read())).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
  });

  it('can read a single notification, and only that one becomes read', async () => {
    const { n } = await inboxWith(3);
    expect(messages(await n.n.read({ limit: 1, order: 'asc' }))).toEqual(['m1']);
    expect(messages(await n.n.read({ unread: true, order: 'asc' }))).toEqual(['m2', 'm3']);
  });

  it('the unread filter and a limit combine: the newest unread ones', async () => {
    const { n } = await inboxWith(4);
    await n.n.read({ limit: 1 }); // m4 read
    expect(messages(await n.n.read({ unread: true, limit: 2 }))).toEqual(['m3', 'm2']);
    expect(messages(await n.n.read({ unread: true }))).toEqual(['m1']);
  });

  it('items keep the sender id, the issue time and arrival order', async () => {
    const { n, sender } = await inboxWith(2);
    const items = await n.n.read({ order: 'asc' });
    expect(items.every((i) => i.from === sender.nodeId)).toBe(true);
    expect(items[0]!.peerNotificationId < items[1]!.peerNotificationId).toBe(true);
    expect(items[0]!.iat).toBeLessThan(items[1]!.iat);
    expect(items[0]!.id < items[1]!.id).toBe(true);
  });

  it('caps the inbox and drops the oldest (scenario 31: cap 2, three received)', async () => {
    const { n } = await inboxWith(3, { inboxCap: 2 });
    // The dropped item no longer counts as unread either.
    expect(await n.n.unreadCount()).toBe(2);
    expect(messages(await n.n.read({ unread: true, order: 'asc' }))).toEqual(['m2', 'm3']);
    expect(messages(await n.n.read({ order: 'asc' }))).toEqual(['m2', 'm3']);
  });

  it('removing or clearing unread items takes them off the unread count', async () => {
    const [sender, n] = [await keynode(), await keynode()];
    await know(n, sender);
    const ids: string[] = [];
    for (const m of ['a', 'b', 'c']) {
      const result = await n.n.receive((await sender.n.send(n.nodeId, m)).token, { via: 'mailbox' });
      ids.push((result as { id: string }).id);
    }
    await n.n.remove(ids[1]!);
    expect(await n.n.unreadCount()).toBe(2);
    expect(messages(await n.n.read({ unread: true, order: 'asc' }))).toEqual(['a', 'c']);
    await n.n.receive((await sender.n.send(n.nodeId, 'd')).token, { via: 'mailbox' });
    expect(await n.n.unreadCount()).toBe(1);
    await n.n.clear();
    expect(await n.n.unreadCount()).toBe(0);
    expect(await n.n.read({ unread: true })).toEqual([]);
  });

  it('removes one item by id; clear empties the inbox (scenario 33)', async () => {
    const { n } = await inboxWith(3);
    const [, middle] = await n.n.read();
    await n.n.remove(middle!.id);
    expect(messages(await n.n.read())).toEqual(['m3', 'm1']);
    expect(await codeOf(() => n.n.remove(middle!.id))).toBe('ErrorNotificationsUndefined');
    expect(await codeOf(() => n.n.remove('not-an-id'))).toBe('ErrorNotificationIdInvalid');
    await n.n.clear();
    expect(await n.n.read()).toEqual([]);
    expect(await n.n.unreadCount()).toBe(0);
  });

  it('rejects a negative or fractional limit with a clear error', async () => {
    const { n } = await inboxWith(1);
    expect(await codeOf(() => n.n.read({ limit: -1 }))).toBe('ErrorInvalidArgument');
    expect(await codeOf(() => n.n.read({ limit: 1.5 }))).toBe('ErrorInvalidArgument');
  });
});
