// Share links (docs/spec.md §4.4): the signed token in the URL fragment; opened by the addressee it is
// verified and stored (in the requests list when the sender may not notify us); anywhere else it is
// refused; tampered or malformed links say so.
import { describe, expect, it } from 'vitest';
import { generateVaultId } from '../../../src/ids/index.js';
import { base64urlEncode } from '../../../src/keys/crypto.js';
import { buildShareLink, tokenFromLink } from '../../../src/notifications/index.js';
import { codeOf, keynode, know, linkOwnGestalt } from './harness.js';
import { utf8 } from '../../../src/utils/bytes.js';

const base = 'https://keynode.example/app/';

async function shared() {
  const [owner, friend] = [await keynode(), await keynode()];
  const vaultId = generateVaultId();
  const record = await owner.n.createOutgoing(friend.nodeId, { type: 'VaultShare', vaultId, vaultName: 'Team', actions: ['clone', 'pull'] });
  return { owner, friend, vaultId, record, link: buildShareLink(base, record.token) };
}

describe('share links', () => {
  it('carries the token only in the fragment', async () => {
    const { record, link } = await shared();
    const url = new URL(link);
    expect(url.origin + url.pathname).toBe(base.slice(0, -1) + '/');
    expect(url.search).toBe('');
    expect(url.hash.startsWith('#share=')).toBe(true);
    expect(tokenFromLink(link)).toBe(record.token);
    expect(buildShareLink(base + '#old', record.token)).toBe(link);
  });

  it('opened by the addressee from an unknown sender: verified, returned, and kept as a request, not in the inbox', async () => {
    const { owner, friend, vaultId, link } = await shared();
    const opened = await friend.n.openLink(link);
    expect(opened.from).toBe(owner.nodeId);
    expect(opened.data).toEqual({ type: 'VaultShare', vaultId, vaultName: 'Team', actions: ['clone', 'pull'] });
    expect(opened.status).toBe('request');
    expect(await friend.n.read()).toEqual([]);
    const [request] = await friend.n.requests.read();
    expect(request).toMatchObject({ id: opened.id, from: owner.nodeId, via: 'link' });
    // Accepting it trusts the sender (as the composition root's trust does) and moves it to the inbox.
    await friend.n.requests.accept(opened.id, (sender) =>
      friend.kv.write(async (tx) => {
        await friend.graph.setNode(tx, sender);
        await friend.acl.setNodeAction(tx, sender, 'notify');
      }),
    );
    expect((await friend.n.read()).map((i) => i.id)).toEqual([opened.id]);
    // Opening the same link again now says where it is.
    expect((await friend.n.openLink(link)).status).toBe('inbox');
  });

  it('a known sender with notify: the opened link lands in the inbox', async () => {
    const { owner, friend, link } = await shared();
    await know(friend, owner);
    const opened = await friend.n.openLink(link);
    expect(opened.status).toBe('inbox');
    expect((await friend.n.read()).map((i) => i.id)).toEqual([opened.id]);
  });

  it('accepts the whole URL, the fragment, or the bare token; opening again returns the stored item', async () => {
    const { friend, record, link } = await shared();
    const first = await friend.n.openLink(link);
    expect(await friend.n.openLink(link.slice(link.indexOf('#')))).toEqual(first);
    expect(await friend.n.openLink(link.slice(link.indexOf('#') + 1))).toEqual(first);
    expect(await friend.n.openLink(`  ${record.token}\n`)).toEqual(first);
    expect(await friend.n.requests.read()).toHaveLength(1);
  });

  it('opened by a third keynode: refused with a clear message', async () => {
    const { link } = await shared();
    const stranger = await keynode();
    const err = await stranger.n.openLink(link).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ErrorNotificationsInvalidDestination' });
    expect((err as Error).message).toMatch(/made for a different keynode/);
    expect(await stranger.n.read()).toEqual([]);
  });

  it("opened on another keynode of the addressee's own gestalt: accepted", async () => {
    const { friend, link } = await shared();
    const friendsLaptop = await keynode();
    await linkOwnGestalt(friendsLaptop, friendsLaptop, friend);
    expect((await friendsLaptop.n.openLink(link)).data.type).toBe('VaultShare');
    // Over the mailbox the same token is still someone else's mail.
    const text = tokenFromLink(link);
    expect(await codeOf(() => friendsLaptop.n.receive(text, { via: 'mailbox' }))).toBe('ErrorNotificationsInvalidDestination');
  });

  it('a tampered link fails verification', async () => {
    const { friend, record } = await shared();
    const token = JSON.parse(record.token) as { payload: { data: { vaultName: string } } };
    token.payload.data.vaultName = 'Payroll';
    const tampered = `${base}#share=${base64urlEncode(utf8.encode(JSON.stringify(token)))}`;
    expect(await codeOf(() => friend.n.openLink(tampered))).toBe('ErrorNotificationsVerificationFailed');
    expect(await friend.n.read()).toEqual([]);
  });

  it('a malformed link is refused with a sentence a person understands', async () => {
    const { friend, link } = await shared();
    const cases = [
      base, // no fragment
      `${base}#other=1`,
      `${base}#share=`,
      `${base}#share=***`,
      link.slice(0, link.length - 40), // cut short
      `${base}#share=${base64urlEncode(utf8.encode('{"payload":{}}'))}`,
      '',
    ];
    for (const text of cases) {
      const err = await friend.n.openLink(text).catch((e: unknown) => e);
      expect(err, text).toMatchObject({ code: 'ErrorNotificationsParse' });
      expect((err as Error).message.length).toBeGreaterThan(20);
    }
    expect((await friend.n.openLink(base).catch((e: Error) => e.message)) as string).toMatch(/not a keynode share link/);
  });
});
