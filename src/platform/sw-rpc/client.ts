// The page side of the page↔worker RPC: a `Keynode` whose every method is answered by the core in
// the service worker. How a call survives the worker being stopped (the browser does so 30 s after
// its last event, at any moment):
// - Calls are posted to the worker (`postMessage` wakes a stopped one) and answered by call id.
// - The worker acks a call in the same task that receives it, before doing anything, and every
//   reply names the worker instance. Pings go out every 10 s (which also keeps the worker alive
//   while a tab is open) and every second while calls are outstanding.
// - A call with no ack when the pong of a later ping arrives was never received: it is sent again
//   (it never started, so this repeats nothing).
// - A call acked by an instance that has since been replaced was cut off mid-way: a read is sent
//   again; a change is rejected with ErrorKeynodeInterrupted — it may or may not have been saved,
//   and repeating it silently could apply it twice.
import { KeynodeError } from '../../errors.js';
import { Events, type KeynodeEventName, type KeynodeEvents } from '../../keynode/events.js';
import type { Keynode } from '../../keynode/keynode.js';
import { buildApi } from '../../keynode/api.js';
import {
  EVENTS_CHANNEL,
  REPEATABLE,
  isWorkerMessage,
  type BroadcastMessage,
  type Hello,
  type Method,
  type PageMessage,
  type WorkerMessage,
} from './protocol.js';

const KEEPALIVE_MS = 10_000;
const BUSY_PING_MS = 1_000;

interface Call {
  message: PageMessage;
  /** Sequence number of the post that carried it last. */
  postedSeq: number;
  ackedBy: string | undefined;
  repeatable: boolean;
  resolve(value: unknown): void;
  reject(e: KeynodeError): void;
}

/** The transport: which worker to post to, and where its replies arrive. */
export interface SwTransport {
  post(message: PageMessage, transfer?: Transferable[]): void;
  onMessage(cb: (data: unknown) => void): () => void;
}

/** Posts to the controlling worker (or, before it controls this page, the active one). */
export async function serviceWorkerTransport(container: ServiceWorkerContainer = navigator.serviceWorker): Promise<SwTransport> {
  const registration = await container.ready;
  return {
    post(message, transfer = []) {
      const worker = container.controller ?? registration.active;
      if (worker === null) throw new KeynodeError('ErrorInternal', 'The keynode service worker is not running.');
      worker.postMessage(message, transfer);
    },
    onMessage(cb) {
      const listener = (event: MessageEvent): void => cb(event.data);
      container.addEventListener('message', listener);
      return () => container.removeEventListener('message', listener);
    },
  };
}

/** Low-level client: calls, pings, instance tracking. Shared by the Keynode proxy and the network host. */
export class SwRpcClient {
  private readonly calls = new Map<number, Call>();
  private readonly pings = new Map<number, number>();
  private readonly probes = new Map<number, (instance: string) => void>();
  private readonly instanceListeners = new Set<(instance: string) => void>();
  private nextId = 1;
  private seq = 0;
  private instance: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly transport: SwTransport) {
    this.unsubscribe = transport.onMessage((data) => {
      if (isWorkerMessage(data)) this.onReply(data);
    });
    this.schedulePing();
  }

  /** The worker instance that answered last (changes when the browser restarted the worker). */
  get currentInstance(): string | undefined {
    return this.instance;
  }

  /** Calls waiting for their answer, and whether a worker has started on each. */
  pendingCalls(): Array<{ method: string; started: boolean }> {
    return [...this.calls.values()].map((c) => ({ method: c.message.kn === 'call' ? c.message.method : c.message.kn, started: c.ackedBy !== undefined }));
  }

  /** Called when replies start coming from a new worker instance (including the first). */
  onInstance(cb: (instance: string) => void): () => void {
    this.instanceListeners.add(cb);
    return () => this.instanceListeners.delete(cb);
  }

  call(method: Method, args: unknown[]): Promise<unknown> {
    return this.send({ kn: 'call', id: this.nextId++, method, args }, REPEATABLE.has(method));
  }

  hello(): Promise<Hello> {
    return this.send({ kn: 'hello', id: this.nextId++ }, true) as Promise<Hello>;
  }

  /**
   * Replaces this profile's keynode with the one `code` belongs to. Never repeated: if the worker
   * stops half-way the page is told (ErrorKeynodeInterrupted) and the profile is one or the other.
   */
  restore(code: string, passphrase: string): Promise<Hello> {
    return this.send({ kn: 'restore', id: this.nextId++, code, passphrase }, false) as Promise<Hello>;
  }

  /** The unlocked keynode's data key (null while locked), to keep for a restarted worker. */
  sessionKey(): Promise<CryptoKey | null> {
    return this.send({ kn: 'session', id: this.nextId++ }, true) as Promise<CryptoKey | null>;
  }

  /** Hands a kept data key to the worker (null: this tab has none); true if it unlocked. */
  resume(key: CryptoKey | null): Promise<boolean> {
    return this.send({ kn: 'resume', id: this.nextId++, key }, true) as Promise<boolean>;
  }

  /** Tells the worker this tab is closing (with no tab left, it locks the keynode). */
  bye(): void {
    if (this.closed) return;
    try {
      this.transport.post({ kn: 'bye', id: this.nextId++ });
    } catch {
      // The worker is gone already: it locked with it.
    }
  }

  /** Hands a port to the worker (the network host's); resolves once the worker has its core up. */
  attachHost(port: MessagePort): Promise<void> {
    const message: PageMessage = { kn: 'host', id: this.nextId++ };
    // Not repeatable: the port can be transferred only once. The host re-attaches on a new instance.
    return this.send(message, false, [port]).then(() => undefined);
  }

  /** Pings now (the reply tells whether the worker was replaced). */
  ping(): void {
    this.probe().catch(() => undefined);
  }

  /**
   * Wakes the worker (a MessagePort alone cannot) and resolves with its instance once it answers;
   * a new instance has been announced to onInstance listeners by then.
   */
  probe(): Promise<string> {
    if (this.closed) return Promise.reject(new KeynodeError('ErrorKeynodeStopped', 'This page has stopped talking to the keynode.'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.probes.set(id, resolve);
      this.pings.set(id, ++this.seq);
      try {
        this.transport.post({ kn: 'ping', id });
      } catch (e) {
        this.pings.delete(id);
        this.probes.delete(id);
        reject(e);
      }
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    for (const call of this.calls.values()) call.reject(new KeynodeError('ErrorKeynodeStopped', 'This page has stopped talking to the keynode.'));
    this.calls.clear();
  }

  private send(message: PageMessage, repeatable: boolean, transfer?: Transferable[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new KeynodeError('ErrorKeynodeStopped', 'This page has stopped talking to the keynode.'));
    return new Promise((resolve, reject) => {
      const call: Call = { message, postedSeq: 0, ackedBy: undefined, repeatable, resolve, reject };
      this.calls.set(message.id, call);
      this.post(call, transfer);
      this.schedulePing();
    });
  }

  private post(call: Call, transfer?: Transferable[]): void {
    call.postedSeq = ++this.seq;
    call.ackedBy = undefined;
    try {
      this.transport.post(call.message, transfer);
    } catch (e) {
      this.calls.delete(call.message.id);
      call.reject(e instanceof KeynodeError ? e : new KeynodeError('ErrorInternal', 'The keynode service worker could not be reached.', { cause: e }));
    }
  }

  private onReply(message: WorkerMessage): void {
    this.seeInstance(message.instance);
    if (message.kn === 'pong') {
      const pingSeq = this.pings.get(message.id);
      this.pings.delete(message.id);
      if (pingSeq === undefined) return;
      // Ordered delivery: a call posted before this ping and still unacked never reached a worker.
      for (const call of [...this.calls.values()]) {
        if (call.ackedBy === undefined && call.postedSeq < pingSeq) {
          if (call.message.kn === 'host') this.interrupted(call);
          else this.post(call);
        }
      }
      const probe = this.probes.get(message.id);
      this.probes.delete(message.id);
      probe?.(message.instance);
      return;
    }
    const call = this.calls.get(message.id);
    if (call === undefined) return;
    if (message.kn === 'ack') {
      call.ackedBy = message.instance;
      return;
    }
    this.calls.delete(message.id);
    if (message.ok) call.resolve(message.value);
    else call.reject(KeynodeError.fromJSON(message.error));
    this.schedulePing();
  }

  private seeInstance(instance: string): void {
    if (instance === this.instance) return;
    this.instance = instance;
    // Calls the previous instance had started died with it.
    for (const call of [...this.calls.values()]) {
      if (call.ackedBy === undefined || call.ackedBy === instance) continue;
      if (call.repeatable) this.post(call);
      else this.interrupted(call);
    }
    for (const cb of [...this.instanceListeners]) cb(instance);
  }

  private interrupted(call: Call): void {
    this.calls.delete(call.message.id);
    call.reject(
      new KeynodeError(
        'ErrorKeynodeInterrupted',
        'The browser stopped the keynode in the middle of this change, so it may or may not have been saved. Check, and try again if it is missing.',
      ),
    );
  }

  private schedulePing(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const delay = this.calls.size > 0 ? BUSY_PING_MS : KEEPALIVE_MS;
    this.timer = setTimeout(() => {
      this.ping();
      this.schedulePing();
    }, delay);
  }
}

/** Listens for the worker's broadcast events. */
function listenEvents(cb: (message: BroadcastMessage) => void): () => void {
  const channel = new BroadcastChannel(EVENTS_CHANNEL);
  channel.onmessage = (event: MessageEvent) => cb(event.data as BroadcastMessage);
  return () => channel.close();
}

/** Calls `cb` when the worker's keynode was replaced by a restore (in any tab). */
export function onKeynodeReplaced(cb: (nodeId: string) => void): () => void {
  return listenEvents((message) => {
    if (message.kn === 'replaced') cb(message.nodeId);
  });
}

/**
 * A Keynode whose core lives in the service worker. The tab keeps the unlocked data key (a
 * non-extractable CryptoKey, in memory only) and hands it back when the browser restarts the
 * worker, so the keynode stays unlocked while a tab is open; it says goodbye when it closes.
 */
export async function connectSwKeynode(transport?: SwTransport): Promise<Keynode & { readonly rpc: SwRpcClient }> {
  const rpc = new SwRpcClient(transport ?? (await serviceWorkerTransport()));
  // The worker's events, handed on to this page's listeners.
  const events = new Events();
  let kept: CryptoKey | undefined;
  // Set once hello has answered; events are listened to before that, so this tab answers a
  // starting worker's 'need-key' (which its own hello may be what started).
  const proxy: { current?: { nodeId: string } } = {};
  const keep = (): void => {
    rpc.sessionKey().then(
      (key) => (kept = key ?? undefined),
      () => undefined,
    );
  };
  const handBack = (): void => {
    if (kept !== undefined) void rpc.resume(kept).catch(() => undefined);
  };
  const stopEvents = listenEvents((message) => {
    // Every tab answers, so a worker whose tabs kept no key stops waiting at once.
    if (message.kn === 'need-key') void rpc.resume(kept ?? null).catch(() => undefined);
    if (message.kn !== 'event') return;
    if (message.event === 'lock') {
      const { locked, nodeId } = message.value as KeynodeEvents['lock'];
      if (proxy.current !== undefined) proxy.current.nodeId = nodeId; // set at the first unlock, which creates a new keynode
      if (locked) kept = undefined;
      else keep();
    }
    events.emit(message.event as KeynodeEventName, message.value as KeynodeEvents[KeynodeEventName]);
  });
  const hello = await rpc.hello();
  rpc.onInstance(handBack);
  keep();
  const onHide = (event: PageTransitionEvent): void => {
    // A page kept in the back-forward cache may come back; only a real close says goodbye.
    if (!event.persisted) rpc.bye();
  };
  globalThis.addEventListener?.('pagehide', onHide as EventListener);
  const keynode = {
    ...buildApi((method, args) => rpc.call(method, args)),
    nodeId: hello.nodeId,
    rpc,
    on: events.on.bind(events),
    /** Stops this page's use of the keynode; the core in the worker carries on for other tabs. */
    async stop(): Promise<void> {
      globalThis.removeEventListener?.('pagehide', onHide as EventListener);
      stopEvents();
      rpc.close();
    },
  } as unknown as Keynode & { rpc: SwRpcClient; nodeId: string; recoveryCode?: string };
  proxy.current = keynode;
  if (hello.recoveryCode !== undefined) keynode.recoveryCode = hello.recoveryCode;
  // Unlocking may create the keynode (first run): learn its NodeId and, once, its recovery code.
  for (const method of ['unlock', 'unlockWithRecoveryCode', 'setPassphrase'] as const) {
    const call = keynode[method] as (...args: unknown[]) => Promise<void>;
    (keynode as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      await call(...args);
      const again = await rpc.hello();
      keynode.nodeId = again.nodeId;
      if (again.recoveryCode !== undefined) keynode.recoveryCode = again.recoveryCode;
      keep();
    };
  }
  return keynode;
}
