// Page entry: creates this browser profile's keynode and renders the app.
import './platform/browser-shims.js';
import { render } from 'preact';
import { createKeynodeFrom } from './keynode/keynode.js';
import type { RtcImpl } from './network/byte-channel.js';
import { openIndexedDbStorage } from './storage/index.js';
import { App } from './ui/App.js';

async function config(): Promise<{ signalingUrl?: string }> {
  try {
    const response = await fetch('/keynode-config.json', { cache: 'no-store' });
    return response.ok ? ((await response.json()) as { signalingUrl?: string }) : {};
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const { signalingUrl } = await config();
  const parts: Parameters<typeof createKeynodeFrom>[0] = {
    storage: await openIndexedDbStorage('default'),
    baseUrl: location.origin + '/',
  };
  if (signalingUrl !== undefined) {
    parts.signalingUrl = signalingUrl;
    parts.rtc = globalThis as unknown as RtcImpl;
  }
  const keynode = await createKeynodeFrom(parts);
  render(<App keynode={keynode} />, root);
}

main().catch((e: unknown) => {
  document.getElementById('app')!.textContent = `keynode could not start: ${e instanceof Error ? e.message : String(e)}`;
});
