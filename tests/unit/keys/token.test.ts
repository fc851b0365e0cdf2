// Signed tokens: which signers verify, and what a tampered or malformed token counts as.
import { describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { encodeNodeId, type NodeId } from '../../../src/ids/index.js';
import { base64urlDecode, base64urlEncode, canonicalJSON, keyPairFromSeed, sign } from '../../../src/keys/crypto.js';
import { addSignature, parseToken, signToken, verifiedSigners, type Signer, type SignedToken } from '../../../src/keys/token.js';
import { smallOrderEncodings, weakSigner, withNonCanonicalS } from '../../utils/ed25519.js';
import { utf8 } from '../../../src/utils/bytes.js';

async function signer(fill: number): Promise<Signer> {
  const pair = await keyPairFromSeed(new Uint8Array(32).fill(fill));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (m) => sign(pair.privateKey, m) };
}

const alice = await signer(1);
const bob = await signer(2);
const carol = await signer(3);

const payload = { type: 'share', vault: 'zVault', actions: ['pull', 'clone'], iat: 1_700_000_000 };

/** What a receiver does: the token as JSON text, parsed back. */
const overTheWire = (t: SignedToken<unknown>) => parseToken(JSON.stringify(t));

function expectParseError(text: unknown, maxBytes?: number): void {
  let err: unknown;
  try {
    parseToken(text as string, maxBytes);
  } catch (e) {
    err = e;
  }
  expect(isKeynodeError(err, 'ErrorNotificationsParse'), String(text).slice(0, 40)).toBe(true);
}

describe('signed tokens', () => {
  it('a single signature verifies for its signer, also after the JSON round trip and with keys reordered', async () => {
    const token = await signToken(payload, alice);
    expect(token.signatures).toHaveLength(1);
    expect(await verifiedSigners(token)).toEqual(new Set([alice.nodeId]));
    expect(await verifiedSigners(overTheWire(token))).toEqual(new Set([alice.nodeId]));
    const reordered = { payload: { iat: payload.iat, actions: payload.actions, vault: payload.vault, type: payload.type }, signatures: token.signatures };
    expect(await verifiedSigners(reordered)).toEqual(new Set([alice.nodeId]));
  });

  it('a double signature (a claim both nodes sign) verifies for both', async () => {
    const once = await signToken(payload, alice);
    const twice = await addSignature(once, bob);
    expect(twice.signatures).toHaveLength(2);
    expect(once.signatures).toHaveLength(1); // addSignature does not mutate
    expect(await verifiedSigners(overTheWire(twice))).toEqual(new Set([alice.nodeId, bob.nodeId]));
    // The same signer twice counts once.
    expect((await verifiedSigners(await addSignature(twice, alice))).size).toBe(2);
  });

  it('a tampered payload verifies for nobody', async () => {
    const token = await addSignature(await signToken(payload, alice), bob);
    for (const changed of [
      { ...payload, vault: 'zOther' },
      { ...payload, actions: ['pull', 'clone', 'notify'] },
      { ...payload, extra: true },
      { type: 'share' },
    ]) {
      expect((await verifiedSigners({ payload: changed, signatures: token.signatures })).size).toBe(0);
    }
  });

  it('a tampered header is not counted: a changed kid, alg, or header bytes', async () => {
    const token = await signToken(payload, alice);
    const sig = token.signatures[0]!;
    const header = JSON.parse(utf8.decode(base64urlDecode(sig.protected))) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', kid: alice.nodeId });
    const forge = (h: unknown) => ({ payload, signatures: [{ protected: base64urlEncode(utf8.encode(JSON.stringify(h))), signature: sig.signature }] });
    // Claiming Bob signed it with Alice's signature.
    expect((await verifiedSigners(forge({ alg: 'EdDSA', kid: bob.nodeId }))).size).toBe(0);
    expect((await verifiedSigners(forge({ alg: 'none', kid: alice.nodeId }))).size).toBe(0);
    // Same meaning, different bytes: the signature covers the exact header bytes.
    expect((await verifiedSigners(forge({ kid: alice.nodeId, alg: 'EdDSA' }))).size).toBe(0);
    expect((await verifiedSigners(forge({ alg: 'EdDSA', kid: alice.nodeId, x: 1 }))).size).toBe(0);
  });

  it('a signature moved to another token is not counted', async () => {
    const a = await signToken(payload, alice);
    const b = await signToken({ ...payload, vault: 'zOther' }, bob);
    const moved = { payload: b.payload, signatures: [...b.signatures, a.signatures[0]!] };
    expect(await verifiedSigners(moved)).toEqual(new Set([bob.nodeId]));
  });

  it('a signer whose kid is someone else is not counted', async () => {
    const liar: Signer = { nodeId: carol.nodeId, sign: alice.sign };
    expect((await verifiedSigners(await signToken(payload, liar))).size).toBe(0);
  });

  it('malformed signatures are ignored, never thrown, and the good ones still count', async () => {
    const good = (await signToken(payload, alice)).signatures[0]!;
    const bad: unknown[] = [
      null,
      42,
      'text',
      {},
      { protected: good.protected },
      { protected: good.protected, signature: 5 },
      { protected: good.protected, signature: '***' },
      { protected: good.protected, signature: good.signature.slice(0, -2) },
      { protected: '***', signature: good.signature },
      { protected: base64urlEncode(utf8.encode('not json')), signature: good.signature },
      { protected: base64urlEncode(new Uint8Array([0xff, 0xfe])), signature: good.signature },
      { protected: base64urlEncode(utf8.encode('null')), signature: good.signature },
      { protected: base64urlEncode(utf8.encode(JSON.stringify({ alg: 'EdDSA', kid: 'vnope' }))), signature: good.signature },
    ];
    const token = { payload, signatures: [...bad, good] } as SignedToken<unknown>;
    expect(await verifiedSigners(token)).toEqual(new Set([alice.nodeId]));
    expect((await verifiedSigners({ payload, signatures: 'nope' } as unknown as SignedToken<unknown>)).size).toBe(0);
  });

  it('a small-order "key" never counts as a signer, whatever its forged signature (R = identity, S = 0)', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      const forged = await signToken(payload, weakSigner(bytes));
      expect((await verifiedSigners(forged)).size, name).toBe(0);
      expect((await verifiedSigners(overTheWire(forged))).size, name).toBe(0);
      // Next to a genuine signature, the forged one still adds nobody.
      const both = await addSignature(forged, alice);
      expect(await verifiedSigners(both), name).toEqual(new Set([alice.nodeId]));
    }
  });

  it('a genuine signature made malleable (S + ℓ) does not count', async () => {
    const token = await signToken(payload, alice);
    const sig = token.signatures[0]!;
    const malleated = { protected: sig.protected, signature: base64urlEncode(withNonCanonicalS(base64urlDecode(sig.signature))) };
    expect((await verifiedSigners({ payload, signatures: [malleated] })).size).toBe(0);
  });

  it('verifiedSigners does not throw on a payload that cannot be canonicalised', async () => {
    const good = (await signToken(payload, alice)).signatures[0]!;
    for (const p of [undefined, { a: NaN }, [undefined]]) {
      expect((await verifiedSigners({ payload: p, signatures: [good] })).size).toBe(0);
    }
  });

  it('the signed bytes are base64url(canonical payload) "." protected header', async () => {
    const token = await signToken(payload, alice);
    const sig = token.signatures[0]!;
    const input = utf8.encode(base64urlEncode(utf8.encode(canonicalJSON(payload))) + '.' + sig.protected);
    const { verify } = await import('../../../src/keys/crypto.js');
    expect(await verify(alice.nodeId as NodeId, input, base64urlDecode(sig.signature))).toBe(true);
  });
});

describe('parseToken', () => {
  it('parses a token sent as JSON text', async () => {
    const token = await signToken(payload, alice);
    const parsed = parseToken(JSON.stringify(token));
    expect(parsed.payload).toEqual(payload);
    expect(parsed.signatures).toEqual(token.signatures);
  });

  it('refuses non-JSON, oversized and wrongly shaped input with ErrorNotificationsParse', async () => {
    const token = JSON.stringify(await signToken(payload, alice));
    for (const text of ['', 'not json', '{', token.slice(0, -1), 'undefined']) expectParseError(text);
    for (const shape of [
      'null',
      '42',
      '"text"',
      '[]',
      '{}',
      '{"payload":{}}',
      '{"signatures":[]}',
      '{"payload":null,"signatures":[]}',
      '{"payload":"x","signatures":[]}',
      '{"payload":{},"signatures":{}}',
    ]) {
      expectParseError(shape);
    }
    for (const v of [undefined, null, 42, {}]) expectParseError(v);
    expectParseError(token, token.length - 1);
    expect(() => parseToken(token, token.length)).not.toThrow();
    const huge = JSON.stringify({ payload: { pad: 'x'.repeat(70 * 1024) }, signatures: [] });
    expectParseError(huge);
  });

  it('measures the size limit in bytes, not characters', () => {
    // 30,000 three-byte characters: 30 k characters but 90 kB of UTF-8, over the 64 kB default.
    const text = JSON.stringify({ payload: { note: '€'.repeat(30_000) }, signatures: [] });
    expect(text.length).toBeLessThan(64 * 1024);
    expectParseError(text);
  });
});
