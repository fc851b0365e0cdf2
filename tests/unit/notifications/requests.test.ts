// The requests list (Polykey-CLI#105): notifications from keynodes we know but have not allowed to
// notify us wait here; the user accepts (the sender may notify from now on) or blocks them.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../../src/ids/index.js';
import { codeOf, keynode, know, type TestNode } from './harness.js';

/** Grants notify the way the composition root would, through the real ACL. */
const grantNotify =
  (node: TestNode) =>
  async (sender: NodeId): Promise<void> => {
    await node.kv.write((tx) => node.acl.setNodeAction(tx, sender, 'notify'));
  };

async function withRequests(count: number) {
  const [sender, n] = [await keynode(), await keynode()];
  await know(n, sender, { notify: false });
  for (let i = 1; i <= count; i++) {
    await n.n.receive((await sender.n.send(n.nodeId, `r${i}`)).token, { via: 'mailbox' });
  }
  return { sender, n };
}

describe('requests', () => {
  it("accept moves the request (and the sender's other waiting ones) to the inbox and grants notify", async () => {
    const { sender, n } = await withRequests(2);
    const [newest] = await n.n.requests.read();
    const arrivals: string[] = [];
    n.n.onNotification((e) => arrivals.push(`${e.kind}:${(e.item.data as { message: string }).message}`));
    const accepted = await n.n.requests.accept(newest!.id, grantNotify(n));
    expect(arrivals).toEqual(['inbox:r1', 'inbox:r2']);
    expect(accepted).toMatchObject({ id: newest!.id, from: sender.nodeId, data: { message: 'r2' } });
    expect(await n.n.requests.read()).toEqual([]);
    expect((await n.n.read({ unread: true, order: 'asc' })).map((i) => i.data)).toEqual([
      { type: 'General', message: 'r1' },
      { type: 'General', message: 'r2' },
    ]);
    // From now on the sender's notifications go straight to the inbox.
    expect((await n.n.receive((await sender.n.send(n.nodeId, 'r3')).token, { via: 'mailbox' })).status).toBe('inbox');
  });

  it('if granting notify fails, the request stays where it was', async () => {
    const { n } = await withRequests(1);
    const [req] = await n.n.requests.read();
    const err = await n.n.requests
      .accept(req!.id, async () => {
        throw new Error('storage full');
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('storage full');
    expect(await n.n.requests.read()).toHaveLength(1);
    expect(await n.n.read()).toEqual([]);
  });

  it("block removes the sender's requests and drops its later tokens silently; unblock lets them in again", async () => {
    const { sender, n } = await withRequests(2);
    const [req] = await n.n.requests.read();
    await n.n.requests.block(req!.id);
    expect(await n.n.requests.read()).toEqual([]);
    expect(await n.n.requests.blocked()).toEqual([sender.nodeId]);
    // The sender cannot tell: its delivery succeeds, and nothing is stored.
    const later = (await sender.n.send(n.nodeId, 'r3')).token;
    expect(await n.n.receive(later, { via: 'peer', authenticatedPeer: sender.nodeId })).toEqual({ status: 'blocked' });
    expect(await n.n.requests.read()).toEqual([]);
    expect(await n.n.read()).toEqual([]);
    await n.n.requests.unblock(sender.nodeId);
    expect(await n.n.requests.blocked()).toEqual([]);
    // The dropped token was not remembered as accepted, so it can still arrive.
    expect((await n.n.receive(later, { via: 'mailbox' })).status).toBe('request');
  });

  it('a share link from a blocked sender still opens: the user chose to open it; it waits as a request', async () => {
    const { sender, n } = await withRequests(1);
    await n.n.requests.block((await n.n.requests.read())[0]!.id);
    const { token } = await sender.n.send(n.nodeId, 'link');
    const opened = await n.n.openLink(token);
    expect(opened).toMatchObject({ from: sender.nodeId, status: 'request' });
    expect((await n.n.requests.read()).map((r) => r.id)).toEqual([opened.id]);
    expect(await n.n.read()).toEqual([]);
  });

  it('unknown ids are refused with a clear error', async () => {
    const { n } = await withRequests(1);
    const [req] = await n.n.requests.read();
    await n.n.requests.block(req!.id);
    expect(await codeOf(() => n.n.requests.block(req!.id))).toBe('ErrorNotificationsUndefined');
    expect(await codeOf(() => n.n.requests.accept(req!.id, grantNotify(n)))).toBe('ErrorNotificationsUndefined');
    expect(await codeOf(() => n.n.requests.unblock('nope'))).toBe('ErrorNodeIdInvalid');
  });

  it('the requests list is capped, oldest dropped', async () => {
    const [sender, n] = [await keynode(), await keynode({ requestsCap: 2 })];
    await know(n, sender, { notify: false });
    for (const m of ['a', 'b', 'c']) await n.n.receive((await sender.n.send(n.nodeId, m)).token, { via: 'mailbox' });
    expect((await n.n.requests.read({ order: 'asc' })).map((r) => r.data)).toEqual([
      { type: 'General', message: 'b' },
      { type: 'General', message: 'c' },
    ]);
  });
});
