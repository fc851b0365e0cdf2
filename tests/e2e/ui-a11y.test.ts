// Accessibility of every screen: axe-core (node_modules/axe-core/axe.min.js, injected into the
// page) finds no serious or critical violation on the first run (and its restore form), the vaults, a vault's secrets
// (revealed and being edited), history, an old version, sharing with its link, export, the delete
// dialog, a cloned vault, contacts, notifications with requests, remote, settings, a
// refused share link and an unknown address. Setup goes through window.keynode for speed; the
// screens are reached by the UI. Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-a11y.test.ts'
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../src/keynode/keynode.js';
import { screenChecker } from './helpers/axe.js';
import { hasChromium, twoPeople, type TwoPeople } from './helpers/browser.js';
import { createKeynode, finishFirstRun, go, gotoAndUnlock, openVault, reveal, see, tab, unlock } from './helpers/ui.js';

type W = Window & { keynode: Keynode };

describe.skipIf(!hasChromium)('keynode UI: no serious or critical accessibility violations on any screen', () => {
  let people: TwoPeople;
  let a: Page;
  let b: Page;
  /** Runs axe on the screen as it is now, keeps a screenshot, and records what failed. */
  const { check, found } = screenChecker('a11y');

  beforeAll(async () => {
    people = await twoPeople('ui-a11y');
    ({ a, b } = people);
  }, 240_000);

  afterAll(async () => {
    await people?.close();
  });

  it('first run (passphrase, recovery code, restore), the lock screen and the empty vault list', async () => {
    await see(a, 'Choose a passphrase');
    await a.getByLabel('Passphrase', { exact: true }).fill('short');
    await check(a, 'first-run-passphrase');
    await createKeynode(a);
    await see(a, 'Write down your recovery code');
    await check(a, 'first-run');
    // The restore form, opened from the first run.
    await b.getByRole('button', { name: 'Restore from a recovery code' }).click();
    await b.getByRole('textbox', { name: /^Recovery code/ }).fill('not a recovery code');
    await check(b, 'first-run-restore');
    await b.getByRole('button', { name: 'Back' }).click();
    await finishFirstRun(a);
    await finishFirstRun(b);
    await check(a, 'vaults-empty');
    // The lock screen, with a wrong passphrase's message, and its recovery-code form.
    await a.getByRole('button', { name: 'Lock', exact: true }).click();
    await see(a, 'keynode is locked');
    await a.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await a.getByRole('button', { name: 'Unlock', exact: true }).click();
    await see(a, 'That passphrase is not right.');
    await check(a, 'lock-screen');
    await a.getByRole('button', { name: 'Forgot it? Use the recovery code' }).click();
    await check(a, 'lock-screen-recovery');
    await a.getByRole('button', { name: 'Back' }).click();
    await unlock(a);
  });

  it('a vault: secrets, editing, history, old version, sharing with a link, export, delete dialog', async () => {
    const bobId = await b.evaluate(() => (window as unknown as W).keynode.nodeId);
    const aliceId = await a.evaluate(() => (window as unknown as W).keynode.nodeId);
    // Bob trusts Alice first, so her share reaches his inbox.
    await b.evaluate((alice) => (window as unknown as W).keynode.gestalts.trust(alice), aliceId);
    await a.evaluate(async (bob) => {
      const k = (window as unknown as W).keynode;
      await k.vaults.create('team');
      await k.secrets.add('team', 'db/password', 'hunter2');
      await k.secrets.add('team', 'API_KEY', 'k-1');
      await k.secrets.update('team', 'API_KEY', 'k-2');
      await k.gestalts.trust(bob);
    }, bobId);
    await a.evaluate(() => localStorage.setItem('keynode:nicknames', JSON.stringify({})));
    await openVault(a, 'team');
    await reveal(a, 'db/password');
    await a.getByRole('button', { name: 'Edit API_KEY' }).click();
    await check(a, 'vault-secrets');
    await tab(a, 'History');
    await see(a, 'Initial Commit');
    await check(a, 'vault-history');
    await a
      .getByRole('button', { name: /^View this version from/ })
      .last()
      .click();
    await see(a, /You are looking at an old version/);
    await check(a, 'vault-old-version');
    await a.getByRole('button', { name: 'Go back to latest' }).click();
    await tab(a, 'Sharing');
    await a.getByRole('combobox', { name: 'Share with a contact' }).selectOption({ index: 1 });
    await a.getByRole('button', { name: 'Share “team”' }).click();
    await a.getByTestId('share-link').waitFor();
    await check(a, 'vault-sharing');
    await tab(a, 'Export');
    await a.getByRole('button', { name: 'Show export' }).click();
    await a.getByLabel('Exported variables').waitFor();
    await check(a, 'vault-export');
    await a.getByRole('button', { name: 'Delete vault' }).click();
    await a.locator('dialog[open]').waitFor();
    await check(a, 'delete-dialog');
    await a.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click();
  }, 120_000);

  it('contacts, notifications (inbox and requests), a cloned vault, remote', async () => {
    const aliceId = await a.evaluate(() => (window as unknown as W).keynode.nodeId);
    await go(b, 'Contacts');
    await check(b, 'contacts');
    await go(b, 'Notifications');
    await see(b, /shared the vault “team” with you/, 60_000);
    // Bob now stops Alice notifying him: her next message lands in his requests.
    await b.evaluate((alice) => (window as unknown as W).keynode.gestalts.disallow(alice, 'notify'), aliceId);
    await a.evaluate(async () => {
      const k = (window as unknown as W).keynode;
      const [contact] = (await k.gestalts.list()).filter((g) => !g.own);
      await k.notifications.send(contact!.nodes[0]!, 'Hello from Alice');
    });
    await b.getByTestId('request').waitFor({ timeout: 60_000 });
    await check(b, 'notifications');

    await b.getByRole('button', { name: 'Clone team' }).click();
    await b.getByRole('heading', { name: 'team', level: 1 }).waitFor({ timeout: 60_000 });
    await b.getByRole('button', { name: 'Pull changes' }).click();
    await see(b, 'Up to date.', 60_000);
    await check(b, 'vault-clone');

    await go(b, 'Remote');
    await b.getByRole('combobox', { name: 'Contact' }).selectOption({ index: 1 });
    await b.getByRole('button', { name: 'Show shared vaults' }).click();
    await see(b, /Shared by/, 60_000);
    await check(b, 'remote');
  }, 180_000);

  it('settings, a refused share link, an unknown address, and a phone-sized screen', async () => {
    await go(a, 'Settings');
    await see(a, /keynode uses/);
    await check(a, 'settings');
    const link = await a.evaluate(async () => {
      const k = (window as unknown as W).keynode;
      const [contact] = (await k.gestalts.list()).filter((g) => !g.own && g.actions.includes('notify'));
      return k.vaults.shareLink('team', contact!.nodes[0]!, { baseUrl: `${location.origin}/` });
    });
    await gotoAndUnlock(a, link);
    await see(a, 'This share link could not be used.', 60_000);
    await check(a, 'share-link-refused');
    await gotoAndUnlock(a, `${people.server.url}/no/such/page`);
    await see(a, 'Nothing here', 60_000);
    await check(a, 'not-found');
    await b.setViewportSize({ width: 360, height: 780 });
    await openVault(b, 'team');
    await check(b, 'phone-vault');
  }, 120_000);

  it('found nothing serious or critical', () => {
    expect(found).toEqual({});
  });
});
