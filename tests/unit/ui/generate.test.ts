// The generator's randomness, checked by structure rather than by sampling: every 32-bit draw at or
// above the largest multiple of n is rejected, every accepted residue has exactly as many draws
// behind it, and passwords hold only chosen characters, one of each kind at least.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHARSETS,
  generatePassphrase,
  generatePassword,
  passphraseBits,
  passwordBits,
  randomBelow,
  rejectionLimit,
  type RandomSource,
} from '../../../src/ui/generate.js';

/** A source that hands out `values` in order (and counts how many were taken). */
function scripted(values: number[]): RandomSource & { taken: number } {
  const source = ((out: Uint32Array) => {
    out[0] = values[source.taken++]!;
  }) as RandomSource & { taken: number };
  source.taken = 0;
  return source;
}

describe('randomBelow: rejection sampling without modulo bias', () => {
  it('the limit is the largest multiple of n within 32 bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), (n) => {
        const limit = rejectionLimit(n);
        expect(limit % n).toBe(0);
        expect(limit).toBeLessThanOrEqual(2 ** 32);
        expect(limit + n).toBeGreaterThan(2 ** 32);
      }),
    );
  });

  it('rejects every draw at or above the limit and takes the next one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 2 ** 32 - 1 }).filter((n) => 2 ** 32 % n !== 0),
        fc.nat(),
        (n, pick) => {
          const limit = rejectionLimit(n);
          const rejected = limit + (pick % (2 ** 32 - limit));
          const accepted = pick % limit;
          const source = scripted([rejected, 2 ** 32 - 1, accepted]);
          expect(randomBelow(n, source)).toBe(accepted % n);
          expect(source.taken).toBe(3);
        },
      ),
    );
  });

  it('every result has exactly limit / n accepted draws behind it (n = 10: draws 4294967290…95 are the rejected ones)', () => {
    expect(rejectionLimit(10)).toBe(4_294_967_290);
    for (const v of [4_294_967_290, 4_294_967_295]) {
      const source = scripted([v, 7]);
      expect(randomBelow(10, source)).toBe(7);
      expect(source.taken).toBe(2);
    }
    const source = scripted([4_294_967_289]);
    expect(randomBelow(10, source)).toBe(9);
    // The accepted draws split into equal runs, one per result: no result is favoured.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (n) => {
        const perResult = rejectionLimit(n) / n;
        expect(Number.isInteger(perResult)).toBe(true);
        // The first and last accepted draw of result r are r and r + n·(perResult − 1).
        const r = n - 1;
        expect(randomBelow(n, scripted([r + n * (perResult - 1)]))).toBe(r);
      }),
    );
  });

  it('a power of two never rejects', () => {
    const source = scripted([2 ** 32 - 1]);
    expect(randomBelow(256, source)).toBe(255);
    expect(source.taken).toBe(1);
  });
});

describe('passwords and passphrases', () => {
  it('hold only chosen characters, at least one of each chosen kind', () => {
    fc.assert(
      fc.property(
        fc.subarray(['lower', 'upper', 'digits', 'symbols'] as const, { minLength: 1 }),
        fc.integer({ min: 4, max: 64 }),
        fc.boolean(),
        (sets, length, avoidLookAlikes) => {
          const password = generatePassword({ length, sets: [...sets], avoidLookAlikes });
          expect([...password]).toHaveLength(length);
          const allowed = sets.map((s) => CHARSETS[s]).join('');
          for (const c of password) expect(allowed).toContain(c);
          for (const s of sets) expect([...password].some((c) => CHARSETS[s].includes(c))).toBe(true);
          if (avoidLookAlikes) expect(password).not.toMatch(/[Il1O0o|]/);
        },
      ),
    );
  });

  it('refuses what cannot be made', () => {
    expect(() => generatePassword({ length: 2, sets: ['lower', 'upper', 'digits'] })).toThrow(RangeError);
    expect(() => generatePassword({ length: 12, sets: [] })).toThrow(RangeError);
  });

  it('a passphrase is words of the list joined by the separator; entropy is counted per choice', () => {
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const phrase = generatePassphrase(words, 6, '-');
    expect(phrase.split('-')).toHaveLength(6);
    for (const w of phrase.split('-')) expect(words).toContain(w);
    expect(passphraseBits(2048, 6)).toBe(66);
    expect(passwordBits({ length: 10, sets: ['digits'] })).toBeCloseTo(10 * Math.log2(10));
  });
});
