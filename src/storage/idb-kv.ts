// The KV contract on IndexedDB through `idb`. One database per keynode; every transaction spans all
// stores (keynode's transactions are small, and one scope keeps cross-domain writes such as a share —
// ACL and outbox together — atomic). A QuotaExceededError becomes ErrorStorageQuota.
import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { KeynodeError } from '../errors.js';
import { prefixEnd, storeNames, type KV, type RangeOptions, type StoreName, type Tx } from './kv.js';

type AnyTx = IDBPTransaction<unknown, StoreName[], 'readonly' | 'readwrite'>;

export interface IdbEnvironment {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

const DB_VERSION = 1;

export async function openIdbKV(name: string, env?: IdbEnvironment): Promise<KV> {
  const factory = env?.indexedDB ?? globalThis.indexedDB;
  const KeyRange = env?.IDBKeyRange ?? globalThis.IDBKeyRange;
  if (factory === undefined) {
    throw new KeynodeError('ErrorInternal', 'IndexedDB is not available here, so keynode cannot store anything.');
  }
  // idb reads the global factory; a different one (a test's own fake-indexeddb) is swapped in for
  // this call only. Browsers never take this path: their global is read-only. idb touches the
  // global only inside its synchronous indexedDB.open call, so the swap covers just that call:
  // restoring after the await let two concurrent opens leave the wrong factory installed.
  const g = globalThis as { indexedDB?: IDBFactory };
  const saved = g.indexedDB;
  const swap = env !== undefined && factory !== saved;
  let opening: Promise<IDBPDatabase>;
  if (swap) g.indexedDB = factory;
  try {
    opening = openDB(name, DB_VERSION, {
      upgrade(database) {
        for (const store of storeNames) {
          if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
        }
      },
    });
  } finally {
    if (swap) g.indexedDB = saved;
  }
  let db: IDBPDatabase;
  try {
    db = await opening;
  } catch (e) {
    throw storageError(e);
  }
  return new IdbKV(db, KeyRange);
}

/** The key range for `range`; null when the range is empty (nothing can match). */
function keyRange(KeyRange: typeof IDBKeyRange, range: RangeOptions | undefined): IDBKeyRange | undefined | null {
  let lower: string | undefined;
  let upper: string | undefined;
  if (range?.prefix !== undefined) {
    lower = range.prefix;
    upper = prefixEnd(range.prefix);
  }
  if (range?.gte !== undefined && (lower === undefined || range.gte > lower)) lower = range.gte;
  if (range?.lt !== undefined && (upper === undefined || range.lt < upper)) upper = range.lt;
  if (lower !== undefined && upper !== undefined) {
    if (lower >= upper) return null;
    return KeyRange.bound(lower, upper, false, true);
  }
  if (lower !== undefined) return KeyRange.lowerBound(lower);
  if (upper !== undefined) return KeyRange.upperBound(upper, true);
  return undefined;
}

class IdbKV implements KV {
  readonly persistsCryptoKeys = true;

  constructor(
    private readonly db: IDBPDatabase,
    private readonly KeyRange: typeof IDBKeyRange,
  ) {}

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run('readonly', fn);
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run('readwrite', fn);
  }

  private async run<T>(mode: 'readonly' | 'readwrite', fn: (tx: Tx) => Promise<T>): Promise<T> {
    let idbTx: AnyTx;
    try {
      idbTx = this.db.transaction([...storeNames], mode) as unknown as AnyTx;
    } catch (e) {
      throw storageError(e);
    }
    const tx = this.wrap(idbTx);
    let result: T;
    try {
      result = await fn(tx);
    } catch (e) {
      try {
        idbTx.abort();
      } catch {
        // Already finished or aborted: nothing was committed by us beyond what fn awaited.
      }
      await idbTx.done.catch(() => undefined);
      throw e;
    }
    try {
      await idbTx.done;
    } catch (e) {
      throw storageError(e);
    }
    return result;
  }

  private wrap(t: AnyTx): Tx {
    const KeyRange = this.KeyRange;
    // Every request error (quota, a transaction used after it finished) becomes a KeynodeError.
    const guard = async <R>(request: () => Promise<R>): Promise<R> => {
      try {
        return await request();
      } catch (e) {
        throw storageError(e);
      }
    };
    return {
      get<V>(store: StoreName, key: string) {
        return guard(async () => (await t.objectStore(store).get(key)) as V | undefined);
      },
      put(store, key, value) {
        return guard(() => t.objectStore(store).put!(value, key)).then(() => undefined);
      },
      delete(store, key) {
        return guard(() => t.objectStore(store).delete!(key));
      },
      entries<V>(store: StoreName, range?: RangeOptions) {
        return guard(async () => {
          const out: Array<[string, V]> = [];
          const limit = range?.limit ?? Infinity;
          const bounds = keyRange(KeyRange, range);
          if (limit <= 0 || bounds === null) return out;
          let cursor = await t.objectStore(store).openCursor(bounds, range?.reverse ? 'prev' : 'next');
          while (cursor) {
            out.push([cursor.key as string, cursor.value as V]);
            if (out.length >= limit) break;
            cursor = await cursor.continue();
          }
          return out;
        });
      },
      count(store, range) {
        return guard(async () => {
          const bounds = keyRange(KeyRange, range);
          return bounds === null ? 0 : t.objectStore(store).count(bounds);
        });
      },
    };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export function storageError(e: unknown): KeynodeError {
  if (e instanceof KeynodeError) return e;
  const name = (e as { name?: unknown })?.name;
  if (name === 'QuotaExceededError') {
    return new KeynodeError(
      'ErrorStorageQuota',
      'The browser refused to store more data: storage is full. Nothing already stored was lost; free some space or delete unused vaults.',
      { cause: e },
    );
  }
  if (name === 'TransactionInactiveError' || name === 'InvalidStateError') {
    return new KeynodeError(
      'ErrorInternal',
      'A database transaction was used after it had finished (the code awaited something other than the store inside it).',
      { cause: e },
    );
  }
  return new KeynodeError('ErrorInternal', 'The keynode database failed.', { cause: e });
}
