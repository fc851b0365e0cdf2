// The product's flows through the UI only (no window.keynode), in two Chromium profiles: the owner
// (Alice) and the recipient (Bob). First run, vaults and secrets, trust by pasted NodeIds, share,
// notification, clone, edit and pull, history, share links (accepted and refused), a pull queued
// while the owner is away that completes when she returns, remote scan, unshare and the refused
// pull, fork, delete. The flows run twice: with the core in the service worker (the product) and
// with it in the page (the fallback for browsers without service workers). Screenshots of every
// screen go to artifacts/screens/ (page-* for the second run).
// Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-flows.test.ts'
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, shot as screenshot, type Runtime } from './helpers/browser.js';
import {
  addSecret,
  confirm,
  createKeynode,
  createVault,
  editSecret,
  finishFirstRun,
  go,
  gotoAndUnlock,
  openVault,
  ownNodeId,
  PASSPHRASE,
  reloadAndUnlock,
  reveal,
  see,
  shareVault,
  tab,
  trust,
  unlock,
} from './helpers/ui.js';

if (!hasChromium) console.warn('Skipping the UI flow tests: /usr/bin/chromium is missing.');

let server: AppServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  server = await buildAndServe('ui-flows');
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

flowsOfTwo('service-worker');
flowsOfTwo('page');

function flowsOfTwo(runtime: Runtime): void {
  describe.skipIf(!hasChromium)(`keynode UI, core in the ${runtime === 'page' ? 'page' : 'service worker'}: the flows of two people`, () => {
    let alice: BrowserContext;
    let bob: BrowserContext;
    let a: Page;
    let b: Page;
    let aliceId: string;
    let bobId: string;
    let opsLink: string;
    let aliceWords: string[];

    const shot = (page: Page, name: string): Promise<void> => screenshot(page, runtime === 'page' ? `page-${name}` : name);

    beforeAll(async () => {
      alice = await newProfile(browser, server.url, { runtime });
      bob = await newProfile(browser, server.url, { runtime });
    });

    // A failed step leaves pictures of both screens, to see what the user would have seen.
    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail') return;
      for (const [page, who] of [
        [a, 'alice'],
        [b, 'bob'],
      ] as const)
        if (page !== undefined && !page.isClosed()) await shot(page, `failed-${who}`).catch(() => undefined);
    });

    afterAll(async () => {
      await alice?.close();
      await bob?.close();
    });

    it('first run: a passphrase first, then the new NodeId and recovery code; goes on only when two words are typed back', async () => {
      a = await openApp(alice, server.url);
      b = await openApp(bob, server.url);
      await see(a, 'Welcome to keynode');
      // The passphrase comes first, with a strength hint; two different ones are pointed out.
      await a.getByLabel('Passphrase', { exact: true }).fill('password');
      await see(a, /^Weak: easy to guess/);
      await a.getByLabel('Type it again').fill('passwort');
      await see(a, 'The two passphrases are not the same.');
      expect(await a.getByRole('button', { name: 'Create my keynode' }).isDisabled()).toBe(true);
      await shot(a, '00-first-run-passphrase');
      await createKeynode(a);
      await see(a, 'Write down your recovery code');
      await shot(a, '01-first-run');
      // Wrong words: a plain message, and we stay on the screen.
      await a
        .getByLabel(/^Word \d+/)
        .first()
        .fill('wrong');
      await a.getByRole('button', { name: 'I wrote it down — continue' }).click();
      await see(a, /Those words do not match/);
      await shot(a, '02-first-run-wrong-words');
      aliceWords = await finishFirstRun(a);
      expect(aliceWords).toHaveLength(24);
      await finishFirstRun(b);
      await see(a, 'No vaults yet');
      await shot(a, '03-vaults-empty');
      // Confirmed once: a reload does not show the recovery code again. (Reloading the only tab
      // locks the keynode: the key it kept went with the old page.)
      await reloadAndUnlock(a);
      await a.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
      expect(await a.getByText('Write down your recovery code').count()).toBe(0);
    });

    it('creates a vault and secrets; reveals, copies with a clearing countdown, edits, exports', async () => {
      await createVault(a, 'team');
      await see(a, 'No secrets yet.');
      // A bad path is explained, not thrown.
      await a.getByLabel(/^Path/).fill('../escape');
      await a.getByLabel('Secret value').fill('x');
      await a.getByRole('button', { name: 'Add secret' }).click();
      await see(a, /no leading "\/", no "\.\."/);
      await addSecret(a, 'db/password', 'hunter2');
      await addSecret(a, 'API_KEY', 'k-1');
      expect(await reveal(a, 'db/password')).toBe('hunter2');
      await shot(a, '04-vault-secrets');

      await a.getByRole('button', { name: 'Copy db/password' }).click();
      await see(a, /Copied\. Clipboard clears in \d+ s/);
      expect(await a.evaluate(() => navigator.clipboard.readText())).toBe('hunter2');
      await shot(a, '05-copied-countdown');
      // The countdown runs out and the clipboard is emptied.
      await a.getByText(/Clipboard clears in/).waitFor({ state: 'detached', timeout: 40_000 });
      expect(await a.evaluate(() => navigator.clipboard.readText())).toBe('');

      await editSecret(a, 'API_KEY', 'k-2');
      expect(await reveal(a, 'API_KEY')).toBe('k-2');

      await tab(a, 'Export');
      await a.getByRole('button', { name: 'Show export' }).click();
      const dotenv = (await a.getByLabel('Exported variables').textContent()) ?? '';
      expect(dotenv).toContain('API_KEY');
      expect(dotenv).toContain('hunter2');
      await shot(a, '06-export');
      await tab(a, 'Secrets');
    }, 120_000);

    it('trusts each other by pasted NodeIds, and both see the same safety number', async () => {
      aliceId = await ownNodeId(a);
      bobId = await ownNodeId(b);
      expect(aliceId).toMatch(/^v.{52}$/);
      // Validation as the user types.
      await a.getByLabel('Their NodeId').fill(bobId.slice(0, 20));
      await see(a, /Too short: 20 of 53 characters/);
      await trust(a, bobId, 'Bob');
      await trust(b, aliceId, 'Alice');
      const safetyA = await a.getByTestId('safety-number').first().textContent();
      const safetyB = await b.getByTestId('safety-number').first().textContent();
      expect(safetyA).toMatch(/^(\d{5} ){5}\d{5}$/);
      expect(safetyA).toBe(safetyB);
      await shot(a, '07-contacts');
    });

    it('shares with a contact: a share link with QR code, and Bob listed under “who can pull now”', async () => {
      await openVault(a, 'team');
      await tab(a, 'Sharing');
      await shareVault(a, 'team', 'Bob');
      expect(await a.getByRole('textbox', { name: 'Share link' }).inputValue()).toContain('#share=');
      await a.getByRole('img', { name: /QR code of the share link/ }).waitFor();
      expect(await a.getByTestId('who-can-pull').textContent()).toContain('Bob');
      await shot(a, '08-shared');
    });

    it('Bob sees the notification (unread badge), clones, and reads the vault as a read-only copy', async () => {
      await b.getByTestId('unread-badge').waitFor({ timeout: 60_000 });
      await go(b, 'Notifications');
      await see(b, /Alice shared the vault “team” with you/);
      await shot(b, '09-notification');
      await b.getByRole('button', { name: 'Clone team' }).click();
      await b.getByRole('heading', { name: 'team', level: 1 }).waitFor({ timeout: 60_000 });
      await see(b, /This is a read-only copy of “team” from/);
      expect(await reveal(b, 'db/password')).toBe('hunter2');
      // No editing on a clone.
      expect(await b.getByRole('button', { name: 'Edit db/password' }).count()).toBe(0);
      await shot(b, '10-clone');
      await go(b, 'Vaults');
      await see(b, /read-only copy from Alice/);
      await shot(b, '11-vaults-with-clone');
    }, 120_000);

    it('Alice edits; Bob pulls and sees the change; a second pull is “Up to date”', async () => {
      await openVault(a, 'team');
      await editSecret(a, 'db/password', 'hunter3');
      expect(await reveal(a, 'db/password')).toBe('hunter3');

      await openVault(b, 'team');
      await b.getByRole('button', { name: 'Pull changes' }).click();
      await see(b, /Updated to version \w+/);
      expect(await reveal(b, 'db/password')).toBe('hunter3');
      await shot(b, '12-pulled');
      await b.getByRole('button', { name: 'Pull changes' }).click();
      await see(b, 'Up to date.');
    }, 120_000);

    it('history: an old version is shown with a plain banner, and “Go back to latest” returns', async () => {
      await tab(a, 'History');
      await see(a, 'db/password modified');
      await shot(a, '13-history');
      await a
        .getByRole('button', { name: /^View this version from/ })
        .first()
        .click();
      await see(a, /You are looking at an old version from/);
      expect(await reveal(a, 'db/password')).toBe('hunter2');
      // Editing is off while an old version is shown.
      expect(await a.getByRole('button', { name: 'Add secret' }).count()).toBe(0);
      await shot(a, '14-old-version');
      await a.getByRole('button', { name: 'Go back to latest' }).click();
      await a.getByText(/You are looking at an old version/).waitFor({ state: 'detached' });
      expect(await reveal(a, 'db/password')).toBe('hunter3');
    });

    it('a share link opened in Bob’s browser offers Clone; opened in Alice’s own browser it is refused with the reason', async () => {
      await go(a, 'Vaults');
      await createVault(a, 'ops');
      await addSecret(a, 'deploy/token', 'tok-1');
      await tab(a, 'Sharing');
      await shareVault(a, 'ops', 'Bob');
      opsLink = await a.getByRole('textbox', { name: 'Share link' }).inputValue();

      // Bob follows the link (one tab per profile: in the page runtime each tab is a whole keynode).
      // Navigating Bob's only tab away locks his keynode; the link waits, out of the address bar,
      // for him to unlock.
      await gotoAndUnlock(b, opsLink);
      await b.getByTestId('opened-link').waitFor({ timeout: 60_000 });
      await see(b, /Alice shares the vault “ops” with you/);
      // The token left the address bar.
      expect(b.url()).not.toContain('share=');
      await shot(b, '15-share-link-opened');
      await b.getByTestId('opened-link').getByRole('button', { name: 'Clone ops' }).click();
      await b.getByRole('heading', { name: 'ops', level: 1 }).waitFor({ timeout: 60_000 });
      expect(await reveal(b, 'deploy/token')).toBe('tok-1');

      // The same link in Alice's own browser: refused, with the reason.
      await gotoAndUnlock(a, opsLink);
      await a.getByTestId('opened-link').waitFor({ timeout: 60_000 });
      await see(a, 'This share link could not be used.');
      await see(a, /made for a different keynode/);
      await shot(a, '16-share-link-refused');
      await a.getByTestId('opened-link').getByRole('button', { name: 'Close' }).click();
    }, 120_000);

    it('a pull while Alice is away is queued, and completes by itself when she comes back', async () => {
      await openVault(a, 'ops');
      await editSecret(a, 'deploy/token', 'tok-2');
      expect(await reveal(a, 'deploy/token')).toBe('tok-2');
      // Alice closes keynode: her profile keeps its data, but nothing of hers is online.
      for (const page of alice.pages()) await page.close();

      await openVault(b, 'ops');
      await b.getByRole('button', { name: 'Pull changes' }).click();
      await see(b, 'Queued — will run when Alice is online.', 90_000);
      await shot(b, '17-pull-queued');

      // Her keynode locked when her last tab closed: it comes online again once she unlocks it.
      a = await openApp(alice, server.url);
      await unlock(a);
      await see(b, /The queued pull ran\. Updated to version \w+/, 120_000);
      expect(await reveal(b, 'deploy/token')).toBe('tok-2');
      await shot(b, '18-queued-pull-done');
    }, 240_000);

    it('remote: Bob scans what Alice shares with him and sees the copies he has', async () => {
      await go(b, 'Remote');
      await b.getByLabel('Contact').selectOption({ label: 'Alice' });
      await b.getByRole('button', { name: 'Show shared vaults' }).click();
      await see(b, 'Shared by Alice', 60_000);
      await see(b, 'Open “ops”');
      await see(b, 'Open “team”');
      await shot(b, '19-remote-scan');
    }, 90_000);

    it('unshare: Bob is told, keeps his copy, and his next pull is refused with a clear message', async () => {
      await openVault(a, 'team');
      await tab(a, 'Sharing');
      await confirm(a, a.getByRole('button', { name: 'Stop sharing with Bob' }), 'Stop sharing');
      // Bob fetched it, so he keeps a copy: nobody can pull it now, and what he saw is listed to change.
      await see(a, 'Nobody can pull it now.');
      await a.getByTestId('exposure').getByRole('heading', { name: 'Secrets to change' }).waitFor();
      await shot(a, '20-unshared');

      await go(b, 'Notifications');
      await see(b, /Alice stopped sharing “team”/, 60_000);
      await shot(b, '21-unshare-notification');
      await openVault(b, 'team');
      await b.getByRole('button', { name: 'Pull changes' }).click();
      await see(b, /Ask them to share it again/, 60_000);
      expect(await reveal(b, 'db/password')).toBe('hunter3');
      await shot(b, '22-pull-refused');
    }, 120_000);

    it('fork turns Bob’s read-only copy into a vault he can edit; delete asks first, naming the vault', async () => {
      await b.getByRole('button', { name: 'Fork into an editable copy' }).click();
      await b.getByLabel('Name of your copy').fill('team-bob');
      await b.getByRole('button', { name: 'Fork', exact: true }).click();
      await b.getByRole('heading', { name: 'team-bob', level: 1 }).waitFor();
      expect(await b.getByText(/read-only copy/).count()).toBe(0);
      await addSecret(b, 'mine', 'bob-only');
      await shot(b, '23-forked');

      await b.getByRole('button', { name: 'Rename vault' }).click();
      await b.getByLabel(/^New name for/).fill('scratch');
      await b.getByRole('button', { name: 'Save name' }).click();
      await b.getByRole('heading', { name: 'scratch', level: 1 }).waitFor();
      await b.getByRole('button', { name: 'Delete vault' }).click();
      await see(b, 'Delete the vault “scratch”?');
      await shot(b, '24-delete-confirm');
      await b.locator('dialog[open]').getByRole('button', { name: 'Delete “scratch”' }).click();
      await b.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
      expect(await b.getByRole('link', { name: 'scratch' }).count()).toBe(0);
    });

    it('settings and a phone-sized screen', async () => {
      await go(a, 'Settings');
      await see(a, 'This keynode');
      await see(a, /keynode uses .+ of the .+ this browser allows/);
      await shot(a, '25-settings');
      await b.setViewportSize({ width: 360, height: 780 });
      await openVault(b, 'team');
      await reveal(b, 'db/password');
      // Nothing wider than the screen.
      expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await shot(b, '26-phone-vault');
      await go(b, 'Contacts');
      expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await shot(b, '27-phone-contacts');
    });

    it('restore: a recovery code makes a new browser that keynode; a wrong code, or a browser holding vaults, is refused with the reason', async () => {
      // Bob's browser holds vaults of his keynode: replacing it would lose them, so it is refused.
      await b.setViewportSize({ width: 1024, height: 900 });
      await go(b, 'Settings');
      await b.getByRole('textbox', { name: /^Recovery code/ }).fill(aliceWords.join(' '));
      await b.getByLabel('Passphrase for the restored keynode').fill(PASSPHRASE);
      await b.getByLabel('Type it again').last().fill(PASSPHRASE);
      await b.getByRole('button', { name: 'Restore this keynode' }).click();
      await see(b, /This browser already holds 2 vaults .* Restore in a new browser profile/);
      await shot(b, '28-restore-refused');
      expect(await ownNodeId(b)).toBe(bobId);

      // Alice's browser is gone for good; a new one becomes her keynode from her recovery code.
      for (const page of alice.pages()) await page.close();
      const laptop = await newProfile(browser, server.url, { runtime });
      const c = await openApp(laptop, server.url);
      await see(c, 'Welcome to keynode');
      await c.getByRole('button', { name: 'Restore from a recovery code' }).click();
      await c.getByRole('textbox', { name: /^Recovery code/ }).fill(Array(24).fill('keynode').join(' '));
      await c.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
      await c.getByLabel('Type it again').fill(PASSPHRASE);
      await c.getByRole('button', { name: 'Restore this keynode' }).click();
      await see(c, /That recovery code is not valid/);
      await c.getByRole('textbox', { name: /^Recovery code/ }).fill(aliceWords.join('  ').toUpperCase());
      await shot(c, '29-restore');
      await c.getByRole('button', { name: 'Restore this keynode' }).click();
      // The restored keynode opens at once: no recovery code to write down, Alice's NodeId.
      await c.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor({ timeout: 60_000 });
      expect(await ownNodeId(c)).toBe(aliceId);
      await reloadAndUnlock(c);
      expect(await ownNodeId(c)).toBe(aliceId);
      // Restored into this browser's own, empty storage: no keynode was made and replaced first.
      expect((await c.evaluate(() => indexedDB.databases())).map((d) => d.name).filter((n) => n?.startsWith('keynode-restored') === true)).toEqual([]);

      // Bob reaches the restored keynode as Alice, over the network.
      await go(b, 'Remote');
      await b.getByLabel('Contact').selectOption({ label: 'Alice' });
      await b.getByRole('button', { name: 'Show shared vaults' }).click();
      await see(b, 'This keynode shares no vaults with you.', 60_000);
      await laptop.close();
    }, 180_000);
  });
}
