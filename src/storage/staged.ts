// What a transaction sees in the stores that keep their records in memory (the file log, the
// encrypted store): the committed records with the transaction's own staged writes on top, in
// key order (code-unit order, as IndexedDB compares strings).
import { KeynodeError } from '../errors.js';
import { storeNames, type KV, type RangeOptions, type StoreName, type Tx } from './kv.js';

/** A staged delete. */
export const DELETED = Symbol('deleted');

/** A transaction's writes, by store and key (DELETED for a delete). */
export type Staged = Map<StoreName, Map<string, unknown>>;

export function stagedRange(
  committed: ReadonlyMap<string, unknown> | undefined,
  staged: ReadonlyMap<string, unknown> | undefined,
  range: RangeOptions | undefined,
): Array<[string, unknown]> {
  const merged = new Map(committed);
  for (const [k, v] of staged ?? []) {
    if (v === DELETED) merged.delete(k);
    else merged.set(k, v);
  }
  let keys = [...merged.keys()].filter(
    (k) =>
      (range?.prefix === undefined || k.startsWith(range.prefix)) && (range?.gte === undefined || k >= range.gte) && (range?.lt === undefined || k < range.lt),
  );
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (range?.reverse) keys.reverse();
  if (range?.limit !== undefined) keys = keys.slice(0, Math.max(0, range.limit));
  return keys.map((k) => [k, merged.get(k)]);
}

/**
 * A KV whose transactions run one at a time: each reads the committed records (`committed`, `all`)
 * with its own staged writes on top, and its writes are committed together when it ends.
 */
export abstract class StagedKV implements KV {
  abstract readonly persistsCryptoKeys: boolean;
  protected queue: Promise<unknown> = Promise.resolve();

  /** Throws when no transaction may run now (locked, closed). */
  protected abstract ready(): void;
  /** One committed record. */
  protected abstract committed(store: StoreName, key: string): unknown;
  /** Every committed record of a store. */
  protected abstract all(store: StoreName): Promise<ReadonlyMap<string, unknown>> | ReadonlyMap<string, unknown> | undefined;
  /** Stores a transaction's writes, all or nothing. */
  protected abstract commit(staged: Staged): Promise<void>;
  abstract close(): Promise<void>;

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(false, fn);
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(true, fn);
  }

  /** Runs `task` after everything queued before it; a failure does not stop what follows. */
  protected enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private run<T>(writable: boolean, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.ready();
      const staged: Staged = new Map();
      const result = await fn(this.tx(staged, writable));
      if (writable && staged.size > 0) await this.commit(staged);
      return result;
    });
  }

  private tx(staged: Staged, writable: boolean): Tx {
    const view = async (store: StoreName, range?: RangeOptions): Promise<Array<[string, unknown]>> => {
      assertStore(store);
      return stagedRange(await this.all(store), staged.get(store), range);
    };
    const stage = (store: StoreName): Map<string, unknown> => {
      if (!writable) throw new KeynodeError('ErrorInternal', 'Write inside a read-only transaction.');
      assertStore(store);
      let m = staged.get(store);
      if (m === undefined) staged.set(store, (m = new Map()));
      return m;
    };
    return {
      get: async <V>(store: StoreName, key: string) => {
        assertStore(store);
        const s = staged.get(store);
        const v = s?.has(key) ? s.get(key) : await this.committed(store, key);
        return (v === DELETED || v === undefined ? undefined : structuredClone(v)) as V | undefined;
      },
      put: async (store, key, value) => {
        stage(store).set(key, structuredClone(value));
      },
      delete: async (store, key) => {
        stage(store).set(key, DELETED);
      },
      entries: async <V>(store: StoreName, range?: RangeOptions) => (await view(store, range)).map(([k, v]) => [k, structuredClone(v)]) as Array<[string, V]>,
      count: async (store, range) => (await view(store, range)).length,
    };
  }
}

const known: ReadonlySet<string> = new Set(storeNames);
function assertStore(store: StoreName): void {
  if (!known.has(store)) throw new KeynodeError('ErrorInternal', `There is no store named ${String(store)}.`);
}
