// The service-worker side of the page↔worker RPC: answers calls from any tab with the one keynode
// core of this browser profile. The core is built lazily, on the first message that needs it, from
// IndexedDB — so a worker the browser stopped (30 s after its last event) comes back with the same
// keynode at the next message. Nothing here is state that cannot be rebuilt: the only memory is the
// recovery code of a freshly created identity, which is shown once anyway.
import { KeynodeError, isKeynodeError } from '../../errors.js';
import type { Keynode } from '../../keynode/keynode.js';
import type { KeynodeEventName } from '../../keynode/events.js';
import { EVENTS_CHANNEL, isMethod, type BroadcastMessage, type Hello, type PageMessage, type WorkerMessage } from './protocol.js';

export interface SwRpcServerOptions {
  scope: ServiceWorkerGlobalScope;
  /** Builds the core from storage; called once per worker instance (again if it failed). */
  build: () => Promise<Keynode>;
  /** A network host tab attached its port (network-host/protocol.ts). */
  onHostPort: (port: MessagePort) => void;
  /** Restoring from a recovery code (profile.ts); without it, a restore is refused. */
  restore?: {
    /** Refuses with a reason, changing nothing; false when the code is the current keynode's own. */
    check(current: Keynode, code: string): Promise<boolean>;
    /** Builds the restored keynode, after the old one has stopped. On failure, build() gives the old one again. */
    replace(code: string): Promise<Keynode>;
  };
}

const EVENTS: KeynodeEventName[] = ['notification', 'vault-changed', 'network'];

export interface SwRpcServer {
  /** This worker instance's id: it changes every time the browser starts the worker anew. */
  readonly instance: string;
  core(): Promise<Keynode>;
}

export function startSwRpcServer(options: SwRpcServerOptions): SwRpcServer {
  const { scope } = options;
  const instance = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  const events = new BroadcastChannel(EVENTS_CHANNEL);
  const broadcast = (message: BroadcastMessage): void => events.postMessage(message);
  let building: Promise<Keynode> | undefined;
  // Only the tab whose hello made the identity sees the recovery code, and only once.
  let recoveryCode: string | undefined;

  const adopt = (made: Promise<Keynode>): Promise<Keynode> =>
    made.then(
      (keynode) => {
        recoveryCode = keynode.recoveryCode;
        for (const name of EVENTS) keynode.on(name, (value) => broadcast({ kn: 'event', instance, event: name, value }));
        return keynode;
      },
      (e: unknown) => {
        building = undefined; // the next call tries again
        throw e;
      },
    );
  const core = (): Promise<Keynode> => (building ??= adopt(options.build()));

  const restore = async (code: unknown): Promise<Hello> => {
    if (options.restore === undefined || typeof code !== 'string') {
      throw new KeynodeError('ErrorInvalidArgument', 'This keynode cannot be restored from here.');
    }
    const { check, replace } = options.restore;
    const current = await core();
    if (!(await check(current, code))) return { nodeId: current.nodeId };
    // Calls that arrive from now on wait for the restored keynode (or, if it fails, the old one again).
    building = adopt(current.stop().then(() => replace(code)));
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
          if (recoveryCode !== undefined) hello.recoveryCode = recoveryCode;
          recoveryCode = undefined;
          return hello;
        });
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
        answer(() => restore(data.code));
        return;
      case 'call':
        answer(async () => {
          if (!isMethod(data.method) || !Array.isArray(data.args)) {
            throw new KeynodeError('ErrorInvalidArgument', 'The page asked the keynode for something it does not offer.');
          }
          return invoke(await core(), data.method, data.args);
        });
        return;
    }
  });

  broadcast({ kn: 'started', instance });
  return { instance, core };
}

function invoke(keynode: Keynode, method: string, args: unknown[]): Promise<unknown> {
  const path = method.split('.');
  let target: unknown = keynode;
  for (const key of path.slice(0, -1)) target = (target as Record<string, unknown>)[key];
  const fn = (target as Record<string, unknown>)[path[path.length - 1]!];
  if (typeof fn !== 'function') throw new KeynodeError('ErrorInternal', `The keynode has no ${method}.`);
  return Promise.resolve((fn as (...a: unknown[]) => unknown).apply(target, args));
}

function toKeynodeError(e: unknown): KeynodeError {
  if (isKeynodeError(e)) return e instanceof KeynodeError ? e : KeynodeError.fromJSON(e);
  return new KeynodeError('ErrorInternal', 'The keynode failed unexpectedly.', { cause: e });
}
