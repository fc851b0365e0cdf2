// A profile's first load (issue 13): the first service worker activates without waiting for its
// precache, so the keynode answers even while a precached file cannot be fetched; the precache is
// completed afterwards, a file missed then is fetched when the worker next starts, and from then on
// the app opens offline. The QR scanner's chunk stands in for the missed file: the first screen
// never loads it, and before this change its failure failed the whole installation.
// Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/first-load.test.ts'
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { buildAndServe, hasChromium, launch, newProfile, root } from './helpers/browser.js';
import { WorkerWatch } from './helpers/service-worker.js';

const NAME = 'first-load';

/** The paths the built sw.js precaches (Workbox writes the list into it). */
function precacheList(): string[] {
  const sw = readFileSync(path.join(root, 'artifacts', `build-${NAME}`, 'sw.js'), 'utf8');
  return [...new Set([...sw.matchAll(/"url":"([^"]+)"/g)].map((m) => `/${m[1]!}`))].sort();
}

/** The paths held in the profile's caches, whatever revision parameter Workbox added. */
const cachedPaths = (page: Page): Promise<string[]> =>
  page.evaluate(async () => {
    const paths = new Set<string>();
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) paths.add(new URL(request.url).pathname);
    return [...paths].sort();
  });

/** Polls until `test` holds (no fixed sleeps; the timeout only ends a test that would hang). */
async function until(test: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const keynodeAnswers = (page: Page): Promise<boolean> =>
  page
    .evaluate(async () => {
      const keynode = (window as { keynode?: { lockState(): Promise<{ created: boolean }> } }).keynode;
      return keynode !== undefined && typeof (await keynode.lockState()).created === 'boolean';
    })
    .catch(() => false);

describe.skipIf(!hasChromium)('first load: the keynode answers before the precache is complete', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await buildAndServe(NAME);
    browser = await launch();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('answers while a precached file fails, completes the precache at the next start, then opens offline', async () => {
    const expected = precacheList();
    const missed = expected.find((p) => /^\/assets\/jsQR-.*\.js$/.test(p));
    expect(missed, 'the QR scanner chunk is precached').toBeDefined();
    const profile = await newProfile(browser, server.url);
    const refuse = '**/assets/jsQR-*.js';
    await profile.route(refuse, (route) => route.abort());
    const page = await profile.newPage();
    await page.goto(server.url);

    // The keynode answers, in the worker, which controls the page, although one file of its
    // precache could not be fetched.
    await until(() => keynodeAnswers(page), 'the keynode');
    expect(await page.evaluate(() => (window as { keynodeRuntime?: { mode: string } }).keynodeRuntime?.mode)).toBe('service-worker');
    await until(() => page.evaluate(() => navigator.serviceWorker.controller !== null), 'the worker to control the page');
    // Everything else is precached after the keynode started; the refused file is not.
    await until(async () => (await cachedPaths(page)).length === expected.length - 1, 'the rest of the precache');
    expect(await cachedPaths(page)).toEqual(expected.filter((p) => p !== missed));
    const [worker] = profile.serviceWorkers();
    expect(await worker!.evaluate(() => performance.getEntriesByName('keynode:precache-complete').length)).toBe(0);

    // The file can be fetched again; the browser stops the worker, and the next message starts it.
    await profile.unroute(refuse);
    const watch = await WorkerWatch.attach(profile, page);
    await watch.stopAll();
    await until(() => keynodeAnswers(page), 'the keynode after the worker restarted');
    await until(async () => (await cachedPaths(page)).length === expected.length, 'the missed file to be precached');
    expect(await cachedPaths(page)).toEqual(expected);

    // Offline from now on: the app shell, the keynode and the once-missed chunk all come from the worker.
    await profile.setOffline(true);
    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    await until(() => keynodeAnswers(page), 'the keynode offline');
    expect(await page.evaluate(async (url) => (await fetch(url)).status, missed!)).toBe(200);
    await profile.setOffline(false);
  }, 180_000);
});
