// The service worker (docs/design.md §1), kept thin: Workbox precaches the app shell so the app opens
// with no network, and the worker hosts this browser profile's one keynode core, shared by every
// tab. The core is built lazily from IndexedDB on the first message and again after the browser
// stops the worker; its network comes from the network host tab through the bridge. One static
// bundle: `import()` is not allowed in a service worker. It needs no Node shims: nothing it runs
// reads Buffer or process (simple-peer, which would, is left out of its bundle: vite.config.ts).
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { createKeynodeFrom, type KeynodeParts } from './keynode/keynode.js';
import { HostBridge } from './platform/network-host/bridge.js';
import { checkRestore, currentStorageName, replaceWithRestored, sweepReplacedStorages } from './platform/profile.js';
import { startSwRpcServer } from './platform/sw-rpc/server.js';
import { openIndexedDbStorage, type Storage } from './storage/index.js';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<string | { url: string; revision: string | null }>;
};

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
// Every navigation gets the app shell (the app routes itself), online or not.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
// The first install takes the open tabs at once; an update waits for the user (src/platform/pwa.ts).
clientsClaim();
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

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

startSwRpcServer({
  scope: self,
  onHostPort: (port) => bridge.attach(port),
  build: async () => {
    void sweepReplacedStorages().catch(() => undefined);
    return createKeynodeFrom(parts(await openIndexedDbStorage(await currentStorageName())));
  },
  restore: {
    check: checkRestore,
    replace: (code, passphrase) => {
      bridge = new HostBridge();
      return replaceWithRestored((storage) => createKeynodeFrom({ ...parts(storage), recoveryCode: code, passphrase }));
    },
  },
});
