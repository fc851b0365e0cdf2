// Memory bombs, each fed to keynode's git code in a process of its own whose peak RSS is
// measured: a pack of under 1 kB whose delta announces 4 GiB, real 256 MiB deltas, zlib bombs
// (a megabyte that inflates to 256 MiB), entries whose header lies about their size, packs over
// the per-pack budget, an absurd object count, and the same tricks in loose objects and in a
// stored pack. Each must be refused with its stable code while the process stays under 256 MiB
// (what it takes with only the modules loaded is printed beside it).
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeflate } from 'node:zlib';
import { deflate, Inflate } from 'pako';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDelta } from '../../../src/git/delta.js';
import { writeIdx } from '../../../src/git/idx-writer.js';
import { tempDir } from '../../wire/git-helpers.js';
import { BLOB, OFS_DELTA, copyingDelta, entry, handPack, ofsTo, packHeader, rawEntry, varint, withTrailer } from './hand-pack.js';
import { concatBytes } from '../../../src/utils/bytes.js';

const RUNNER = fileURLToPath(new URL('./bomb-child.ts', import.meta.url));
const MiB = 1024 * 1024;
const PEAK_LIMIT = 256 * MiB;

const { dir: root, cleanup } = tempDir('bombs');
afterAll(cleanup);
let n = 0;

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  data?: { limit?: string };
  maxRSS: number;
}

function child(args: string[]): Outcome {
  const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, ...args], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`the child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as Outcome;
}

function packFile(pack: Uint8Array): string {
  const p = join(root, `bomb-${n++}.pack`);
  fs.writeFileSync(p, pack);
  return p;
}

/** A zlib stream of `prefix` then `zeros` zero bytes, made a megabyte at a time. */
async function zlibBomb(zeros: number, prefix = new Uint8Array(0)): Promise<Uint8Array> {
  const z = createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  z.on('data', (d: Buffer) => parts.push(d));
  const ended = once(z, 'end');
  z.write(prefix);
  const chunk = Buffer.alloc(MiB);
  for (let left = zeros; left > 0; left -= MiB) if (!z.write(left >= MiB ? chunk : chunk.subarray(0, left))) await once(z, 'drain');
  z.end();
  await ended;
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * A 64 KiB blob then ofs-deltas of it, each announcing (and really making) about `resultSize`
 * bytes: one byte less each, so that no two are the same object.
 */
function deltaPack(count: number, resultSize: number): Uint8Array {
  const base = new Uint8Array(0x10000).map((_, i) => (i * 7919) >> 3);
  const entries = [entry(BLOB, base.length, new Uint8Array(0), base)];
  let at = 12 + (entries[0] as Uint8Array).length;
  for (let i = 0; i < count; i++) {
    const delta = copyingDelta(base.length, resultSize - i);
    const e = entry(OFS_DELTA, delta.length, ofsTo(at, 12), delta);
    entries.push(e);
    at += e.length;
  }
  return handPack(entries);
}

const peaks: string[] = [];
let baseline = 0;

function expectRefused(name: string, o: Outcome, code: string, limit?: string): void {
  peaks.push(`${name}: ${o.code} ${o.data?.limit ?? ''} peak ${(o.maxRSS / MiB).toFixed(0)} MiB`);
  expect(o).toMatchObject({ ok: false, code });
  if (limit) expect(o.data?.limit).toBe(limit);
  expect(o.maxRSS).toBeLessThan(PEAK_LIMIT);
}

describe('memory bombs are refused before they are allocated (peak RSS of a child process)', () => {
  let bomb256: Uint8Array;
  beforeAll(async () => {
    baseline = child(['baseline']).maxRSS;
    bomb256 = await zlibBomb(256 * MiB);
  });
  afterAll(() => {
    console.warn(`[measure] peak RSS with only the modules loaded: ${(baseline / MiB).toFixed(0)} MiB\n${peaks.join('\n')}`);
  });

  it('a pack of under 1 kB whose delta announces a 4 GiB result', () => {
    const base = new TextEncoder().encode('a small secret');
    const blob = entry(BLOB, base.length, new Uint8Array(0), base);
    const delta = Uint8Array.from([...varint(base.length), ...varint(4 * 1024 * MiB), 0x90, base.length]);
    const pack = handPack([blob, entry(OFS_DELTA, delta.length, ofsTo(12 + blob.length, 12), delta)]);
    expect(pack.length).toBeLessThan(1024);
    expectRefused('4 GiB delta', child(['index', packFile(pack)]), 'ErrorGitPackTooLarge', 'object');
  });

  it('ten real deltas of 256 MiB each', () => {
    const pack = deltaPack(10, 256 * MiB);
    expectRefused('10 x 256 MiB deltas', child(['index', packFile(pack)]), 'ErrorGitPackTooLarge', 'object');
  });

  it('ten zlib bombs that really inflate to 256 MiB each', () => {
    const one = rawEntry(BLOB, 256 * MiB, new Uint8Array(0), bomb256);
    const pack = handPack(Array.from({ length: 10 }, () => one));
    expectRefused('10 x 256 MiB zlib bombs', child(['index', packFile(pack)]), 'ErrorGitPackTooLarge', 'object');
  });

  it('entries whose header lies about their size: never inflated past what the header says', () => {
    // 1,000 bytes announced, 256 MiB in the stream.
    const small = handPack([rawEntry(BLOB, 1000, new Uint8Array(0), bomb256)]);
    expectRefused('header says 1000 B, stream 256 MiB', child(['index', packFile(small)]), 'ErrorGitPackInvalid');
    // 30 MiB announced (under the cap), 256 MiB in the stream: inflating stops at 30 MiB.
    const large = handPack([rawEntry(BLOB, 30 * MiB, new Uint8Array(0), bomb256)]);
    expectRefused('header says 30 MiB, stream 256 MiB', child(['index', packFile(large)]), 'ErrorGitPackInvalid');
    // 30 MiB announced, 100 bytes in the stream: more than deflate can hold, refused unallocated.
    const tiny = handPack([entry(BLOB, 30 * MiB, new Uint8Array(0), new Uint8Array(100))]);
    expectRefused('header says 30 MiB, stream 100 B', child(['index', packFile(tiny)]), 'ErrorGitPackInvalid');
  });

  it('deltas each under the per-object cap that together pass the pack budget (defaults)', () => {
    // Nine 30 MiB results pass 256 MiB: refused while reading the deltas' headers, before any applies.
    const pack = deltaPack(10, 30 * MiB);
    expectRefused('10 x 30 MiB deltas', child(['index', packFile(pack)]), 'ErrorGitPackTooLarge', 'pack');
  });

  it('honest objects that together pass a 64 MiB pack budget', async () => {
    const one = rawEntry(BLOB, 24 * MiB, new Uint8Array(0), await zlibBomb(24 * MiB));
    const pack = handPack(Array.from({ length: 5 }, () => one));
    const limits = JSON.stringify({ maxPackInflatedBytes: 64 * MiB });
    expectRefused('5 x 24 MiB objects, 64 MiB budget', child(['index', packFile(pack), limits]), 'ErrorGitPackTooLarge', 'pack');
  });

  it('an object count whose bookkeeping alone passes the budget', () => {
    const pack = withTrailer(concatBytes(packHeader(1_100_000), new Uint8Array(2_200_000)));
    expectRefused('1.1 million objects announced', child(['index', packFile(pack)]), 'ErrorGitPackTooLarge', 'pack');
  });

  it('loose objects: a 256 MiB zlib bomb, and a header that says 10 bytes over 256 MiB', async () => {
    const gitdir = join(root, `loose-${n++}.git`);
    const write = (oid: string, file: Uint8Array): void => {
      fs.mkdirSync(join(gitdir, 'objects', oid.slice(0, 2)), { recursive: true });
      fs.writeFileSync(join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2)), file);
    };
    const big = 'a'.repeat(40);
    const lying = 'b'.repeat(40);
    write(big, await zlibBomb(256 * MiB, new TextEncoder().encode(`blob ${256 * MiB}\0`)));
    write(lying, await zlibBomb(256 * MiB, new TextEncoder().encode('blob 10\0')));
    expectRefused('loose 256 MiB blob', child(['read', gitdir, big]), 'ErrorGitPackTooLarge', 'object');
    expectRefused('loose header says 10 B, 256 MiB inside', child(['read', gitdir, lying]), 'ErrorStorageCorrupt');
  });

  it('a stored pack whose delta announces 4 GiB', () => {
    const base = new TextEncoder().encode('a small secret');
    const blob = entry(BLOB, base.length, new Uint8Array(0), base);
    const delta = Uint8Array.from([...varint(base.length), ...varint(4 * 1024 * MiB), 0x90, base.length]);
    const deltaEntry = entry(OFS_DELTA, delta.length, ofsTo(12 + blob.length, 12), delta);
    const pack = handPack([blob, deltaEntry]);
    const oids = new Uint8Array(40);
    oids.fill(0x11, 0, 20);
    oids.fill(0x22, 20, 40);
    const checksum = pack.subarray(pack.length - 20);
    const idx = writeIdx({ count: 2, oids, offsets: Float64Array.from([12, 12 + blob.length]), crcs: new Uint32Array(2) }, checksum);
    const gitdir = join(root, `stored-${n++}.git`);
    fs.mkdirSync(join(gitdir, 'objects', 'pack'), { recursive: true });
    const name = Buffer.from(checksum).toString('hex');
    fs.writeFileSync(join(gitdir, 'objects', 'pack', `pack-${name}.pack`), pack);
    fs.writeFileSync(join(gitdir, 'objects', 'pack', `pack-${name}.idx`), idx);
    expectRefused('stored 4 GiB delta', child(['read', gitdir, '22'.repeat(20)]), 'ErrorGitPackTooLarge', 'object');
    // The same repository still reads its base.
    expect(child(['read', gitdir, '11'.repeat(20)])).toMatchObject({ ok: true, size: base.length });
  });

  it('an honest pack just under both budgets is accepted', () => {
    const o = child(['index', packFile(deltaPack(2, 24 * MiB))]);
    expect(o).toMatchObject({ ok: true, count: 3 });
  });
});

describe('the crafted inputs are what they claim', () => {
  it('the zlib bomb inflates to 256 MiB from about a megabyte', async () => {
    const bomb = await zlibBomb(256 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    // Counted through pako's streaming inflate, never held whole.
    let total = 0;
    const inf = new Inflate({ chunkSize: MiB });
    inf.onData = (c: Uint8Array) => (total += c.length);
    inf.push(bomb, true);
    expect(total).toBe(256 * MiB);
  });

  it('a copying delta really makes its announced size', () => {
    const base = new Uint8Array(0x10000).map((_, i) => i & 0xff);
    expect(applyDelta(base, copyingDelta(base.length, 3 * 0x10000 + 300)).length).toBe(3 * 0x10000 + 300);
    expect(deflate(copyingDelta(base.length, 256 * MiB)).length).toBeLessThan(1024);
  });
});
