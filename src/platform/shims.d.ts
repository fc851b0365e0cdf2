// Type stubs for browser shim modules that ship without types.
declare module 'process/browser.js' {
  const process: Record<string, unknown>;
  export default process;
}

/** True only in the benchmark's unencrypted build (vite.config.ts); the app's builds are always encrypted. */
declare const __KEYNODE_PLAINTEXT_BUILD__: boolean;
