import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// simple-peer and isomorphic-git expect Node's `global`, `Buffer` and `process`: `define` covers
// `global`, src/platform/browser-shims.ts installs the other two before anything else runs.
export default defineConfig({
  plugins: [preact()],
  define: { global: 'globalThis' },
  build: { target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 5173 },
});
