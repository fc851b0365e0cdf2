// upload-pack requests under arbitrary bytes and mutated requests: parseUploadRequest refuses
// with ErrorGitProtocol only, and what it accepts is distinct, well-formed and within the bounds;
// valid requests round-trip (repeats removed, first-seen order kept). Then whole requests, valid
// or mutated, against a real vault: uploadPack answers with pkt-lines or refuses with a
// KeynodeError, and every pack it sends indexes and holds what was wanted.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePktLine, FLUSH, uploadPack, type GitRepo } from '../../src/git/index.js';
import { reachesAncestor } from '../../src/git/ancestry.js';
import { ObjectStore } from '../../src/git/object-store.js';
import { indexPack } from '../../src/git/pack-indexer.js';
import { parseCommit } from '../../src/git/parse.js';
import { MAX_HAVES, MAX_WANTS, parseUploadRequest } from '../../src/git/upload-request.js';
import { collect, commitAll, newRepo } from '../unit/git/fixture.js';
import { fuzzTimeout, mutated, oid, outcome, outcomeAsync } from './git-fuzz.js';
import { fuzzRuns } from './runs.js';

const CODES = ['ErrorGitProtocol'] as const;

const capability = fc.constantFrom(
  'multi_ack',
  'multi_ack_detailed',
  'no-done',
  'side-band',
  'side-band-64k',
  'ofs-delta',
  'thin-pack',
  'no-progress',
  'agent=fuzz/1',
);

interface Request {
  wants: string[];
  caps: string[];
  haves: string[];
  done: boolean;
}

/** A request of wants and haves drawn from `wantIds` and `haveIds` (repeats likely, as a hostile client would send). */
const request = (wantIds: fc.Arbitrary<string>, haveIds = wantIds): fc.Arbitrary<Request> =>
  fc.record({
    wants: fc.array(wantIds, { minLength: 1, maxLength: 12 }),
    caps: fc.uniqueArray(capability, { maxLength: 6 }),
    haves: fc.array(haveIds, { maxLength: 24 }),
    done: fc.boolean(),
  });

function encode(r: Request): Uint8Array {
  const lines = r.wants.map((w, i) => encodePktLine(`want ${w}${i === 0 && r.caps.length ? ` ${r.caps.join(' ')}` : ''}\n`));
  lines.push(FLUSH, ...r.haves.map((h) => encodePktLine(`have ${h}\n`)), r.done ? encodePktLine('done\n') : FLUSH);
  return Buffer.concat(lines);
}

const distinct = (a: string[]): string[] => [...new Set(a)];

/**
 * The pack in an upload-pack response: side-band channel 1, or (without side-band) the raw bytes
 * after the ACK/NAK lines. Every line before it must be a well-formed pkt-line.
 */
function packIn(out: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let p = 0;
  while (p < out.length) {
    if (Buffer.from(out.subarray(p, p + 4)).toString('latin1') === 'PACK') return out.subarray(p);
    const len = parseInt(Buffer.from(out.subarray(p, p + 4)).toString('latin1'), 16);
    expect(len === 0 || (len >= 4 && p + len <= out.length)).toBe(true);
    if (len > 4 && out[p + 4] === 1) parts.push(out.subarray(p + 5, p + len));
    p += len === 0 ? 4 : len;
  }
  return parts.length > 0 ? Buffer.concat(parts) : undefined;
}

describe('upload request fuzz', { timeout: fuzzTimeout() }, () => {
  const ids = fc.oneof(oid, fc.constantFrom('a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)));

  const check = (bytes: Uint8Array): void => {
    const req = outcome(() => parseUploadRequest(bytes), CODES);
    if (!req) return;
    expect(req.wants.length).toBeGreaterThan(0);
    expect(req.wants.length).toBeLessThanOrEqual(MAX_WANTS);
    expect(req.haves.length).toBeLessThanOrEqual(MAX_HAVES);
    for (const o of [...req.wants, ...req.haves]) expect(o).toMatch(/^[0-9a-f]{40}$/);
    expect(distinct(req.wants)).toEqual(req.wants);
    expect(distinct(req.haves)).toEqual(req.haves);
  };

  it('arbitrary bytes and arbitrary pkt-lines', () => {
    const lines = fc.array(
      fc.oneof(
        fc.string({ maxLength: 60 }).map((t) => encodePktLine(t)),
        fc.constant(FLUSH),
      ),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          lines.map((l) => Buffer.concat(l)),
        ),
        check,
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('mutations of valid requests', () => {
    fc.assert(fc.property(mutated(request(ids).map(encode)), check), { numRuns: fuzzRuns() });
  });

  it('valid requests round-trip, repeats removed in first-seen order', () => {
    fc.assert(
      fc.property(request(ids), (r) => {
        const req = parseUploadRequest(encode(r));
        expect(req.wants).toEqual(distinct(r.wants));
        expect(req.haves).toEqual(distinct(r.haves));
        expect([...req.capabilities].sort()).toEqual([...r.caps].sort());
        expect(req.done).toBe(r.done);
      }),
      { numRuns: fuzzRuns() },
    );
  });

  describe('against a real vault', () => {
    let repo: GitRepo;
    let store: ObjectStore;
    let commits: string[];
    let trees: string[];
    beforeAll(async () => {
      repo = await newRepo();
      commits = [];
      for (let c = 0; c < 6; c++) commits.push(await commitAll(repo, { a: `${c}`, [`dir${c % 2}/f`]: `${c}`.repeat(c * 20) }));
      store = await ObjectStore.open(repo);
      // Objects the vault has that are not commits: a want of one is refused, a have of one is common.
      trees = await Promise.all(commits.map(async (c) => parseCommit((await store.mustRead(c, 'commit')).content, c).tree));
    }, 60_000);

    /** The client has `want` already: it is one of its common haves or below one. */
    const covered = async (want: string, haves: string[]): Promise<boolean> => {
      for (const h of haves) if (h === want || ((await store.has(h)) && (await reachesAncestor(store, h, want)))) return true;
      return false;
    };

    it('valid and mutated requests: pkt-lines whose pack indexes and holds every want, or a KeynodeError', async () => {
      // Wants are mostly commits of the vault (else nearly every request is refused at once).
      const wantIds = fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...commits) }, oid, fc.constantFrom(...trees));
      const haveIds = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...commits) }, oid, fc.constantFrom(...trees));
      const body = fc.oneof(request(wantIds, haveIds).map(encode), mutated(request(wantIds, haveIds).map(encode)));
      await fc.assert(
        fc.asyncProperty(body, async (bytes) => {
          const out = await outcomeAsync(() => collect(uploadPack(repo, bytes)), ['ErrorGitProtocol', 'ErrorGitPackInvalid']);
          if (!out) return;
          const pack = packIn(out);
          if (!pack) return;
          // Thin deltas name bases the client said it has: our own copies stand in for them.
          const indexed = await indexPack(pack, { readBase: (o) => store.read(o) });
          const req = parseUploadRequest(bytes);
          for (const w of req.wants) expect(indexed.has(w) || (await covered(w, req.haves))).toBe(true);
        }),
        { numRuns: fuzzRuns(100) },
      );
    });
  });
});
