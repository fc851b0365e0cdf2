// The update prompt (docs/design.md §1, §10.1): a new version of the app installs in the
// background and waits; the page says so, and the new version takes over only when the user clicks
// "Update now" — then the page reloads into it, with the vaults as they were. "Later" puts the prompt
// away, and nothing changes. The new version is the test's own build with one listener added to
// sw.js, so the test can ask the worker in charge which version it is.
// Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-update.test.ts'
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, root, shot } from './helpers/browser.js';
import { addSecret, createVault, finishFirstRun, openVault, reveal, see, unlock } from './helpers/ui.js';

const NAME = 'ui-update';

/** Which version the worker in charge of the page is: 'v2' answers, the first build does not. */
function versionInCharge(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const worker = navigator.serviceWorker.controller;
        if (worker === null) return resolve('none');
        const channel = new MessageChannel();
        channel.port1.onmessage = (e: MessageEvent) => resolve(String(e.data));
        worker.postMessage({ type: 'KEYNODE_TEST_VERSION' }, [channel.port2]);
        setTimeout(() => resolve('v1'), 2000);
      }),
  );
}

/** The start-up marks (src/sw.ts) of the profile's waiting worker. */
async function waitingWorkerMarks(profile: BrowserContext): Promise<string[]> {
  for (const worker of profile.serviceWorkers()) {
    const marks = await worker.evaluate(() =>
      (self as unknown as ServiceWorkerGlobalScope).serviceWorker.state === 'installed' ? performance.getEntriesByType('mark').map((m) => m.name) : undefined,
    );
    if (marks !== undefined) return marks;
  }
  throw new Error('No waiting service worker.');
}

const waiting = (page: Page): Promise<boolean> => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null);

describe.skipIf(!hasChromium)('keynode UI: a new version takes over only when the user agrees', () => {
  let server: AppServer;
  let browser: Browser;
  let profile: BrowserContext;

  beforeAll(async () => {
    server = await buildAndServe(NAME);
    browser = await launch();
    profile = await newProfile(browser, server.url, { runtime: 'service-worker' });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the update prompt, keeps the running version on “Later” and on reload, and switches on “Update now” with the vaults intact', async () => {
    const page = await openApp(profile, server.url);
    await finishFirstRun(page);
    await createVault(page, 'team');
    await addSecret(page, 'db/password', 'hunter2');
    expect(await versionInCharge(page)).toBe('v1');
    expect(await page.getByRole('region', { name: 'Update available' }).count()).toBe(0);

    // A new version is published; the browser finds it at its next check.
    appendFileSync(
      path.join(root, 'artifacts', `build-${NAME}`, 'sw.js'),
      `\nself.addEventListener('message', (e) => { if (e.data?.type === 'KEYNODE_TEST_VERSION') e.ports[0]?.postMessage('v2'); });\n`,
    );
    await page.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())?.update();
    });
    await see(page, 'A new version of keynode is ready.');
    await shot(page, 'update-ready');
    expect(await waiting(page)).toBe(true);
    expect(await versionInCharge(page)).toBe('v1');
    // The waiting version has not opened the keynode beside the one in charge: only a profile's
    // first worker builds its core before a tab asks.
    const marks = await waitingWorkerMarks(profile);
    expect(marks).toContain('keynode:sw-install');
    expect(marks).not.toContain('keynode:core-built');

    // "Later": the prompt goes away and the old version stays in charge, also after a reload,
    // which shows the prompt again.
    await page.getByRole('button', { name: 'Later' }).click();
    await page.getByRole('region', { name: 'Update available' }).waitFor({ state: 'detached' });
    expect(await versionInCharge(page)).toBe('v1');
    // (Reloading the only tab also locks the keynode; the prompt shows on the lock screen too.)
    await page.reload();
    await see(page, 'A new version of keynode is ready.');
    expect(await versionInCharge(page)).toBe('v1');

    // "Update now": the page reloads into the new version; the vault and its secret are there.
    await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.getByRole('button', { name: 'Update now' }).click()]);
    await page.locator('main h1').first().waitFor({ timeout: 60_000 });
    expect(await versionInCharge(page)).toBe('v2');
    expect(await waiting(page)).toBe(false);
    expect(await page.getByRole('region', { name: 'Update available' }).count()).toBe(0);
    await unlock(page);
    await openVault(page, 'team');
    expect(await reveal(page, 'db/password')).toBe('hunter2');
    await shot(page, 'update-done');
  }, 180_000);
});
