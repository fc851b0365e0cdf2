// The service worker (docs/design.md §1), kept thin: Workbox precaches the app shell so the app opens
// with no network, and the worker hosts this browser profile's one keynode core, shared by every
// tab. The core is built from IndexedDB on the first message (the profile's first worker builds it
// at once), and again after the browser stops the worker; its network comes from the network host
// tab through the bridge. One static bundle: `import()` is not allowed in a service worker. It needs
// no Node shims: nothing it runs reads Buffer or process (simple-peer, which would, is left out of
// its bundle: vite.config.ts).
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, PrecacheController, PrecacheRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { createKeynodeFrom, type KeynodeHost, type KeynodeParts } from './keynode/keynode.js';
import { HostBridge } from './platform/network-host/bridge.js';
import { checkRestore, currentStorageName, replaceWithRestored, sweepReplacedStorages } from './platform/profile.js';
import { startSwRpcServer } from './platform/sw-rpc/server.js';
import { openIndexedDbStorage, type Storage } from './storage/index.js';

type ManifestEntry = string | { url: string; revision: string | null };
declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: ManifestEntry[] };

// Marks for measuring start-up (bench/first-load.ts reads them): the bundle has run, the install
// and activate events came, the core was built, the precache is complete.
performance.mark('keynode:sw-evaluated');
const manifest = self.__WB_MANIFEST;
const precache = new PrecacheController();
precache.addToCacheList(manifest);
cleanupOutdatedCaches();
registerRoute(new PrecacheRoute(precache));
// Every navigation gets the app shell (the app routes itself), online or not.
registerRoute(new NavigationRoute(precache.createHandlerBoundToURL('index.html')));

// The profile's first worker: no version served before it, so the tab that registered it waits for
// it. It activates at once, its core starting while it does, and fills the precache afterwards
// (completePrecache). Waiting for twenty-odd sequential fetches
// and then for the tab's first message was most of a first load (bench/README.md, issue 13); until
// the precache is full, a file not cached yet comes from the network, as on a page with no worker.
const first = self.registration.active === null;
self.addEventListener('install', (event) => {
  performance.mark('keynode:sw-install');
  // A new version fetches everything before it may wait: it takes over only when the user agrees
  // (src/platform/pwa.ts), perhaps offline by then.
  if (!first) void precache.install(event);
});
self.addEventListener('activate', (event) => {
  performance.mark('keynode:sw-activate');
  void precache.activate(event);
  // After the core, so that the two do not compete for the first load.
  void (firstCore ?? Promise.resolve()).then(completePrecache, completePrecache);
});
// A worker the browser stopped before its precache was complete finishes it when it starts again.
if (self.serviceWorker?.state === 'activated') void completePrecache();
// The first install takes the open tabs at once; an update waits for the user (src/platform/pwa.ts).
clientsClaim();
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

/**
 * Fetches the precache entries that are not cached yet, in parallel, as Workbox's install would
 * (a revisioned entry bypasses the HTTP cache). A failure leaves the entry out until the worker's
 * next start; the app still loads it from the network while online.
 */
async function completePrecache(): Promise<void> {
  const cache = await caches.open(precache.strategy.cacheName);
  const cached = new Set((await cache.keys()).map((request) => request.url));
  const done = await Promise.all(
    manifest.map(async (entry) => {
      const { url, revision } = typeof entry === 'string' ? { url: entry, revision: null } : entry;
      const key = precache.getCacheKeyForURL(url);
      if (key === undefined || cached.has(key)) return true;
      try {
        const response = await fetch(url, { credentials: 'same-origin', cache: revision === null ? 'default' : 'reload' });
        if (!response.ok || response.redirected) return false;
        await cache.put(key, response);
        return true;
      } catch {
        return false; // offline, or the server is gone: the next start tries again
      }
    }),
  );
  if (done.every(Boolean)) performance.mark('keynode:precache-complete');
}

// One bridge per core: a restored keynode gets a new one, and the tabs (which reload) attach to it.
let bridge = new HostBridge();
const parts = (storage: Storage): KeynodeParts => {
  const own = bridge;
  return {
    storage,
    requireEncryption: !__KEYNODE_PLAINTEXT_BUILD__,
    baseUrl: self.registration.scope,
    bridged: {
      signaling: ({ signLogin }) => {
        own.bindSigner(signLogin);
        return own;
      },
      dialer: own,
    },
  };
};

async function buildKeynode(): Promise<KeynodeHost> {
  void sweepReplacedStorages().catch(() => undefined);
  const keynode = await createKeynodeFrom(parts(await openIndexedDbStorage(await currentStorageName())));
  performance.mark('keynode:core-built');
  return keynode;
}
// The first worker builds its core now, not on the tab's first message (which comes only once the
// worker is active); the server adopts it then. Later workers may be a waiting version, which must
// not open the keynode beside the one in charge.
const firstCore = first ? buildKeynode() : undefined;
let early = firstCore;

startSwRpcServer({
  scope: self,
  onHostPort: (port) => bridge.attach(port),
  build: () => {
    const made = early ?? buildKeynode();
    early = undefined;
    return made;
  },
  restore: {
    check: checkRestore,
    replace: (code, passphrase) => {
      bridge = new HostBridge();
      return replaceWithRestored((storage) => createKeynodeFrom({ ...parts(storage), recoveryCode: code, passphrase }));
    },
  },
});
