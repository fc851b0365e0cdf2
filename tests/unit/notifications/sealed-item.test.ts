// Mailbox items (src/notifications/sealed-item.ts): a signed token sealed to its recipient opens
// there to the same token and is then received like any other; everything else is refused with
// ErrorNotificationsSealedInvalid before the token rules run, and a refused item costs nothing else.
import { describe, expect, it } from 'vitest';
import { generateVaultId } from '../../../src/ids/index.js';
import { sealTo } from '../../../src/keys/sealed-box.js';
import { maxTokenBytes } from '../../../src/notifications/index.js';
import { maxSealedItemChars, openMailboxItem, sealForMailbox } from '../../../src/notifications/sealed-item.js';
import { defaultLimits } from '../../../signaling-server/src/limits.js';
import { keynode, know } from './harness.js';
import { utf8 } from '../../../src/utils/bytes.js';

const [alice, bob, carol] = await Promise.all([keynode(), keynode(), keynode()]);
await know(bob, alice);

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: { code?: string }) => String(e.code),
  );
}

describe('mailbox items', () => {
  it('a sealed share opens at its recipient to the signed token, which is received as before', async () => {
    const record = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'sealed hello' });
    const item = await sealForMailbox(bob.nodeId, record.token);
    expect(item).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(item).not.toContain(alice.nodeId);
    expect(await openMailboxItem(bob.identity, item)).toBe(record.token);
    const result = await bob.n.receive(await openMailboxItem(bob.identity, item), { via: 'mailbox', depositedBy: alice.nodeId });
    expect(result.status).toBe('inbox');
    expect((await bob.n.read()).map((i) => i.data)).toContainEqual({ type: 'General', message: 'sealed hello' });
  });

  it('does not open at another keynode', async () => {
    const record = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'not for carol' });
    expect(await codeOf(openMailboxItem(carol.identity, await sealForMailbox(bob.nodeId, record.token)))).toBe('ErrorNotificationsSealedInvalid');
  });

  it('refuses empty, non-base64url, truncated, tampered and oversized items with ErrorNotificationsSealedInvalid', async () => {
    const record = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'tamper' });
    const item = await sealForMailbox(bob.nodeId, record.token);
    const flipped = item.slice(0, 100) + (item[100] === 'A' ? 'B' : 'A') + item.slice(101);
    const bad = [
      '',
      'not base64url!',
      item.slice(0, -4),
      item.slice(0, 60),
      flipped,
      item + 'AAAA',
      'A'.repeat(maxSealedItemChars + 1),
      'A'.repeat(10 * 1024 * 1024),
    ];
    for (const text of bad) expect(await codeOf(openMailboxItem(bob.identity, text)), text.slice(0, 20)).toBe('ErrorNotificationsSealedInvalid');
    // Bytes that open but are not text.
    const box = await sealTo(bob.nodeId, Uint8Array.of(0xff, 0xfe, 0x80), 'keynode/mailbox-item/v1', maxTokenBytes);
    expect(await codeOf(openMailboxItem(bob.identity, Buffer.from(box).toString('base64url')))).toBe('ErrorNotificationsSealedInvalid');
  });

  it('a sealed token still needs its sender to be the depositor', async () => {
    const record = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'copied by carol' });
    const token = await openMailboxItem(bob.identity, await sealForMailbox(bob.nodeId, record.token));
    expect(await codeOf(bob.n.receive(token, { via: 'mailbox', depositedBy: carol.nodeId }))).toBe('ErrorNotificationsVerificationFailed');
  });

  it('an unsealed token left by a keynode of an earlier version is passed on for the token rules (transition)', async () => {
    const record = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'from an older sender' });
    expect(await openMailboxItem(bob.identity, record.token)).toBe(record.token);
    expect(await codeOf(bob.n.receive(await openMailboxItem(bob.identity, '{"payload":1}'), { via: 'mailbox', depositedBy: alice.nodeId }))).toBe(
      'ErrorNotificationsParse',
    );
  });

  it("the largest token seals within the signaling server's bound, at one of a few sizes", async () => {
    expect(maxSealedItemChars).toBeLessThanOrEqual(defaultLimits.maxTokenBytes);
    const sizes = new Set<number>();
    for (const n of [1, 300, 500, 700, 1000, 1500, 3000]) {
      sizes.add((await sealForMailbox(bob.nodeId, 'x'.repeat(n))).length);
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([1436, 2802, 5532]);
    // Every kind of notification but a long message looks the same: a share naming a 255-byte vault, an invite, a short message.
    const share = await alice.n.createOutgoing(bob.nodeId, {
      type: 'VaultShare',
      vaultId: generateVaultId(),
      vaultName: 'é'.repeat(127),
      actions: ['clone', 'pull'],
    });
    const invite = await alice.n.createOutgoing(bob.nodeId, { type: 'GestaltInvite' });
    const note = await alice.n.createOutgoing(bob.nodeId, { type: 'General', message: 'see you at 5' });
    const lengths = await Promise.all([share, invite, note].map(async (r) => (await sealForMailbox(bob.nodeId, r.token)).length));
    expect(new Set(lengths)).toEqual(new Set([1436]));
    const largest = await sealForMailbox(bob.nodeId, 'x'.repeat(maxTokenBytes));
    expect(largest.length).toBe(maxSealedItemChars);
    expect(utf8.encode(await openMailboxItem(bob.identity, largest)).length).toBe(maxTokenBytes);
  });
});
