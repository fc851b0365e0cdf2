// Notifications between keynodes with no network, handed over by hand as share links
// (vaults.shareLink on the sender, notifications.openLink on the receiver): verification, the
// destination check, tampering, damaged links, replays, and the inbox (order, limit, unread filter,
// read marking, unreadCount, remove, clear) and the outbox (remove, clear).
//
// Not covered here: a link addressed to B opening on another keynode of B's own gestalt. Two
// keynodes can only be linked into one gestalt by the claim protocol, which runs over the network;
// that case belongs with the networked tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { base64urlDecode, base64urlEncode } from '../../../src/keys/crypto.js';
import { Keynodes, codeOf } from './helpers.js';
import { utf8 } from '../../../src/utils/bytes.js';

const keynodes = new Keynodes();
let a: Keynode;
let b: Keynode;
let c: Keynode;
let vId: string;
beforeEach(async () => {
  [a, b, c] = await Promise.all([keynodes.memory('sender'), keynodes.memory('addressee'), keynodes.memory('bystander')]);
  vId = await a.vaults.create('v');
  // The addressee trusts the sender, so its links land in the inbox (a stranger's wait as requests).
  await b.gestalts.trust(a.nodeId);
});
afterEach(() => keynodes.stopAll());

/** The token JSON inside a link's `#share=` fragment, and a link rebuilt around a changed token. */
function tokenOf(link: string): { payload: Record<string, unknown>; signatures: unknown[] } {
  const encoded = new URLSearchParams(link.slice(link.indexOf('#') + 1)).get('share')!;
  return JSON.parse(utf8.decode(base64urlDecode(encoded))) as { payload: Record<string, unknown>; signatures: unknown[] };
}
function relink(link: string, token: unknown): string {
  return `${link.slice(0, link.indexOf('#'))}#share=${base64urlEncode(utf8.encode(JSON.stringify(token)))}`;
}

async function nothingStored(k: Keynode): Promise<void> {
  expect(await k.notifications.unreadCount()).toBe(0);
  expect(await k.notifications.read()).toEqual([]);
  expect(await k.notifications.requests.read()).toEqual([]);
}

describe('share links', () => {
  it('opened by the addressee: an unread inbox item with the VaultShare data; read() marks it read', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId, { baseUrl: 'https://app.example/open' });
    expect(link.startsWith('https://app.example/open#share=')).toBe(true);
    const opened = await b.notifications.openLink(link);
    const data = { type: 'VaultShare', vaultId: vId, vaultName: 'v', actions: ['clone', 'pull'] };
    expect(opened.from).toBe(a.nodeId);
    expect(opened.data).toEqual(data);
    expect(await b.notifications.unreadCount()).toBe(1);
    const [item, ...rest] = await b.notifications.read();
    expect(rest).toEqual([]);
    expect(item).toMatchObject({ id: opened.id, from: a.nodeId, data });
    expect(typeof item!.iat).toBe('number');
    expect(await b.notifications.unreadCount()).toBe(0);
    expect(await b.notifications.read({ unread: true })).toEqual([]);
    expect((await b.notifications.read())[0]!.isRead).toBe(true);
  });

  it('a link grants nothing by itself; from a keynode the receiver does not know it waits as a request', async () => {
    await c.vaults.create('w');
    const link = await c.vaults.shareLink('w', b.nodeId);
    // shareLink neither shares nor queues anything.
    expect(await c.vaults.permissions('w')).toEqual([]);
    expect(await c.notifications.outbox.read()).toEqual([]);
    await b.notifications.openLink(link);
    // Opening trusts nobody: the receiver still has no record of the sender, and its inbox is untouched.
    expect(await codeOf(b.gestalts.get(c.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await b.notifications.unreadCount()).toBe(0);
    const [request] = await b.notifications.requests.read();
    expect(request).toMatchObject({ from: c.nodeId, data: { type: 'VaultShare', vaultName: 'w' } });
    // Accepting the request trusts the sender and moves it to the inbox.
    await b.notifications.requests.accept(request!.id);
    expect((await b.gestalts.permissions(c.nodeId)).gestalt).toContain('notify');
    expect(await b.notifications.unreadCount()).toBe(1);
  });

  it('the fragment alone and the bare token open too', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    const fragment = link.slice(link.indexOf('#'));
    const opened = await b.notifications.openLink(fragment);
    expect(opened.from).toBe(a.nodeId);
    const second = await a.vaults.shareLink('v', b.nodeId);
    const bare = JSON.stringify(tokenOf(second));
    await b.notifications.openLink(bare);
    expect(await b.notifications.unreadCount()).toBe(2);
  });

  it('opened by a third keynode: ErrorNotificationsInvalidDestination and nothing stored', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    expect(await codeOf(c.notifications.openLink(link))).toBe('ErrorNotificationsInvalidDestination');
    await nothingStored(c);
    // Nor by the sender itself.
    expect(await codeOf(a.notifications.openLink(link))).toBe('ErrorNotificationsInvalidDestination');
    await nothingStored(a);
    // The addressee can still open it afterwards.
    await b.notifications.openLink(link);
    expect(await b.notifications.unreadCount()).toBe(1);
  });

  it('a tampered payload fails verification and stores nothing', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    const renamed = tokenOf(link);
    (renamed.payload['data'] as Record<string, unknown>)['vaultName'] = 'other';
    expect(await codeOf(b.notifications.openLink(relink(link, renamed)))).toBe('ErrorNotificationsVerificationFailed');
    // Readdressed to the bystander: the signature no longer covers it.
    const readdressed = tokenOf(link);
    readdressed.payload['sub'] = c.nodeId;
    expect(await codeOf(c.notifications.openLink(relink(link, readdressed)))).toBe('ErrorNotificationsVerificationFailed');
    // Claiming to come from someone else.
    const forged = tokenOf(link);
    forged.payload['iss'] = c.nodeId;
    expect(await codeOf(b.notifications.openLink(relink(link, forged)))).toBe('ErrorNotificationsVerificationFailed');
    // No signature at all.
    const unsigned = tokenOf(link);
    unsigned.signatures = [];
    expect(await codeOf(b.notifications.openLink(relink(link, unsigned)))).toBe('ErrorNotificationsVerificationFailed');
    await nothingStored(b);
    await nothingStored(c);
  });

  it('changing any one character of the fragment is refused (verification, or parse when it no longer decodes)', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    const start = link.indexOf('#share=') + '#share='.length;
    const positions = [start, start + 10, Math.floor((start + link.length) / 2), link.length - 20, link.length - 2];
    for (const i of positions) {
      const ch = link[i]!;
      const replacement = ch === 'A' ? 'B' : 'A';
      const tampered = link.slice(0, i) + replacement + link.slice(i + 1);
      expect(['ErrorNotificationsVerificationFailed', 'ErrorNotificationsParse']).toContain(await codeOf(b.notifications.openLink(tampered)));
    }
    // A cut-off link does not open either.
    expect(['ErrorNotificationsVerificationFailed', 'ErrorNotificationsParse']).toContain(await codeOf(b.notifications.openLink(link.slice(0, -8))));
    await nothingStored(b);
  });

  it('a malformed link is ErrorNotificationsParse', async () => {
    for (const bad of [
      '',
      'hello',
      'https://app.example/',
      'https://app.example/#share=',
      'https://app.example/#share=!!!!',
      '#other=abc',
      '{not json',
      '{"payload":{},"signatures":[]}',
    ]) {
      expect(await codeOf(b.notifications.openLink(bad)), JSON.stringify(bad)).toBe('ErrorNotificationsParse');
    }
    await nothingStored(b);
  });

  it('the same link opened twice stores one item and returns its id both times', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    const first = await b.notifications.openLink(link);
    const second = await b.notifications.openLink(link);
    expect(second.id).toBe(first.id);
    expect(await b.notifications.read()).toHaveLength(1);
    // Even after it was removed, the old link is not taken again (replay).
    await b.notifications.remove(first.id);
    await b.notifications.openLink(link);
    expect(await b.notifications.read()).toEqual([]);
  });

  it('links for vaults the sender later renamed or deleted still open (the data is what was signed)', async () => {
    const link = await a.vaults.shareLink('v', b.nodeId);
    await a.vaults.delete('v');
    expect((await b.notifications.openLink(link)).data).toMatchObject({ vaultId: vId, vaultName: 'v' });
  });
});

describe('inbox', () => {
  /** Five VaultShare items in B's inbox, opened in order v1..v5. */
  async function fill(): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await a.vaults.create(`v${i}`);
      ids.push((await b.notifications.openLink(await a.vaults.shareLink(`v${i}`, b.nodeId))).id);
    }
    return ids;
  }
  const names = (items: Array<{ data: unknown }>): string[] => items.map((i) => (i.data as { vaultName: string }).vaultName);

  it('reads newest first by default, oldest first with order asc, and honours limit', async () => {
    await fill();
    expect(names(await b.notifications.read())).toEqual(['v5', 'v4', 'v3', 'v2', 'v1']);
    expect(names(await b.notifications.read({ order: 'asc' }))).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(names(await b.notifications.read({ order: 'desc', limit: 2 }))).toEqual(['v5', 'v4']);
    expect(names(await b.notifications.read({ order: 'asc', limit: 2 }))).toEqual(['v1', 'v2']);
    expect(await b.notifications.read({ limit: 0 })).toEqual([]);
    expect(await codeOf(b.notifications.read({ limit: -1 }))).toBe('ErrorInvalidArgument');
  });

  it('can read only unread notifications; reading marks exactly what was returned', async () => {
    await fill();
    expect(await b.notifications.unreadCount()).toBe(5);
    const two = await b.notifications.read({ limit: 2 });
    expect(two.every((i) => i.isRead)).toBe(true);
    expect(await b.notifications.unreadCount()).toBe(3);
    const unread = await b.notifications.read({ unread: true, order: 'asc' });
    expect(names(unread)).toEqual(['v1', 'v2', 'v3']);
    expect(await b.notifications.unreadCount()).toBe(0);
    expect(await b.notifications.read({ unread: true })).toEqual([]);
    expect(await b.notifications.read()).toHaveLength(5);
  });

  it('removes a notification: only it disappears; clear empties the inbox', async () => {
    const ids = await fill();
    await b.notifications.remove(ids[2]!);
    expect(names(await b.notifications.read({ order: 'asc' }))).toEqual(['v1', 'v2', 'v4', 'v5']);
    expect(await codeOf(b.notifications.remove('not an id'))).toBe('ErrorNotificationIdInvalid');
    await b.notifications.clear();
    expect(await b.notifications.read()).toEqual([]);
    expect(await b.notifications.unreadCount()).toBe(0);
    // The inbox works again after a clear.
    await a.vaults.create('later');
    await b.notifications.openLink(await a.vaults.shareLink('later', b.nodeId));
    expect(names(await b.notifications.read())).toEqual(['later']);
  });

  it('removing an unread item updates the unread count', async () => {
    const ids = await fill();
    await b.notifications.remove(ids[0]!);
    expect(await b.notifications.unreadCount()).toBe(4);
  });

  it('items from several senders keep their senders', async () => {
    const ca = await c.vaults.create('from-c');
    await b.gestalts.trust(c.nodeId);
    await b.notifications.openLink(await a.vaults.shareLink('v', b.nodeId));
    await b.notifications.openLink(await c.vaults.shareLink(ca, b.nodeId));
    const items = await b.notifications.read({ order: 'asc' });
    expect(items.map((i) => i.from)).toEqual([a.nodeId, c.nodeId]);
  });
});

describe('outbox', () => {
  it('send queues a General message; outbox remove takes out only that one, clear cancels the rest', async () => {
    await a.notifications.send(b.nodeId, 'one');
    await a.notifications.send(b.nodeId, 'two');
    await a.notifications.send(c.nodeId, 'three');
    const outbox = await a.notifications.outbox.read();
    expect(outbox.map((o) => [o.to, o.data])).toEqual(
      expect.arrayContaining([
        [b.nodeId, { type: 'General', message: 'one' }],
        [b.nodeId, { type: 'General', message: 'two' }],
        [c.nodeId, { type: 'General', message: 'three' }],
      ]),
    );
    expect(outbox).toHaveLength(3);
    const two = outbox.find((o) => (o.data as { message?: string }).message === 'two')!;
    await a.notifications.outbox.remove(two.id);
    expect((await a.notifications.outbox.read()).map((o) => (o.data as { message: string }).message).sort()).toEqual(['one', 'three']);
    expect(await codeOf(a.notifications.outbox.remove('not an id'))).toBe('ErrorNotificationIdInvalid');
    await a.notifications.outbox.clear();
    expect(await a.notifications.outbox.read()).toEqual([]);
    // Nothing reached anyone.
    await nothingStored(b);
    await nothingStored(c);
  });

  it('clears outbox notifications without touching the inbox', async () => {
    await b.notifications.openLink(await a.vaults.shareLink('v', b.nodeId));
    await b.notifications.send(a.nodeId, 'hi');
    await b.notifications.outbox.clear();
    expect(await b.notifications.outbox.read()).toEqual([]);
    expect(await b.notifications.read()).toHaveLength(1);
  });
});
