// NodeId / VaultId / NotificationId: one spelling per id, every malformed input a typed error.
import { base32hexnopad } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeynodeError, type ErrorCode } from '../../../src/errors.js';
import {
  assertNodeId,
  assertNotificationId,
  assertVaultId,
  decodeNodeId,
  decodeVaultId,
  encodeNodeId,
  encodeVaultId,
  generateVaultId,
  isNodeId,
  isNotificationId,
  isVaultId,
  nodeIdToPublicKey,
  NotificationIdGenerator,
  type NodeId,
  type NotificationId,
} from '../../../src/ids/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { nonCanonicalLargePoint, publicKeyOf, publicKeys, smallOrderEncodings, spellNodeId } from '../../utils/ed25519.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const notBase32hex = fc.constantFrom('w', 'z', 'V', 'A', '=', ' ', '-', '_', 'é', '\u0000', '\uffff');

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isKeynodeError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
  const message = (thrown as Error).message;
  expect(message.length).toBeGreaterThan(10);
  expect(message.length).toBeLessThan(400);
}

/** RFC 8032 strict decoding (no small-order check: random bytes are never small-order in practice). */
function decodesStrictly(raw: Uint8Array): boolean {
  try {
    ed25519.Point.fromBytes(raw, false);
    return true;
  } catch {
    return false;
  }
}

const nonStrings: unknown[] = [undefined, null, 0, 42, true, {}, [], Symbol('x'), 10n, () => 1, new Uint8Array(32)];

describe('NodeId', () => {
  it('encode then decode gives back the 32 bytes, and the text is v + 52 lowercase base32hex', () => {
    fc.assert(
      fc.property(publicKeys(), (key) => {
        const id = encodeNodeId(key);
        expect(id).toMatch(/^v[0-9a-v]{52}$/);
        expect(isNodeId(id)).toBe(true);
        expect(assertNodeId(id)).toBe(id);
        expect(decodeNodeId(id)).toEqual(key);
        expect(nodeIdToPublicKey(id)).toEqual(key);
      }),
      { numRuns: 100 },
    );
  });

  it('distinct keys have distinct NodeIds (the spelling is injective)', () => {
    fc.assert(
      fc.property(publicKeys(), publicKeys(), (a, b) => {
        fc.pre(a.some((x, i) => x !== b[i]));
        expect(encodeNodeId(a)).not.toBe(encodeNodeId(b));
      }),
    );
  });

  it('every 53-character v-string that decodes has exactly one spelling: decode then encode is the identity', () => {
    const alphabet = '0123456789abcdefghijklmnopqrstuv'.split('');
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 52, maxLength: 52 }), (chars) => {
        const text = 'v' + chars.join('');
        const decoded = decodeNodeId(text);
        // 52 chars carry 260 bits: only the spellings whose 4 spare bits are zero are NodeIds.
        if (decoded === undefined) expect(isNodeId(text)).toBe(false);
        else expect(encodeNodeId(decoded)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('a non-canonical last character (spare bits set) is refused', () => {
    fc.assert(
      fc.property(publicKeys(), fc.integer({ min: 1, max: 15 }), (key, spare) => {
        const id = encodeNodeId(key);
        // The last character carries one bit of the key (0 or g) and four spare bits, always zero.
        const last = parseInt(id.slice(-1), 32);
        expect(last % 16).toBe(0);
        expect(isNodeId(id.slice(0, -1) + (last + spare).toString(32))).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects uppercase, padded, truncated, overlong, non-alphabet, wrong-prefix and non-string inputs', () => {
    fc.assert(
      fc.property(publicKeys(), fc.nat(51), notBase32hex, (key, pos, bad) => {
        const id = encodeNodeId(key);
        const variants = [
          'V' + id.slice(1),
          id.toUpperCase(),
          id + '=',
          id + '====',
          id.slice(0, -1),
          id.slice(0, 52 - (pos % 10)),
          id + '0',
          id + id,
          id.slice(0, pos + 1) + bad + id.slice(pos + 2),
          'z' + id.slice(1),
          'u' + id.slice(1),
          id.slice(1),
          ' ' + id,
          id + '\n',
          '',
          'v',
        ];
        for (const v of variants) {
          expect(isNodeId(v), JSON.stringify(v)).toBe(false);
          expectCode(() => assertNodeId(v), 'ErrorNodeIdInvalid');
          expect(decodeNodeId(v)).toBeUndefined();
        }
      }),
      { numRuns: 100 },
    );
    for (const v of nonStrings) {
      expect(isNodeId(v)).toBe(false);
      expectCode(() => assertNodeId(v), 'ErrorNodeIdInvalid');
    }
    // An uppercase letter that exists in lowercase form is still refused (one spelling only).
    const id = encodeNodeId(fc.sample(publicKeys(), { numRuns: 1, seed: 1 })[0]!);
    expect(/[a-v]/.test(id)).toBe(true);
    expect(isNodeId(id.replace(/[a-v]/, (c) => c.toUpperCase()))).toBe(false);
  });

  it('refuses every small-order point as a NodeId, spelled canonically or not, with a sentence saying why', () => {
    expect(smallOrderEncodings).toHaveLength(14);
    for (const { name, bytes, canonical } of smallOrderEncodings) {
      // The table is right: a lenient (ZIP-215) decoder reads each as a small-order point, and
      // only the canonical ones pass RFC 8032's strict decoding.
      expect(ed25519.Point.fromBytes(bytes, true).isSmallOrder(), name).toBe(true);
      expect(decodesStrictly(bytes), name).toBe(canonical);
      const text = spellNodeId(bytes);
      expect(isNodeId(text), name).toBe(false);
      expect(decodeNodeId(text), name).toBeUndefined();
      expectCode(() => assertNodeId(text), 'ErrorNodeIdInvalid');
      expect(() => assertNodeId(text)).toThrow(/weak point anyone could sign for/);
      expectCode(() => nodeIdToPublicKey(text), 'ErrorNodeIdInvalid');
      expectCode(() => encodeNodeId(bytes), 'ErrorNodeIdInvalid');
    }
  });

  it('refuses a large-order point spelled non-canonically (y + p), and accepts its canonical spelling', () => {
    const { nonCanonical, canonical } = nonCanonicalLargePoint();
    expect(ed25519.Point.fromBytes(nonCanonical, true).equals(ed25519.Point.fromBytes(canonical, false))).toBe(true);
    expect(isNodeId(spellNodeId(nonCanonical))).toBe(false);
    expectCode(() => encodeNodeId(nonCanonical), 'ErrorNodeIdInvalid');
    expect(isNodeId(spellNodeId(canonical))).toBe(true);
  });

  it('refuses 32 bytes that are not a point on the curve (about half of all random strings)', () => {
    let offCurve = 0;
    fc.assert(
      fc.property(bytes(32), (raw) => {
        const onCurve = decodesStrictly(raw);
        if (!onCurve) offCurve++;
        expect(isNodeId(spellNodeId(raw))).toBe(onCurve);
      }),
      { numRuns: 200 },
    );
    expect(offCurve).toBeGreaterThan(0);
  });

  it('encodeNodeId refuses a key that is not 32 bytes', () => {
    for (const n of [0, 16, 31, 33, 64]) expectCode(() => encodeNodeId(new Uint8Array(n)), 'ErrorNodeIdInvalid');
  });

  it('nodeIdToPublicKey on a malformed id is a typed error', () => {
    expectCode(() => nodeIdToPublicKey('vnope' as NodeId), 'ErrorNodeIdInvalid');
  });

  it('a huge input gives a short message and returns quickly', () => {
    const huge = 'v'.repeat(5_000_000);
    const start = performance.now();
    expect(isNodeId(huge)).toBe(false);
    expectCode(() => assertNodeId(huge), 'ErrorNodeIdInvalid');
    expectCode(() => assertVaultId('z' + huge), 'ErrorVaultIdInvalid');
    expectCode(() => assertNotificationId(huge), 'ErrorNotificationIdInvalid');
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});

describe('VaultId', () => {
  it('encode then decode gives back the 16 bytes; the text is z + base58btc', () => {
    fc.assert(
      fc.property(bytes(16), (raw) => {
        const id = encodeVaultId(raw);
        expect(id).toMatch(/^z[1-9A-HJ-NP-Za-km-z]+$/);
        expect(isVaultId(id)).toBe(true);
        expect(assertVaultId(id)).toBe(id);
        expect(decodeVaultId(id)).toEqual(raw);
      }),
      { numRuns: 300 },
    );
    // Leading zero bytes are spelled as leading '1's and still round-trip.
    const zeros = new Uint8Array(16);
    expect(decodeVaultId(encodeVaultId(zeros))).toEqual(zeros);
  });

  it('generateVaultId makes valid, distinct ids', () => {
    const ids = new Set(Array.from({ length: 200 }, () => generateVaultId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(isVaultId(id)).toBe(true);
  });

  it('rejects wrong prefix, wrong length, non-alphabet and non-string inputs with ErrorVaultIdInvalid', () => {
    fc.assert(
      fc.property(bytes(16), fc.nat(20), fc.constantFrom('0', 'O', 'I', 'l', '+', '/', ' ', 'é'), (raw, pos, bad) => {
        const id = encodeVaultId(raw);
        const variants = [
          'v' + id.slice(1),
          'Z' + id.slice(1),
          id.slice(1),
          id + 'zzzz',
          id.slice(0, 1 + (pos % (id.length - 1))) + bad + id.slice(2 + (pos % (id.length - 1))),
          '1' + id,
          'z',
          '',
        ];
        for (const v of variants) {
          expect(isVaultId(v), JSON.stringify(v)).toBe(false);
          expectCode(() => assertVaultId(v), 'ErrorVaultIdInvalid');
        }
      }),
      { numRuns: 100 },
    );
    for (const v of nonStrings) {
      expect(isVaultId(v)).toBe(false);
      expectCode(() => assertVaultId(v), 'ErrorVaultIdInvalid');
    }
    expectCode(() => encodeVaultId(new Uint8Array(15)), 'ErrorVaultIdInvalid');
    // Valid base58 that is not 16 bytes is not a VaultId (a shorter or longer id can be another
    // valid VaultId, so only lengths that cannot be 16 bytes are checked here).
    const max = encodeVaultId(new Uint8Array(16).fill(255));
    expect(isVaultId(max + '2')).toBe(false);
    expect(isVaultId('z' + '2'.repeat(10))).toBe(false);
    expect(isVaultId('z' + '1'.repeat(17))).toBe(false);
  });
});

describe('NotificationId', () => {
  it('generated ids are valid, 27 characters, and strictly increasing in text order', () => {
    const gen = new NotificationIdGenerator();
    const ids = Array.from({ length: 2_000 }, () => gen.next());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids.slice(0, 50)) {
      expect(id).toHaveLength(27);
      expect(isNotificationId(id)).toBe(true);
      expect(assertNotificationId(id)).toBe(id);
    }
  });

  it('stays strictly increasing for any clock, including one that goes backwards or stands still', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 47 }), { minLength: 1, maxLength: 200 }), (times) => {
        let i = 0;
        const gen = new NotificationIdGenerator(() => times[i++ % times.length]!);
        const ids = times.map(() => gen.next());
        const sorted = [...ids].sort();
        expect(sorted).toEqual(ids); // text order equals generation order
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps increasing when more than 65,536 ids are made in one millisecond (counter overflow)', () => {
    // Start from a seed whose counter is 16 short of overflowing, with the clock standing still.
    const t = 1_700_000_000_000;
    const seedBytes = new Uint8Array(16);
    const view = new DataView(seedBytes.buffer);
    view.setUint16(0, Math.floor(t / 2 ** 32));
    view.setUint32(2, t >>> 0);
    view.setUint16(6, 0xfff0);
    const seed = ('v' + base32hexnopad.encode(seedBytes).toLowerCase()) as NotificationId;
    expect(isNotificationId(seed)).toBe(true);
    const gen = new NotificationIdGenerator(() => t, undefined, seed);
    let prev = seed;
    for (let i = 0; i < 40; i++) {
      const id = gen.next();
      expect(id > prev, `step ${i}`).toBe(true);
      prev = id;
    }
    // And the plain way, from a fresh generator, for the first few thousand in one millisecond.
    const fresh = new NotificationIdGenerator(() => t);
    let last = fresh.next();
    for (let i = 0; i < 3_000; i++) {
      const id = fresh.next();
      if (!(id > last)) throw new Error(`not increasing at ${i}: ${last} then ${id}`);
      last = id;
    }
  });

  it('a generator seeded with the last id keeps increasing after a restart, even if the clock went back', () => {
    const first = new NotificationIdGenerator(() => 2_000_000_000_000);
    let last = first.next();
    for (let i = 0; i < 10; i++) last = first.next();
    for (const clock of [2_000_000_000_000, 1_000_000_000_000, 0]) {
      const restarted = new NotificationIdGenerator(() => clock, undefined, last);
      const next = restarted.next();
      expect(next > last).toBe(true);
      expect(restarted.next() > next).toBe(true);
    }
    const later = new NotificationIdGenerator(() => 2_000_000_000_001, undefined, last).next();
    expect(later > last).toBe(true);
  });

  it('the time in the id is readable from its first 48 bits (ids sort by time)', () => {
    const a = new NotificationIdGenerator(() => 1000).next();
    const b = new NotificationIdGenerator(() => 1001).next();
    const c = new NotificationIdGenerator(() => 2 ** 40).next();
    expect(a < b && b < c).toBe(true);
  });

  it('rejects malformed ids with ErrorNotificationIdInvalid', () => {
    const id = new NotificationIdGenerator().next();
    const variants = [
      id.toUpperCase(),
      id.slice(0, -1),
      id + '0',
      'z' + id.slice(1),
      id + '=',
      id.slice(0, 5) + 'w' + id.slice(6),
      '',
      encodeNodeId(publicKeyOf(new Uint8Array(32))),
    ];
    for (const v of [...variants, ...nonStrings]) {
      expect(isNotificationId(v)).toBe(false);
      expectCode(() => assertNotificationId(v), 'ErrorNotificationIdInvalid');
    }
  });
});
