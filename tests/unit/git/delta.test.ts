// The delta maker and applier agree, and a one-entry change to a tree gives a tiny delta; a
// delta that announces more than the cap is refused before its result exists, and no malformed
// delta gets anything but a KeynodeError out of the applier.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDelta, createDelta, readDeltaHeader } from '../../../src/git/delta.js';
import { DEFAULT_PACK_LIMITS } from '../../../src/git/limits.js';
import { varint } from './hand-pack.js';

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

  it('refuses a result over the cap with ErrorGitPackTooLarge, before allocating it', () => {
    const base = new Uint8Array(16);
    // 2^40 bytes could not even be allocated: a RangeError here would mean it was tried.
    for (const claimed of [DEFAULT_PACK_LIMITS.maxObjectBytes + 1, 4 * 2 ** 30, 2 ** 40, 2 ** 52]) {
      const delta = Uint8Array.from([...varint(16), ...varint(claimed), 0x90, 16]);
      expect(() => applyDelta(base, delta)).toThrow(
        expect.objectContaining({ code: 'ErrorGitPackTooLarge', data: expect.objectContaining({ limit: 'object', bytes: claimed }) }),
      );
    }
    const small = Uint8Array.from([...varint(16), ...varint(1000), 0x90, 16]);
    expect(() => applyDelta(base, small, 999)).toThrow(expect.objectContaining({ code: 'ErrorGitPackTooLarge' }));
    expect(applyDelta(base, createDelta(base, new Uint8Array(999)), 999).length).toBe(999);
  });

  it('refuses cut-short and overflowing headers and instructions as ErrorStorageCorrupt', () => {
    const base = new Uint8Array(300).fill(1);
    const cases = [
      new Uint8Array(0), // no header at all
      Uint8Array.from([0x80]), // a size varint that never ends
      Uint8Array.from(new Array(12).fill(0xff)), // a size past what a double holds exactly
      Uint8Array.from([...varint(300), 5, 0x91]), // a copy whose offset byte is missing
      Uint8Array.from([...varint(300), 5, 0xff, 1, 2, 3]), // a copy cut short after 3 of 7 bytes
      Uint8Array.from([...varint(300), 5, 0x90, 0xff, 0xff]), // a copy past its base (as two copies)
      Uint8Array.from([...varint(300), 5, 9, 1, 2]), // an insert of 9 with 2 bytes left
      Uint8Array.from([...varint(300), 5, 0]), // the reserved instruction 0
      Uint8Array.from([...varint(300), 5, 0x90, 4]), // makes 4 bytes of the 5 announced
    ];
    for (const delta of cases) expect(() => applyDelta(base, delta)).toThrow(expect.objectContaining({ name: 'KeynodeError', code: 'ErrorStorageCorrupt' }));
  });

  it('reads the announced sizes without applying', () => {
    expect(readDeltaHeader(Uint8Array.from([...varint(70000), ...varint(2 ** 40), 0x90]))).toEqual({ baseSize: 70000, resultSize: 2 ** 40, start: 9 });
    expect(readDeltaHeader(Uint8Array.from([0x85]))).toBeUndefined();
  });
});
