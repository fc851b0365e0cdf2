// Encryption at rest in a real browser: a person creates a keynode, a vault and a secret through the
// UI in a Chromium profile kept on disk; once the browser is closed, no byte of the secret's value,
// its path or the vault's name is anywhere in the profile's files (IndexedDB, caches, history,
// session files, local storage…), looked for raw and inside every zlib stream. Both runtimes: the
// core in the service worker, and in the page. Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/at-rest.test.ts'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { scanFolder } from '../utils/plaintext-scan.js';
import { buildAndServe, hasChromium, launchOnDisk, shot, type Runtime } from './helpers/browser.js';
import { addSecret, createVault, finishFirstRun, reveal, see, unlock } from './helpers/ui.js';

describe.skipIf(!hasChromium)('at rest in a Chromium profile on disk', () => {
  let server: AppServer;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await buildAndServe('at-rest');
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const runtime of ['service-worker', 'page'] as Runtime[]) {
    it(`${runtime} runtime: the profile folder holds no byte of a secret, its path or its vault's name`, async () => {
      const profile = mkdtempSync(path.join(tmpdir(), 'keynode-profile-'));
      dirs.push(profile);
      const tag = Math.random().toString(36).slice(2, 10);
      const vault = `zebra-vault-${tag}`;
      const folder = `quokka-${tag}`;
      const file = `wombat-${tag}`;
      const value = `xylophone-secret-${tag}`;

      let context = await launchOnDisk(profile, server.url, runtime);
      let page = context.pages()[0] ?? (await context.newPage());
      await page.goto(server.url);
      await page.locator('main h1').first().waitFor({ timeout: 60_000 });
      await finishFirstRun(page);
      await createVault(page, vault);
      await addSecret(page, `${folder}/${file}`, value);
      expect(await reveal(page, `${folder}/${file}`)).toBe(value);
      await shot(page, `at-rest-${runtime}`);
      await context.close();

      // What the browser wrote, with everything flushed and closed.
      expect(await scanFolder(profile, [vault, folder, file, value])).toEqual([]);

      // And it is all still there for the person with the passphrase.
      context = await launchOnDisk(profile, server.url, runtime);
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(server.url);
      await unlock(page);
      await see(page, vault);
      await context.close();
    }, 240_000);
  }
});
