// A person's second browser through the UI only (no window.keynode), in three Chromium profiles:
// Alice (the owner), Bob (the recipient) and Bob's second browser, "Bob-phone", whose keynode runs
// in the service worker. Bob-phone links itself into Bob's gestalt from Contacts (invite on Bob,
// Link on the phone); Alice shares a vault with Bob and discovers his linked browsers; Bob-phone
// finds the vault on Remote, clones it, reads it and pulls Alice's edit. Then the browser stops
// Bob-phone's service worker mid-session and the next UI actions still work. Then Alice goes
// offline and Bob-phone's pull comes from Bob's laptop, which holds the vault too. Last, Bob removes
// Bob-phone from his devices (a lost phone): once Alice looks for Bob's browsers again, Bob-phone's
// pull is refused, while the copy it holds stays readable.
// Screenshots go to artifacts/screens/gestalt-*.png.
// Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-gestalt.test.ts'
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, shot } from './helpers/browser.js';
import { WorkerWatch } from './helpers/service-worker.js';
import { addSecret, createVault, editSecret, finishFirstRun, go, openVault, ownNodeId, reveal, see, shareVault, tab, trust, unlock } from './helpers/ui.js';

if (!hasChromium) console.warn('Skipping the UI gestalt test: /usr/bin/chromium is missing.');

const LONG = 90_000;

const short = (nodeId: string): string => `${nodeId.slice(0, 12)}…`;

/** Presses Pull and waits for an "Updated to version …" naming a version other than the one shown before. */
async function pullAndSeeUpdate(page: Page): Promise<void> {
  const before = /Updated to version (\w+)/.exec((await page.getByTestId('pull-status').textContent()) ?? '')?.[1];
  await page.getByRole('button', { name: 'Pull changes' }).click();
  await see(page.getByTestId('pull-status'), new RegExp(`Updated to version (?!${before ?? '-'}\\b)\\w+`), LONG);
}

describe.skipIf(!hasChromium)('keynode UI: a second browser linked into the recipient’s gestalt', () => {
  let server: AppServer;
  let browser: Browser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let phoneProfile: BrowserContext;
  let a: Page;
  let b: Page;
  let phone: Page;
  let aliceId: string;
  let bobId: string;
  let phoneId: string;

  beforeAll(async () => {
    server = await buildAndServe('ui-gestalt');
    browser = await launch();
    alice = await newProfile(browser, server.url);
    bob = await newProfile(browser, server.url);
    // The phone's worker is stopped mid-session below, so its core must be in the worker whatever KEYNODE_UI_RUNTIME says.
    phoneProfile = await newProfile(browser, server.url, { viewport: { width: 390, height: 844 }, runtime: 'service-worker' });
  }, 240_000);

  // A failed step leaves pictures of the three screens, to see what each person would have seen.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [page, who] of [
      [a, 'alice'],
      [b, 'bob'],
      [phone, 'bob-phone'],
    ] as const) {
      if (page !== undefined && !page.isClosed()) await shot(page, `gestalt-failed-${who}`).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'three first runs give three keynodes',
    async () => {
      [a, b, phone] = await Promise.all([openApp(alice, server.url), openApp(bob, server.url), openApp(phoneProfile, server.url)]);
      for (const page of [a, b, phone]) await finishFirstRun(page);
      aliceId = await ownNodeId(a);
      bobId = await ownNodeId(b);
      phoneId = await ownNodeId(phone);
      expect(new Set([aliceId, bobId, phoneId]).size).toBe(3);
    },
    LONG,
  );

  it(
    'Bob invites Bob-phone, Bob-phone links to Bob: each lists the other as a linked browser',
    async () => {
      await go(b, 'Contacts');
      await b.getByLabel('NodeId of your other browser').fill(phoneId);
      await see(b.locator('section', { has: b.getByRole('heading', { name: 'Link your other browsers' }) }), 'Valid NodeId.');
      await b.getByRole('button', { name: 'Invite', exact: true }).click();
      await see(b, /Invitation sent\./);
      await shot(b, 'gestalt-01-bob-invited');

      await go(phone, 'Contacts');
      await phone.getByLabel('NodeId of the browser that invited this one').fill(bobId);
      await phone.getByRole('button', { name: 'Link', exact: true }).click();
      await see(phone, /Linked: both browsers now belong to the same person/, LONG);
      const phoneLinked = phone.locator('section', { has: phone.getByRole('heading', { name: 'Link your other browsers' }) });
      await see(phoneLinked, 'Linked with this browser:');
      // Without a nickname a NodeId is shown by its first 12 characters.
      await see(phoneLinked, short(bobId));
      await shot(phone, 'gestalt-02-phone-linked');

      // Bob's screen learns the link when Contacts loads again.
      await go(b, 'Vaults');
      await go(b, 'Contacts');
      const bobLinked = b.locator('section', { has: b.getByRole('heading', { name: 'Link your other browsers' }) });
      await see(bobLinked, short(phoneId), LONG);
    },
    3 * LONG,
  );

  it(
    'Alice and Bob trust each other; Alice creates a vault and shares it with Bob',
    async () => {
      await trust(a, bobId, 'Bob');
      await trust(b, aliceId, 'Alice');
      // Bob-phone trusts Alice too, so she is a contact it can pick on Remote.
      await trust(phone, aliceId, 'Alice');

      await go(a, 'Vaults');
      await createVault(a, 'team');
      await addSecret(a, 'db/password', 'hunter2');
      await tab(a, 'Sharing');
      await shareVault(a, 'team', 'Bob', LONG);
      expect(await a.getByTestId('who-can-pull').textContent()).toContain('Bob');
    },
    2 * LONG,
  );

  it(
    'Alice discovers Bob’s linked browsers from Contacts, and Bob’s card shows both',
    async () => {
      await go(a, 'Contacts');
      await a.getByLabel('NodeId to discover').fill(bobId);
      await a.getByRole('button', { name: 'Discover', exact: true }).click();
      const result = a.locator('section', { has: a.getByRole('heading', { name: /Discover a keynode’s linked browsers/ }) }).getByRole('status');
      await see(result, '2 linked browsers:', LONG);
      expect(await result.textContent()).toContain(short(phoneId));
      // Bob's card, found by his full NodeId: its heading is the nickname of whichever member the
      // gestalt lists first, so after discovery it may read as the phone's short NodeId, not "Bob".
      const card = a.getByTestId('contact').filter({ hasText: bobId });
      await see(card, 'The same person on 2 linked browsers:', LONG);
      expect(await card.textContent()).toContain(phoneId);
      await shot(a, 'gestalt-03-alice-discovered');

      // Sharing with Bob now covers his phone: one row for Bob, on both of his browsers.
      await openVault(a, 'team');
      await tab(a, 'Sharing');
      await see(a.getByTestId('who-can-pull'), 'Bob');
      await see(a.getByTestId('who-can-pull'), 'on 2 linked browsers', LONG);
      expect(await a.getByTestId('who-can-pull').getByRole('listitem').count()).toBe(1);
      expect(await a.getByRole('button', { name: 'Stop sharing with Bob' }).count()).toBe(1);
      // Choosing whom to share with: Bob once; asking a browser what it shares: each of his.
      // (Contacts load after the screen shows: wait for Bob's option before reading them all.)
      await a.getByLabel('Share with a contact').locator('option', { hasText: 'Bob' }).first().waitFor({ state: 'attached' });
      const shareOptions = await a.getByLabel('Share with a contact').locator('option').allTextContents();
      expect(shareOptions.filter((o) => o.includes('Bob'))).toEqual(['Bob (2 linked browsers)']);
      await go(a, 'Remote');
      await a.getByLabel('Contact').locator('option', { hasText: 'Bob’s other browser' }).waitFor({ state: 'attached' });
      const scanOptions = await a.getByLabel('Contact').locator('option').allTextContents();
      expect(scanOptions.filter((o) => o.includes('Bob'))).toEqual(['Bob', `Bob’s other browser (${phoneId.slice(0, 12)}…)`]);
      await openVault(a, 'team');
      await tab(a, 'Sharing');
      await shot(a, 'gestalt-04-alice-sharing');
    },
    2 * LONG,
  );

  it(
    'Bob-phone scans Alice on Remote, clones “team” and reads the secret',
    async () => {
      await go(phone, 'Remote');
      await phone.getByLabel('Contact').selectOption({ label: 'Alice' });
      await phone.getByRole('button', { name: 'Show shared vaults' }).click();
      await see(phone, 'Shared by Alice', LONG);
      await shot(phone, 'gestalt-05-phone-remote');
      await phone.getByRole('button', { name: 'Clone team' }).click();
      await phone.getByRole('heading', { name: 'team', level: 1 }).waitFor({ timeout: LONG });
      await see(phone, /This is a read-only copy of “team” from/);
      expect(await reveal(phone, 'db/password')).toBe('hunter2');
      await shot(phone, 'gestalt-06-phone-clone');
    },
    2 * LONG,
  );

  it(
    'Alice edits; Bob-phone pulls and sees the change',
    async () => {
      await openVault(a, 'team');
      await editSecret(a, 'db/password', 'hunter3');
      expect(await reveal(a, 'db/password')).toBe('hunter3');

      await openVault(phone, 'team');
      await pullAndSeeUpdate(phone);
      expect(await reveal(phone, 'db/password')).toBe('hunter3');
      await shot(phone, 'gestalt-07-phone-pulled');
    },
    2 * LONG,
  );

  it(
    'the browser stops Bob-phone’s service worker mid-session; opening, revealing and pulling still work',
    async () => {
      const workers = await WorkerWatch.attach(phoneProfile, phone);
      await go(phone, 'Vaults');
      await workers.stopAll();

      // The next actions wake a new worker, which rebuilds the keynode from IndexedDB.
      await openVault(phone, 'team');
      expect(await reveal(phone, 'db/password')).toBe('hunter3');
      expect(workers.some('running')).toBe(true);

      // Alice edits again; the phone's pull goes over the network the new worker brought back.
      await editSecret(a, 'db/password', 'hunter4');
      await pullAndSeeUpdate(phone);
      expect(await reveal(phone, 'db/password')).toBe('hunter4');
      await shot(phone, 'gestalt-08-phone-after-worker-stop');

      // Stopped again with the vault open: a pull pressed right away still completes.
      await workers.stopAll();
      await editSecret(a, 'db/password', 'hunter5');
      await pullAndSeeUpdate(phone);
      expect(await reveal(phone, 'db/password')).toBe('hunter5');
      await shot(phone, 'gestalt-09-phone-pull-after-second-stop');
    },
    4 * LONG,
  );

  it(
    'with Alice offline, Bob-phone’s pull comes from Bob’s laptop, and the app says so',
    async () => {
      // Bob's laptop holds the vault too: it clones "team" and pulls Alice's latest edit.
      await go(b, 'Remote');
      await b.getByLabel('Contact').selectOption({ label: 'Alice' });
      await b.getByRole('button', { name: 'Show shared vaults' }).click();
      await see(b, 'Shared by Alice', LONG);
      await b.getByRole('button', { name: 'Clone team' }).click();
      await b.getByRole('heading', { name: 'team', level: 1 }).waitFor({ timeout: LONG });
      await editSecret(a, 'db/password', 'hunter6');
      await openVault(b, 'team');
      await pullAndSeeUpdate(b);
      expect(await reveal(b, 'db/password')).toBe('hunter6');

      // Alice closes her browser: her keynode is gone from the network.
      await a.close();
      await openVault(phone, 'team');
      await pullAndSeeUpdate(phone);
      const status = phone.getByTestId('pull-status');
      await see(status, `pulled from ${short(bobId)} (another of your browsers)`);
      expect(await reveal(phone, 'db/password')).toBe('hunter6');
      // The copy still says it comes from Alice: the default remote did not change.
      await see(phone, /This is a read-only copy of “team” from Alice/);
      await shot(phone, 'gestalt-10-phone-pulled-from-bob');

      // The phone's core runs in its service worker and its connection to Bob in the page: idle for
      // well over the 4 s after which a silent connection is dropped, it stays up, because the
      // heartbeat crosses the page–worker bridge both ways.
      const network = phone.getByTestId('network-status');
      await see(network, 'Online · 1 peer');
      await phone.waitForTimeout(10_000);
      expect((await network.textContent())?.trim()).toBe('Online · 1 peer');
    },
    4 * LONG,
  );

  it(
    'Bob removes Bob-phone from his devices; after Alice looks for Bob’s browsers again, Bob-phone’s pull is refused',
    async () => {
      await go(b, 'Contacts');
      const linkSection = b.locator('section', { has: b.getByRole('heading', { name: 'Link your other browsers' }) });
      await linkSection.getByRole('button', { name: `Remove ${short(phoneId)} from my devices` }).click();
      const dialog = b.getByRole('dialog', { name: 'Remove this browser from my devices?' });
      await see(dialog, 'It can no longer clone or pull the vaults people share with you');
      await shot(b, 'gestalt-11-bob-remove-confirm');
      await dialog.getByRole('button', { name: 'Remove it' }).click();
      await see(b.getByTestId('removed-note'), `Removed ${short(phoneId)} from your devices.`, LONG);
      await see(b.getByTestId('removed-note'), 'Find other browsers');
      expect(await linkSection.getByTestId('linked-browser').count()).toBe(0);
      await shot(b, 'gestalt-12-bob-removed');

      // Alice comes back (her keynode locked when her browser closed) and looks for Bob's browsers
      // again, from his card: the phone is no longer one of them.
      a = await openApp(alice, server.url);
      await unlock(a);
      await go(a, 'Contacts');
      const card = a.getByTestId('contact').filter({ hasText: bobId });
      await card.getByRole('button', { name: /^Find other browsers of / }).click();
      await card.getByText('The same person on 2 linked browsers:').waitFor({ state: 'detached', timeout: LONG });
      expect(await card.textContent()).not.toContain(phoneId);
      await shot(a, 'gestalt-13-alice-rediscovered');

      // Alice edits; the phone's pull is refused with a sentence a person understands.
      await openVault(a, 'team');
      await editSecret(a, 'db/password', 'hunter7');
      await openVault(phone, 'team');
      await phone.getByRole('button', { name: 'Pull changes' }).click();
      await see(phone.getByRole('alert'), 'The owner does not share this vault with you (any more).', LONG);
      expect(await reveal(phone, 'db/password')).toBe('hunter6');
      await shot(phone, 'gestalt-14-phone-pull-refused');
    },
    3 * LONG,
  );
});
