// The browser runtime end to end (issue 4), in Chromium driven by playwright-core: the keynode core
// runs in the service worker and every tab of a profile sees the same keynode; one tab (the Web
// Locks leader) hosts the network; two profiles share, clone over WebRTC and pull; the core comes
// back after the browser stops the worker; the app opens offline from the precache.
// Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/runtime.test.ts'
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignalingClient } from '../../src/network/signaling-client.js';
import { identity } from '../unit/network/harness.js';
import { serveApp, type AppServer } from '../../scripts/serve-app.js';
import { CHROMIUM, hasChromium, launch } from './helpers/browser.js';

const root = path.resolve(import.meta.dirname, '../..');
const artifacts = path.join(root, 'artifacts');
if (!hasChromium) console.warn(`Skipping the browser runtime tests: ${CHROMIUM} is missing (apt-get install chromium).`);

let server: AppServer;
let browser: Browser;
const timings: Record<string, number> = {};

/** Polls `fn` in the page until it returns something truthy (no fixed sleeps). */
async function until<T>(page: Page, fn: () => Promise<T> | T, what: string, timeoutMs = 45_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await page.evaluate(fn).catch(() => undefined);
    if (value) return value as T;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function open(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.warn('pageerror:', e.message));
  await page.goto(server.url);
  await until(page, () => navigator.serviceWorker.controller !== null && (window as { keynode?: unknown }).keynode !== undefined, 'the keynode');
  return page;
}

async function newProfile(): Promise<BrowserContext> {
  const context = await browser.newContext();
  // Chromium gathers loopback ICE candidates only for an origin holding mic/camera permission.
  await context.grantPermissions(['microphone'], { origin: server.url });
  return context;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `runtime-${name}.png`) });

type W = Window & {
  keynode: import('../../src/keynode/keynode.js').Keynode & { rpc?: import('../../src/platform/sw-rpc/client.js').SwRpcClient };
  keynodeRuntime: { mode: string; host?: { leader: boolean } };
};

/** The passphrase the test keynodes are created with. */
const PASSPHRASE = 'correct horse battery staple';
/** Unlocks (or, the first time, creates) the page's keynode, as its lock or first-run screen does. */
const unlock = (page: Page) => page.evaluate((p) => (window as unknown as W).keynode.unlock(p), PASSPHRASE);

const signalingConnected = (page: Page) =>
  until(page, async () => (await (window as unknown as W).keynode.network.status()).signaling === 'connected', 'signaling login');

describe.skipIf(!hasChromium)('browser runtime: the keynode in the service worker', () => {
  let a: BrowserContext;
  let b: BrowserContext;
  let a1: Page;
  let a2: Page;
  let b1: Page;
  let nodeA: string;
  let nodeB: string;
  let clone: string;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
    server = await serveApp(path.join(root, 'dist'));
    browser = await launch();
    a = await newProfile();
    b = await newProfile();
  }, 240_000);

  afterAll(async () => {
    console.warn('runtime timings (ms):', JSON.stringify(timings));
    await browser?.close();
    await server?.close();
  });

  it('runs the core in the service worker, answering the page over the RPC', async () => {
    const started = Date.now();
    a1 = await open(a);
    timings.firstLoadToKeynode = Date.now() - started;
    const marks = await a1.evaluate(() => performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)] as const));
    for (const [name, at] of marks) timings[`firstLoad ${name}`] = at;
    b1 = await open(b);
    // A new keynode exists once its first passphrase is set (what the first-run screen does).
    expect(await a1.evaluate(async () => (await (window as unknown as W).keynode.lockState()).created)).toBe(false);
    const unlocking = Date.now();
    await unlock(a1);
    timings.createWithPassphrase = Date.now() - unlocking;
    await unlock(b1);
    const info = await a1.evaluate(async () => {
      const w = window as unknown as W;
      return {
        mode: w.keynodeRuntime.mode,
        controller: navigator.serviceWorker.controller?.scriptURL,
        instance: w.keynode.rpc?.currentInstance,
        nodeId: w.keynode.nodeId,
        recoveryWords: w.keynode.recoveryCode?.split(' ').length,
        vaults: await w.keynode.vaults.list(),
      };
    });
    expect(info.mode).toBe('service-worker');
    expect(info.controller).toBe(`${server.url}/sw.js`);
    // The reply came from a worker instance (the id the worker gives itself at start).
    expect(info.instance).toMatch(/^[0-9a-f]{16}$/);
    expect(info.recoveryWords).toBe(24);
    expect(info.vaults).toEqual([]);
    nodeA = info.nodeId;
    nodeB = await b1.evaluate(() => (window as unknown as W).keynode.nodeId);
    expect(nodeB).not.toBe(nodeA);
    // The first tab of each profile holds the network (from the moment the keynode exists).
    await until(a1, () => (window as unknown as W).keynodeRuntime.host?.leader === true, 'the first tab to host the network');
    await shot(a1, '1-first-load');
  });

  it('shares a vault from A to B; B clones it over WebRTC through the host tab, and pulls A’s edit', async () => {
    await signalingConnected(a1);
    await signalingConnected(b1);
    // B accepts notifications from A; A trusts B and shares.
    await b1.evaluate((n) => (window as unknown as W).keynode.gestalts.trust(n), nodeA);
    const binary = await a1.evaluate(async (n) => {
      const k = (window as unknown as W).keynode;
      await k.vaults.create('team');
      await k.secrets.add('team', 'db/password', 'hunter2');
      await k.secrets.add('team', 'blob.bin', new Uint8Array([0, 1, 2, 253, 254, 255]));
      await k.gestalts.trust(n);
      await k.vaults.share('team', n);
      const got = await k.secrets.get('team', 'blob.bin');
      return { isBytes: got instanceof Uint8Array, bytes: Array.from(got) };
    }, nodeB);
    // Uint8Array crosses the RPC both ways intact.
    expect(binary).toEqual({ isBytes: true, bytes: [0, 1, 2, 253, 254, 255] });
    // Errors keep their codes across the RPC.
    const refused = await a1.evaluate(() =>
      (window as unknown as W).keynode.vaults.create('team').then(
        () => 'created',
        (e: { code?: string; name?: string }) => `${e.name}:${e.code}`,
      ),
    );
    expect(refused).toBe('KeynodeError:ErrorVaultsVaultDefined');

    const share = await until(
      b1,
      async () => (await (window as unknown as W).keynode.notifications.read()).find((i) => i.data.type === 'VaultShare')?.data,
      'the VaultShare notification at B',
    );
    expect(share).toMatchObject({ type: 'VaultShare', vaultName: 'team' });

    const started = Date.now();
    clone = await b1.evaluate((n) => (window as unknown as W).keynode.vaults.clone('team', n), nodeA);
    timings.cloneOverWebRtc = Date.now() - started;
    expect(await b1.evaluate((v) => (window as unknown as W).keynode.secrets.getText(v, 'db/password'), clone)).toBe('hunter2');

    await a1.evaluate(() => (window as unknown as W).keynode.secrets.update('team', 'db/password', 'hunter3'));
    await b1.evaluate((v) => (window as unknown as W).keynode.vaults.pull(v), clone);
    expect(await b1.evaluate((v) => (window as unknown as W).keynode.secrets.getText(v, 'db/password'), clone)).toBe('hunter3');
    const peers = await b1.evaluate(async () => (await (window as unknown as W).keynode.network.status()).peers);
    expect(peers).toContain(nodeA);
    await shot(b1, '2-b-cloned');
  });

  it('a second tab of A is the same keynode, and takes over the network when the leader closes', async () => {
    a2 = await open(a);
    const second = await a2.evaluate(async () => {
      const w = window as unknown as W;
      return {
        nodeId: w.keynode.nodeId,
        recoveryCode: w.keynode.recoveryCode,
        vaults: (await w.keynode.vaults.list()).map((v) => v.vaultName),
        leader: w.keynodeRuntime.host?.leader,
      };
    });
    expect(second).toEqual({ nodeId: nodeA, recoveryCode: undefined, vaults: ['team'], leader: false });
    // A change made in one tab is an event in the other.
    const seen = a1.evaluate(() => new Promise<string>((resolve) => (window as unknown as W).keynode.on('vault-changed', (e) => resolve(e.reason))));
    await a2.evaluate(() => (window as unknown as W).keynode.secrets.write('team', 'note', 'from the second tab'));
    expect(await seen).toBe('write');

    await a1.close();
    await until(a2, () => (window as unknown as W).keynodeRuntime.host?.leader === true, 'the second tab to become the host');
    await signalingConnected(a2);
    await a2.evaluate(() => (window as unknown as W).keynode.secrets.update('team', 'db/password', 'hunter4'));
    await b1.evaluate((v) => (window as unknown as W).keynode.vaults.pull(v), clone);
    expect(await b1.evaluate((v) => (window as unknown as W).keynode.secrets.getText(v, 'db/password'), clone)).toBe('hunter4');
    await shot(a2, '3-second-tab-host');
  });

  it('carries on after the browser stops the service worker: the core is rebuilt from IndexedDB', async () => {
    const before = await a2.evaluate(() => (window as unknown as W).keynode.rpc?.currentInstance);
    const cdp = await a.newCDPSession(a2);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const started = Date.now();
    const after = await a2.evaluate(async () => {
      const w = window as unknown as W;
      const vaults = (await w.keynode.vaults.list()).map((v) => v.vaultName);
      return { vaults, text: await w.keynode.secrets.getText('team', 'db/password'), instance: w.keynode.rpc?.currentInstance };
    });
    timings.firstCallAfterStop = Date.now() - started;
    expect(after.vaults).toEqual(['team']);
    expect(after.text).toBe('hunter4');
    expect(after.instance).not.toBe(before);
    // It came back unlocked: the open tab handed the new worker the data key it kept.
    expect(await a2.evaluate(async () => (await (window as unknown as W).keynode.lockState()).locked)).toBe(false);
    // The network comes back: the host tab re-attached to the new worker, and B can pull again.
    await signalingConnected(a2);
    await a2.evaluate(() => (window as unknown as W).keynode.secrets.update('team', 'db/password', 'hunter5'));
    await b1.evaluate((v) => (window as unknown as W).keynode.vaults.pull(v), clone);
    expect(await b1.evaluate((v) => (window as unknown as W).keynode.secrets.getText(v, 'db/password'), clone)).toBe('hunter5');
    // And the same from the other side: B's worker stopped, B's next call rebuilds it and pulls.
    const cdpB = await b.newCDPSession(b1);
    await cdpB.send('ServiceWorker.enable');
    await cdpB.send('ServiceWorker.stopAllWorkers');
    await a2.evaluate(() => (window as unknown as W).keynode.secrets.update('team', 'db/password', 'hunter6'));
    await until(
      b1,
      async () => {
        const k = (window as unknown as W).keynode;
        const id = (await k.vaults.list())[0]!.vaultId;
        await k.vaults.pull(id).catch(() => undefined);
        return (await k.secrets.getText(id, 'db/password')) === 'hunter6';
      },
      'B to pull after its worker restarted',
    );
  });

  it('reports a change cut off by a worker stop as interrupted, never repeating it; a read is asked again', async () => {
    // A keynode that logs in to signaling but never answers a connection: a clone from it hangs.
    const silent = await identity(77);
    const client = new SignalingClient({ url: server.signalingUrl, nodeId: silent.nodeId, sign: silent.sign, WebSocket });
    await client.connect();
    try {
      const pending = a2.evaluate(
        (n) =>
          (window as unknown as W).keynode.vaults.clone('anything', n).then(
            () => 'cloned',
            (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
          ),
        silent.nodeId,
      );
      // A read that hangs the same way: it is repeated by the new worker, so it ends with the
      // connection failure of the repeated attempt, not as interrupted.
      const read = a2.evaluate(
        (n) =>
          (window as unknown as W).keynode.vaults.scan(n).then(
            () => 'scanned',
            (e: { code?: string }) => `${e.code}`,
          ),
        silent.nodeId,
      );
      // Wait until the worker has started both calls, then stop the worker.
      await until(
        a2,
        () => (window as unknown as W).keynode.rpc?.pendingCalls().filter((c) => c.started).length === 2,
        'the worker to start the clone and the scan',
      );
      const cdp = await a.newCDPSession(a2);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      expect(await pending).toMatch(/^ErrorKeynodeInterrupted: The browser stopped the keynode in the middle of this change/);
      expect(await read).toBe('ErrorNodeConnectionFailed');
      // The keynode answers again, and the clone was not silently started again.
      expect(await a2.evaluate(async () => (await (window as unknown as W).keynode.vaults.list()).map((v) => v.vaultName))).toEqual(['team']);
    } finally {
      await client.close();
    }
  });

  it('opens offline from the precache, and every local vault and secret reads', async () => {
    await b.setOffline(true);
    const started = Date.now();
    const response = await b1.reload();
    await until(b1, () => (window as unknown as W).keynode !== undefined, 'the keynode offline');
    timings.offlineReloadToKeynode = Date.now() - started;
    expect(response?.fromServiceWorker()).toBe(true);
    // Its only tab was reloaded, so the keynode locked; the passphrase opens it, offline too.
    expect(await b1.evaluate(async () => (await (window as unknown as W).keynode.lockState()).locked)).toBe(true);
    await unlock(b1);
    const offline = await b1.evaluate(async () => {
      const k = (window as unknown as W).keynode;
      const vaults = await k.vaults.list();
      return {
        online: navigator.onLine,
        names: vaults.map((v) => v.vaultName),
        text: await k.secrets.getText(vaults[0]!.vaultId, 'db/password'),
        list: (await k.secrets.list(vaults[0]!.vaultId)).map((e) => e.path).sort(),
      };
    });
    expect(offline).toEqual({ online: false, names: ['team'], text: 'hunter6', list: ['blob.bin', 'db', 'note'] });
    // A deep link is served the app shell by the navigation fallback.
    const deep = await b1.goto(`${server.url}/vaults/team/anything`);
    expect(deep?.status()).toBe(200);
    expect(deep?.fromServiceWorker()).toBe(true);
    await until(b1, () => (window as unknown as W).keynode !== undefined, 'the keynode on a deep link');
    await shot(b1, '4-offline');
    // Back online, the tab learns the signaling server it could not fetch and logs in again.
    await b.setOffline(false);
    await signalingConnected(b1);
  });

  it('falls back to running the core in the page where service workers are unavailable', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await until(page, () => (window as unknown as W).keynode !== undefined, 'the in-page keynode');
      await unlock(page);
      const result = await page.evaluate(async () => {
        const w = window as unknown as W;
        await w.keynode.vaults.create('local');
        await w.keynode.secrets.add('local', 'k', 'v');
        return { mode: w.keynodeRuntime.mode, text: await w.keynode.secrets.getText('local', 'k') };
      });
      expect(result).toEqual({ mode: 'page', text: 'v' });
    } finally {
      await context.close();
    }
  });

  it('serves a web app manifest with installable icons', async () => {
    const manifest = await a2.evaluate(async () => {
      const link = document.querySelector('link[rel="manifest"]')?.getAttribute('href');
      return link == null ? undefined : ((await (await fetch(link)).json()) as Record<string, unknown>);
    });
    expect(manifest).toMatchObject({ name: 'keynode', short_name: 'keynode', display: 'standalone', start_url: '/', scope: '/' });
    const icons = manifest!.icons as Array<{ sizes: string; purpose: string }>;
    expect(icons.map((i) => `${i.sizes} ${i.purpose}`).sort()).toEqual(['192x192 any', '192x192 maskable', '512x512 any', '512x512 maskable']);
    // Chromium's own verdict: nothing in the app stands in the way of installing it. (Test
    // profiles are incognito-like, which Chromium reports as 'in-incognito'.)
    const cdp = await a2.context().newCDPSession(a2);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
    await cdp.detach();
    expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
  });

  it('locks when the last tab of a profile closes: a new tab finds it locked, and the passphrase opens it', async () => {
    await a2.close();
    const a3 = await open(a);
    const state = await a3.evaluate(async () => {
      const k = (window as unknown as W).keynode;
      return {
        locked: (await k.lockState()).locked,
        read: await k.vaults.list().then(
          () => 'read',
          (e: { code?: string }) => e.code,
        ),
      };
    });
    expect(state).toEqual({ locked: true, read: 'ErrorKeynodeLocked' });
    const wrong = await a3.evaluate(() =>
      (window as unknown as W).keynode.unlock('not the passphrase').then(
        () => 'unlocked',
        (e: { code?: string }) => e.code,
      ),
    );
    expect(wrong).toBe('ErrorKeynodePassphraseInvalid');
    const unlocking = Date.now();
    await unlock(a3);
    timings.unlock = Date.now() - unlocking;
    expect(await a3.evaluate(async () => await (window as unknown as W).keynode.secrets.getText('team', 'db/password'))).toBe('hunter6');
  });
});
