import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// simple-peer and isomorphic-git expect Node's `global`, `Buffer` and `process`: `define` covers
// `global` (the service worker build inherits it), src/platform/browser-shims.ts installs the
// other two before anything else runs.
export default defineConfig({
  plugins: [
    preact(),
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
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
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
