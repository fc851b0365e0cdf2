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
  // idb reads the global factory; scope a different one (fake-indexeddb per keynode) for this call.
  const g = globalThis as { indexedDB?: IDBFactory };
  const saved = g.indexedDB;
  g.indexedDB = factory;
  let db: IDBPDatabase;
  try {
    db = await openDB(name, DB_VERSION, {
      upgrade(database) {
        for (const store of storeNames) {
          if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
        }
      },
    });
  } finally {
    g.indexedDB = saved;
  }
  return new IdbKV(db, KeyRange);
}

function keyRange(KeyRange: typeof IDBKeyRange, range: RangeOptions | undefined): IDBKeyRange | undefined {
  let lower: string | undefined;
  let upper: string | undefined;
  if (range?.prefix !== undefined) {
    lower = range.prefix;
    upper = prefixEnd(range.prefix);
  }
  if (range?.gte !== undefined && (lower === undefined || range.gte > lower)) lower = range.gte;
  if (range?.lt !== undefined && (upper === undefined || range.lt < upper)) upper = range.lt;
  if (lower !== undefined && upper !== undefined) {
    if (lower >= upper) return KeyRange.only('\u0000empty-range\u0000');
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
    return {
      async get<V>(store: StoreName, key: string) {
        return (await t.objectStore(store).get(key)) as V | undefined;
      },
      async put(store, key, value) {
        try {
          await t.objectStore(store).put!(value, key);
        } catch (e) {
          throw storageError(e);
        }
      },
      async delete(store, key) {
        await t.objectStore(store).delete!(key);
      },
      async entries<V>(store: StoreName, range?: RangeOptions) {
        const out: Array<[string, V]> = [];
        const limit = range?.limit ?? Infinity;
        if (limit <= 0) return out;
        let cursor = await t.objectStore(store).openCursor(keyRange(KeyRange, range), range?.reverse ? 'prev' : 'next');
        while (cursor) {
          out.push([cursor.key as string, cursor.value as V]);
          if (out.length >= limit) break;
          cursor = await cursor.continue();
        }
        return out;
      },
      async count(store, range) {
        return t.objectStore(store).count(keyRange(KeyRange, range));
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
  return new KeynodeError('ErrorInternal', 'The keynode database failed.', { cause: e });
}
