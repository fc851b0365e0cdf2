// First load of the built app, side by side for one or more builds in the same run (issue 13):
// a fresh browser profile opens the app and the time until `window.keynode` answers is taken
// (navigation → service worker installed and active → core built → RPC connected), then the same
// tab reloads, now served by the worker (once its precache is complete). Runs are interleaved build by build, so a burst of load
// from elsewhere hits all of them. Prints min / median, the page's own marks and the worker's (on
// the page's clock: milliseconds since navigation), in the order they came.
//
//   npx tsx bench/first-load.ts dist                  # one build
//   npx tsx bench/first-load.ts old-dist dist --runs 7
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.js';
import { serveApp, type AppServer } from '../scripts/serve-app.js';

interface Sample {
  readyMs: number;
  marks: Record<string, number>;
  reloadMs: number;
}

async function sample(browser: Browser, server: AppServer): Promise<Sample> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const ready = () => page.waitForFunction(() => (window as { keynode?: unknown }).keynode !== undefined, undefined, { timeout: 60_000, polling: 10 });
    let t = performance.now();
    await page.goto(server.url);
    await ready();
    const readyMs = performance.now() - t;
    // The reload is timed once the precache is complete, so that it measures a load the worker
    // serves. A build without start-up marks precached everything before it activated.
    const worker = context.serviceWorkers()[0];
    if (worker !== undefined && (await worker.evaluate(() => performance.getEntriesByName('keynode:sw-evaluated').length > 0))) {
      const until = Date.now() + 30_000;
      while (!(await worker.evaluate(() => performance.getEntriesByName('keynode:precache-complete').length > 0))) {
        if (Date.now() > until) throw new Error('The precache was not complete 30 s after the first load.');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const marksOf = () => ({ origin: performance.timeOrigin, marks: performance.getEntriesByType('mark').map((m) => [m.name, m.startTime] as const) });
    const own = await page.evaluate(marksOf);
    const marks: Record<string, number> = Object.fromEntries(own.marks);
    // The worker's marks, moved to the page's clock (each has its own time origin).
    for (const w of context.serviceWorkers()) {
      const theirs = await w.evaluate(marksOf).catch(() => undefined);
      for (const [name, at] of theirs?.marks ?? []) marks[`${name} (worker)`] = theirs!.origin - own.origin + at;
    }
    t = performance.now();
    await page.reload();
    await ready();
    return { readyMs, marks, reloadMs: performance.now() - t };
  } finally {
    await context.close();
  }
}

const stat = (xs: number[]): string => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? '—' : `${Math.round(s[0]!)} / ${Math.round(s[Math.floor((s.length - 1) / 2)]!)} ms`;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 5;
  const dirs = args.length > 0 ? args : ['dist'];
  // DIR@plain serves that build without compression (to see what gzip is worth).
  const servers = await Promise.all(dirs.map((d) => serveApp(path.resolve(d.replace(/@plain$/, '')), { compress: !d.endsWith('@plain') })));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  const results: Sample[][] = dirs.map(() => []);
  try {
    // One warm-up per build (disk cache of the server's files, Chromium's first start).
    for (const server of servers) await sample(browser, server);
    for (let i = 0; i < runs; i++) {
      // Every other round in reverse: a load seems to pay for the one before it (the closed profile's
      // clean-up, the background precache), so no build is always the one that goes second.
      for (const b of i % 2 === 0 ? dirs.keys() : [...dirs.keys()].reverse()) {
        console.error(`first load: ${dirs[b]} run ${i + 1} of ${runs}`);
        results[b]!.push(await sample(browser, servers[b]!));
      }
    }
  } finally {
    await browser.close();
    await Promise.all(servers.map((s) => s.close()));
  }
  const median = (name: string): number => {
    const at = results
      .flatMap((r) => r.map((s) => s.marks[name]))
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    return at[Math.floor((at.length - 1) / 2)]!;
  };
  const markNames = [...new Set(results.flatMap((r) => r.flatMap((s) => Object.keys(s.marks))))].sort((a, b) => median(a) - median(b));
  console.log(`| first load, fresh profile (min / median of ${runs}) | ${dirs.join(' | ')} |`);
  console.log(`|---|${dirs.map(() => '---').join('|')}|`);
  console.log(`| navigation → \`window.keynode\` answers | ${results.map((r) => stat(r.map((s) => s.readyMs))).join(' | ')} |`);
  for (const name of markNames) {
    console.log(`| mark \`${name}\` (since navigation) | ${results.map((r) => stat(r.map((s) => s.marks[name] ?? NaN))).join(' | ')} |`);
  }
  console.log(`| reload, served by the worker → \`window.keynode\` | ${results.map((r) => stat(r.map((s) => s.reloadMs))).join(' | ')} |`);
}

await main();
