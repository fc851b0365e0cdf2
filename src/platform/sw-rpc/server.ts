// The service-worker side of the page↔worker RPC: answers calls from any tab with the one keynode
// core of this browser profile. The core is built lazily, on the first message that needs it, from
// IndexedDB — so a worker the browser stopped (30 s after its last event) comes back with the same
// keynode at the next message. Nothing here is state that cannot be rebuilt, except the unlocked data
// key: a restarted worker finds its keynode locked and asks the open tabs ('need-key'); a tab that
// kept the key hands it back ('resume'), so the keynode comes back unlocked while a tab is open. When
// the last tab closes ('bye'), the keynode locks.
import { KeynodeError, isKeynodeError } from '../../errors.js';
import { functionAt } from '../../keynode/api.js';
import type { KeynodeHost } from '../../keynode/keynode.js';
import type { KeynodeEventName } from '../../keynode/events.js';
import { EVENTS_CHANNEL, isMethod, type BroadcastMessage, type Hello, type PageMessage, type WorkerMessage } from './protocol.js';
import { randomHex } from '../../utils/bytes.js';

export interface SwRpcServerOptions {
  scope: ServiceWorkerGlobalScope;
  /** Builds the core from storage; called once per worker instance (again if it failed). */
  build: () => Promise<KeynodeHost>;
  /** A network host tab attached its port (network-host/protocol.ts). */
  onHostPort: (port: MessagePort) => void;
  /** Restoring from a recovery code (profile.ts); without it, a restore is refused. */
  restore?: {
    /** Refuses with a reason, changing nothing; false when the code is the current keynode's own. */
    check(current: KeynodeHost, code: string): Promise<boolean>;
    /** Builds the restored keynode (encrypted with `passphrase`), after the old one has stopped. On failure, build() gives the old one again. */
    replace(code: string, passphrase: string): Promise<KeynodeHost>;
  };
}

const EVENTS: KeynodeEventName[] = ['notification', 'vault-changed', 'network', 'lock', 'contacts'];
/** How long a (re)started worker waits for an open tab to hand back the data key before answering. */
const KEY_WAIT_MS = 1500;

export function startSwRpcServer(options: SwRpcServerOptions): void {
  const { scope } = options;
  // This worker instance's id: it changes every time the browser starts the worker anew.
  const instance = randomHex(8);
  const events = new BroadcastChannel(EVENTS_CHANNEL);
  const broadcast = (message: BroadcastMessage): void => events.postMessage(message);
  let building: Promise<KeynodeHost> | undefined;
  // Only the tab whose hello follows the identity's creation sees the recovery code, and only once.
  let codeShown = false;
  let keyArrived: (() => void) | undefined;
  /** Ids of the open tabs that have talked to this worker. */
  const tabs = new Set<string>();

  const adopt = (made: Promise<KeynodeHost>): Promise<KeynodeHost> =>
    made.then(
      async (keynode) => {
        for (const name of EVENTS) keynode.on(name, (value) => broadcast({ kn: 'event', instance, event: name, value }));
        await waitForKey(keynode);
        return keynode;
      },
      (e: unknown) => {
        building = undefined; // the next call tries again
        throw e;
      },
    );
  // The core itself, for 'resume' (which must not wait for the key it brings).
  let built: Promise<KeynodeHost> | undefined;
  const core = (): Promise<KeynodeHost> => (building ??= adopt((built = options.build())));

  /**
   * A locked keynode in a fresh worker: ask the tabs for the key they kept, and wait until one hands
   * it back, or every open tab has answered that it has none, or a moment has passed.
   */
  const waitForKey = async (keynode: KeynodeHost): Promise<void> => {
    const state = await keynode.lockState();
    if (!state.locked || !state.encrypted) return;
    const arrived = new Promise<void>((resolve) => (keyArrived = resolve));
    answered.clear();
    broadcast({ kn: 'need-key', instance });
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, KEY_WAIT_MS))]);
    keyArrived = undefined;
  };
  const answered = new Set<string>();

  /** A tab's answer to 'need-key': its kept key, or null when it has none. */
  const resume = async (key: unknown, from: string | undefined): Promise<boolean> => {
    if (key !== null && !(key instanceof CryptoKey)) throw new KeynodeError('ErrorInvalidArgument', 'That is not a key.');
    void core();
    const ok = key !== null && (await (await built!).resume(key));
    if (ok) keyArrived?.();
    else if (from !== undefined && keyArrived !== undefined) {
      answered.add(from);
      const open = (await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })).map((c) => c.id);
      if (open.every((id) => answered.has(id))) keyArrived?.();
    }
    return ok;
  };

  /**
   * A tab said goodbye: if no other tab is left, lock. The tabs are the clients that have talked to
   * this worker and are still open, so a reload of the only tab locks too (its memory, and the key
   * it kept, are gone with it), whatever the order the browser starts the new page in.
   */
  const farewell = async (leaving: string | undefined): Promise<void> => {
    if (leaving !== undefined) tabs.delete(leaving);
    const open = new Set((await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })).map((c) => c.id));
    for (const id of [...tabs]) if (!open.has(id)) tabs.delete(id);
    if (tabs.size > 0 || building === undefined) return;
    const keynode = await building;
    if ((await keynode.lockState()).encrypted) await keynode.lock();
  };

  const restore = async (code: unknown, passphrase: unknown): Promise<Hello> => {
    if (options.restore === undefined || typeof code !== 'string' || typeof passphrase !== 'string') {
      throw new KeynodeError('ErrorInvalidArgument', 'This keynode cannot be restored from here.');
    }
    const { check, replace } = options.restore;
    const current = await core();
    if (!(await check(current, code))) return { nodeId: current.nodeId };
    // Calls that arrive from now on wait for the restored keynode (or, if it fails, the old one again).
    building = adopt(current.stop().then(() => (built = replace(code, passphrase))));
    // Either way the tabs reload: their network host belongs to the keynode that stopped.
    try {
      const keynode = await building;
      broadcast({ kn: 'replaced', instance, nodeId: keynode.nodeId });
      return { nodeId: keynode.nodeId };
    } catch (e) {
      broadcast({ kn: 'replaced', instance, nodeId: current.nodeId });
      throw e;
    }
  };

  scope.addEventListener('message', (event: ExtendableMessageEvent) => {
    const data = event.data as PageMessage | undefined;
    if (typeof data !== 'object' || data === null || typeof data.id !== 'number') return;
    const source = event.source as Client | null;
    if (source !== null && data.kn !== 'bye') tabs.add(source.id);
    const reply = (message: WorkerMessage): void => source?.postMessage(message);
    const answer = (work: () => Promise<unknown>): void => {
      // The ack goes out in the task that received the call, before any work: a page that never
      // sees it knows the call never started (client.ts relies on this).
      reply({ kn: 'ack', id: data.id, instance });
      event.waitUntil(
        work().then(
          (value) => reply({ kn: 'result', id: data.id, instance, ok: true, value }),
          (e: unknown) => reply({ kn: 'result', id: data.id, instance, ok: false, error: toKeynodeError(e).toJSON() }),
        ),
      );
    };
    switch (data.kn) {
      case 'ping':
        reply({ kn: 'pong', id: data.id, instance });
        return;
      case 'hello':
        answer(async () => {
          const keynode = await core();
          const hello: Hello = { nodeId: keynode.nodeId };
          if (keynode.recoveryCode !== undefined && !codeShown) {
            hello.recoveryCode = keynode.recoveryCode;
            codeShown = true;
          }
          return hello;
        });
        return;
      case 'session':
        answer(async () => (await core()).sessionKey() ?? null);
        return;
      case 'resume':
        answer(() => resume(data.key, source?.id));
        return;
      case 'bye':
        reply({ kn: 'ack', id: data.id, instance });
        event.waitUntil(farewell(source?.id).catch(() => undefined));
        return;
      case 'host': {
        const port = event.ports[0];
        if (port === undefined) return;
        options.onHostPort(port);
        // A host means a tab wants the keynode online: build it, so it logs in at once.
        answer(async () => {
          await core();
        });
        return;
      }
      case 'restore':
        answer(() => restore(data.code, data.passphrase));
        return;
      case 'call':
        answer(async () => {
          if (!isMethod(data.method) || !Array.isArray(data.args)) {
            throw new KeynodeError('ErrorInvalidArgument', 'The page asked the keynode for something it does not offer.');
          }
          const fn = functionAt(await core(), data.method);
          if (fn === undefined) throw new KeynodeError('ErrorInternal', `The keynode has no ${data.method}.`);
          return fn(...data.args);
        });
        return;
    }
  });

  broadcast({ kn: 'started', instance });
}

function toKeynodeError(e: unknown): KeynodeError {
  if (isKeynodeError(e)) return e instanceof KeynodeError ? e : KeynodeError.fromJSON(e);
  return new KeynodeError('ErrorInternal', 'The keynode failed unexpectedly.', { cause: e });
}
