// pkt-line framing under arbitrary bytes, mutated streams and arbitrary chunking: the parser
// gives the same packets (or the same refusal) however the stream is cut, refuses only with
// ErrorGitProtocol, allocates no more than one packet at a time, and valid streams round-trip.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePktLine, FLUSH, type Pkt } from '../../src/git/index.js';
import { MAX_PKT_LINE, PktLineParser, parsePktLines } from '../../src/git/pkt-line.js';
import { fuzzTimeout, mutated, outcome, watchAllocations } from './git-fuzz.js';
import { fuzzRuns } from './runs.js';

const CODES = ['ErrorGitProtocol'] as const;
const DELIM = new TextEncoder().encode('0001');

type Item = Uint8Array | 'flush' | 'delim';
const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  // Packets near the largest size, filled cheaply: fast-check would spend its time making the bytes.
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: MAX_PKT_LINE - 4 }).map((n) => new Uint8Array(n).fill(n & 0xff)) },
  { weight: 1, arbitrary: fc.constantFrom<Item>('flush', 'delim') },
);
const items = fc.array(item, { maxLength: 12 });

function encode(list: Item[]): Uint8Array {
  const parts = list.map((i) => (i === 'flush' ? FLUSH : i === 'delim' ? DELIM : encodePktLine(i)));
  return Buffer.concat(parts);
}

const shown = (p: Pkt): unknown => (typeof p === 'string' ? p : Buffer.from(p).toString('hex'));

/** Parses `bytes` fed in the pieces `cuts` makes; the packets, or the refusal's code. */
function chunked(bytes: Uint8Array, cuts: number[]): unknown {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parser = new PktLineParser();
  const got: Pkt[] = [];
  let prev = 0;
  try {
    for (const c of [...points, bytes.length]) {
      got.push(...parser.push(bytes.subarray(prev, c)));
      prev = c;
    }
    parser.end();
  } catch (e) {
    return { refused: (e as { code?: unknown }).code };
  }
  return got.map(shown);
}

function whole(bytes: Uint8Array): unknown {
  try {
    return parsePktLines(bytes).map(shown);
  } catch (e) {
    return { refused: (e as { code?: unknown }).code };
  }
}

describe('pkt-line fuzz', { timeout: fuzzTimeout() }, () => {
  let watch: ReturnType<typeof watchAllocations>;
  beforeAll(() => {
    watch = watchAllocations();
  });
  afterAll(() => watch.stop());

  it('arbitrary bytes: packets or ErrorGitProtocol, the same however they are cut, never a big allocation', () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(items.map(encode)));
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        watch.reset();
        outcome(() => parsePktLines(bytes), CODES);
        // A packet is at most 65,535 bytes, however many bytes are held.
        expect(watch.largest()).toBeLessThanOrEqual(0xffff);
        expect(chunked(bytes, cuts)).toEqual(whole(bytes));
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('valid streams round-trip, cut anywhere', () => {
    fc.assert(
      fc.property(items, fc.array(fc.nat(), { maxLength: 8 }), (list, cuts) => {
        const want = list.map((i) => (typeof i === 'string' ? i : Buffer.from(i).toString('hex')));
        expect(chunked(encode(list), cuts)).toEqual(want);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
