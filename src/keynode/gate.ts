// The session gate: every operation on a keynode's data runs inside it, and locking closes it.
// Closing waits for the operations already running (so a write or a clone finishes, or fails and
// cleans up, with the keys still there), refuses new ones with ErrorKeynodeLocked, and gives up
// waiting after a grace period — what is cut off then is handled like a crash: the vault commit
// protocol rolls it back at the next unlock (src/vaults/vault-manager.ts).
import { KeynodeError, isKeynodeError } from '../errors.js';
import type { RpcHandlers, RpcResult } from '../network/rpc-handlers.js';
import { lockedError } from '../storage/secure-storage.js';

/** What a peer is told when it asks a locked keynode: its owner's lock, not a permission refusal. */
function lockedForPeer(): KeynodeError {
  return new KeynodeError('ErrorKeynodeLocked', 'The other keynode is locked: it can answer once its owner unlocks it.');
}

export class Gate {
  private opened = false;
  private running = 0;
  private readonly drained = new Set<() => void>();

  get isOpen(): boolean {
    return this.opened;
  }

  open(): void {
    this.opened = true;
  }

  /** Marks one operation as running; the returned function ends it (call it exactly once). */
  enter(): () => void {
    if (!this.opened) throw lockedError();
    this.running++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running--;
      if (this.running === 0) for (const cb of [...this.drained]) cb();
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const leave = this.enter();
    try {
      return await fn();
    } finally {
      leave();
    }
  }

  /** Refuses new operations, then waits (at most `graceMs`) for the running ones to end. */
  async close(graceMs: number): Promise<void> {
    this.opened = false;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.drained.delete(done);
        resolve();
      };
      const timer = setTimeout(done, graceMs);
      (timer as { unref?: () => void }).unref?.();
      this.drained.add(done);
    });
  }
}

/**
 * The peer RPC handlers, each run inside the gate: a peer asking a locked keynode is told
 * ErrorKeynodeLocked before anything is read, and a response being streamed (a pack) holds the gate
 * until its last byte, so locking waits for it.
 */
export function gatedHandlers(handlers: RpcHandlers, gate: Gate, onRefused: () => void): RpcHandlers {
  return new Proxy(handlers, {
    get(target, prop, receiver) {
      if (prop !== 'handle') return Reflect.get(target, prop, receiver) as unknown;
      const handle: RpcHandlers['handle'] = (method, handler, limits) =>
        target.handle(
          method,
          async (ctx, header, body) => {
            let leave: () => void;
            try {
              leave = gate.enter();
            } catch {
              onRefused();
              throw lockedForPeer();
            }
            let result: RpcResult;
            try {
              result = await handler(ctx, header, body);
            } catch (e) {
              leave();
              throw isKeynodeError(e, 'ErrorKeynodeLocked') ? lockedForPeer() : e;
            }
            const stream = result.body;
            if (stream === undefined || stream instanceof Uint8Array) {
              leave();
              return result;
            }
            return { ...result, body: held(stream, leave) };
          },
          limits,
        );
      return handle;
    },
  });
}

async function* held(stream: AsyncIterable<Uint8Array>, leave: () => void): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } finally {
    leave();
  }
}
