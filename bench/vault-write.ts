// Benchmark: one secret write (one commit) and one secret read on vaults of 100, 1,000 and 10,000
// secrets in nested folders, on { dir } (Node fs) and 'memory' (lightning-fs on fake-indexeddb),
// each unencrypted and encrypted at rest (docs/encryption.md: Node's cipher on Node fs, WebCrypto
// on lightning-fs as in the browser), side by side with native git doing the same in the same run,
// printed as ratios.
// Run: npx tsx bench/vault-write.ts [sizes…]   (temp folders go on /dev/shm when it exists)
//
// The vault contents are generated with `git fast-import` straight into the { dir } vault's bare
// repository (on top of its initial commit), the way a clone lands as a pack; the 'memory' vault is
// that repository copied into lightning-fs (importVault) and forked to make it writable.
import '../tests/utils/setup.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNodeId, type VaultId } from '../src/ids/index.js';
import { createKeyring } from '../src/keys/keyring.js';
import { nodeCipher } from '../src/platform/node-cipher.js';
import { openNodeStorage } from '../src/platform/node-storage.js';
import { webCipher } from '../src/storage/cipher.js';
import { SecureStorage, type MakeCipher } from '../src/storage/secure-storage.js';
import { SecretsManager } from '../src/secrets/secrets-manager.js';
import type { Storage } from '../src/storage/index.js';
import { VaultManager } from '../src/vaults/vault-manager.js';

const RUNS = 15;
const WARMUP = 2;
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [100, 1000, 10000];
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const nodeId = encodeNodeId(new Uint8Array(32).fill(9));

/** prod-like layout: env-N/svc-M/key-I, about 33 secrets per folder. */
function secretPath(i: number): string {
  return `env-${i % 10}/svc-${Math.floor(i / 10) % 30}/key-${i}`;
}
function secretValue(i: number, round = 0): string {
  return `value-${i}-${round}-${'x'.repeat(32 + (i % 200))}`;
}

function fastImportScript(n: number, parent: string): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const v = secretValue(i);
    s += `blob\nmark :${i + 1}\ndata ${Buffer.byteLength(v)}\n${v}\n`;
  }
  const msg = `${n} secrets generated\n`;
  s += `commit refs/heads/master\ncommitter bench <> 1700000000 +0000\ndata ${Buffer.byteLength(msg)}\n${msg}from ${parent}\n`;
  for (let i = 0; i < n; i++) s += `M 100644 :${i + 1} ${secretPath(i)}\n`;
  return s + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Row {
  size: number;
  where: string;
  gen: number;
  firstWrite: number;
  write: number;
  read: number;
  /** CPU time (user + sys) of one write / read: the fair figure when the machine is shared. */
  writeCpu: number;
  readCpu: number;
}

/** Runs fn and returns [wall ms, CPU ms of this process]. */
async function timeCpu(fn: () => Promise<unknown>): Promise<[number, number]> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const d = process.cpuUsage(c);
  return [wall, (d.user + d.system) / 1000];
}

/** The children's CPU time that bash's `times` printed last on stderr, in ms. */
function childCpu(stderr: string): number {
  const lines = stderr.trim().split('\n');
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
  if (m === null) return NaN;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** Writes and reads through the Secrets API: one changed secret per commit. */
async function measureKeynode(secrets: SecretsManager, vault: string, n: number): Promise<Omit<Row, 'size' | 'where' | 'gen'>> {
  const pick = (k: number) => (k * 7919) % n;
  const firstWrite = await time(() => secrets.write(vault, secretPath(pick(0)), secretValue(pick(0), 1)));
  for (let k = 1; k <= WARMUP; k++) await secrets.write(vault, secretPath(pick(k)), secretValue(pick(k), 1));
  const writes: number[] = [];
  const reads: number[] = [];
  const writeCpus: number[] = [];
  const readCpus: number[] = [];
  for (let k = WARMUP + 1; k <= WARMUP + RUNS; k++) {
    const [w, wc] = await timeCpu(() => secrets.write(vault, secretPath(pick(k)), secretValue(pick(k), 2)));
    const r = pick(k * 3 + 1);
    const [rd, rc] = await timeCpu(() => secrets.get(vault, secretPath(r)));
    writes.push(w);
    writeCpus.push(wc);
    reads.push(rd);
    readCpus.push(rc);
  }
  return { firstWrite, write: median(writes), read: median(reads), writeCpu: median(writeCpus), readCpu: median(readCpus) };
}

/** Native git doing the same: hash-object -w, update-index, write-tree, commit-tree, update-ref. */
function measureNative(gitdir: string, n: number): { write: number; read: number; writeCpu: number; readCpu: number } {
  const index = join(gitdir, 'bench-index');
  const env = { ...process.env, GIT_DIR: gitdir, GIT_INDEX_FILE: index };
  execFileSync('git', ['read-tree', 'master'], { env });
  const script =
    'set -e; oid=$(printf %s "$2" | git hash-object -w --stdin); git update-index --cacheinfo "100644,$oid,$1"; ' +
    't=$(git write-tree); c=$(echo "$1 modified" | GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL= GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL= git commit-tree "$t" -p master); git update-ref refs/heads/master "$c"; times >&2';
  const writes: number[] = [];
  const reads: number[] = [];
  const writeCpus: number[] = [];
  const readCpus: number[] = [];
  const pick = (k: number) => (k * 7919) % n;
  for (let k = 1; k <= WARMUP + RUNS; k++) {
    const i = pick(k);
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', script, 'bench', secretPath(i), secretValue(i, 3)], { env });
    const t = performance.now() - t0;
    if (r.status !== 0) throw new Error(`native write failed: ${r.stderr.toString()}`);
    const j = pick(k * 3 + 1);
    const t1 = performance.now();
    const rd = spawnSync('bash', ['-c', 'git cat-file blob "master:$1" >/dev/null; times >&2', 'bench', secretPath(j)], { env });
    const t2 = performance.now() - t1;
    if (k > WARMUP) {
      writes.push(t);
      writeCpus.push(childCpu(r.stderr.toString()));
      reads.push(t2);
      readCpus.push(childCpu(rd.stderr.toString()));
    }
  }
  return { write: median(writes), read: median(reads), writeCpu: median(writeCpus), readCpu: median(readCpus) };
}

async function copyIntoFs(from: string, storage: Storage, to: string): Promise<void> {
  const { promises: nfs } = await import('node:fs');
  const st = await nfs.lstat(from);
  if (st.isDirectory()) {
    await storage.fs.promises.mkdir(to);
    for (const name of await nfs.readdir(from)) await copyIntoFs(join(from, name), storage, `${to}/${name}`);
  } else {
    await storage.fs.promises.writeFile(to, new Uint8Array(await nfs.readFile(from)));
  }
}

/** `raw` encrypted at rest, unlocked (what a keynode made with a passphrase runs on). */
async function encrypted(raw: Storage, makeCipher: MakeCipher): Promise<Storage> {
  const { record, keys } = await createKeyring({ nodeId, passphrase: 'bench passphrase', seed: new Uint8Array(32).fill(3), autoLockMs: null });
  const secure = await SecureStorage.open(raw, makeCipher);
  await secure.becomeEncrypted(record, keys, { publicKey: new Uint8Array(32) });
  return secure;
}

/** A writable copy of the generated vault at `gitdir` on `storage` (imported as a clone, then forked). */
async function filledCopy(storage: Storage, gitdir: string, sourceId: VaultId): Promise<{ vm: VaultManager; gen: number }> {
  const vm = new VaultManager({ storage, nodeId });
  await vm.start();
  const gen = await time(async () => {
    const cloned = await vm.importVault({
      name: 'bench-clone',
      remote: { nodeId, vaultId: sourceId },
      populate: (target) => copyIntoFs(gitdir, storage, target),
    });
    await vm.fork(cloned, 'bench');
  });
  return { vm, gen };
}

async function benchSize(n: number): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(base, `keynode-bench-${n}-`));
  try {
    // { dir }: a real vault, filled by fast-import on top of its initial commit.
    const dirStorage = await openNodeStorage({ dir: join(dir, 'kn') }, `bench-${n}`);
    const vm = new VaultManager({ storage: dirStorage, nodeId });
    await vm.start();
    const id: VaultId = await vm.create('bench');
    const gitdir = vm.gitdir(id);
    const initial = await vm.masterOf(id);
    const gen = await time(() =>
      execFileSync('git', [`--git-dir=${gitdir}`, 'fast-import', '--quiet'], { input: fastImportScript(n, initial), maxBuffer: 1 << 30 }),
    );
    // Measured on a copy made the way every other row's is (imported, then forked), so the
    // encrypted and unencrypted rows start from the same shape of repository.
    const plainDir = await openNodeStorage({ dir: join(dir, 'kn-plain') }, `bench-plain-${n}`);
    const dirPlain = await filledCopy(plainDir, gitdir, id);
    rows.push({ size: n, where: 'keynode, Node fs', gen: gen + dirPlain.gen, ...(await measureKeynode(new SecretsManager(dirPlain.vm), 'bench', n)) });
    execFileSync('git', [`--git-dir=${dirPlain.vm.gitdir(await dirPlain.vm.resolve('bench'))}`, 'fsck', '--full'], { stdio: 'pipe' });
    await dirPlain.vm.stop();
    await plainDir.close();

    // Native git on its own copy of the generated repository (same start, same work).
    const nativeDir = join(dir, 'native.git');
    const genNative = await time(() => {
      execFileSync('git', ['init', '--bare', '-q', nativeDir]);
      execFileSync('git', [`--git-dir=${nativeDir}`, 'fast-import', '--quiet'], {
        input: fastImportScript(n, '0'.repeat(40)).replace(/from 0{40}\n/, ''),
        maxBuffer: 1 << 30,
      });
    });
    const native = measureNative(nativeDir, n);
    rows.push({ size: n, where: 'native git', gen: genNative, firstWrite: NaN, ...native });

    // The same on { dir } encrypted at rest, filled with a copy of the generated vault.
    const encDir = await encrypted(await openNodeStorage({ dir: join(dir, 'kn-enc') }, `bench-enc-${n}`), nodeCipher);
    const dirEnc = await filledCopy(encDir, gitdir, id);
    rows.push({ size: n, where: 'keynode, Node fs, encrypted', gen: dirEnc.gen, ...(await measureKeynode(new SecretsManager(dirEnc.vm), 'bench', n)) });
    await dirEnc.vm.stop();
    await encDir.close();

    // 'memory': lightning-fs on fake-indexeddb, the browser's path; then encrypted, with WebCrypto as there.
    for (const [where, open] of [
      ['keynode, lightning-fs', async (raw: Storage) => raw],
      ['keynode, lightning-fs, encrypted', (raw: Storage) => encrypted(raw, webCipher)],
    ] as const) {
      const memStorage = await open(await openNodeStorage('memory', `bench-mem-${n}-${process.pid}-${where.length}`));
      const mem = await filledCopy(memStorage, gitdir, id);
      rows.push({ size: n, where, gen: mem.gen, ...(await measureKeynode(new SecretsManager(mem.vm), 'bench', n)) });
      await mem.vm.stop();
      await memStorage.close();
    }
    await vm.stop();
    await dirStorage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Machine-wide CPU pressure (PSI "some" avg10), so a reader can judge how noisy the run was. */
function cpuPressure(): string {
  try {
    return /avg10=([0-9.]+)/.exec(execFileSync('cat', ['/proc/pressure/cpu'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

const ms = (x: number) => (Number.isNaN(x) ? '–' : `${x.toFixed(1)} ms`);
const all: Row[] = [];
console.log(`CPU pressure (PSI some avg10) at start: ${cpuPressure()}%`);
for (const n of SIZES) {
  const rows = await benchSize(n);
  all.push(...rows);
  const native = rows.find((r) => r.where === 'native git')!;
  console.log(`\n## ${n.toLocaleString('en')} secrets (median of ${RUNS}, after ${WARMUP} warm-up writes)`);
  console.log(
    '| where | generate | first write | write | read | write / native | read / native | write CPU | read CPU | write CPU / native | read CPU / native |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.where} | ${ms(r.gen)} | ${ms(r.firstWrite)} | ${ms(r.write)} | ${ms(r.read)} | ${(r.write / native.write).toFixed(2)}× | ${(r.read / native.read).toFixed(2)}× | ` +
        `${ms(r.writeCpu)} | ${ms(r.readCpu)} | ${(r.writeCpu / native.writeCpu).toFixed(2)}× | ${(r.readCpu / native.readCpu).toFixed(2)}× |`,
    );
  }
}
const nodeWrites = all.filter((r) => r.where === 'keynode, Node fs');
const big = nodeWrites.find((r) => r.size === 10000);
if (big) console.log(`\nGoal: one write on the 10,000-secret vault under 30 ms median in Node: ${ms(big.write)} → ${big.write < 30 ? 'met' : 'NOT met'}`);
for (const [plain, sealed] of [
  ['keynode, Node fs', 'keynode, Node fs, encrypted'],
  ['keynode, lightning-fs', 'keynode, lightning-fs, encrypted'],
] as const) {
  const pairs = SIZES.map((size) => [all.find((r) => r.size === size && r.where === plain)!, all.find((r) => r.size === size && r.where === sealed)!] as const);
  console.log(
    `Encryption's cost per write, ${plain.slice('keynode, '.length)} (goal ≤ +3 ms): ` +
      pairs
        .map(
          ([p, e]) =>
            `${p.size}: ${e.write - p.write >= 0 ? '+' : ''}${(e.write - p.write).toFixed(1)} ms wall, ${e.writeCpu - p.writeCpu >= 0 ? '+' : ''}${(e.writeCpu - p.writeCpu).toFixed(1)} ms CPU`,
        )
        .join('; '),
  );
}
console.log(`CPU pressure (PSI some avg10) at end: ${cpuPressure()}%`);
console.log(`Write medians by size (Node fs): ${nodeWrites.map((r) => `${r.size}: ${ms(r.write)} wall, ${ms(r.writeCpu)} CPU`).join('; ')}`);
console.log('Native git runs as separate processes: its wall time includes process start-up, which a loaded machine inflates; compare CPU too.');
