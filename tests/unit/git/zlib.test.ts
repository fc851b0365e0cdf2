// deflate reuses one zlib state between objects: every object must still come out as its own
// complete zlib stream, whatever came before it (sizes around the stored-block and window edges).
import { randomBytes } from 'node:crypto';
import { inflate } from 'pako';
import { describe, expect, it } from 'vitest';
import { deflate } from '../../../src/git/zlib.js';

describe('deflate', () => {
  it('gives a complete stream per object, in any order of sizes and contents', () => {
    const sizes = [0, 1, 100, 16_383, 16_384, 65_535, 65_536, 100_000, 5 << 20, 3, 40_000];
    for (const size of sizes) {
      for (const bytes of [
        new Uint8Array(randomBytes(size)),
        new Uint8Array(size),
        new TextEncoder().encode('secret='.repeat(Math.ceil(size / 7)).slice(0, size)),
      ]) {
        const z = deflate(bytes);
        expect(z[0]).toBe(0x78); // a zlib header, not a raw or gzip stream
        // Compared as buffers: toEqual walks a 5 MB array element by element.
        expect(Buffer.compare(inflate(z), bytes)).toBe(0);
      }
    }
  });
});
