// Page entry: connects to this browser profile's keynode — the core in the service worker, shared by
// every tab — joins the election of the network host tab, and renders the app. Where service
// workers are unavailable the page runs the core itself, as a plain tab keynode.
//
// What this file imports statically is what every start loads before the app shows: the UI and the
// RPC client, nothing more. The network host (simple-peer and its Node shims) comes after the first
// render, and the in-page core (git, storage, crypto) only where it runs; docs/bundle-size.md has the
// budget and how it is checked.
import { render } from 'preact';
import type { Keynode } from './keynode/keynode.js';
import type { RtcImpl } from './network/byte-channel.js';
import type { NetworkHost } from './platform/network-host/host.js';
import { applyUpdate, installPrompt, onUpdateReady, registerServiceWorker, requestPersistentStorage, storageEstimate } from './platform/pwa.js';
import { connectSwKeynode, onKeynodeReplaced } from './platform/sw-rpc/client.js';
import { App } from './ui/App.js';

async function config(): Promise<{ signalingUrl?: string }> {
  try {
    const response = await fetch('/keynode-config.json', { cache: 'no-store' });
    return response.ok ? ((await response.json()) as { signalingUrl?: string }) : {};
  } catch {
    return {}; // offline: the keynode works locally
  }
}

/** What tests (and a curious user in the console) can see of how this tab runs. */
export interface KeynodeRuntime {
  mode: 'service-worker' | 'page';
  host?: NetworkHost;
  /** Replaces this profile's keynode with the one a recovery code belongs to (encrypted with `passphrase`), then reloads. */
  restore(code: string, passphrase: string): Promise<void>;
}

/** Resolves with the NodeId once the keynode exists (at once, or after the first-run passphrase). */
function created(keynode: Keynode): Promise<string> {
  if (keynode.nodeId !== '') return Promise.resolve(keynode.nodeId);
  return new Promise((resolve) => {
    const off = keynode.on('lock', ({ nodeId }) => {
      if (nodeId === '') return;
      off();
      resolve(nodeId);
    });
  });
}

async function inServiceWorker(signaling: Promise<string | undefined>): Promise<{ keynode: Keynode; runtime: KeynodeRuntime } | undefined> {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return undefined;
  try {
    const registration = await registerServiceWorker();
    if (registration === undefined) return undefined;
    await navigator.serviceWorker.ready;
    // Marks for measuring start-up (tests read them): worker active, then keynode answered.
    performance.mark('keynode:sw-active');
    const keynode = await connectSwKeynode();
    performance.mark('keynode:connected');
    // A restore (from any tab) replaced the keynode: every tab starts again with the new one.
    onKeynodeReplaced(() => location.reload());
    const runtime: KeynodeRuntime = {
      mode: 'service-worker',
      async restore(code, passphrase) {
        await keynode.rpc.restore(code, passphrase);
        location.reload();
      },
    };
    // The network host logs in as this keynode: a new one has no NodeId until its first unlock.
    void Promise.all([created(keynode), import('./platform/network-host/start.js'), signaling]).then(([nodeId, { startNetworkHost }, signalingUrl]) => {
      const host = (url: string | undefined): NetworkHost => startNetworkHost({ rpc: keynode.rpc, nodeId, signalingUrl: url });
      runtime.host = host(signalingUrl);
      if (signalingUrl === undefined) {
        // Opened offline: the config (and so the signaling server) is learnt once the network is
        // back — on the 'online' event, and by retrying with back-off (the event is not reliable).
        let delay = 2000;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let done = false;
        const retry = async (): Promise<void> => {
          clearTimeout(timer);
          const url = (await config()).signalingUrl;
          if (done) return;
          if (url === undefined) {
            timer = setTimeout(() => void retry(), (delay = Math.min(delay * 2, 60_000)));
            return;
          }
          done = true;
          removeEventListener('online', onOnline);
          await runtime.host?.stop();
          runtime.host = host(url);
        };
        const onOnline = (): void => void retry();
        addEventListener('online', onOnline);
        timer = setTimeout(onOnline, delay);
      }
    });
    return { keynode, runtime };
  } catch (e) {
    console.warn('keynode: the service worker is unavailable, running the keynode in this tab', e);
    return undefined;
  }
}

async function inPage(signalingUrl: string | undefined): Promise<{ keynode: Keynode; runtime: KeynodeRuntime }> {
  // Loaded only here: with the core in the worker, the page never needs git, storage or WebRTC code.
  const { createKeynodeFrom, openIndexedDbStorage, checkRestore, currentStorageName, replaceWithRestored } = await import('./platform/page-core.js');
  const name = await currentStorageName();
  // One core per storage: its encrypted store assumes a single writer. A second tab waits here,
  // and says why.
  await new Promise<void>((resolve) => {
    const hold = (): Promise<never> => {
      resolve();
      return new Promise<never>(() => undefined); // held until this tab closes
    };
    void navigator.locks.request(`keynode-core-${name}`, { ifAvailable: true }, (lock) => {
      if (lock !== null) return hold();
      document.getElementById('app')!.textContent =
        'keynode is open in another tab of this browser, which runs it without a service worker: use that tab, or close it and this one takes over.';
      void navigator.locks.request(`keynode-core-${name}`, hold);
      return undefined;
    });
  });
  const parts: Parameters<typeof createKeynodeFrom>[0] = {
    storage: await openIndexedDbStorage(name),
    requireEncryption: !__KEYNODE_PLAINTEXT_BUILD__,
    baseUrl: location.origin + '/',
  };
  if (signalingUrl !== undefined) {
    parts.signalingUrl = signalingUrl;
    parts.rtc = globalThis as unknown as RtcImpl;
  }
  const keynode = await createKeynodeFrom(parts);
  const restore = async (code: string, passphrase: string): Promise<void> => {
    if (!(await checkRestore(keynode, code))) return;
    await keynode.stop();
    try {
      // Offline: this build only writes the restored identity; the reload brings it online.
      const restored = await replaceWithRestored((storage) => createKeynodeFrom({ storage, requireEncryption: true, recoveryCode: code, passphrase }));
      await restored.stop();
    } finally {
      // Restored, or (on a failure) the old keynode again: this tab's keynode has stopped either way.
      location.reload();
    }
  };
  return { keynode, runtime: { mode: 'page', restore } };
}

async function main(): Promise<void> {
  // Start-up marks, as in inServiceWorker (bench/first-load.ts prints them): this entry runs, the
  // keynode is on `window`, the app is on screen.
  performance.mark('keynode:main');
  const root = document.getElementById('app')!;
  // The config is needed only to go online: the worker starts meanwhile.
  const signaling = config().then((c) => c.signalingUrl);
  const { keynode, runtime } = (await inServiceWorker(signaling)) ?? (await inPage(await signaling));
  Object.assign(window, { keynode, keynodeRuntime: runtime });
  performance.mark('keynode:ready');
  // The update prompt only means something when a service worker serves the app.
  const pwa =
    runtime.mode === 'service-worker'
      ? { onUpdateReady, applyUpdate, installPrompt, requestPersistentStorage, storageEstimate }
      : { installPrompt, requestPersistentStorage, storageEstimate };
  root.textContent = ''; // a waiting message, if this tab waited for another
  render(<App keynode={keynode} pwa={pwa} onRestore={(code, passphrase) => runtime.restore(code, passphrase)} />, root);
  performance.mark('keynode:rendered');
}

main().catch((e: unknown) => {
  document.getElementById('app')!.textContent = `keynode could not start: ${e instanceof Error ? e.message : String(e)}`;
});
