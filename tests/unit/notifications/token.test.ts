// Notifications utils (docs/polykey.md §9.5): ids, signing and verifying tokens, the schemas.
import { describe, expect, it } from 'vitest';
import { NotificationIdGenerator, generateVaultId } from '../../../src/ids/index.js';
import { base64urlDecode, base64urlEncode } from '../../../src/keys/crypto.js';
import { addSignature, signToken } from '../../../src/keys/token.js';
import { maxMessageChars, parseNotification, signNotification, verifyNotification, type NotificationPayload } from '../../../src/notifications/index.js';
import { smallOrderEncodings, weakSigner } from '../../utils/ed25519.js';
import { codeOf, keynode } from './harness.js';
import { utf8 } from '../../../src/utils/bytes.js';

async function pair() {
  const a = await keynode();
  const b = await keynode();
  const jti = new NotificationIdGenerator().next();
  const payload: NotificationPayload = {
    typ: 'notification',
    iss: a.nodeId,
    sub: b.nodeId,
    jti,
    iat: 1_767_225_600_000,
    data: { type: 'General', message: 'hello' },
  };
  return { a, b, payload };
}

/** Re-serialises a signed token with its payload changed, keeping the original signature. */
function withPayload(text: string, change: (p: Record<string, unknown>) => void): string {
  const token = JSON.parse(text) as { payload: Record<string, unknown> };
  change(token.payload);
  return JSON.stringify(token);
}

describe('notification ids', () => {
  it('generates notification ids that sort in the order they were made', () => {
    const gen = new NotificationIdGenerator(() => 1000);
    const ids = Array.from({ length: 50 }, () => gen.next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });

  it('a generator seeded with the last id keeps increasing, even if the clock went back', () => {
    const first = new NotificationIdGenerator(() => 5000);
    const last = first.next();
    const second = new NotificationIdGenerator(() => 10, undefined, last);
    expect(second.next() > last).toBe(true);
  });
});

describe('signed notification tokens', () => {
  it('verifies and decodes a signed notification', async () => {
    const { a, payload } = await pair();
    const text = await signNotification(payload, a.identity);
    expect(await verifyNotification(text)).toEqual(payload);
  });

  it('validates every data type', async () => {
    const { a, payload } = await pair();
    const vaultId = generateVaultId();
    for (const data of [
      { type: 'VaultShare', vaultId, vaultName: 'työ', actions: ['clone', 'pull'] },
      { type: 'VaultShare', vaultId, vaultName: 'x', actions: [] },
      { type: 'VaultUnshare', vaultId, vaultName: 'work' },
      { type: 'GestaltInvite' },
      { type: 'General', message: 'm'.repeat(maxMessageChars) },
    ] as const) {
      const text = await signNotification({ ...payload, data: data as NotificationPayload['data'] }, a.identity);
      expect((await verifyNotification(text)).data).toEqual(data);
    }
  });

  it('does not validate incorrect notifications', async () => {
    const { a, payload } = await pair();
    const vaultId = generateVaultId();
    const bad: Array<Record<string, unknown>> = [
      { ...payload, typ: 'claim' },
      { ...payload, iss: 'vnotanodeid' },
      { ...payload, jti: 'x' },
      { ...payload, iat: -1 },
      { ...payload, isRead: true }, // the sender does not decide whether we have read it (B8)
      { ...payload, data: { type: 'Unknown' } },
      { ...payload, data: { type: 'General' } },
      { ...payload, data: { type: 'General', message: 'm'.repeat(maxMessageChars + 1) } },
      { ...payload, data: { type: 'VaultShare', vaultId: 'nope', vaultName: 'v', actions: ['clone'] } },
      { ...payload, data: { type: 'VaultShare', vaultId, vaultName: 'v', actions: ['push'] } },
      { ...payload, data: { type: 'VaultShare', vaultId, vaultName: 'v', actions: ['clone', 'clone'] } },
      { ...payload, data: { type: 'VaultShare', vaultId, vaultName: 'é'.repeat(128), actions: [] } }, // 256 bytes
      { ...payload, data: { type: 'VaultUnshare', vaultId, vaultName: 'v', actions: [] } },
      { ...payload, data: { type: 'GestaltInvite', extra: 1 } },
    ];
    for (const p of bad) {
      // Signed properly, so the only thing wrong is the shape.
      const text = await signNotification(p as unknown as NotificationPayload, a.identity);
      expect(await codeOf(() => verifyNotification(text)), JSON.stringify(p.data)).toBe('ErrorNotificationsParse');
    }
    for (const text of ['', 'not json', '[]', '{"payload":1,"signatures":[]}', 'x'.repeat(17 * 1024)]) {
      expect(await codeOf(() => verifyNotification(text))).toBe('ErrorNotificationsParse');
    }
  });

  it('refuses a token over 16 KiB', async () => {
    const { a, payload } = await pair();
    const text = await signNotification(payload, a.identity);
    const padded = text.replace('{', '{' + ' '.repeat(16 * 1024));
    expect(await codeOf(() => verifyNotification(padded))).toBe('ErrorNotificationsParse');
    // A message at the 10,000-character limit but of 4-byte characters would sign to over 16 KiB.
    const big = { ...payload, data: { type: 'General' as const, message: '😀'.repeat(5000) } };
    expect(await codeOf(() => signNotification(big, a.identity))).toBe('ErrorInvalidArgument');
  });

  it('a tampered payload fails verification', async () => {
    const { a, b, payload } = await pair();
    const text = await signNotification(payload, a.identity);
    const tampered = withPayload(text, (p) => {
      p.data = { type: 'General', message: 'hellO' };
    });
    expect(await codeOf(() => verifyNotification(tampered))).toBe('ErrorNotificationsVerificationFailed');
    const redirected = withPayload(text, (p) => {
      p.sub = a.nodeId;
    });
    expect(await codeOf(() => verifyNotification(redirected))).toBe('ErrorNotificationsVerificationFailed');
    // Claiming another sender: the signature is by a, the payload says b.
    const forged = withPayload(text, (p) => {
      p.iss = b.nodeId;
    });
    expect(await codeOf(() => verifyNotification(forged))).toBe('ErrorNotificationsVerificationFailed');
  });

  it('a signature by someone other than iss, a flipped signature bit, or a second signature fails', async () => {
    const { a, b, payload } = await pair();
    const byB = await signNotification(payload, b.identity); // iss says a
    expect(await codeOf(() => verifyNotification(byB))).toBe('ErrorNotificationsVerificationFailed');

    const text = await signNotification(payload, a.identity);
    const token = JSON.parse(text) as { signatures: Array<{ signature: string }> };
    const sig = base64urlDecode(token.signatures[0]!.signature);
    sig[0] = sig[0]! ^ 1;
    token.signatures[0]!.signature = base64urlEncode(sig);
    expect(await codeOf(() => verifyNotification(JSON.stringify(token)))).toBe('ErrorNotificationsVerificationFailed');

    const twice = await addSignature(JSON.parse(text), b.identity);
    expect(await codeOf(() => verifyNotification(JSON.stringify(twice)))).toBe('ErrorNotificationsVerificationFailed');
  });

  it('a notification "signed" by a small-order key is refused: the sender is not a NodeId, the signature counts for nobody', async () => {
    const { b, payload } = await pair();
    for (const { name, bytes } of smallOrderEncodings) {
      const attacker = weakSigner(bytes);
      const fromWeak = JSON.stringify(await signToken({ ...payload, iss: attacker.nodeId }, attacker));
      expect(await codeOf(() => verifyNotification(fromWeak)), name).toBe('ErrorNotificationsParse');
      expect(await codeOf(() => b.n.receive(fromWeak, { via: 'mailbox' })), name).toBe('ErrorNotificationsParse');
      // Claiming a genuine sender, with the forged signature under the weak kid: not verified.
      const claimingA = JSON.stringify(await signToken(payload, attacker));
      expect(await codeOf(() => verifyNotification(claimingA)), name).toBe('ErrorNotificationsVerificationFailed');
    }
  });

  it('parseNotification reads the payload without trusting it', async () => {
    const { a, payload } = await pair();
    const text = await signNotification(payload, a.identity);
    expect(parseNotification(text).payload).toEqual(payload);
    expect(utf8.encode(text).length).toBeLessThan(1024);
  });
});
