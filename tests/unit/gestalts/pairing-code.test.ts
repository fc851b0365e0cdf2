// The pairing code's format: what one signer's code verifies to, and how every kind of damage,
// forgery, staleness and oversize is refused with its own code.
import { describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { encodeNodeId } from '../../../src/ids/index.js';
import { keyPairFromSeed, sign } from '../../../src/keys/crypto.js';
import { signToken, type Signer } from '../../../src/keys/token.js';
import { MAX_PAIRING_CODE_CHARS, MAX_PAIRING_TTL_MS, encodePairingCode, newPairingNonce, verifyPairingCode } from '../../../src/gestalts/pairing-code.js';

async function signer(fill: number): Promise<Signer> {
  const pair = await keyPairFromSeed(new Uint8Array(32).fill(fill));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (m) => sign(pair.privateKey, m) };
}

const phone = await signer(7);
const thief = await signer(8);
const now = 1_800_000_000_000;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isKeynodeError(e) ? e.code : `not a KeynodeError: ${String(e)}`;
  }
  return 'no error';
}

const fresh = (expiresAt = now + MAX_PAIRING_TTL_MS, s = phone) => encodePairingCode({ nonce: newPairingNonce(), expiresAt }, s);

describe('pairing code', () => {
  it('verifies to the signer, its nonce and its expiry (to the second), pasted with spaces or not', async () => {
    const nonce = newPairingNonce();
    const { code, expiresAt } = await encodePairingCode({ nonce, expiresAt: now + 600_123 }, phone);
    expect(code.startsWith('keynode-pair:1:' + phone.nodeId + '.')).toBe(true);
    expect(code.length).toBeLessThan(MAX_PAIRING_CODE_CHARS);
    expect(expiresAt).toBe(now + 600_000);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await verifyPairingCode(code, now)).toEqual({ nodeId: phone.nodeId, nonce, expiresAt });
    expect(await verifyPairingCode(`  ${code}\n`, now)).toEqual({ nodeId: phone.nodeId, nonce, expiresAt });
  });

  it('an expired code is ErrorGestaltsPairingCodeExpired, from the second it expires', async () => {
    const { code, expiresAt } = await fresh(now + 60_000);
    expect(await codeOf(verifyPairingCode(code, expiresAt - 1))).toBe('no error');
    expect(await codeOf(verifyPairingCode(code, expiresAt))).toBe('ErrorGestaltsPairingCodeExpired');
    expect(await codeOf(verifyPairingCode(code, expiresAt + 86_400_000))).toBe('ErrorGestaltsPairingCodeExpired');
  });

  it('a code valid for longer than ten minutes (and a little clock skew) is refused, even correctly signed', async () => {
    const { code } = await fresh(now + 60 * 60_000);
    expect(await codeOf(verifyPairingCode(code, now))).toBe('ErrorGestaltsPairingCodeInvalid');
  });

  it('any change to the NodeId, nonce or expiry breaks the signature', async () => {
    const { code } = await fresh();
    const [head, rest] = [code.slice(0, 'keynode-pair:1:'.length), code.slice('keynode-pair:1:'.length)];
    const [nodeId, nonce, seconds, sig] = rest.split('.') as [string, string, string, string];
    const otherNonce = newPairingNonce();
    const tampered = [
      `${head}${thief.nodeId}.${nonce}.${seconds}.${sig}`,
      `${head}${nodeId}.${otherNonce}.${seconds}.${sig}`,
      `${head}${nodeId}.${nonce}.${Number(seconds) - 1}.${sig}`,
      `${head}${nodeId}.${nonce}.${seconds}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`,
    ];
    for (const t of tampered) expect(await codeOf(verifyPairingCode(t, now)), t).toBe('ErrorGestaltsPairingCodeSignature');
    // Someone else's signature on the phone's NodeId is refused the same way.
    const forged = await fresh(now + MAX_PAIRING_TTL_MS, { nodeId: phone.nodeId, sign: thief.sign });
    expect(await codeOf(verifyPairingCode(forged.code, now))).toBe('ErrorGestaltsPairingCodeSignature');
  });

  it('a signature made for something else (a signed token) does not pass as a pairing code', async () => {
    const token = await signToken({ anything: 1 }, phone);
    const { code } = await fresh();
    const swapped = code.slice(0, code.lastIndexOf('.') + 1) + token.signatures[0]!.signature;
    expect(await codeOf(verifyPairingCode(swapped, now))).toBe('ErrorGestaltsPairingCodeSignature');
  });

  it('wrong prefix, unknown version, damage, oversize and non-text are ErrorGestaltsPairingCodeInvalid', async () => {
    const { code } = await fresh();
    const body = code.slice('keynode-pair:1:'.length);
    const bad: unknown[] = [
      phone.nodeId,
      `keynode-pairing:1:${body}`,
      `Keynode-pair:1:${body}`,
      `keynode-pair:2:${body}`,
      `keynode-pair:01:${body}`,
      `keynode-pair:1:${body}.extra`,
      `keynode-pair:1:${body.replace(/\./g, ':')}`,
      code.slice(0, -1),
      code + 'A',
      code.replace(phone.nodeId, phone.nodeId.toUpperCase()),
      code.replace(/\.(\d+)\./, '.0$1.'),
      code + ' '.repeat(MAX_PAIRING_CODE_CHARS),
      'x'.repeat(10_000_000),
      '',
      42,
      null,
      { code },
    ];
    for (const b of bad) expect(await codeOf(verifyPairingCode(b, now)), String(b).slice(0, 60)).toBe('ErrorGestaltsPairingCodeInvalid');
  });

  it('a non-canonical spelling of the nonce or signature is refused (one spelling per code)', async () => {
    const { code } = await fresh();
    const parts = code.split('.');
    // The last base64url character of 16 bytes carries 4 spare bits: flipping one keeps the bytes.
    const nonce = parts[1]!;
    const last = nonce.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = [parts[0], nonce.slice(0, -1) + sibling, parts[2], parts[3]].join('.');
    expect(await codeOf(verifyPairingCode(respelled, now))).toBe('ErrorGestaltsPairingCodeInvalid');
  });
});
