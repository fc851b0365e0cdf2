// Our pack indexer and fetch client against packs the real `git` makes: ofs- and ref-deltas,
// chains of deltas, thin packs completed from local objects, a 10 MB blob — the .idx must be
// byte-identical to `git index-pack`'s and pass `git verify-pack` and `fsck` — and every kind
// of bad pack refused as ErrorGitPackInvalid with the repository left as it was.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { sha1 } from '@noble/hashes/legacy.js';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchPack, type GitTransport } from '../../../src/git/fetch-pack.js';
import { ObjectStore } from '../../../src/git/object-store.js';
import { installPack } from '../../../src/git/pack-install.js';
import { PackIndexer, indexPack, type IndexPackOptions, type IndexedPack } from '../../../src/git/pack-indexer.js';
import { EntryInflater } from '../../../src/git/entry-inflater.js';
import { objectId, objectIdInJs, wasmObjectIds } from '../../../src/git/object-id.js';
import { encodePktLine, FLUSH } from '../../../src/git/index.js';
import { git as run, tempDir } from '../../wire/git-helpers.js';
import { createDelta } from '../../../src/git/delta.js';
import { DEFAULT_PACK_LIMITS, ENTRY_OVERHEAD_BYTES } from '../../../src/git/limits.js';
import { KeynodeError } from '../../../src/errors.js';
import { BLOB, OFS_DELTA, REF_DELTA, entry, handPack, ofsTo, packHeader, varint, withTrailer } from './hand-pack.js';
import { concatBytes } from '../../../src/utils/bytes.js';

const { dir: root, cleanup } = tempDir('indexer');
afterAll(cleanup);
let n = 0;

function bareRepo(): string {
  const d = join(root, `r${n++}.git`);
  run(['init', '-q', '--bare', '-b', 'master', d]);
  return d;
}

/** A work tree whose history gives git something to deltify: one file grown commit by commit. */
function history(commits: number): { work: string; heads: string[] } {
  const work = join(root, `w${n++}`);
  run(['init', '-q', '-b', 'master', work]);
  const heads: string[] = [];
  let text = '';
  for (let c = 0; c < commits; c++) {
    for (let l = 0; l < 40; l++) text += `line ${c}.${l}: some shared text for deltas\n`;
    fs.mkdirSync(join(work, 'prod/db'), { recursive: true });
    fs.writeFileSync(join(work, 'prod/db/config'), text);
    fs.writeFileSync(join(work, `prod/secret-${c}`), `value ${c}`);
    run(['add', '-A'], work);
    run(['commit', '-q', '-m', `c${c}`], work);
    heads.push(run(['rev-parse', 'HEAD'], work).trim());
  }
  return { work, heads };
}

function packOf(work: string, revs: string, flags: string[]): Uint8Array {
  const out = execFileSync('git', ['pack-objects', '--revs', '--stdout', '-q', ...flags], { cwd: work, input: revs, maxBuffer: 1 << 28 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
}

/** What `git index-pack` writes for the same pack. */
function gitIdx(pack: Uint8Array): Uint8Array {
  const p = join(root, `check-${n++}.pack`);
  fs.writeFileSync(p, pack);
  run(['index-pack', p]);
  return new Uint8Array(fs.readFileSync(p.replace(/\.pack$/, '.idx')));
}

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'KeynodeError', code: 'ErrorGitPackInvalid' });
}

describe('objectId', () => {
  it('matches a general SHA-1 at every padding boundary and for a 2 MB object, by WebAssembly and by JavaScript', async () => {
    expect(await wasmObjectIds).toBe(true);
    const sizes = [...Array.from({ length: 200 }, (_, i) => i), 1000, 65536, 2 * 1024 * 1024];
    for (const size of sizes) {
      const content = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      const framed = new Uint8Array([...new TextEncoder().encode(`blob ${size}\0`), ...content]);
      const expected = Buffer.from(sha1(framed)).toString('hex');
      for (const pass of [objectId, objectIdInJs]) {
        const out = new Uint8Array(24);
        pass('blob', content, out, 2);
        expect(Buffer.from(out.subarray(2, 22)).toString('hex')).toBe(expected);
      }
    }
  });
});

describe('indexPack on packs git made', () => {
  let hist: { work: string; heads: string[] };
  beforeAll(() => {
    hist = history(12);
  });

  it('ofs-deltas, with chains of deltas: the .idx is byte-identical to git index-pack', async () => {
    const pack = packOf(hist.work, 'master\n', ['--delta-base-offset']);
    const ours = await indexPack(pack);
    expect(ours.appended).toBe(0);
    expect(ours.pack).toBe(pack);
    expect(Buffer.from(ours.idx).equals(Buffer.from(gitIdx(pack)))).toBe(true);
    // git reports the chains it sees in that pack: deltas of deltas are in it.
    const repo = bareRepo();
    await installPack({ fs, gitdir: repo }, ours);
    const stats = run(['verify-pack', '-v', join(repo, `objects/pack/pack-${ours.checksum}.idx`)]);
    expect(stats).toMatch(/chain length = [2-9]\d*: \d+ objects?/);
    expect(stats).toMatch(/ofs-delta|\bblob\s+\d+ \d+ \d+ \d+ [0-9a-f]{40}/);
  });

  it('ref-deltas: the .idx matches git, and git fsck and isomorphic-git read the stored pack', async () => {
    const pack = packOf(hist.work, 'master\n', []);
    const ours = await indexPack(pack);
    expect(Buffer.from(ours.idx).equals(Buffer.from(gitIdx(pack)))).toBe(true);
    const repo = bareRepo();
    await installPack({ fs, gitdir: repo }, ours);
    run(['update-ref', 'refs/heads/master', hist.heads.at(-1) as string], repo);
    run(['fsck', '--full', '--strict'], repo);
    run(['verify-pack', join(repo, `objects/pack/pack-${ours.checksum}.idx`)]);
    const { blob } = await git.readBlob({ fs, gitdir: repo, oid: hist.heads.at(-1) as string, filepath: 'prod/db/config' });
    expect(new TextDecoder().decode(blob)).toBe(fs.readFileSync(join(hist.work, 'prod/db/config'), 'utf8'));
    expect(fs.readdirSync(join(repo, 'objects/pack')).filter((f) => f.startsWith('tmp_'))).toEqual([]);
  });

  it('a thin pack is completed from our own objects; git verify-pack and fsck accept the result', async () => {
    const [old, head] = [hist.heads[10] as string, hist.heads.at(-1) as string];
    const thin = packOf(hist.work, `${head}\n^${old}\n`, ['--thin', '--delta-base-offset']);
    await expectInvalid(indexPack(thin)); // without our objects its bases are missing
    const repo = bareRepo();
    run(['fetch', '-q', hist.work, `${old}:refs/heads/master`], repo);
    const store = await ObjectStore.open({ fs, gitdir: repo });
    const ours = await indexPack(thin, { readBase: (oid) => store.read(oid) });
    expect(ours.appended).toBeGreaterThan(0);
    expect(ours.pack.length).toBeGreaterThan(thin.length);
    expect(Buffer.from(ours.idx).equals(Buffer.from(gitIdx(ours.pack)))).toBe(true);
    await installPack({ fs, gitdir: repo }, ours);
    run(['verify-pack', '-v', join(repo, `objects/pack/pack-${ours.checksum}.idx`)]);
    run(['update-ref', 'refs/heads/master', head], repo);
    run(['fsck', '--full', '--strict'], repo);
  });

  it('a thin pack whose delta rests on a delta on a thin base, listed first, is completed', async () => {
    const enc = new TextEncoder();
    const [e, r1, r2] = ['base we hold', 'base we hold, edited', 'base we hold, edited twice'].map((t) => enc.encode(t)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const id = (c: Uint8Array): Uint8Array => {
      const out = new Uint8Array(20);
      objectId('blob', c, out, 0);
      return out;
    };
    const d2 = createDelta(r1, r2);
    const d1 = createDelta(e, r1);
    // r2 comes first, as a delta on r1, which is itself a delta on e (held by us, not in the pack).
    const pack = handPack([entry(REF_DELTA, d2.length, id(r1), d2), entry(REF_DELTA, d1.length, id(e), d1)]);
    const eHex = Buffer.from(id(e)).toString('hex');
    const ours = await indexPack(pack, { readBase: async (oid) => (oid === eHex ? { type: 'blob', content: e } : undefined) });
    expect([ours.count, ours.appended]).toEqual([3, 1]);
    for (const c of [e, r1, r2]) expect(ours.has(Buffer.from(id(c)).toString('hex'))).toBe(true);
    expect(Buffer.from(ours.idx).equals(Buffer.from(gitIdx(ours.pack)))).toBe(true);
  });

  it('a 10 MB blob', async () => {
    const work = join(root, `big${n++}`);
    run(['init', '-q', '-b', 'master', work]);
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    fs.writeFileSync(join(work, 'blob.bin'), big);
    run(['add', '-A'], work);
    run(['commit', '-q', '-m', 'big'], work);
    const pack = packOf(work, 'master\n', ['--delta-base-offset']);
    const ours = await indexPack(pack);
    expect(Buffer.from(ours.idx).equals(Buffer.from(gitIdx(pack)))).toBe(true);
    expect(ours.has(run(['rev-parse', 'master:blob.bin'], work).trim())).toBe(true);
  });
});

/** Where each entry of a (small) pack starts, from its v2 .idx. */
function entryOffsets(idx: Uint8Array): number[] {
  const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  const count = dv.getUint32(8 + 255 * 4);
  const at = 8 + 256 * 4 + count * 24;
  return Array.from({ length: count }, (_, i) => dv.getUint32(at + i * 4));
}

/** Indexes `pack` fed in pieces of `size` bytes; `beforeTrailer` sees the indexer when only the 20-byte trailer is left. */
async function inPieces(pack: Uint8Array, size: number, opts: IndexPackOptions = {}, beforeTrailer?: (ix: PackIndexer) => void): Promise<IndexedPack> {
  const indexer = new PackIndexer(opts);
  const body = pack.length - 20;
  for (let at = 0; at < body; at += size) indexer.push(pack.subarray(at, Math.min(at + size, body)));
  beforeTrailer?.(indexer);
  indexer.push(pack.subarray(body));
  return indexer.finish();
}

describe('PackIndexer: a pack indexed while it arrives', () => {
  let hist: { work: string; heads: string[] };
  beforeAll(() => {
    hist = history(12);
  });

  it('in pieces of any size, git packs index to the same .idx as git index-pack, every object resolved before the trailer', async () => {
    const ofs = packOf(hist.work, 'master\n', ['--delta-base-offset']);
    const ref = packOf(hist.work, 'master\n', []);
    const expected = [gitIdx(ofs), gitIdx(ref)];
    for (const size of [1, 7, 100, 1000, 65515]) {
      let before = -1;
      const ours = await inPieces(ofs, size, {}, (ix) => (before = ix.resolved));
      expect(Buffer.from(ours.idx).equals(Buffer.from(expected[0] as Uint8Array))).toBe(true);
      // Entries and ofs-deltas on known bases are done as they come. Only the last piece and a
      // kilobyte wait for the trailer: the last 20 bytes seen could have been it, and an entry cut
      // short is tried again once its bytes have doubled.
      const starts = entryOffsets(ours.idx).sort((a, b) => a - b);
      const seen = ofs.length - 20 - Math.max(size, 1024);
      const early = starts.filter((o, k) => (starts[k + 1] ?? ofs.length - 20) <= seen).length;
      if (size < 1000) expect(early).toBeGreaterThan(ours.count / 2);
      expect(before).toBeGreaterThanOrEqual(early);
      const byRef = await inPieces(ref, size);
      expect(Buffer.from(byRef.idx).equals(Buffer.from(expected[1] as Uint8Array))).toBe(true);
    }
  });

  it('a thin pack in pieces is completed from our own objects as when whole', async () => {
    const [old, head] = [hist.heads[10] as string, hist.heads.at(-1) as string];
    const thin = packOf(hist.work, `${head}\n^${old}\n`, ['--thin', '--delta-base-offset']);
    const repo = bareRepo();
    run(['fetch', '-q', hist.work, `${old}:refs/heads/master`], repo);
    const store = await ObjectStore.open({ fs, gitdir: repo });
    const whole = await indexPack(thin, { readBase: (oid) => store.read(oid) });
    const pieces = await inPieces(thin, 13, { readBase: (oid) => store.read(oid) });
    expect(pieces.appended).toBeGreaterThan(0);
    expect(Buffer.from(pieces.pack).equals(Buffer.from(whole.pack))).toBe(true);
    expect(Buffer.from(pieces.idx).equals(Buffer.from(gitIdx(pieces.pack)))).toBe(true);
  });

  it('a 10 MB entry arriving in 64 KiB pieces is inflated a handful of times, not once a piece', async () => {
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    const pack = handPack([entry(BLOB, big.length, new Uint8Array(0), big)]);
    const inflate = vi.spyOn(EntryInflater.prototype, 'inflate');
    try {
      const ours = await inPieces(pack, 65515);
      expect(ours.count).toBe(1);
      expect(ours.idx).toEqual((await indexPack(pack)).idx);
      // 160 pieces; the entry is tried again each time its bytes have doubled.
      expect(inflate.mock.calls.length).toBeLessThanOrEqual(12);
    } finally {
      inflate.mockRestore();
    }
  });

  it('a damaged pack in pieces is refused as when whole, and over the byte bound as soon as it passes it', async () => {
    const pack = packOf(hist.work, 'master\n', ['--delta-base-offset']);
    const bad = pack.slice();
    bad[bad.length - 30] = (bad[bad.length - 30] as number) ^ 0xff;
    await expectInvalid(inPieces(bad, 100));
    const indexer = new PackIndexer({ maxPackBytes: 1000 });
    indexer.push(pack.subarray(0, 1000));
    expect(() => indexer.push(pack.subarray(1000, 1001))).toThrow(
      expect.objectContaining({ code: 'ErrorGitPackTooLarge', data: { limit: 'packBytes', max: 1000 } }),
    );
  });
});

describe('indexPack refuses bad packs', () => {
  let pack: Uint8Array;
  beforeAll(() => {
    pack = packOf(history(3).work, 'master\n', ['--delta-base-offset']);
  });
  const body = (p: Uint8Array): Uint8Array => p.slice(0, p.length - 20);

  it('a truncated pack', async () => {
    await expectInvalid(indexPack(pack.subarray(0, pack.length - 30)));
    await expectInvalid(indexPack(withTrailer(body(pack).subarray(0, body(pack).length - 10))));
    await expectInvalid(indexPack(pack.subarray(0, 20)));
  });

  it('a bad trailer checksum', async () => {
    const p = pack.slice();
    p[p.length - 1] = (p[p.length - 1] as number) ^ 1;
    await expectInvalid(indexPack(p));
  });

  it('corrupted compressed data (with a trailer that matches it)', async () => {
    const b = body(pack);
    b[b.length - 8] = (b[b.length - 8] as number) ^ 0xff;
    await expectInvalid(indexPack(withTrailer(b)));
  });

  it('an object count that lies, either way', async () => {
    for (const delta of [1, -1, 1000]) {
      const b = body(pack);
      const dv = new DataView(b.buffer);
      dv.setUint32(8, dv.getUint32(8) + delta);
      await expectInvalid(indexPack(withTrailer(b)));
    }
  });

  it('a delta against a base that is nowhere, by offset or by id', async () => {
    const base = new TextEncoder().encode('base content for the delta');
    const delta = Uint8Array.from([base.length, 5, 0x90, 5]); // copy 5 bytes from offset 0
    const blob = entry(3, base.length, new Uint8Array(0), base);
    await expectInvalid(indexPack(handPack([blob, entry(6, delta.length, Uint8Array.from([3]), delta)])));
    await expectInvalid(indexPack(handPack([blob, entry(7, delta.length, new Uint8Array(20).fill(7), delta)]), { readBase: async () => undefined }));
    // The same delta against its real base resolves.
    const ok = await indexPack(handPack([blob, entry(6, delta.length, Uint8Array.from([blob.length]), delta)]));
    expect(ok.count).toBe(2);
  });

  it('an object twice, the second time as a ref-delta to its own id', async () => {
    const blob = new TextEncoder().encode('one secret');
    const whole = entry(BLOB, blob.length, new Uint8Array(0), blob);
    const oid = new Uint8Array(20);
    objectId('blob', blob, oid, 0);
    const toItself = createDelta(blob, blob);
    const pack = handPack([whole, entry(REF_DELTA, toItself.length, oid, toItself)]);
    await expect(indexPack(pack)).rejects.toMatchObject({ code: 'ErrorGitPackInvalid', message: expect.stringMatching(/appears twice/) });
    await expectInvalid(indexPack(handPack([whole, whole])));
  });

  it('a delta whose result size lies, and an entry whose recorded size lies', async () => {
    const base = new TextEncoder().encode('base content for the delta');
    const blob = entry(3, base.length, new Uint8Array(0), base);
    const lying = Uint8Array.from([base.length, 9, 0x90, 5]); // says 9 bytes, makes 5
    await expectInvalid(indexPack(handPack([blob, entry(6, lying.length, Uint8Array.from([blob.length]), lying)])));
    const wrongBase = Uint8Array.from([base.length + 1, 5, 0x90, 5]);
    await expectInvalid(indexPack(handPack([blob, entry(6, wrongBase.length, Uint8Array.from([blob.length]), wrongBase)])));
    await expectInvalid(indexPack(handPack([entry(3, base.length + 1, new Uint8Array(0), base)])));
    await expectInvalid(indexPack(handPack([entry(3, base.length - 1, new Uint8Array(0), base)])));
  });
});

describe('indexPack budgets', () => {
  let pack: Uint8Array;
  beforeAll(() => {
    pack = packOf(history(6).work, 'master\n', ['--delta-base-offset']);
  });
  const tooLarge = (limit: string): object => ({ name: 'KeynodeError', code: 'ErrorGitPackTooLarge', data: expect.objectContaining({ limit }) });

  it('counts every entry, every delta result and the bookkeeping, exactly at the budget', async () => {
    const { inflatedBytes, count } = await indexPack(pack);
    expect(inflatedBytes).toBeGreaterThan(count * ENTRY_OVERHEAD_BYTES);
    expect(inflatedBytes).toBeLessThan(DEFAULT_PACK_LIMITS.maxPackInflatedBytes);
    expect((await indexPack(pack, { limits: { maxPackInflatedBytes: inflatedBytes } })).count).toBe(count);
    await expect(indexPack(pack, { limits: { maxPackInflatedBytes: inflatedBytes - 1 } })).rejects.toMatchObject(tooLarge('pack'));
  });

  it('refuses an object, a delta, or a delta result over the per-object cap', async () => {
    const cap = 1000;
    const limits = { maxObjectBytes: cap };
    const at = (size: number): Uint8Array => new Uint8Array(size).map((_, i) => i % 251);
    expect((await indexPack(handPack([entry(BLOB, cap, new Uint8Array(0), at(cap))]), { limits })).count).toBe(1);
    await expect(indexPack(handPack([entry(BLOB, cap + 1, new Uint8Array(0), at(cap + 1))]), { limits })).rejects.toMatchObject(tooLarge('object'));
    const base = at(cap);
    const blob = entry(BLOB, cap, new Uint8Array(0), base);
    // A delta whose own bytes are over the cap (inserting 1,001 bytes).
    const longDelta = createDelta(new Uint8Array(0), at(cap + 1));
    await expect(
      indexPack(handPack([blob, entry(OFS_DELTA, longDelta.length, ofsTo(12 + blob.length, 12), longDelta)]), {
        limits: { maxObjectBytes: longDelta.length - 1 },
      }),
    ).rejects.toMatchObject(tooLarge('object'));
    // A 7-byte delta whose result is over the cap: refused before it is applied.
    const growing = Uint8Array.from([...varint(cap), ...varint(cap + 1), 0x90, 1]);
    await expect(indexPack(handPack([blob, entry(OFS_DELTA, growing.length, ofsTo(12 + blob.length, 12), growing)]), { limits })).rejects.toMatchObject({
      ...tooLarge('object'),
      message: expect.stringMatching(/delta's result of 1001 bytes is more than the 1000 bytes/),
    });
  });

  it('checks an ofs-delta against its base size before applying any delta', async () => {
    const base = new TextEncoder().encode('base content for the delta');
    const blob = entry(BLOB, base.length, new Uint8Array(0), base);
    // It announces a 4 GiB result too: the base check comes first and says what is wrong.
    const misfit = Uint8Array.from([...varint(base.length + 1), ...varint(2 ** 32), 0x90, 5]);
    await expect(indexPack(handPack([blob, entry(OFS_DELTA, misfit.length, ofsTo(12 + blob.length, 12), misfit)]))).rejects.toMatchObject({
      code: 'ErrorGitPackInvalid',
      message: expect.stringMatching(/does not fit its base/),
    });
  });

  it('an object count the bookkeeping budget cannot hold is refused before anything is read', async () => {
    const count = Math.floor(DEFAULT_PACK_LIMITS.maxPackInflatedBytes / ENTRY_OVERHEAD_BYTES) + 1;
    await expect(indexPack(withTrailer(concatBytes(packHeader(count), new Uint8Array(2 * count))))).rejects.toMatchObject(tooLarge('pack'));
  });
});

/** A transport serving one advertisement and one upload-pack response made of `pack`. */
function serving(master: string, pack: Uint8Array, caps = 'multi_ack_detailed no-done side-band-64k thin-pack ofs-delta'): GitTransport {
  const frames: Uint8Array[] = [encodePktLine('NAK\n')];
  for (let i = 0; i < pack.length; i += 65000) frames.push(encodePktLine(Uint8Array.from([1, ...pack.subarray(i, i + 65000)])));
  frames.push(FLUSH);
  const advert = [
    encodePktLine('# service=git-upload-pack\n'),
    FLUSH,
    encodePktLine(`${master} HEAD\0${caps}\n`),
    encodePktLine(`${master} refs/heads/master\n`),
    FLUSH,
  ];
  return {
    advertisement: concatBytes(...advert),
    async *pack() {
      yield* frames;
    },
  };
}

describe('fetchPack', () => {
  let hist: { work: string; heads: string[] };
  let pack: Uint8Array;
  beforeAll(() => {
    hist = history(3);
    pack = packOf(hist.work, 'master\n', ['--delta-base-offset']);
  });
  const listing = (repo: string): string[] => fs.readdirSync(join(repo, 'objects/pack')).sort();

  it('stores the pack it asked for', async () => {
    const repo = bareRepo();
    const head = hist.heads.at(-1) as string;
    expect(await fetchPack({ fs, gitdir: repo, transport: serving(head, pack) })).toBe(head);
    run(['update-ref', 'refs/heads/master', head], repo);
    run(['fsck', '--full', '--strict'], repo);
  });

  it('refuses a pack without the commit it asked for, and writes nothing', async () => {
    const repo = bareRepo();
    const before = listing(repo);
    const older = packOf(hist.work, `${hist.heads[0]}\n`, ['--delta-base-offset']);
    await expectInvalid(fetchPack({ fs, gitdir: repo, transport: serving(hist.heads.at(-1) as string, older) }));
    expect(listing(repo)).toEqual(before);
  });

  it('refuses a pack over the size bound, and a damaged one, leaving the repository unchanged', async () => {
    const repo = bareRepo();
    const before = listing(repo);
    const head = hist.heads.at(-1) as string;
    const tooLarge = { code: 'ErrorGitPackTooLarge', data: { limit: 'packBytes', max: pack.length - 1 } };
    await expect(fetchPack({ fs, gitdir: repo, transport: serving(head, pack), maxPackBytes: pack.length - 1 })).rejects.toMatchObject(tooLarge);
    // Without maxPackBytes, the bytes are bounded by the inflated budget.
    const budget = { maxPackInflatedBytes: pack.length - 1 };
    await expect(fetchPack({ fs, gitdir: repo, transport: serving(head, pack), limits: budget })).rejects.toMatchObject(tooLarge);
    const bad = pack.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    await expectInvalid(fetchPack({ fs, gitdir: repo, transport: serving(head, bad) }));
    await expectInvalid(fetchPack({ fs, gitdir: repo, transport: serving(head, pack.subarray(0, pack.length - 100)) }));
    expect(listing(repo)).toEqual(before);
  });

  it('asks for a thin pack only when told to and the server offers it, and sends nothing when up to date', async () => {
    const head = hist.heads.at(-1) as string;
    const requests: string[] = [];
    const recording = (advertisement: Uint8Array): GitTransport => ({
      advertisement,
      pack: (request) => (requests.push(new TextDecoder().decode(request)), serving(head, pack).pack(request)),
    });
    const offered = serving(head, pack).advertisement;
    const repo = bareRepo();
    await fetchPack({ fs, gitdir: repo, transport: recording(offered) });
    await fetchPack({ fs, gitdir: bareRepo(), transport: recording(offered), thinPack: true });
    const notOffered = serving(head, pack, 'side-band-64k ofs-delta').advertisement;
    await fetchPack({ fs, gitdir: bareRepo(), transport: recording(notOffered), thinPack: true });
    const firstWant = (r: string): string[] => (r.split('\n')[0] as string).split(' ');
    expect(requests.map((r) => firstWant(r).includes('thin-pack'))).toEqual([false, true, false]);
    expect(requests[1]).toMatch(new RegExp(`^[0-9a-f]{4}want ${head} `));
    expect(firstWant(requests[1] as string)).toEqual(expect.arrayContaining(['side-band-64k', 'ofs-delta']));
    // The repository has the commit now: no second request.
    await fetchPack({ fs, gitdir: repo, transport: recording(offered), thinPack: true });
    expect(requests).toHaveLength(3);
  });

  it('lets timers run while a pack of many queued pieces is indexed, so the channel stays alive', async () => {
    const head = hist.heads.at(-1) as string;
    // Every piece is there at once: without pauses the loop would never leave its microtasks.
    const pieces: Uint8Array[] = [encodePktLine('NAK\n')];
    for (let i = 0; i < pack.length; i += 16) pieces.push(encodePktLine(Uint8Array.from([1, ...pack.subarray(i, i + 16)])));
    pieces.push(FLUSH);
    expect(pieces.length).toBeGreaterThan(60);
    let sent = 0;
    let tickedAfter = -1;
    const transport: GitTransport = {
      advertisement: serving(head, pack).advertisement,
      async *pack() {
        setTimeout(() => (tickedAfter = sent), 0);
        for (const p of pieces) {
          sent++;
          yield p;
        }
      },
    };
    expect(await fetchPack({ fs, gitdir: bareRepo(), transport })).toBe(head);
    expect(tickedAfter).toBeGreaterThan(0);
    expect(tickedAfter).toBeLessThanOrEqual(20);
  });

  it("turns a transport's failures into KeynodeErrors, keeping the transport's own codes", async () => {
    const head = hist.heads.at(-1) as string;
    const advertisement = serving(head, pack).advertisement;
    const failing = (e: Error): GitTransport => ({
      advertisement,
      async *pack() {
        yield encodePktLine('NAK\n');
        throw e;
      },
    });
    await expect(fetchPack({ fs, gitdir: bareRepo(), transport: failing(new Error('socket hang up')) })).rejects.toMatchObject({
      name: 'KeynodeError',
      code: 'ErrorGitProtocol',
    });
    const lost = new KeynodeError('ErrorRpcStreamClosed', 'gone');
    await expect(fetchPack({ fs, gitdir: bareRepo(), transport: failing(lost) })).rejects.toBe(lost);
    const refusing: GitTransport = {
      advertisement,
      pack: () => {
        throw new Error('no channel');
      },
    };
    await expect(fetchPack({ fs, gitdir: bareRepo(), transport: refusing })).rejects.toMatchObject({ code: 'ErrorGitProtocol' });
  });

  it('passes its budgets to the indexer: an object over the cap is refused and nothing is written', async () => {
    const repo = bareRepo();
    const before = listing(repo);
    const head = hist.heads.at(-1) as string;
    const refused = fetchPack({ fs, gitdir: repo, transport: serving(head, pack), limits: { maxObjectBytes: 100 } });
    await expect(refused).rejects.toMatchObject({ code: 'ErrorGitPackTooLarge', data: { limit: 'object', max: 100 } });
    expect(listing(repo)).toEqual(before);
  });
});
