// Whole packs fed to the indexer: arbitrary bytes, packs of random objects stored whole, as
// ofs-deltas, as ref-deltas (to objects before or after them, or to thin bases we hold), and
// byte-level mutations of those with the trailer made to match again (so they get past the
// checksum into the entries). The indexer refuses with ErrorGitPackInvalid or
// ErrorGitPackTooLarge only, never allocates beyond its budgets, and whatever it accepts is
// self-consistent: every object its index lists reads back and hashes to its id. Valid packs
// round-trip object for object. A pack that arrives in pieces, cut anywhere, ends exactly as the
// same pack indexed whole: the same pack and index, or the same refusal.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelta } from '../../src/git/delta.js';
import { objectId } from '../../src/git/object-id.js';
import { TYPE_CODES } from '../../src/git/pack-entry.js';
import { PackFile } from '../../src/git/pack-file.js';
import { PackIndexer, indexPack, type IndexedPack } from '../../src/git/pack-indexer.js';
import type { GitObject, ObjectType } from '../../src/git/types.js';
import { OFS_DELTA, REF_DELTA, entry, ofsTo, packHeader, withTrailer } from '../unit/git/hand-pack.js';
import { fuzzTimeout, mutated, outcomeAsync, watchAllocations } from './git-fuzz.js';
import { fuzzRuns } from './runs.js';
import { concatBytes } from '../../src/utils/bytes.js';

const CODES = ['ErrorGitPackInvalid', 'ErrorGitPackTooLarge'] as const;
/** Small budgets, so that sizes the indexer should refuse are near and an allocation past them shows. */
const LIMITS = { maxObjectBytes: 16 * 1024, maxPackInflatedBytes: 256 * 1024 };
/** The inflater carves small objects out of 1 MiB slabs; nothing else may come near it. */
const SLAB = 1 << 20;

interface Spec {
  type: ObjectType;
  /** Index of an earlier object this one is a variation of (and may be a delta against). */
  from: number | undefined;
  content: Uint8Array;
  how: 'whole' | 'ofs' | 'ref';
  /** A thin pack's base: not written, read from "our" objects through readBase. */
  external: boolean;
}

interface Obj extends Spec {
  oid: string;
  /** The original, for a variation (never one with the same id). */
  orig: Obj | undefined;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function idOf(type: ObjectType, content: Uint8Array): string {
  const out = new Uint8Array(20);
  objectId(type, content, out, 0);
  return hex(out);
}

const spec: fc.Arbitrary<Spec> = fc.record({
  type: fc.constantFrom<ObjectType>('blob', 'tree', 'commit', 'tag'),
  from: fc.option(fc.nat(), { nil: undefined }),
  content: fc.uint8Array({ maxLength: 300 }),
  how: fc.constantFrom('whole', 'ofs', 'ref'),
  external: fc.boolean(),
});

/**
 * Objects where a variation keeps its original's type and edits its content (so deltas are
 * small). Each id is kept once, the first made: a variation only ever refers to an object made
 * before it, so the deltas cannot form a loop.
 */
function objects(specs: Spec[]): Obj[] {
  const out: Obj[] = [];
  specs.forEach((s, i) => {
    const orig = s.from === undefined || out.length === 0 ? undefined : out[s.from % out.length];
    const type = orig ? orig.type : s.type;
    const content = orig ? concatBytes(orig.content.subarray(0, s.content.length % (orig.content.length + 1)), s.content.subarray(0, 20)) : s.content;
    const oid = idOf(type, content);
    if (out.some((o) => o.oid === oid)) return;
    out.push({ ...s, type, content, oid, orig: orig?.oid === oid ? undefined : orig, external: s.external && i === 0 });
  });
  return out;
}

interface Built {
  pack: Uint8Array;
  written: Obj[];
  bases: Map<string, GitObject>;
}

/**
 * Writes the objects, in order or reversed (so ref-deltas point forward too): variations as the
 * delta kind they asked for when their original allows it (an ofs-delta needs its base before it).
 */
function build(objs: Obj[], reversed: boolean): Built {
  const bases = new Map<string, GitObject>();
  const offsets = new Map<string, number>();
  const entries: Uint8Array[] = [];
  const written: Obj[] = [];
  let at = 12;
  const order = objs.map((_, i) => i);
  if (reversed) order.reverse();
  for (const i of order) {
    const o = objs[i] as Obj;
    if (o.external) {
      bases.set(o.oid, { type: o.type, content: o.content });
      continue;
    }
    const orig = o.orig;
    let e: Uint8Array;
    const delta = orig ? createDelta(orig.content, o.content) : undefined;
    const baseAt = orig ? offsets.get(orig.oid) : undefined;
    if (orig && delta && o.how === 'ofs' && baseAt !== undefined) e = entry(OFS_DELTA, delta.length, ofsTo(at, baseAt), delta);
    else if (orig && delta && o.how === 'ref') e = entry(REF_DELTA, delta.length, Buffer.from(orig.oid, 'hex'), delta);
    else e = entry(TYPE_CODES[o.type], o.content.length, new Uint8Array(0), o.content);
    offsets.set(o.oid, at);
    entries.push(e);
    written.push(o);
    at += e.length;
  }
  return { pack: withTrailer(concatBytes(packHeader(entries.length), ...entries)), written, bases };
}

const built = fc.tuple(fc.array(spec, { minLength: 1, maxLength: 8 }), fc.boolean()).map(([s, reversed]) => build(objects(s), reversed));

/** Every (oid, offset) a v2 .idx lists. */
function listed(idx: Uint8Array): Array<[string, number]> {
  const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  const count = dv.getUint32(8 + 255 * 4);
  const out: Array<[string, number]> = [];
  for (let i = 0; i < count; i++) out.push([hex(idx.subarray(1032 + i * 20, 1052 + i * 20)), dv.getUint32(1032 + count * 24 + i * 4)]);
  return out;
}

/** Reads every object the index lists and checks it hashes to its id; returns them by id. */
async function readAll(ix: IndexedPack): Promise<Map<string, GitObject>> {
  const pf = new PackFile('fuzz', ix.pack, ix.idx, LIMITS.maxObjectBytes);
  const cache = new Map<number, GitObject>();
  const got = new Map<string, GitObject>();
  for (const [oid, offset] of listed(ix.idx)) {
    const obj = await pf.read(offset, async () => undefined, cache);
    expect(idOf(obj.type, obj.content)).toBe(oid);
    got.set(oid, obj);
  }
  return got;
}

describe('pack fuzz', { timeout: fuzzTimeout() }, () => {
  let watch: ReturnType<typeof watchAllocations>;
  beforeAll(() => {
    watch = watchAllocations();
  });
  afterAll(() => watch.stop());

  /** Indexes `pack`; refusals must be allowed ones, acceptances self-consistent, allocations bounded. */
  async function check(pack: Uint8Array, bases = new Map<string, GitObject>()): Promise<{ ix: IndexedPack; got: Map<string, GitObject> } | undefined> {
    watch.reset();
    const ix = await outcomeAsync(() => indexPack(pack, { readBase: async (o) => bases.get(o), limits: LIMITS }), CODES);
    expect(watch.largest()).toBeLessThanOrEqual(Math.max(SLAB, LIMITS.maxPackInflatedBytes) + pack.length);
    if (!ix) return undefined;
    expect(ix.inflatedBytes).toBeLessThanOrEqual(LIMITS.maxPackInflatedBytes);
    return { ix, got: await readAll(ix) };
  }

  it('arbitrary bytes, bare or behind a pack header and before a matching trailer', async () => {
    const body = fc.uint8Array({ maxLength: 600 });
    const framed = fc.tuple(fc.oneof(fc.nat({ max: 20 }), fc.nat()), body).map(([count, b]) => withTrailer(concatBytes(packHeader(count), b)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, framed), (p) => check(p).then(() => undefined)),
      { numRuns: fuzzRuns() },
    );
  });

  it('mutations of valid packs, with the trailer made to match again', async () => {
    const input = built.chain(({ pack, bases }) => mutated(fc.constant(pack.subarray(0, pack.length - 20))).map((b) => ({ pack: withTrailer(b), bases })));
    await fc.assert(
      fc.asyncProperty(input, ({ pack, bases }) => check(pack, bases).then(() => undefined)),
      { numRuns: fuzzRuns() },
    );
  });

  /** What indexing ends in, for comparing: the stored pack and index, or the refusal. */
  async function ending(run: () => Promise<IndexedPack>): Promise<unknown> {
    try {
      const ix = await run();
      return { pack: Buffer.from(ix.pack).toString('hex'), idx: Buffer.from(ix.idx).toString('hex'), inflatedBytes: ix.inflatedBytes };
    } catch (e) {
      const { code, message } = e as { code?: unknown; message?: unknown };
      return { code, message };
    }
  }

  it('a pack cut into pieces anywhere ends as the same pack indexed whole', async () => {
    const mutatedPack = built.chain(({ pack, bases }) =>
      mutated(fc.constant(pack.subarray(0, pack.length - 20))).map((b) => ({ pack: withTrailer(b), bases })),
    );
    const input = fc
      .oneof(built, mutatedPack)
      .chain(({ pack, bases }) =>
        fc.uniqueArray(fc.nat({ max: pack.length }), { maxLength: 12 }).map((cuts) => ({ pack, bases, cuts: [...cuts].sort((a, b) => a - b) })),
      );
    await fc.assert(
      fc.asyncProperty(input, async ({ pack, bases, cuts }) => {
        const opts = { readBase: async (o: string) => bases.get(o), limits: LIMITS };
        const whole = await ending(() => indexPack(pack, opts));
        const pieces = await ending(async () => {
          const indexer = new PackIndexer(opts);
          let at = 0;
          for (const cut of [...cuts, pack.length]) {
            indexer.push(pack.subarray(at, cut));
            at = cut;
          }
          return indexer.finish();
        });
        expect(pieces).toEqual(whole);
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('valid packs round-trip: every object, and the thin bases appended', async () => {
    await fc.assert(
      fc.asyncProperty(built, async ({ pack, written, bases }) => {
        const accepted = await check(pack, bases);
        expect(accepted).toBeDefined();
        const { ix, got } = accepted as { ix: IndexedPack; got: Map<string, GitObject> };
        for (const o of written) expect(got.get(o.oid)).toEqual({ type: o.type, content: o.content });
        // A thin base is appended exactly when a ref-delta needs it and the pack does not hold it.
        const inPack = new Set(written.map((o) => o.oid));
        const needed = new Set(
          written
            .filter((o) => o.how === 'ref')
            .map((o) => o.orig?.oid)
            .filter((b): b is string => b !== undefined && bases.has(b) && !inPack.has(b)),
        );
        expect(ix.appended).toBe(needed.size);
        for (const b of needed) expect(got.get(b)).toEqual(bases.get(b));
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
