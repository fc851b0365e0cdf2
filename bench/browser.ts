// Benchmark: the app in Chromium (playwright-core driving Debian's /usr/bin/chromium, flags and the
// microphone permission of docs/measurements.md §3). Two browser profiles clone and pull the generated M
// and L vaults from a Node keynode (the owner process of bench/network.ts) over real WebRTC, with
// native git clone/fetch of the same repository through git daemon in the same run as the ratio; the
// app's first load and offline reload; its JavaScript size, gzip, from the build; and searching a
// cloned vault by path (secrets.find, one call per keystroke, through the worker as the app does).
// The calls go through the page's `window.keynode` (what the UI calls), so whichever runtime the build
// has — the core in the service worker, or in the page — is what is measured; the report names it.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveApp } from '../scripts/serve-app.js';
import {
  bytesCell,
  cell,
  fmtBytes,
  generatedRepo,
  gitRun,
  medianOf,
  ratio,
  startGitDaemon,
  table,
  timed,
  type BenchOptions,
  type Section,
} from './fixtures.js';
import { startOwner } from './network.js';
import { CHROMIUM, CHROMIUM_ARGS as ARGS } from '../scripts/chromium.js';

const ROOT = resolve(import.meta.dirname, '..');
/** An operation that takes longer than this is reported as not finished. */
const OP_TIMEOUT_MS = 12 * 60_000;

type KeynodeWindow = Window & {
  keynode: import('../src/keynode/keynode.js').Keynode;
  keynodeRuntime?: { mode: string };
};

/**
 * The app to measure: a fresh `vite build` of the working tree into the run's work folder (what
 * `npm run build` puts in dist/, without touching the dist/ others serve), or dist/ as it is with
 * KEYNODE_BENCH_DIST=1.
 */
function builtApp(work: string, plaintext = false): { dir: string; note: string } {
  const dist = join(ROOT, 'dist');
  if (!plaintext && process.env.KEYNODE_BENCH_DIST === '1' && fs.existsSync(join(dist, 'index.html'))) {
    return { dir: dist, note: `dist/ as built at ${fs.statSync(join(dist, 'index.html')).mtime.toISOString()}` };
  }
  const out = join(work, plaintext ? 'dist-plaintext' : 'dist');
  // The unencrypted build exists only here, to measure what encryption at rest costs (vite.config.ts).
  const env = { ...process.env, KEYNODE_BENCH_PLAINTEXT: plaintext ? '1' : '0' };
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', out, '--emptyOutDir'], { cwd: ROOT, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr}`);
  const head = execFileSync('git', ['log', '--oneline', '-1'], { cwd: ROOT }).toString().trim();
  return { dir: out, note: `a fresh \`vite build\` of the working tree at ${head} (same output as dist/)` };
}

function jsSizes(dist: string): string[][] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.js')) files.push(join(d, e.name));
    }
  };
  walk(dist);
  let raw = 0;
  let gz = 0;
  const rows = files.map((f) => {
    const bytes = fs.readFileSync(f);
    const g = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += g;
    return [f.slice(dist.length + 1), fmtBytes(bytes.length), fmtBytes(g)];
  });
  return [...rows, ['all JavaScript', fmtBytes(raw), fmtBytes(gz)]];
}

async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not finished after ${OP_TIMEOUT_MS / 60000} min`)), OP_TIMEOUT_MS)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const PASSPHRASE = 'bench passphrase, long enough';

/** Opens the app and waits until its keynode answers; returns the time from navigation to that. */
async function openApp(context: BrowserContext, url: string): Promise<{ page: Page; readyMs: number; loadMs: number }> {
  const page = await context.newPage();
  const t = performance.now();
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as KeynodeWindow).keynode !== undefined, undefined, { timeout: 60_000, polling: 25 });
  const readyMs = performance.now() - t;
  const loadMs = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ?? NaN);
  return { page, readyMs, loadMs };
}

/** Creates the page's keynode with the bench passphrase (what the first-run screen does), if it is new. */
async function create(page: Page): Promise<void> {
  await page.evaluate(async (p) => {
    const k = (window as unknown as KeynodeWindow).keynode;
    if (!(await k.lockState()).created) await k.unlock(p);
  }, PASSPHRASE);
}

async function signalingUp(page: Page): Promise<void> {
  await page.waitForFunction(async () => (await (window as unknown as KeynodeWindow).keynode.network.status()).signaling === 'connected', undefined, {
    timeout: 60_000,
    polling: 100,
  });
}

/** Times `fn` inside the page (performance.now there), so Playwright's round trips are not counted. */
function inPage<A>(page: Page, fn: string, arg: A): Promise<{ ms: number; value: unknown }> {
  return page.evaluate(
    async ({ fn, arg }) => {
      const k = (window as unknown as KeynodeWindow).keynode as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
      const [area, method] = fn.split('.') as [string, string];
      const t = performance.now();
      const value = await k[area]![method]!(...(arg as unknown[]));
      return { ms: performance.now() - t, value };
    },
    { fn, arg },
  );
}

interface SearchTimes {
  /** The first search after the clone: the vault's tree is walked. */
  first: number;
  /** One search per keystroke of a typed query, the index built. */
  keys: number[];
  /** The first search after lock and unlock: the walked trees are read back from the vault. */
  afterUnlock: number;
}

/** Times searches of vault `id` as typing "svc12 part3" makes them, in the page (performance.now there). */
export async function searchTimes(page: Page, id: string): Promise<SearchTimes> {
  const query = 'svc12 part3';
  const typed = Array.from({ length: query.length }, (_, i) => query.slice(0, i + 1));
  // No helper functions inside evaluate: tsx would wrap them in a __name() the page does not have.
  return page.evaluate(
    async ({ id, queries, passphrase }) => {
      const k = (window as unknown as KeynodeWindow).keynode;
      const times: number[] = [];
      for (const q of queries) {
        const t = performance.now();
        await k.secrets.find(id, q);
        times.push(performance.now() - t);
      }
      // The walked trees are written back in the background; give it a moment before locking.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await k.lock();
      await k.unlock(passphrase);
      const t = performance.now();
      await k.secrets.find(id, 'svc');
      return { first: times[0]!, keys: times.slice(1), afterUnlock: performance.now() - t };
    },
    { id, queries: ['svc', ...typed, ...typed], passphrase: PASSPHRASE },
  );
}

/** The runtime under test cannot clone at all (its first clone failed): measure the other one. */
class RuntimeUnusable extends Error {}

interface SizeRow {
  name: string;
  native: number[];
  nativeBytes: number;
  clone: number[];
  cloneBytes: number[];
  cloneErrors: string[];
  nativeFetch: number[];
  pull: number[];
  pullErrors: string[];
  search?: SearchTimes;
}

/**
 * What encryption at rest costs in the browser: the same clones into one service-worker profile of
 * the app as built (encrypted) and of a build whose keynodes store plaintext (vite.config.ts), in
 * the same run; and how long unlocking takes (Argon2id included).
 */
async function encryptionCost(opts: BenchOptions, browser: Browser, repos: Array<{ name: string; repo: ReturnType<typeof generatedRepo> }>): Promise<string[]> {
  const clones: Record<string, Record<string, number[]>> = { encrypted: {}, unencrypted: {} };
  const unlocks: number[] = [];
  for (const build of ['unencrypted', 'encrypted'] as const) {
    const app = builtApp(opts.work, build === 'unencrypted');
    const server = await serveApp(app.dir);
    const owner = await startOwner(join(opts.work, `browser-owner-${build}`), server.signalingUrl, repos);
    const context = await browser.newContext();
    try {
      await context.grantPermissions(['microphone'], { origin: server.url });
      const { page } = await openApp(context, server.url);
      await create(page);
      await signalingUp(page);
      const nodeId = await page.evaluate(() => (window as unknown as KeynodeWindow).keynode.nodeId);
      for (const { name } of repos) {
        await owner.share(name, nodeId);
        const times: number[] = (clones[build]![name] = []);
        for (let i = 0; i < (opts.quick ? 1 : 2); i++) {
          opts.log(`browser, ${build} build: clone ${i + 1} of ${name}…`);
          const { ms, value } = await withTimeout(`clone of ${name}`, inPage(page, 'vaults.clone', [name, owner.nodeId]));
          times.push(ms);
          await inPage(page, 'vaults.delete', [value]);
        }
      }
      if (build === 'encrypted') {
        for (let i = 0; i < 3; i++) {
          await page.evaluate(() => (window as unknown as KeynodeWindow).keynode.lock());
          unlocks.push(
            await page.evaluate(async (p) => {
              const t = performance.now();
              await (window as unknown as KeynodeWindow).keynode.unlock(p);
              return performance.now() - t;
            }, PASSPHRASE),
          );
        }
      }
    } finally {
      await context.close().catch(() => undefined);
      await owner.stop();
      await server.close();
    }
  }
  const names = repos.map((r) => r.name);
  return [
    '',
    ...table(
      ['browser clone, encrypted at rest or not', ...names.map((n) => n.replace('bench-', ''))],
      [
        ['build whose keynode stores plaintext (bench only)', ...names.map((n) => cell(clones.unencrypted![n]!))],
        ['the app as built (encrypted)', ...names.map((n) => cell(clones.encrypted![n]!))],
        ['  ratio encrypted / unencrypted (goal ≤ 1.15)', ...names.map((n) => ratio(medianOf(clones.encrypted![n]!), medianOf(clones.unencrypted![n]!)))],
      ],
    ),
    '',
    `Unlock in the browser (service worker; Argon2id 64 MiB × 3 passes, unwrap, derive; goal ≤ 1 s): ${cell(unlocks)}.`,
  ];
}

export async function runBrowser(opts: BenchOptions): Promise<Section> {
  if (!fs.existsSync(CHROMIUM)) return { title: 'Browser: skipped', lines: [`${CHROMIUM} is missing (apt-get install chromium).`] };
  const lines: string[] = [];
  const swCommitted = execFileSync('git', ['log', '--oneline', '-1', '--', 'src/sw.ts'], { cwd: ROOT }).toString().trim();
  const app = builtApp(opts.work);
  const sizes = opts.sizes.filter((s) => s.name !== 'S');
  const repos = sizes.map((size) => ({ name: `bench-${size.name}`, repo: generatedRepo(opts.work, size) }));
  const server = await serveApp(app.dir);
  const owner = await startOwner(join(opts.work, 'browser-owner'), server.signalingUrl, repos);
  const daemon = await startGitDaemon(owner.vaultsRoot);
  let browser: Browser | undefined;
  const rows: SizeRow[] = [];
  const firstLoads: number[] = [];
  const loadEvents: number[] = [];
  const offline: number[] = [];
  const offlineErrors: string[] = [];
  let mode = '?';
  let cloneMode = '?';
  let swFailure: string | undefined;
  const encryption: string[] = [];

  const measureClones = async (contexts: BrowserContext[], want: 'service-worker' | 'page'): Promise<string> => {
    const opened = await Promise.all(contexts.map((c) => openApp(c, server.url)));
    const pages = opened.map((o) => o.page);
    await Promise.all(pages.map(create));
    await Promise.all(pages.map(signalingUp));
    const got = await pages[0]!.evaluate(() => (window as unknown as KeynodeWindow).keynodeRuntime?.mode ?? 'page');
    const nodeIds = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as KeynodeWindow).keynode.nodeId)));
    for (const { name } of repos) for (const n of nodeIds) await owner.share(name, n);
    for (const { name, repo } of repos) {
      const size = name.replace('bench-', '');
      const url = `${daemon.url}/${owner.vaults[name]!.vaultId}`;
      const row: SizeRow = { name: size, native: [], nativeBytes: NaN, clone: [], cloneBytes: [], cloneErrors: [], nativeFetch: [], pull: [], pullErrors: [] };
      opts.log(`browser ${size}: native clones…`);
      const trace = join(opts.work, `browser-trace-${size}.pack`);
      await gitRun(['clone', '-q', '--bare', url, join(opts.work, `browser-native-warm-${size}.git`)], { env: { GIT_TRACE_PACKFILE: trace } });
      row.nativeBytes = fs.statSync(trace).size;
      fs.rmSync(trace, { force: true });
      fs.rmSync(join(opts.work, `browser-native-warm-${size}.git`), { recursive: true, force: true });
      for (let i = 0; i < 3; i++) {
        const target = join(opts.work, `browser-native-${size}-${i}.git`);
        row.native.push((await timed(() => gitRun(['clone', '-q', '--bare', url, target]))).ms);
        fs.rmSync(target, { recursive: true, force: true });
      }
      const clones: Array<string | undefined> = [];
      for (const [i, page] of pages.entries()) {
        opts.log(`browser ${size}: profile ${i + 1} clones (${got})…`);
        const before = await owner.sent();
        try {
          const { ms, value } = await withTimeout(`clone of ${size} in profile ${i + 1}`, inPage(page, 'vaults.clone', [name, owner.nodeId]));
          row.clone.push(ms);
          row.cloneBytes.push((await owner.sent()) - before);
          clones.push(value as string);
        } catch (e) {
          const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
          if (want === 'service-worker' && rows.length === 0 && i === 0) throw new RuntimeUnusable(message);
          row.cloneErrors.push(message);
          clones.push(undefined);
        }
      }
      const nativePull = join(opts.work, `browser-native-pull-${size}.git`);
      await gitRun(['clone', '-q', '--bare', url, nativePull]);
      const paths = (await gitRun(['ls-tree', '-r', '--name-only', 'master'], { cwd: repo.dir })).trim().split('\n');
      for (let i = 0; i < 3; i++) {
        opts.log(`browser ${size}: pull ${i + 1}…`);
        await owner.write(name, paths[(i * 104729 + 7) % paths.length]!, `browser-changed-${i}-${'q'.repeat(40)}`);
        row.nativeFetch.push((await timed(() => gitRun(['fetch', '-q', url, '+refs/heads/master:refs/heads/master'], { cwd: nativePull }))).ms);
        for (const [j, page] of pages.entries()) {
          if (clones[j] === undefined) continue;
          try {
            row.pull.push((await withTimeout(`pull of ${size}`, inPage(page, 'vaults.pull', [clones[j]]))).ms);
          } catch (e) {
            row.pullErrors.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
          }
        }
      }
      fs.rmSync(nativePull, { recursive: true, force: true });
      if (clones[0] !== undefined) {
        opts.log(`browser ${size}: searches…`);
        row.search = await withTimeout(`searches of ${size}`, searchTimes(pages[0]!, clones[0]));
      }
      rows.push(row);
    }
    return got;
  };

  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS] });
    const profile = async (blockServiceWorkers = false): Promise<BrowserContext> => {
      const c = await browser!.newContext({ serviceWorkers: blockServiceWorkers ? 'block' : 'allow' });
      // Chromium gathers loopback ICE candidates only for an origin holding mic/camera permission.
      await c.grantPermissions(['microphone'], { origin: server.url });
      return c;
    };

    // First load (fresh profile each time) and offline reload (served by the service worker's precache).
    opts.log('browser: first load and offline reload…');
    for (let i = 0; i < (opts.quick ? 2 : 3); i++) {
      const ctx = await profile();
      const { page, readyMs, loadMs } = await openApp(ctx, server.url);
      firstLoads.push(readyMs);
      loadEvents.push(loadMs);
      mode = await page.evaluate(() => (window as unknown as KeynodeWindow).keynodeRuntime?.mode ?? 'page (no runtime marker)');
      const controlled = await page
        .waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: 15_000 })
        .then(
          () => true,
          () => false,
        );
      if (controlled) {
        await ctx.setOffline(true);
        try {
          const t = performance.now();
          await page.reload();
          await page.waitForFunction(() => (window as unknown as KeynodeWindow).keynode !== undefined, undefined, { timeout: 30_000, polling: 25 });
          offline.push(performance.now() - t);
        } catch (e) {
          offlineErrors.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
        }
        await ctx.setOffline(false);
      } else {
        offlineErrors.push('no service worker controlled the page, so there is no offline app shell');
      }
      await ctx.close();
    }

    // Two profiles clone from the Node owner, then pull after one changed secret. The core in the
    // service worker is tried first; if its first clone fails, the profiles are opened again with
    // service workers blocked, so the page runs the core itself (the in-page app), and that is measured.
    for (const want of ['service-worker', 'page'] as const) {
      const contexts = [await profile(want === 'page'), await profile(want === 'page')];
      try {
        rows.splice(0);
        cloneMode = await measureClones(contexts, want);
        break;
      } catch (e) {
        if (!(e instanceof RuntimeUnusable) || want === 'page') throw e;
        swFailure = e.message;
        opts.log(`browser: the service-worker runtime cannot clone (${e.message}); measuring the in-page app`);
      } finally {
        await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      }
    }
    opts.log('browser: what encryption at rest costs…');
    encryption.push(...(await encryptionCost(opts, browser, repos)));
  } finally {
    await browser?.close().catch(() => undefined);
    await daemon.stop();
    await owner.stop();
    await server.close();
  }

  const col = rows.map((r) => r.name);
  const row = (label: string, f: (r: SizeRow) => string): string[] => [label, ...rows.map(f)];
  lines.push(
    `Service-worker runtime in git history: ${swCommitted === '' ? 'no (src/sw.ts is not committed yet; the build is of the working tree)' : swCommitted}. App: ${app.note}.`,
    `Runtime for app load: ${mode}. Runtime for clone and pull: ${cloneMode}${swFailure === undefined ? '' : ` — the core in the service worker could not clone in this build ("${swFailure}"), so the profiles ran with service workers blocked and the page ran the core itself (the in-page app)`}.`,
    'Two profiles (two browser contexts of one Chromium, each its own keynode) clone from a Node { dir } keynode in another process; each clone and pull is timed inside the page. Native git clones the same repository through git daemon.',
    '',
    ...table(
      ['browser clone and pull', ...col],
      [
        row('native `git clone --bare` (git daemon), 3 runs', (r) => cell(r.native)),
        row('browser clone over WebRTC, min / median of the 2 profiles', (r) => (r.clone.length > 0 ? cell(r.clone) : 'did not finish')),
        row('  ratio browser / native (medians)', (r) => ratio(medianOf(r.clone), medianOf(r.native))),
        row('native pack on the wire / bytes the owner sent the browser', (r) => `${fmtBytes(r.nativeBytes)} / ${bytesCell(r.cloneBytes)}`),
        row('native `git fetch` after one changed secret, 3 runs', (r) => cell(r.nativeFetch)),
        row('browser pull after one changed secret (3 per profile)', (r) => cell(r.pull)),
        row('  ratio browser / native (medians)', (r) => ratio(medianOf(r.pull), medianOf(r.nativeFetch))),
        row('search by path: first search after the clone (walks the tree)', (r) => (r.search === undefined ? '—' : cell([r.search.first]))),
        row('search by path: each keystroke of "svc12 part3", twice (goal ≤ 100 ms)', (r) =>
          r.search === undefined ? '—' : `${cell(r.search.keys)}, max ${Math.round(Math.max(...r.search.keys))} ms`,
        ),
        row('search by path: first search after lock and unlock', (r) => (r.search === undefined ? '—' : cell([r.search.afterUnlock]))),
      ],
    ),
  );
  const errors = rows.flatMap((r) => [...r.cloneErrors.map((e) => `${r.name} clone: ${e}`), ...r.pullErrors.map((e) => `${r.name} pull: ${e}`)]);
  if (errors.length > 0) lines.push('', 'Failures:', ...errors.map((e) => `- ${e}`));
  lines.push(...encryption);
  lines.push(
    '',
    ...table(
      ['app load', 'min / median'],
      [
        ['first load, fresh profile: navigation → `window.keynode` ready', cell(firstLoads)],
        ['  of which: `load` event', cell(loadEvents)],
        ['offline reload (context offline): navigation → keynode ready', offline.length > 0 ? cell(offline) : `failed: ${offlineErrors[0] ?? '?'}`],
      ],
    ),
  );
  if (offlineErrors.length > 0 && offline.length > 0) lines.push(`(offline reload failed ${offlineErrors.length}×: ${offlineErrors[0]})`);
  lines.push('', ...table(['JavaScript in the build', 'bytes', 'gzip -9'], jsSizes(app.dir)));
  return { title: 'Browser: clone and pull between Chromium profiles and a Node keynode; app load; JavaScript size', lines };
}
