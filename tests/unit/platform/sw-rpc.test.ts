// The page↔service-worker RPC with the method list the API table gives it: the page's proxy against
// the real worker side (server.ts) and a real keynode, the two joined by structured clone as
// postMessage joins them; and, against a worker that is stopped mid-call, which calls the page
// repeats (the table's reads) and which it reports as interrupted (everything else).
import { afterEach, describe, expect, it } from 'vitest';
import { createKeynode } from '../../../src/index.js';
import { METHODS, functionAt } from '../../../src/keynode/api.js';
import type { KeynodeHost } from '../../../src/keynode/keynode.js';
import { connectSwKeynode, type SwTransport } from '../../../src/platform/sw-rpc/client.js';
import type { PageMessage, WorkerMessage } from '../../../src/platform/sw-rpc/protocol.js';
import { startSwRpcServer } from '../../../src/platform/sw-rpc/server.js';
import { codeOf, eventually } from '../../utils/keynodes.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

type Listener = (event: unknown) => void;

/** A service worker scope with one tab: what the tab posts arrives as a message event, cloned. */
function workerAndTab(): { scope: ServiceWorkerGlobalScope; transport: SwTransport } {
  const workerListeners: Listener[] = [];
  const tabListeners = new Set<(data: unknown) => void>();
  const tab = { id: 'tab-1', postMessage: (m: unknown) => queueMicrotask(() => tabListeners.forEach((cb) => cb(structuredClone(m)))) };
  const scope = {
    addEventListener: (_type: string, listener: Listener) => workerListeners.push(listener),
    clients: { matchAll: async () => [tab] },
  } as unknown as ServiceWorkerGlobalScope;
  const transport: SwTransport = {
    post(message) {
      const data = structuredClone(message);
      queueMicrotask(() => workerListeners.forEach((l) => l({ data, source: tab, ports: [], waitUntil: () => undefined })));
    },
    onMessage(cb) {
      tabListeners.add(cb);
      return () => tabListeners.delete(cb);
    },
  };
  return { scope, transport };
}

async function pageKeynode(passphrase?: string) {
  const { scope, transport } = workerAndTab();
  const core = (await createKeynode({ storage: 'memory', name: `sw-rpc-${Math.random().toString(36).slice(2)}`, passphrase })) as KeynodeHost;
  stops.push(() => core.stop());
  startSwRpcServer({ scope, build: async () => core, onHostPort: () => undefined });
  const page = await connectSwKeynode(transport);
  stops.unshift(() => page.stop());
  return { page, core };
}

describe('the page proxy over the service worker', () => {
  it('offers every method of the API table, and each reaches the keynode: values, bytes and errors come back as they left', async () => {
    const { page, core } = await pageKeynode();
    for (const method of METHODS) expect(functionAt(page, method), method).toBeTypeOf('function');
    expect(page.nodeId).toBe(core.nodeId);
    const seen: string[] = [];
    page.on('vault-changed', (e) => seen.push(e.reason));
    const vaultId = await page.vaults.create('v');
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await page.secrets.write('v', 'bin', bytes);
    expect(await page.secrets.get(vaultId, 'bin')).toEqual(bytes);
    expect(await core.secrets.get('v', 'bin')).toEqual(bytes);
    expect(await page.vaults.list()).toEqual([{ vaultName: 'v', vaultId }]);
    expect(await codeOf(page.secrets.getText('missing', 'x'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(page.vaults.create(''))).toBe('ErrorVaultsNameInvalid');
    // The worker's events reach the page's listeners, in order (broadcast, so they may come after the call's answer).
    await eventually(() => seen.length >= 2);
    expect(seen).toEqual(['create', 'write']);
  });

  it('a locked keynode answers only the lock calls and network.status; the rest is ErrorKeynodeLocked until unlocked', async () => {
    const passphrase = 'a passphrase for the sw-rpc test';
    const { page } = await pageKeynode(passphrase);
    await page.vaults.create('v');
    await page.lock();
    expect(await page.lockState()).toMatchObject({ locked: true });
    expect(await page.network.status()).toEqual({ signaling: 'offline', peers: [] });
    expect(await codeOf(page.vaults.list())).toBe('ErrorKeynodeLocked');
    expect(await codeOf(page.secrets.write('v', 'a', '1'))).toBe('ErrorKeynodeLocked');
    expect(await codeOf(page.gestalts.nicknames())).toBe('ErrorKeynodeLocked');
    await page.unlock(passphrase);
    expect((await page.vaults.list()).map((v) => v.vaultName)).toEqual(['v']);
  });
});

describe('a worker stopped mid-call', () => {
  /**
   * A scripted worker: instance 'one' acks calls and never answers (the browser stopped it);
   * after `restart`, instance 'two' answers everything with the method's name.
   */
  function stoppingWorker(): { transport: SwTransport; restart(): void } {
    const listeners = new Set<(data: unknown) => void>();
    let instance = 'one';
    const reply = (m: WorkerMessage): void => queueMicrotask(() => listeners.forEach((cb) => cb(m)));
    const transport: SwTransport = {
      post(message: PageMessage) {
        const id = message.id;
        if (message.kn === 'ping') return reply({ kn: 'pong', id, instance });
        reply({ kn: 'ack', id, instance });
        if (instance === 'one' && message.kn === 'call') return;
        const value = message.kn === 'hello' ? { nodeId: 'v-test' } : message.kn === 'call' ? message.method : null;
        reply({ kn: 'result', id, instance, ok: true, value });
      },
      onMessage(cb) {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
    };
    return { transport, restart: () => (instance = 'two') };
  }

  it('a read is asked again of the new worker; a change is reported as interrupted, never repeated', async () => {
    const worker = stoppingWorker();
    const page = await connectSwKeynode(worker.transport);
    stops.push(() => page.stop());
    const read = page.vaults.list();
    const status = page.lockState();
    const write = page.secrets.write('v', 'a', '1');
    const clone = page.vaults.clone('v', 'v-owner');
    // Let the first worker ack all four before it goes.
    await new Promise((resolve) => setTimeout(resolve, 0));
    worker.restart();
    page.rpc.ping();
    expect(await read).toBe('vaults.list');
    expect(await status).toBe('lockState');
    expect(await codeOf(write)).toBe('ErrorKeynodeInterrupted');
    expect(await codeOf(clone)).toBe('ErrorKeynodeInterrupted');
  });
});
