// Benchmark of keynode's git server and client against native git in the same run: full pack,
// one-secret incremental pack, and clone, on generated vaults of 100 / 1,000 / 10,000 secrets
// (docs/measurements.md §9.1: S / M / L). Working dirs live on /dev/shm. Run: npx tsx bench/git-pack.ts [S|M|L]
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { cloneBare, uploadPack, type PackStats } from '../src/git/index.js';
import { gitAsync, httpTransport, serveWithKeynode, tempDir } from '../tests/wire/git-helpers.js';

interface Size {
  name: string;
  secrets: number;
  commits: number;
}
const SIZES: Size[] = [
  { name: 'S', secrets: 100, commits: 20 },
  { name: 'M', secrets: 1000, commits: 200 },
  { name: 'L', secrets: 10000, commits: 1000 },
];
const RUNS = 3;

// mulberry32: a seeded generator, so every run builds the same vaults.
let seed = 42;
function rand(n: number): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
}
function secretValue(): string {
  const len = 32 + rand(225);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(33 + rand(94));
  return s;
}
function secretPath(i: number, n: number): string {
  const leaves = Math.max(4, Math.round(n / 5.5));
  const leaf = (i * 2654435761) % leaves;
  return `env${leaf % 4}/svc${Math.floor(leaf / 4) % 25}/part${leaf}/secret-${i}`;
}

/** Builds the vault with `git fast-import`: one commit adding everything, then small changes. */
export function generate(dir: string, size: Size): { main: string; next: string } {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'master', dir]);
  const parts: string[] = [];
  let t = 1_700_000_000;
  const commit = (mark: number, files: Array<[string, string]>): void => {
    parts.push(`commit refs/heads/master\nmark :${mark}\ncommitter Bench <b@example.invalid> ${t++} +0000\ndata 7\nchange\n`);
    if (mark > 1) parts.push(`from :${mark - 1}\n`);
    for (const [path, value] of files) parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(value)}\n${value}\n`);
    parts.push('\n');
  };
  commit(
    1,
    Array.from({ length: size.secrets }, (_, i) => [secretPath(i, size.secrets), secretValue()]),
  );
  for (let c = 2; c <= size.commits; c++) {
    const k = 1 + rand(20);
    commit(
      c,
      Array.from({ length: k }, () => [secretPath(rand(size.secrets), size.secrets), secretValue()]),
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join(''), maxBuffer: 1 << 30 });
  const main = execFileSync('git', ['rev-parse', 'master'], { cwd: dir }).toString().trim();
  const fi2 = `commit refs/heads/master\nmark :1\ncommitter Bench <b@example.invalid> ${t++} +0000\ndata 4\none\nfrom ${main}\nM 100644 inline ${secretPath(rand(size.secrets), size.secrets)}\ndata 40\n${'r'.repeat(40)}\n\n`;
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: fi2 });
  const next = execFileSync('git', ['rev-parse', 'master'], { cwd: dir }).toString().trim();
  return { main, next };
}

function nativePack(dir: string, input: string, thin: boolean): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const args = ['pack-objects', '--revs', '--stdout', '-q', ...(thin ? ['--thin'] : [])];
    const child = spawn('git', args, { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - start, bytes }));
    child.stdin.end(input);
  });
}

function pkt(s: string): string {
  return (Buffer.byteLength(s) + 4).toString(16).padStart(4, '0') + s;
}

export async function ourPack(
  dir: string,
  want: string,
  have: string | undefined,
  thin: boolean,
  cache: object = {},
  fromList = false,
): Promise<{ ms: number; bytes: number; stats: PackStats }> {
  const caps = `multi_ack_detailed no-done side-band-64k ofs-delta${thin ? ' thin-pack' : ''}`;
  const body = pkt(`want ${want} ${caps}\n`) + '0000' + (have ? pkt(`have ${have}\n`) : '') + pkt('done\n');
  const stats: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
  // A whole-history pack of master leaves its object list beside the packs; "cold" means without it.
  if (!fromList) fs.rmSync(join(dir, 'keynode-clone-list'), { force: true });
  const start = performance.now();
  for await (const chunk of uploadPack({ fs, gitdir: dir, cache }, new TextEncoder().encode(body), { stats })) void chunk;
  return { ms: performance.now() - start, bytes: stats.bytes, stats };
}

async function best<T extends { ms: number }>(f: () => Promise<T>): Promise<T> {
  let b: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = await f();
    if (!b || r.ms < b.ms) b = r;
  }
  return b as T;
}

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const kb = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);

async function benchOne(size: Size): Promise<void> {
  const { dir: root, cleanup } = tempDir(`bench-${size.name}`);
  try {
    const dir = join(root, 'vault.git');
    let t0 = performance.now();
    const { main, next } = generate(dir, size);
    const objects = execFileSync('git', ['count-objects', '-v'], { cwd: dir })
      .toString()
      .match(/in-pack: (\d+)/)?.[1];
    console.log(`\n## ${size.name}: ${size.secrets} secrets, ${size.commits} commits, ${objects} objects (generated in ${fmt(performance.now() - t0)})`);

    const gFull = await best(() => nativePack(dir, `${next}\n`, false));
    const oFull = await best(() => ourPack(dir, next, undefined, false));
    console.log(
      `full pack      ours ${fmt(oFull.ms)} ${kb(oFull.bytes)} (${oFull.stats.reused}/${oFull.stats.objects} entries reused) | git pack-objects ${fmt(gFull.ms)} ${kb(gFull.bytes)} | time ×${(oFull.ms / gFull.ms).toFixed(1)}, bytes ×${(oFull.bytes / gFull.bytes).toFixed(2)}`,
    );

    await ourPack(dir, next, undefined, false, {}, false);
    const oList = await best(() => ourPack(dir, next, undefined, false, {}, true));
    console.log(`after a restart  full pack from the object list kept on disk ${fmt(oList.ms)} (×${(oList.ms / gFull.ms).toFixed(1)} git)`);

    if (size.name !== 'L') {
      // An owner's own writes stay loose objects: the same history exploded into one file each.
      const loose = join(root, 'loose.git');
      execFileSync('git', ['init', '-q', '--bare', loose]);
      const whole = execFileSync('git', ['pack-objects', '--revs', '--stdout', '-q'], { cwd: dir, input: `${next}\n`, maxBuffer: 1 << 30 });
      execFileSync('git', ['unpack-objects', '-q'], { cwd: loose, input: whole, maxBuffer: 1 << 30 });
      execFileSync('git', ['update-ref', 'refs/heads/master', next], { cwd: loose });
      const gLoose = await best(() => nativePack(loose, `${next}\n`, false));
      const oLoose = await best(() => ourPack(loose, next, undefined, false));
      console.log(`all loose      full pack ours ${fmt(oLoose.ms)} | git pack-objects ${fmt(gLoose.ms)} | time ×${(oLoose.ms / gLoose.ms).toFixed(1)}`);
    }

    const gInc = await best(() => nativePack(dir, `${next}\n^${main}\n`, true));
    const oInc = await best(() => ourPack(dir, next, main, true));
    const oIncFat = await best(() => ourPack(dir, next, main, false));
    // A running keynode keeps its cache (packs indexed, trees parsed) between requests.
    const warm = {};
    await ourPack(dir, next, undefined, false, warm);
    const oIncWarm = await best(() => ourPack(dir, next, main, true, warm));
    const oFullWarm = await best(() => ourPack(dir, next, undefined, false, warm));
    console.log(`warm cache     full pack ${fmt(oFullWarm.ms)} (×${(oFullWarm.ms / gFull.ms).toFixed(1)} git), one-secret ${fmt(oIncWarm.ms)}`);
    console.log(
      `one-secret     ours thin ${fmt(oInc.ms)} ${kb(oInc.bytes)} (${oInc.stats.objects} objects, ${oInc.stats.thinDeltas} thin deltas), not thin ${kb(oIncFat.bytes)} | git --thin ${fmt(gInc.ms)} ${kb(gInc.bytes)} | bytes ×${(oInc.bytes / gInc.bytes).toFixed(2)}`,
    );

    const served = await serveWithKeynode(root);
    try {
      let n = 0;
      const nativeClone = await best(async () => {
        const target = join(root, `native-${n++}.git`);
        t0 = performance.now();
        await gitAsync(['-c', 'protocol.version=0', 'clone', '-q', '--bare', `${served.url}/vault.git`, target]);
        const ms = performance.now() - t0;
        fs.rmSync(target, { recursive: true, force: true });
        return { ms };
      });
      const ourClone = await best(async () => {
        const target = join(root, `ours-${n++}.git`);
        t0 = performance.now();
        await cloneBare({ fs, gitdir: target, transport: await httpTransport(`${served.url}/vault.git`) });
        const ms = performance.now() - t0;
        fs.rmSync(target, { recursive: true, force: true });
        return { ms };
      });
      console.log(`clone (HTTP)   ours ${fmt(ourClone.ms)} | git clone --bare ${fmt(nativeClone.ms)} | ×${(ourClone.ms / nativeClone.ms).toFixed(1)}`);
    } finally {
      await served.close();
    }
  } finally {
    cleanup();
  }
}

const only = process.argv[2];
if (process.argv[1]?.endsWith('git-pack.ts')) {
  console.log(
    `git ${execFileSync('git', ['--version']).toString().trim().split(' ')[2]}, node ${process.version}, best of ${RUNS} runs, working dirs on ${fs.existsSync('/dev/shm') ? '/dev/shm (tmpfs)' : 'the temp dir'}`,
  );
  for (const size of SIZES) if (!only || only === size.name) await benchOne(size);
}
export { SIZES };
