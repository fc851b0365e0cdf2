// Shared by the UI end-to-end tests: build the app into a folder of its own (so test files can run
// side by side), serve it with a signaling server, launch Chromium with the flags WebRTC needs on
// loopback, open a profile's app, and save screenshots to artifacts/screens/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../scripts/chromium.js';
import { serveApp, type AppServer } from '../../../scripts/serve-app.js';

export { CHROMIUM };

export const hasChromium = existsSync(CHROMIUM);
export const root = path.resolve(import.meta.dirname, '../../..');
export const screensDir = path.join(root, 'artifacts', 'screens');

/** Builds the app into artifacts/build-<name> and serves it (plus a signaling server). */
export async function buildAndServe(name: string): Promise<AppServer> {
  const outDir = path.join(root, 'artifacts', `build-${name}`);
  const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
  mkdirSync(screensDir, { recursive: true });
  return serveApp(outDir);
}

/** Chromium with the flags WebRTC needs on loopback, and any `extraArgs` (e.g. a fake camera). */
export function launch(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * A browser whose one profile lives on disk in `userDataDir` (newContext profiles never touch the
 * disk), as a person's browser does: what keynode leaves there can be read after it closes.
 */
export async function launchOnDisk(userDataDir: string, url: string, runtime: Runtime): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1024, height: 900 },
    serviceWorkers: runtime === 'page' ? 'block' : 'allow',
  });
  await context.grantPermissions(['microphone', 'clipboard-read', 'clipboard-write'], { origin: url });
  return context;
}

export type Runtime = 'service-worker' | 'page';

/**
 * Where the keynode core runs for a UI test profile. 'service-worker' (the default) is the
 * product: the core in the worker, shared by the profile's tabs. 'page' blocks service workers, so
 * main.tsx runs the core in the tab — the fallback the product ships for browsers without them.
 * KEYNODE_UI_RUNTIME=page makes 'page' the default.
 */
export const defaultRuntime: Runtime = process.env.KEYNODE_UI_RUNTIME === 'page' ? 'page' : 'service-worker';

/** A separate browser profile (its own keynode). The microphone grant lets Chromium gather loopback ICE candidates. */
export async function newProfile(
  browser: Browser,
  url: string,
  { viewport = { width: 1024, height: 900 }, runtime = defaultRuntime }: { viewport?: { width: number; height: number }; runtime?: Runtime } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, serviceWorkers: runtime === 'page' ? 'block' : 'allow' });
  await context.grantPermissions(['microphone', 'clipboard-read', 'clipboard-write'], { origin: url });
  return context;
}

export async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.warn('pageerror:', e.message));
  // KEYNODE_E2E_CONSOLE=1 shows what the app logs, to follow a failing flow.
  if (process.env.KEYNODE_E2E_CONSOLE === '1') page.on('console', (m) => console.warn(`[${context.pages().indexOf(page)}] ${m.type()}: ${m.text()}`));
  await page.goto(url);
  await page.locator('main h1').first().waitFor({ timeout: 60_000 });
  return page;
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screensDir, `${name}.png`), fullPage: true });
}

/** Two people, each in a profile of their own with the app open, on one served build. */
export interface TwoPeople {
  server: AppServer;
  browser: Browser;
  alice: BrowserContext;
  bob: BrowserContext;
  a: Page;
  b: Page;
  close(): Promise<void>;
}

/** Builds and serves the app as `name`, and opens it for Alice and Bob (`init` runs in both before the app's scripts). */
export async function twoPeople(name: string, { init }: { init?: () => void } = {}): Promise<TwoPeople> {
  const server = await buildAndServe(name);
  const browser = await launch();
  const [alice, bob] = [await newProfile(browser, server.url), await newProfile(browser, server.url)];
  if (init) for (const profile of [alice, bob]) await profile.addInitScript(init);
  const [a, b] = [await openApp(alice, server.url), await openApp(bob, server.url)];
  const close = async (): Promise<void> => {
    await browser.close();
    await server.close();
  };
  return { server, browser, alice, bob, a, b, close };
}
