// The built app's weight where it matters (issue 13): the page starts with the UI and the RPC client
// only — no keynode core, no WebRTC stack — and sw.js carries the core without simple-peer or Node
// shims; both within their gzip budgets. scripts/bundle-report.ts reads each chunk's source map.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS, bundleReport, type BundleReport } from '../../scripts/bundle-report.js';

const root = path.resolve(import.meta.dirname, '../..');
const outDir = path.join(root, 'artifacts', 'build-bundle');
const has = (sources: string[], part: string): boolean => sources.some((s) => s.includes(part));

describe('the built app', () => {
  let report: BundleReport;

  beforeAll(() => {
    // As `npm run build` does: vitest sets NODE_ENV=test, which would keep development-only code.
    const env = { ...process.env, NODE_ENV: 'production' };
    const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { cwd: root, encoding: 'utf8', env });
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
    report = bundleReport(outDir);
  }, 240_000);

  it('keeps every budget and placement rule', () => {
    expect(report.problems).toEqual([]);
    expect(report.initialPageGzip).toBeLessThanOrEqual(BUDGETS.initialPage);
    expect(report.serviceWorker.gzip).toBeLessThanOrEqual(BUDGETS.serviceWorker);
  });

  it('starts the page with the UI and the RPC client, and loads the core and the network host on demand', () => {
    const initial = report.initialPage.flatMap((c) => c.sources);
    expect(has(initial, '/src/ui/App.tsx')).toBe(true);
    expect(has(initial, '/src/platform/sw-rpc/client.ts')).toBe(true);
    for (const core of ['/src/keynode/keynode.ts', '/src/vaults/', '/node_modules/simple-peer/', '/node_modules/buffer/']) {
      expect(has(initial, core), core).toBe(false);
    }
    const lazy = report.lazy.flatMap((c) => c.sources);
    // The in-page core (where service workers are unavailable) and the network host still exist.
    expect(has(lazy, '/src/keynode/keynode.ts')).toBe(true);
    expect(has(lazy, '/src/platform/network-host/host.ts')).toBe(true);
    expect(has(lazy, '/node_modules/simple-peer/')).toBe(true);
  });

  it('puts the core in sw.js, with Workbox and Argon2id, but no WebRTC stack', () => {
    const sw = report.serviceWorker.sources;
    for (const part of ['/src/keynode/keynode.ts', '/src/git/upload-pack.ts', '/node_modules/workbox-precaching/', '/node_modules/hash-wasm/']) {
      expect(has(sw, part), part).toBe(true);
    }
    for (const part of [
      '/node_modules/simple-peer/',
      '/node_modules/readable-stream/',
      '/node_modules/events/',
      '/node_modules/buffer/',
      '/node_modules/process/',
    ]) {
      expect(has(sw, part), part).toBe(false);
    }
  });
});
