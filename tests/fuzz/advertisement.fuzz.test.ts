// The client's reading of a ref advertisement (parseAdvert, masterInAdvertisement) under
// arbitrary bytes and mutated advertisements: master and the capabilities, or ErrorGitProtocol
// with a message of bounded length whatever the peer wrote; valid advertisements round-trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, encodePktLine, FLUSH, masterInAdvertisement } from '../../src/git/index.js';
import { parseAdvert } from '../../src/git/fetch-pack.js';
import { fuzzTimeout, mutated, oid, outcome } from './git-fuzz.js';
import { fuzzRuns } from './runs.js';

const CODES = ['ErrorGitProtocol'] as const;

const capability = fc.oneof(fc.constantFrom(...CAPABILITIES), fc.stringMatching(/^[a-z0-9][a-z0-9=_.:/-]{0,20}$/));
const otherRef = fc.tuple(oid, fc.stringMatching(/^refs\/(heads|tags)\/[a-z0-9]{1,12}$/)).filter(([, ref]) => ref !== 'refs/heads/master');

interface Advert {
  master: string | undefined;
  caps: string[];
  others: Array<[string, string]>;
  error?: string;
}

const advert: fc.Arbitrary<Advert> = fc.record({
  master: fc.option(oid, { nil: undefined }),
  caps: fc.uniqueArray(capability, { maxLength: 10 }),
  others: fc.array(otherRef, { maxLength: 4 }),
});

/** An advertisement as advertise.ts writes one, with other refs after master's as `git` may send. */
function encode(a: Advert): Uint8Array {
  const caps = a.caps.join(' ');
  const lines = [encodePktLine('# service=git-upload-pack\n'), FLUSH];
  if (a.master === undefined) lines.push(encodePktLine(`${'0'.repeat(40)} capabilities^{}\0${caps}\n`));
  else lines.push(encodePktLine(`${a.master} HEAD\0${caps}\n`), encodePktLine(`${a.master} refs/heads/master\n`));
  for (const [o, ref] of a.others) lines.push(encodePktLine(`${o} ${ref}\n`));
  lines.push(FLUSH);
  return Buffer.concat(lines);
}

const errLine = fc.string({ maxLength: 2000, unit: 'binary' }).map((t) => Buffer.concat([encodePktLine(`ERR ${t}`.slice(0, 60_000))]));

describe('advertisement fuzz', { timeout: fuzzTimeout() }, () => {
  const check = (bytes: Uint8Array): void => {
    const parsed = outcome(() => parseAdvert(bytes), CODES);
    const master = outcome(() => masterInAdvertisement(bytes), CODES);
    if (parsed) {
      expect(master).toBe(parsed.master);
      if (parsed.master !== undefined) expect(parsed.master).toMatch(/^[0-9a-f]{40}$/);
    } else {
      // Whatever the peer wrote, the message stays a sentence, not a dump.
      try {
        parseAdvert(bytes);
      } catch (e) {
        expect((e as Error).message.length).toBeLessThan(320);
      }
    }
  };

  it('arbitrary bytes and ERR lines of any text', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), errLine), check), { numRuns: fuzzRuns() });
  });

  it('mutations of valid advertisements', () => {
    fc.assert(fc.property(mutated(advert.map(encode)), check), { numRuns: fuzzRuns() });
  });

  it('valid advertisements round-trip: master and the capabilities', () => {
    fc.assert(
      fc.property(advert, (a) => {
        const parsed = parseAdvert(encode(a));
        expect(parsed.master).toBe(a.master);
        expect([...parsed.caps].sort()).toEqual([...a.caps].sort());
        expect(masterInAdvertisement(encode(a))).toBe(a.master);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
