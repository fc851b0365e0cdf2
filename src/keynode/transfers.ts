// Clones and pulls in flight: how far each has got, and cancelling one. A transfer runs against a
// view of the network whose peers count the pack's bytes as they arrive (phases: negotiating while
// the vault is listed and asked for, receiving while the pack streams in, indexing once its last
// byte is in, until the vault is written). The pack streams without a length, so totalBytes is not
// known here.
//
// Cancelling is possible until the last byte is in: the pack stream is dropped (the owner is told to
// stop) and the operation fails before anything is written — a clone leaves no vault behind, a pull
// leaves the vault as it was (the git client installs a pack only once it is whole and checked).
// While indexing it is refused: by then the result is moments from being written whole.
import { KeynodeError, isKeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import type { RpcPeer } from '../network/rpc.js';
import type { Network } from './network.js';

export type TransferPhase = 'negotiating' | 'receiving' | 'indexing';

/** docs/api.md's `onProgress` argument. */
export interface Progress {
  vault: string;
  phase: TransferPhase;
  bytes: number;
  totalBytes?: number;
}

export interface Transfer extends Progress {
  kind: 'clone' | 'pull';
  nodeId: string;
}

interface Running {
  transfer: Transfer;
  cancelled: boolean;
  cancel: () => void;
  /** Rejects when the transfer is cancelled. */
  stopped: Promise<never>;
}

export function cancelledError(kind: 'clone' | 'pull'): KeynodeError {
  return new KeynodeError('ErrorKeynodeInterrupted', `The ${kind} was cancelled; nothing of it was kept.`, { data: { cancelled: true } });
}

/** Whether an error is a cancelled transfer (ErrorKeynodeInterrupted also means a stopped worker). */
export function isCancelled(e: unknown): boolean {
  return isKeynodeError(e, 'ErrorKeynodeInterrupted') && e.data?.cancelled === true;
}

export class Transfers {
  private readonly running = new Set<Running>();

  constructor(private readonly onProgress?: (p: Progress) => void) {}

  list(): Transfer[] {
    return [...this.running].map((r) => ({ ...r.transfer }));
  }

  /** Cancels the transfers of `vault` (as it was named to clone or pull); false if none could be. */
  cancel(vault: string): boolean {
    const chosen = [...this.running].filter((r) => r.transfer.vault === vault && r.transfer.phase !== 'indexing');
    for (const r of chosen) r.cancel();
    return chosen.length > 0;
  }

  /** Runs a clone or pull on a network whose peers report progress and obey cancel(). */
  async run<T>(kind: 'clone' | 'pull', vault: string, nodeId: string, net: Network, op: (net: Network) => Promise<T>): Promise<T> {
    let stop!: () => void;
    const stopped = new Promise<never>((_, reject) => (stop = () => reject(cancelledError(kind))));
    stopped.catch(() => undefined);
    const running: Running = {
      transfer: { kind, vault, nodeId, phase: 'negotiating', bytes: 0 },
      cancelled: false,
      cancel: () => {
        running.cancelled = true;
        stop();
      },
      stopped,
    };
    this.running.add(running);
    this.report(running);
    const work = op(this.watched(net, running));
    work.catch(() => undefined); // seen below, or after a cancel
    try {
      return await Promise.race([work, stopped]);
    } catch (e) {
      if (!running.cancelled) throw e;
      // A dropped pack fails the operation at once, and a clone removes its half-made vault: wait
      // for that, so nothing is left when the caller hears "cancelled". (While negotiating, nothing
      // is made yet, and the connection attempt may take its time: that is not waited for.)
      if (running.transfer.phase === 'receiving') await work.catch(() => undefined);
      throw cancelledError(kind);
    } finally {
      this.running.delete(running);
    }
  }

  private report(r: Running): void {
    const { vault, phase, bytes } = r.transfer;
    try {
      this.onProgress?.({ vault, phase, bytes });
    } catch {
      // The listener's failure is its own.
    }
  }

  private watched(net: Network, r: Running): Network {
    const watchPeer = (peer: RpcPeer): RpcPeer =>
      new Proxy(peer, {
        get: (target, prop) => {
          if (prop !== 'call') {
            const value = Reflect.get(target, prop, target) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          }
          const call: RpcPeer['call'] = async (method, header, body, options) => {
            if (r.cancelled) throw cancelledError(r.transfer.kind);
            const result = await target.call(method, header, body, options);
            if (method !== 'vaults.gitPack') return result;
            return { ...result, body: this.counted(result.body, r) };
          };
          return call;
        },
      });
    return new Proxy(net, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'peer') return async (nodeId: NodeId) => watchPeer(await target.peer(nodeId));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** The pack stream, counted; dropped (the owner is told to stop) when the transfer is cancelled. */
  private async *counted(body: AsyncIterable<Uint8Array>, r: Running): AsyncGenerator<Uint8Array> {
    const it = body[Symbol.asyncIterator]();
    r.transfer.phase = 'receiving';
    this.report(r);
    try {
      for (;;) {
        const next = await Promise.race([it.next(), r.stopped]);
        if (next.done === true) break;
        r.transfer.bytes += next.value.byteLength;
        this.report(r);
        yield next.value;
      }
    } catch (e) {
      await it.return?.();
      throw e;
    }
    r.transfer.phase = 'indexing';
    this.report(r);
  }
}
