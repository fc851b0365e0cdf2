import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const bundleShim = (file: string): string => fileURLToPath(new URL(`./src/platform/bundle/${file}`, import.meta.url));

/**
 * Swaps a module for a smaller stand-in in a browser bundle (Node runs the originals);
 * src/platform/bundle/ says why each is safe. `from`: only where that package imports it.
 */
function substitute(swaps: Array<{ id: string; from?: string; to: string }>): Plugin {
  return {
    name: 'keynode-substitute',
    enforce: 'pre',
    resolveId(source, importer) {
      const swap = swaps.find((s) => s.id === source && (s.from === undefined || (importer ?? '').includes(`/node_modules/${s.from}/`)));
      return swap === undefined ? null : bundleShim(swap.to);
    },
  };
}
// lightning-fs loads a TextEncoder polyfill that every browser keynode runs in makes unnecessary.
const polyfills = [{ id: 'fast-text-encoding', from: 'isomorphic-textencoder', to: 'empty.ts' }];
// The service worker opens no peer connection itself (the network host tab does, DESIGN.md §1):
// simple-peer, and the Node shims it drags along, stay out of sw.js.
const serviceWorkerOnly = [{ id: 'simple-peer', to: 'no-webrtc.ts' }];

// simple-peer expects Node's `global`, `Buffer` and `process`: `define` covers `global` (the service
// worker build inherits it), src/platform/browser-shims.ts installs the other two in the page before
// simple-peer runs.
export default defineConfig({
  plugins: [
    preact(),
    substitute(polyfills),
    // The service worker (src/sw.ts) is ours: Workbox only injects the precache list into it.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      injectManifest: {
        rollupFormat: 'es',
        globPatterns: ['**/*.{js,css,html,png,svg,ico,webmanifest}'],
        // The in-page core runs only where there is no service worker, so no precache to serve it.
        globIgnores: ['**/assets/page-core-*.js'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        buildPlugins: { vite: [substitute([...polyfills, ...serviceWorkerOnly])] },
      },
      manifest: {
        id: '/',
        name: 'keynode',
        short_name: 'keynode',
        description: 'A peer-to-peer secrets manager that runs in your browser: vaults of secrets, shared directly between keynodes.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#1f4e5f',
        background_color: '#f4f1ea',
        categories: ['security', 'productivity', 'utilities'],
        launch_handler: { client_mode: 'focus-existing' },
        // A share link sent through the system share sheet opens in the installed app (src/ui/App.tsx).
        share_target: { action: '/share', method: 'GET', params: { title: 'title', text: 'text', url: 'url' } },
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
  define: {
    global: 'globalThis',
    // Only for `npm run bench`, which builds the app a second time with KEYNODE_BENCH_PLAINTEXT=1 to
    // measure what encryption at rest costs in the browser: a build whose keynodes store plaintext.
    // Never set for a build anyone uses.
    __KEYNODE_PLAINTEXT_BUILD__: JSON.stringify(process.env.KEYNODE_BENCH_PLAINTEXT === '1'),
  },
  build: { target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 5173 },
});
