// The delta maker and applier agree, and a one-entry change to a tree gives a tiny delta.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDelta, createDelta } from '../../../src/git/delta.js';

describe('git deltas', () => {
  it('round-trips any pair of byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (base, target) => {
        expect(Array.from(applyDelta(base, createDelta(base, target)))).toEqual(Array.from(target));
      }),
    );
  });

  it('round-trips edits in the middle of large inputs (copies over 64 KiB)', () => {
    const base = new Uint8Array(200_000).map((_, i) => (i * 31) & 255);
    const target = base.slice();
    target[100_000] = 7;
    const delta = createDelta(base, target);
    expect(delta.length).toBeLessThan(40);
    expect(Buffer.compare(applyDelta(base, delta), target)).toBe(0);
  });

  it('refuses a delta made for another base', () => {
    const delta = createDelta(new Uint8Array(10), new Uint8Array(5));
    expect(() => applyDelta(new Uint8Array(11), delta)).toThrow(expect.objectContaining({ code: 'ErrorStorageCorrupt' }));
  });
});
