// How the tests and the benchmarks start Chromium: Debian's /usr/bin/chromium (never a downloaded
// browser), headless, with WebRTC allowed on loopback (docs/measurements.md §1 and §3 say why each flag).
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
];
