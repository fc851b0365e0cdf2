// Shared fixtures of `npm run bench`: the generated vaults (S / M / L, built by bench/git-pack.ts's
// `git fast-import` generator and installed into real keynode vaults), working folders on /dev/shm,
// and the small helpers every benchmark prints with (min / median, byte and time formats, tables).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, SIZES } from './git-pack.js';

export interface VaultSize {
  name: 'S' | 'M' | 'L';
  secrets: number;
  commits: number;
}
export const VAULT_SIZES = SIZES as VaultSize[];

/** One section of the report: a title, tables (already formatted) and free notes. */
export interface Section {
  title: string;
  lines: string[];
}

export interface BenchOptions {
  quick: boolean;
  /** Sizes to run (quick: S and M). */
  sizes: VaultSize[];
  /** Root folder for this run's working dirs (on /dev/shm). */
  work: string;
  /** Profile the slowest keynode operation and print where the time goes. */
  profile: boolean;
  log: (line: string) => void;
}

// ---- working folders -----------------------------------------------------------------------------

/** A fresh folder on /dev/shm (tmpfs: no disk noise in the numbers), removed by the caller. */
export function workDir(prefix: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return fs.mkdtempSync(join(base, `keynode-bench-${prefix}-`));
}

// ---- generated vaults ----------------------------------------------------------------------------

export interface GeneratedRepo {
  /** A bare repository holding only the generated history (one fast-import pack). */
  dir: string;
  tip: string;
  objects: number;
  packBytes: number;
  genMs: number;
}

/** Builds (or reuses, within this run) the generated repository of `size` under `root`. */
export function generatedRepo(root: string, size: VaultSize): GeneratedRepo {
  const dir = join(root, `generated-${size.name}.git`);
  const t = performance.now();
  if (!fs.existsSync(dir)) generate(dir, size);
  const genMs = performance.now() - t;
  const tip = execFileSync('git', ['rev-parse', 'master'], { cwd: dir }).toString().trim();
  const counts = execFileSync('git', ['count-objects', '-v'], { cwd: dir }).toString();
  const objects = Number(/in-pack: (\d+)/.exec(counts)?.[1] ?? 0);
  const packBytes = Number(/size-pack: (\d+)/.exec(counts)?.[1] ?? 0) * 1024;
  return { dir, tip, objects, packBytes, genMs };
}

/**
 * Makes the keynode vault at `gitdir` (created through the API, keynode stopped) hold the generated
 * history: the generated objects (its packs) are copied into its objects folder and master is pointed at the
 * generated tip. The vault's own initial commit stays behind as unreachable loose objects; every
 * keynode path (reads, writes, serving clones) then works on the generated history exactly as on a
 * vault that arrived by clone, which is also stored as one pack.
 */
export function installGenerated(repo: GeneratedRepo, gitdir: string): void {
  // Packs and the few loose objects (fast-import unpacks its small second import).
  fs.cpSync(join(repo.dir, 'objects'), join(gitdir, 'objects'), { recursive: true, force: true });
  execFileSync('git', [`--git-dir=${gitdir}`, 'update-ref', 'refs/heads/master', repo.tip]);
}

/** A path of the generated layout that exists in every size (for one-secret edits). */
export function existingSecretPath(repo: GeneratedRepo, k: number): string {
  const out = execFileSync('git', ['ls-tree', '-r', '--name-only', 'master'], { cwd: repo.dir, maxBuffer: 1 << 28 }).toString();
  const paths = out.trim().split('\n');
  return paths[(k * 7919) % paths.length]!;
}

// ---- native git ----------------------------------------------------------------------------------

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir(), GIT_TERMINAL_PROMPT: '0' };

/** Runs git without blocking the event loop (keynodes in this process keep working meanwhile). */
export function gitRun(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: opts.cwd, env: { ...GIT_ENV, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`git ${args.join(' ')} failed (${code}): ${Buffer.concat(err).toString()}`)),
    );
  });
}

/** Runs git like gitRun and also returns its CPU time (user + sys of git and its children, via bash `times`). */
export async function gitRunCpu(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ ms: number; cpuMs: number }> {
  const t = performance.now();
  const child = spawn('bash', ['-c', 'git "$@"; rc=$?; times >&2; exit $rc', 'bash', ...args], {
    cwd: opts.cwd,
    env: { ...GIT_ENV, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const err: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const ms = performance.now() - t;
  const text = Buffer.concat(err).toString();
  if (code !== 0) throw new Error(`git ${args.join(' ')} failed (${code}): ${text}`);
  const last = text.trim().split('\n').pop() ?? '';
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(last);
  const cpuMs = m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : NaN;
  return { ms, cpuMs };
}

/** CPU time (ms) of the children a process has reaped: git daemon's upload-pack runs. */
export function reapedChildrenCpu(pid: number): number {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // After the ") " the fields start at "state" (field 3): cutime and cstime are fields 16 and 17.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** CPU time (ms, user + sys, all threads) this process has used so far. */
export function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** `git daemon` serving every bare repository under `base` on 127.0.0.1 (read-only, upload-pack). */
export async function startGitDaemon(base: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    'git',
    ['daemon', '--export-all', '--reuseaddr', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, '--informative-errors', base],
    {
      env: GIT_ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // Ready when a probe succeeds; `ls-remote` of a missing repo fails fast once it listens.
  const started = Date.now();
  for (;;) {
    try {
      await gitRun(['ls-remote', `git://127.0.0.1:${port}/probe-none`]);
      break;
    } catch (e) {
      if (/not exported|does not appear|access denied|not found|No such/i.test(String(e))) break;
      if (Date.now() - started > 10_000) throw new Error('git daemon did not start', { cause: e });
      await sleep(50);
    }
  }
  return {
    url: `git://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// ---- measuring -----------------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t = performance.now();
  const result = await fn();
  return { ms: performance.now() - t, result };
}

export function minOf(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.min(...xs);
}
export function medianOf(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}
/** `min / median` of a list of times (the report's time cell). */
export function cell(xs: number[]): string {
  return xs.length === 0 ? '–' : `${fmtMs(minOf(xs))} / ${fmtMs(medianOf(xs))}`;
}
export function fmtBytes(b: number): string {
  if (Number.isNaN(b)) return '–';
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${Math.round(b)} B`;
}
/** One value when all runs agree, else the range. */
export function bytesCell(xs: number[]): string {
  if (xs.length === 0) return '–';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? fmtBytes(lo) : `${fmtBytes(lo)}–${fmtBytes(hi)}`;
}
export function ratio(a: number, b: number): string {
  if (!(a > 0) || !(b > 0)) return '–';
  return `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`;
}

/** A plain-text (markdown) table. */
export function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

// ---- the machine ---------------------------------------------------------------------------------

/** Machine-wide CPU pressure (PSI "some" avg10), so a reader can judge how noisy the run was. */
export function cpuPressure(): string {
  try {
    return `${/avg10=([0-9.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? '?'}%`;
  } catch {
    return '?';
  }
}

export function machineLine(): string {
  const c = cpus();
  const la = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const git = execFileSync('git', ['--version']).toString().trim().replace('git version ', '');
  return `${c.length} cores (${c[0]?.model.trim() ?? '?'}), load average ${la}, CPU pressure ${cpuPressure()}, node ${process.version}, git ${git}`;
}

// ---- where the time goes -------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Starts V8's sampling profiler in this process; the returned stop() gives a short summary. */
export async function startProfile(): Promise<{ stop(): Promise<string[]> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; startTime: number; endTime: number } };
      session.disconnect();
      return summarizeProfile(profile.nodes, (profile.endTime - profile.startTime) / 1000);
    },
  };
}

/** Where a sampled frame lives: our file, a package, or V8's own buckets. */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(src|signaling-server|bench|tests)\/(.*)$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\//, '');
}

export function summarizeProfile(nodes: ProfileNode[], totalMs: number): string[] {
  const total = nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const fn = `${n.callFrame.functionName || '(anonymous)'} (${area}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''})`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
  }
  const pct = (h: number) => `${((100 * h) / total).toFixed(1)}%`;
  const top = (m: Map<string, number>, k: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
  return [
    `profiled ${fmtMs(totalMs)} of the main thread; self time by file or package:`,
    ...top(byArea, 10).map(([a, h]) => `  ${pct(h).padStart(6)}  ${a}`),
    'top functions (self time):',
    ...top(byFn, 10).map(([f, h]) => `  ${pct(h).padStart(6)}  ${f}`),
  ];
}
