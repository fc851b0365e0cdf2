// Drives the keynode UI the way a person does: by visible labels, roles and names — never through
// window.keynode — so a test passing means a user can do the same.
import type { Locator, Page } from 'playwright-core';

const LONG = 60_000;

/** Waits for `text` to be visible somewhere on the page. */
export async function see(page: Page | Locator, text: string | RegExp, timeout = LONG): Promise<Locator> {
  const found = page.getByText(text).first();
  await found.waitFor({ state: 'visible', timeout });
  return found;
}

export async function go(page: Page, label: 'Vaults' | 'Notifications' | 'Contacts' | 'Remote' | 'Settings'): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: new RegExp(`^${label}`) })
    .click();
  await page.locator('main h1').first().waitFor();
}

/** The passphrase every test keynode is created with. */
export const PASSPHRASE = 'correct horse battery staple';

/** First run, before the keynode exists: chooses the passphrase (typed twice) and creates it. */
export async function createKeynode(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await see(page, 'Choose a passphrase');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Type it again').fill(passphrase);
  await page.getByRole('button', { name: 'Create my keynode' }).click();
}

/** The lock screen: types the passphrase and waits for the keynode to open. */
export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await see(page, 'keynode is locked');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.getByRole('heading', { name: 'keynode is locked' }).waitFor({ state: 'detached', timeout: LONG });
}

/** Reloads the page: with no other tab open the keynode locks, so it unlocks again. */
export async function reloadAndUnlock(page: Page): Promise<void> {
  await page.reload();
  await page.locator('main h1').first().waitFor({ timeout: LONG });
  if ((await page.getByRole('heading', { name: 'keynode is locked' }).count()) > 0) await unlock(page);
}

/** Opens `url` in the page; the tab it replaces was the profile's only one, so the keynode unlocks again. */
export async function gotoAndUnlock(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('main h1').first().waitFor({ timeout: LONG });
  if ((await page.getByRole('heading', { name: 'keynode is locked' }).count()) > 0) await unlock(page);
}

/** First run: creates the keynode if it does not exist yet, types back the two words the screen asks for, then continues. */
export async function finishFirstRun(page: Page): Promise<string[]> {
  if ((await page.getByText('Choose a passphrase').count()) > 0) await createKeynode(page);
  await see(page, 'Write down your recovery code');
  const words = await page.getByTestId('recovery-code').locator('li').allTextContents();
  const labels = page.locator('form label', { hasText: /^Word \d+/ });
  for (let i = 0; i < 2; i++) {
    const label = labels.nth(i);
    const n = Number(/Word (\d+)/.exec((await label.textContent()) ?? '')![1]);
    await label.locator('input').fill(words[n - 1]!.trim());
  }
  await page.getByRole('button', { name: 'I wrote it down — continue' }).click();
  await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
  return words;
}

export async function ownNodeId(page: Page): Promise<string> {
  await go(page, 'Contacts');
  return ((await page.getByTestId('own-node-id').first().textContent()) ?? '').trim();
}

export async function trust(page: Page, nodeId: string, name: string): Promise<void> {
  await go(page, 'Contacts');
  await page.getByLabel('Their NodeId').fill(nodeId);
  await see(page, 'Valid NodeId.');
  await page.getByLabel(/^Name \(optional/).fill(name);
  await page.getByRole('button', { name: 'Trust', exact: true }).click();
  await page.getByRole('heading', { name, level: 3 }).waitFor();
}

export async function openVault(page: Page, name: string): Promise<void> {
  await go(page, 'Vaults');
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** On the vault list: creates a vault and waits for its screen. */
export async function createVault(page: Page, name: string): Promise<void> {
  await page.getByLabel('Vault name').fill(name);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** On a vault's Sharing tab: shares it with a contact (by name) and waits for the share link. */
export async function shareVault(page: Page, vaultName: string, contact: string, timeout?: number): Promise<void> {
  await page.getByLabel('Share with a contact').selectOption({ label: contact });
  await page.getByRole('button', { name: `Share “${vaultName}”` }).click();
  await page.getByTestId('share-link').waitFor(timeout === undefined ? {} : { timeout });
}

/** Opens the folders on the way to `path` in the secrets tree. */
async function openFolders(page: Page, path: string, timeout?: number): Promise<void> {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = page.getByRole('button', { name: `Folder ${parts.slice(0, i).join('/')}/`, exact: true });
    await folder.waitFor(timeout === undefined ? {} : { timeout });
    if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
  }
}

export async function tab(page: Page, name: 'Secrets' | 'History' | 'Sharing' | 'Export'): Promise<void> {
  await page.getByRole('navigation', { name: 'Vault sections' }).getByRole('button', { name }).click();
}

export async function addSecret(page: Page, path: string, value: string): Promise<void> {
  await page.getByLabel(/^Path/).fill(path);
  await page.getByLabel('Secret value').fill(value);
  await page.getByRole('button', { name: 'Add secret' }).click();
  // The secret appears in the tree (its folders may need opening first).
  await openFolders(page, path);
  await page.getByRole('button', { name: `Show ${path}` }).waitFor();
}

/** Opens the folders on the way to `path` and reveals it; returns the text shown. */
export async function reveal(page: Page, path: string): Promise<string> {
  await openFolders(page, path, LONG);
  const hide = page.getByRole('button', { name: `Hide ${path}` });
  if (await hide.isVisible()) await hide.click();
  await page.getByRole('button', { name: `Show ${path}` }).click();
  const value = page.getByTestId(`value-${path}`);
  await value.waitFor();
  return ((await value.textContent()) ?? '').trim();
}

/** Clicks a button that opens a confirmation dialog, then the dialog's confirm button. */
export async function confirm(page: Page, opener: Locator, confirmName: string | RegExp): Promise<void> {
  await opener.click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: confirmName }).click();
  await dialog.waitFor({ state: 'detached' }).catch(() => undefined);
}

/** Edits a secret through its Edit form and waits until the form has closed (the change is saved). */
export async function editSecret(page: Page, path: string, value: string): Promise<void> {
  await reveal(page, path);
  await page.getByRole('button', { name: `Edit ${path}` }).click();
  const field = page.getByLabel(`New value of ${path}`);
  await field.fill(value);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await field.waitFor({ state: 'detached', timeout: LONG });
}
