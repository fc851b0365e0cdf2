// Type stubs for browser shim modules that ship without types.
declare module 'process/browser.js' {
  const process: Record<string, unknown>;
  export default process;
}
