// Ed25519 through WebCrypto and the byte helpers every signature depends on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { encodeNodeId, type NodeId } from '../../../src/ids/index.js';
import { base64urlDecode, base64urlEncode, canonicalJSON, keyPairFromSeed, sha256, sign, verify } from '../../../src/keys/crypto.js';
import { forgedSignature, nonCanonicalLargePoint, smallOrderEncodings, spellNodeId, withNonCanonicalS } from '../../utils/ed25519.js';
import { bytesEqual, concatBytes, utf8 } from '../../../src/utils/bytes.js';

const seedA = new Uint8Array(32).fill(1);
const seedB = new Uint8Array(32).fill(2);

describe('keyPairFromSeed', () => {
  it('is deterministic: the same seed gives the same public key and NodeId', async () => {
    const a1 = await keyPairFromSeed(seedA);
    const a2 = await keyPairFromSeed(seedA.slice());
    const b = await keyPairFromSeed(seedB);
    expect(a1.publicKey).toHaveLength(32);
    expect(a1.publicKey).toEqual(a2.publicKey);
    expect(encodeNodeId(a1.publicKey)).toBe(encodeNodeId(a2.publicKey));
    expect(a1.publicKey).not.toEqual(b.publicKey);
  });

  it('matches the RFC 8032 test vector 1 (seed → public key → signature of the empty message)', async () => {
    const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pair = await keyPairFromSeed(seed);
    expect(pair.publicKey).toEqual(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'));
    const sig = await sign(pair.privateKey, new Uint8Array(0));
    expect(sig).toEqual(
      hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
    );
  });

  it('the private key is non-extractable: every export is refused', async () => {
    const { privateKey } = await keyPairFromSeed(seedA);
    expect(privateKey.extractable).toBe(false);
    expect(privateKey.usages).toEqual(['sign']);
    for (const format of ['pkcs8', 'jwk', 'raw'] as const) {
      await expect(crypto.subtle.exportKey(format, privateKey)).rejects.toThrow();
    }
  });

  it('refuses a seed that is not 32 bytes with a KeynodeError', async () => {
    for (const n of [0, 31, 33, 64]) {
      const err = await keyPairFromSeed(new Uint8Array(n)).catch((e: unknown) => e);
      expect(isKeynodeError(err)).toBe(true);
    }
  });
});

describe('sign and verify', async () => {
  const a = await keyPairFromSeed(seedA);
  const b = await keyPairFromSeed(seedB);
  const idA = encodeNodeId(a.publicKey);
  const idB = encodeNodeId(b.publicKey);
  const message = utf8.encode('share vault "work" with vxyz');

  it('a signature verifies under the signer NodeId alone', async () => {
    const sig = await sign(a.privateKey, message);
    expect(sig).toHaveLength(64);
    expect(await verify(idA, message, sig)).toBe(true);
    // Ed25519 is deterministic.
    expect(await sign(a.privateKey, message)).toEqual(sig);
  });

  it('returns false, never throws, for a wrong key, tampered message or signature, wrong length or malformed NodeId', async () => {
    const sig = await sign(a.privateKey, message);
    expect(await verify(idB, message, sig)).toBe(false);
    const tampered = message.slice();
    tampered[0]! ^= 1;
    expect(await verify(idA, tampered, sig)).toBe(false);
    expect(await verify(idA, concatBytes(message, new Uint8Array([0])), sig)).toBe(false);
    for (let i = 0; i < 64; i += 7) {
      const bad = sig.slice();
      bad[i]! ^= 0x80;
      expect(await verify(idA, message, bad)).toBe(false);
    }
    expect(await verify(idA, message, sig.slice(0, 63))).toBe(false);
    expect(await verify(idA, message, concatBytes(sig, new Uint8Array([0])))).toBe(false);
    expect(await verify(idA, message, new Uint8Array(0))).toBe(false);
    expect(await verify(idA, message, new Uint8Array(64))).toBe(false);
    for (const bad of ['', 'vnope', idA.toUpperCase(), idA.slice(0, -1), idA + 'a', 'z' + idA.slice(1)]) {
      expect(await verify(bad as NodeId, message, sig)).toBe(false);
    }
    expect(await verify(undefined as unknown as NodeId, message, sig)).toBe(false);
    expect(await verify(42 as unknown as NodeId, message, sig)).toBe(false);
  });

  it('returns false for 32 random bytes as a NodeId (most are not curve points or not the signer)', async () => {
    const sig = await sign(a.privateKey, message);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (raw) => {
        fc.pre(!bytesEqual(raw, a.publicKey));
        expect(await verify(spellNodeId(raw), message, sig)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses the small-order forgery (R = identity, S = 0) under every small-order key, canonical or not', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      for (const text of [message, utf8.encode('anything at all'), new Uint8Array(0)]) {
        expect(await verify(spellNodeId(bytes), text, forgedSignature()), name).toBe(false);
      }
    }
  });

  it('refuses a signature whose R is a small-order point, canonical or not, under a genuine key', async () => {
    const sig = await sign(a.privateKey, message);
    for (const { name, bytes } of smallOrderEncodings) {
      for (const s of [new Uint8Array(32), sig.slice(32)]) {
        expect(await verify(idA, message, concatBytes(bytes, s)), name).toBe(false);
      }
    }
  });

  it('refuses a non-canonical S (S + ℓ) and a non-canonical R of a genuine signature', async () => {
    const sig = await sign(a.privateKey, message);
    expect(await verify(idA, message, withNonCanonicalS(sig))).toBe(false);
    const all = new Uint8Array(64).fill(0xff);
    expect(await verify(idA, message, concatBytes(sig.slice(0, 32), all.subarray(32)))).toBe(false);
    const { nonCanonical } = nonCanonicalLargePoint();
    expect(await verify(idA, message, concatBytes(nonCanonical, sig.slice(32)))).toBe(false);
    expect(await verify(idA, message, sig)).toBe(true);
  });

  it('verifies large messages', async () => {
    const big = new Uint8Array(2_000_000).map((_, i) => i & 0xff);
    const sig = await sign(b.privateKey, big);
    expect(await verify(idB, big, sig)).toBe(true);
    big[1_999_999]! ^= 1;
    expect(await verify(idB, big, sig)).toBe(false);
  });
});

describe('canonicalJSON', () => {
  it('is the same text whatever the key order, and has no whitespace', () => {
    expect(canonicalJSON({ b: 1, a: [3, { d: 'x', c: null }] })).toBe('{"a":[3,{"c":null,"d":"x"}],"b":1}');
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJSON(reversed)).toBe(canonicalJSON(obj));
        // It is JSON that parses back to an equal value.
        expect(JSON.parse(canonicalJSON(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
      { numRuns: 150 },
    );
  });

  it('sorts keys by code unit, not by locale', () => {
    expect(canonicalJSON({ b: 1, B: 2, a: 3, é: 4, '\u{1F600}': 5, '\uffff': 6 })).toBe('{"B":2,"a":3,"b":1,"é":4,"\u{1F600}":5,"\uffff":6}');
  });

  it('is stable after a JSON round trip (what a receiver recomputes)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const text = canonicalJSON(v);
        expect(canonicalJSON(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('signs what JSON sends: a Date is its ISO text, so the receiver recomputes the same bytes', () => {
    const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const value = { at: when, list: [when], n: 1 };
    const text = canonicalJSON(value);
    expect(text).toBe('{"at":"2026-01-02T03:04:05.000Z","list":["2026-01-02T03:04:05.000Z"],"n":1}');
    expect(canonicalJSON(JSON.parse(JSON.stringify(value)))).toBe(text);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.date({ noInvalidDate: true })), { maxKeys: 6 }), (v) => {
        expect(canonicalJSON(JSON.parse(JSON.stringify(v)))).toBe(canonicalJSON(v));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects undefined, NaN, infinities, bigint, functions and symbols with ErrorInvalidArgument', () => {
    for (const bad of [
      undefined,
      NaN,
      Infinity,
      -Infinity,
      [1, undefined],
      { a: NaN },
      { a: [Infinity] },
      1n,
      { a: 1n },
      () => 1,
      { f: () => 1 },
      Symbol('s'),
      [Symbol('s')],
    ]) {
      let err: unknown;
      try {
        canonicalJSON(bad);
      } catch (e) {
        err = e;
      }
      expect(isKeynodeError(err, 'ErrorInvalidArgument'), typeof bad).toBe(true);
    }
  });

  it('leaves out properties whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalJSON({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});

describe('base64url', () => {
  it('round-trips any bytes, including empty and large, with the url alphabet and no padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base64urlEncode(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(bytesEqual(base64urlDecode(text), bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(base64urlEncode(new Uint8Array(0))).toBe('');
    expect(base64urlDecode('')).toEqual(new Uint8Array(0));
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    const large = new Uint8Array(3 * 1024 * 1024 + 1);
    crypto.getRandomValues(large.subarray(0, 65536));
    for (let i = 65536; i < large.length; i += 65536) large.copyWithin(i, 0, 65536);
    const text = base64urlEncode(large);
    expect(text).toBe(Buffer.from(large).toString('base64url'));
    expect(bytesEqual(base64urlDecode(text), large)).toBe(true);
  });

  it('refuses text that is not base64url with ErrorInvalidArgument', () => {
    for (const bad of ['a+b', 'a/b', 'ab==', 'a b', 'é', 'A', 'AAAAA', 'AB', 'AAB', '\u0000', 123 as unknown as string]) {
      let err: unknown;
      try {
        base64urlDecode(bad);
      } catch (e) {
        err = e;
      }
      expect(isKeynodeError(err, 'ErrorInvalidArgument'), JSON.stringify(bad)).toBe(true);
    }
  });
});

describe('byte helpers', () => {
  it('bytesEqual, concatBytes, utf8 and sha256 behave', async () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(concatBytes()).toEqual(new Uint8Array(0));
    expect(utf8.decode(utf8.encode('héllo \u{1F600}'))).toBe('héllo \u{1F600}');
    expect(() => utf8.decode(new Uint8Array([0xff]))).toThrow();
    const digest = await sha256(utf8.encode('abc'));
    expect(Buffer.from(digest).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
