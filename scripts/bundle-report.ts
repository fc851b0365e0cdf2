// What a built app (`vite build` output) weighs where it matters, and whether each bundle holds only
// what belongs in it (docs/bundle-size.md): the JavaScript a page loads before it can show the app,
// the service worker, and the lazily loaded parts. Which source files went into each chunk is read
// from its source map. `npm run size [dist]` prints the report and exits 1 when a budget or a
// placement rule is broken; tests/build/bundle.test.ts runs the same checks on a fresh build.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Budgets, in gzip bytes (zlib's default level; kB = 1,000 bytes, as in Vite's own report). */
export const BUDGETS = {
  /** Everything the page runs before the first render, with the core in the service worker. */
  initialPage: 60_000,
  serviceWorker: 150_000,
};

/** Sources that must never reach the page's start-up code: the keynode core and the WebRTC stack. */
const NOT_IN_INITIAL_PAGE = [
  /node_modules\/isomorphic-git\//,
  /node_modules\/@isomorphic-git\/lightning-fs\//,
  /node_modules\/pako\//,
  /node_modules\/hash-wasm\//,
  /node_modules\/simple-peer\//,
  /node_modules\/readable-stream\//,
  /node_modules\/buffer\//,
  /node_modules\/events\//,
  /node_modules\/process\//,
  /node_modules\/qrcode\//,
  /\/src\/(git|vaults|storage|acl|gestalts|sigchain|notifications|secrets)\//,
  /\/src\/keynode\/(keynode|core|network)\.ts$/,
  /\/src\/network\/(peer-connection|signaling-client|dialer)\.ts$/,
];

/** Sources that must never reach the service worker: it opens no peer connection itself. */
const NOT_IN_SERVICE_WORKER = [
  /node_modules\/simple-peer\//,
  /node_modules\/readable-stream\//,
  /node_modules\/events\//,
  /node_modules\/debug\//,
  /node_modules\/sha\.js\//,
  /node_modules\/buffer\//,
  /node_modules\/process\//,
  /node_modules\/isomorphic-git\//,
];

export interface ChunkInfo {
  file: string;
  bytes: number;
  gzip: number;
  sources: string[];
}

export interface BundleReport {
  /** The page's entry script and every chunk it imports statically, in load order. */
  initialPage: ChunkInfo[];
  initialPageGzip: number;
  serviceWorker: ChunkInfo;
  /** Chunks loaded only on demand (network host, in-page core, panels). */
  lazy: ChunkInfo[];
  problems: string[];
}

function chunk(dir: string, file: string): ChunkInfo {
  const full = path.join(dir, file);
  const code = readFileSync(full);
  let sources: string[] = [];
  if (existsSync(`${full}.map`)) {
    const map = JSON.parse(readFileSync(`${full}.map`, 'utf8')) as { sources: string[] };
    sources = map.sources.map((s) => path.resolve(path.dirname(full), s));
  }
  return { file, bytes: code.length, gzip: gzipSync(code).length, sources };
}

/** The chunks a module script imports statically (`import … from "./x.js"`, `import "./x.js"`). */
function staticImports(dir: string, file: string): string[] {
  const code = readFileSync(path.join(dir, file), 'utf8');
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"`()]*?\bfrom\s*)?["'`](\.{1,2}\/[^"'`]+)["'`]/g)) {
    found.add(path.posix.join(path.posix.dirname(file), m[1]!));
  }
  return [...found];
}

export function bundleReport(dir: string): BundleReport {
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="\/([^"]+)"/g)].map((m) => m[1]!);
  const initial: string[] = [];
  const visit = (file: string): void => {
    if (initial.includes(file)) return;
    initial.push(file);
    for (const next of staticImports(dir, file)) visit(next);
  };
  for (const entry of entries) visit(entry);
  const initialPage = initial.map((f) => chunk(dir, f));
  const lazy = readdirSync(path.join(dir, 'assets'))
    .filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`))
    .map((f) => chunk(dir, `assets/${f}`));
  const serviceWorker = chunk(dir, 'sw.js');
  const initialPageGzip = initialPage.reduce((sum, c) => sum + c.gzip, 0);

  const problems: string[] = [];
  if (entries.length === 0) problems.push('index.html loads no module script.');
  if (initialPageGzip > BUDGETS.initialPage)
    problems.push(`The page's start-up JavaScript is ${kb(initialPageGzip)} gzip, over its budget of ${kb(BUDGETS.initialPage)}.`);
  if (serviceWorker.gzip > BUDGETS.serviceWorker) problems.push(`sw.js is ${kb(serviceWorker.gzip)} gzip, over its budget of ${kb(BUDGETS.serviceWorker)}.`);
  const misplaced = (c: ChunkInfo, rules: RegExp[], where: string): void => {
    for (const source of c.sources)
      if (rules.some((r) => r.test(source))) problems.push(`${where} (${c.file}) holds ${path.relative(path.resolve(dir, '..'), source)}.`);
  };
  for (const c of initialPage) misplaced(c, NOT_IN_INITIAL_PAGE, "The page's start-up code");
  misplaced(serviceWorker, NOT_IN_SERVICE_WORKER, 'The service worker');
  // The bundler's own helpers (rolldown gives them a chunk of their own when several chunks share
  // them) have no source in the repository to map back to; their bytes still count in the budget.
  const bundlerRuntime = (c: ChunkInfo): boolean => /^assets\/rolldown-runtime-[\w-]+\.js$/.test(c.file) && c.bytes < 4096;
  for (const c of [...initialPage, serviceWorker])
    if (c.sources.length === 0 && !bundlerRuntime(c)) problems.push(`${c.file} has no source map to check it against.`);
  return { initialPage, initialPageGzip, serviceWorker, lazy, problems };
}

function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

export function formatReport(r: BundleReport): string {
  const row = (what: string, c: { bytes: number; gzip: number }): string => `| ${what} | ${kb(c.bytes)} | ${kb(c.gzip)} |`;
  const lines = ['| bundle | size | gzip |', '|---|---|---|'];
  for (const c of r.initialPage) lines.push(row(`start-up: ${c.file}`, c));
  lines.push(row('**page start-up, total**', { bytes: r.initialPage.reduce((s, c) => s + c.bytes, 0), gzip: r.initialPageGzip }));
  lines.push(row('**sw.js**', r.serviceWorker));
  for (const c of [...r.lazy].sort((a, b) => b.gzip - a.gzip)) lines.push(row(`lazy: ${c.file}`, c));
  lines.push('', r.problems.length === 0 ? 'Every budget and placement rule holds.' : r.problems.map((p) => `PROBLEM: ${p}`).join('\n'));
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = bundleReport(path.resolve(process.argv[2] ?? 'dist'));
  console.log(formatReport(report));
  process.exit(report.problems.length === 0 ? 0 : 1);
}
