// applyDelta under arbitrary bytes, mutated deltas and headers announcing any size: it returns
// exactly the size announced (never over the cap) or refuses with ErrorStorageCorrupt or
// ErrorGitPackTooLarge — never a RangeError — and never allocates more than the cap; deltas
// made by createDelta round-trip.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDelta, createDelta, readDeltaHeader } from '../../src/git/delta.js';
import { varint } from '../unit/git/hand-pack.js';
import { fuzzTimeout, mutated, outcome, watchAllocations } from './git-fuzz.js';
import { fuzzRuns } from './runs.js';

const CODES = ['ErrorStorageCorrupt', 'ErrorGitPackTooLarge'] as const;
/** Small, so that a size the applier should have refused shows as an allocation over it. */
const CAP = 4096;

const bytes = fc.uint8Array({ maxLength: 600 });
/** Sizes around every boundary that matters: empty, the cap, 32 bits, 2^53. */
const size = fc.oneof(
  fc.nat({ max: 700 }),
  fc.integer({ min: CAP - 2, max: CAP + 2 }),
  fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1),
  fc.nat({ max: Number.MAX_SAFE_INTEGER }),
);
const made = fc.tuple(bytes, bytes).map(([base, target]) => ({ base, delta: createDelta(base, target) }));

describe('delta fuzz', { timeout: fuzzTimeout() }, () => {
  let watch: ReturnType<typeof watchAllocations>;
  beforeAll(() => {
    watch = watchAllocations();
  });
  afterAll(() => watch.stop());

  const check = (base: Uint8Array, delta: Uint8Array): void => {
    watch.reset();
    const out = outcome(() => applyDelta(base, delta, CAP), CODES);
    expect(watch.largest()).toBeLessThanOrEqual(CAP);
    if (out) expect(out.length).toBe(readDeltaHeader(delta)?.resultSize);
  };

  it('arbitrary bases and deltas', () => {
    fc.assert(fc.property(bytes, bytes, check), { numRuns: fuzzRuns() });
  });

  it('deltas with headers announcing any base and result size, over instructions of any kind', () => {
    // Half of them name the real base size, so the result size is what gets checked.
    const announced = fc.tuple(bytes, fc.boolean(), size, size, bytes).map(([base, fits, baseSize, resultSize, ops]) => ({
      base,
      delta: Uint8Array.from([...varint(fits ? base.length : baseSize), ...varint(resultSize), ...ops]),
    }));
    fc.assert(
      fc.property(announced, ({ base, delta }) => check(base, delta)),
      { numRuns: fuzzRuns() },
    );
  });

  it('mutations of valid deltas', () => {
    fc.assert(
      fc.property(
        made.chain(({ base, delta }) => mutated(fc.constant(delta)).map((d) => ({ base, delta: d }))),
        ({ base, delta }) => check(base, delta),
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('valid deltas round-trip', () => {
    fc.assert(
      fc.property(bytes, bytes, (base, target) => {
        expect(Buffer.compare(applyDelta(base, createDelta(base, target)), target)).toBe(0);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
