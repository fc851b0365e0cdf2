// Benchmark of the pack indexer on the whole-history pack of a generated vault, against native
// `git index-pack` on the same pack in the same run: indexed whole after the last byte (as
// fetch-pack.ts did), and fed in side-band-sized pieces as it arrives (PackIndexer), where what
// matters for a clone is the work left when the last piece comes. Interleaved runs; read the
// ratios. Run: npx tsx bench/index-pack.ts [S|M|L] (default L).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { PackIndexer, indexPack } from '../src/git/pack-indexer.js';
import { VAULT_SIZES, cell, generatedRepo, machineLine, medianOf, ratio, table, workDir } from './fixtures.js';

const RUNS = 5;
/** What one side-band-64k packet carries of the pack. */
const PIECE = 65515;

const size = VAULT_SIZES.find((s) => s.name === (process.argv[2] ?? 'L'));
if (!size) throw new Error('Say S, M or L.');
const root = workDir('index-pack');
try {
  const repo = generatedRepo(root, size);
  const out = execFileSync('git', ['pack-objects', '--revs', '--stdout', '-q', '--delta-base-offset'], {
    cwd: repo.dir,
    input: 'master\n',
    maxBuffer: 1 << 28,
  });
  const pack = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const packFile = join(root, 'whole.pack');
  const rows = { native: [] as number[], whole: [] as number[], arriving: [] as number[], afterLast: [] as number[] };
  for (let r = 0; r < RUNS + 1; r++) {
    fs.rmSync(packFile.replace(/\.pack$/, '.idx'), { force: true });
    fs.writeFileSync(packFile, pack);
    let t = performance.now();
    execFileSync('git', ['index-pack', packFile]);
    const native = performance.now() - t;
    t = performance.now();
    await indexPack(pack);
    const whole = performance.now() - t;
    t = performance.now();
    const indexer = new PackIndexer();
    for (let at = 0; at < pack.length; at += PIECE) indexer.push(pack.subarray(at, at + PIECE));
    const last = performance.now();
    await indexer.finish();
    const done = performance.now();
    if (r === 0) continue; // warm-up: JIT and page cache
    rows.native.push(native);
    rows.whole.push(whole);
    rows.arriving.push(done - t);
    rows.afterLast.push(done - last);
  }
  console.log(machineLine());
  console.log(
    `\nIndexing the whole-history pack of ${size.name} (${repo.objects} objects, ${(pack.length / 1e6).toFixed(2)} MB); min / median of ${RUNS} runs.\n`,
  );
  const native = medianOf(rows.native);
  for (const line of table(
    ['indexing', 'time', 'ratio / native (medians)'],
    [
      ['native `git index-pack` (one process, reads the file)', cell(rows.native), '1.0×'],
      ['keynode indexPack, the whole pack after its last byte', cell(rows.whole), ratio(medianOf(rows.whole), native)],
      [`keynode PackIndexer, pushed in ${PIECE}-byte pieces, in all`, cell(rows.arriving), ratio(medianOf(rows.arriving), native)],
      ['  of which after the last piece (finish: trailer, waiting deltas, .idx)', cell(rows.afterLast), ratio(medianOf(rows.afterLast), native)],
    ],
  ))
    console.log(line);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
