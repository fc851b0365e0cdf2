// The KV contract (kv.ts) with every record sealed, over a plain KV (IndexedDB or the file log).
// What is stored for a record: the key as a MAC (cipher.ts), the value as AES-GCM of the JSON
// [key, value] with the store and stored key as associated data. Nothing of a key or value is
// readable without the data key; what stays visible is which store a record is in, its size, and
// the number of records (docs/threat-model.md).
//
// Sealing is asynchronous WebCrypto, and IndexedDB commits a transaction the moment it has no
// request pending, so sealing cannot happen inside an IndexedDB transaction. Hence this store runs
// its own transactions, one at a time (like the file log): a transaction reads through a cache of
// opened records (filled from the plain store on demand; a whole store is opened on the first range
// read), stages its writes, seals them, and commits them in one plain transaction — all or nothing.
// This assumes one writer per storage, which the service worker (or, without one, the one tab that
// holds the keynode's Web Lock) is. lock() forgets every opened record.
import { corrupt, KEY_MARK, type Cipher } from './cipher.js';
import type { KV, StoreName } from './kv.js';
import { DELETED, StagedKV, type Staged } from './staged.js';
import { decode, encode } from './value-codec.js';
import { utf8 } from '../utils/bytes.js';

interface StoreCache {
  values: Map<string, unknown>;
  /** Keys known not to exist (point reads that found nothing). */
  absent: Set<string>;
  /** Every record of the store has been opened: a key not in `values` does not exist. */
  complete: boolean;
}

/** How many stored-key MACs to remember before starting over (each is one HMAC to recompute). */
const KEY_CACHE_LIMIT = 50_000;

export class EncryptedKV extends StagedKV {
  readonly persistsCryptoKeys = false;
  private readonly stores = new Map<StoreName, StoreCache>();
  private readonly storedKeys = new Map<string, string>();

  /** `cipher` throws ErrorKeynodeLocked while the keynode is locked. */
  constructor(
    private readonly raw: KV,
    private readonly cipher: () => Cipher,
  ) {
    super();
  }

  /** Forgets every opened record and key (the keynode is being locked). */
  forget(): void {
    this.stores.clear();
    this.storedKeys.clear();
  }

  async close(): Promise<void> {
    await this.queue;
    this.forget();
  }

  /** The stored key and sealed value of one record (also used to encrypt a plaintext store in place). */
  async sealRecord(store: StoreName, key: string, value: unknown): Promise<{ storedKey: string; sealed: Uint8Array }> {
    const storedKey = await this.storedKey(store, key);
    const payload = utf8.encode(JSON.stringify([key, encode(value)]));
    return { storedKey, sealed: await this.cipher().seal(payload, recordAad(store, storedKey)) };
  }

  protected ready(): void {
    this.cipher(); // refuse at once when locked
  }

  private cacheOf(store: StoreName): StoreCache {
    let cache = this.stores.get(store);
    if (cache === undefined) this.stores.set(store, (cache = { values: new Map(), absent: new Set(), complete: false }));
    return cache;
  }

  private async storedKey(store: StoreName, key: string): Promise<string> {
    const id = `${store}\0${key}`;
    let stored = this.storedKeys.get(id);
    if (stored === undefined) {
      stored = await this.cipher().key(id);
      if (this.storedKeys.size >= KEY_CACHE_LIMIT) this.storedKeys.clear();
      this.storedKeys.set(id, stored);
    }
    return stored;
  }

  /** Opens one stored record: its key and value. */
  private async openRecord(store: StoreName, storedKey: string, sealed: unknown): Promise<[string, unknown]> {
    const what = `a record in the ${store} store`;
    if (!(sealed instanceof Uint8Array)) throw corrupt(what);
    const plain = await this.cipher().open(sealed, recordAad(store, storedKey), what);
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8.decode(plain));
    } catch (e) {
      throw corrupt(what, e);
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string') throw corrupt(what);
    return [parsed[0], decode(parsed[1])];
  }

  protected async committed(store: StoreName, key: string): Promise<unknown> {
    const cache = this.cacheOf(store);
    if (cache.values.has(key)) return cache.values.get(key);
    if (cache.complete || cache.absent.has(key)) return undefined;
    const storedKey = await this.storedKey(store, key);
    const sealed = await this.raw.read((tx) => tx.get(store, storedKey));
    if (sealed === undefined) {
      cache.absent.add(key);
      return undefined;
    }
    const [storedAs, value] = await this.openRecord(store, storedKey, sealed);
    if (storedAs !== key) throw corrupt(`a record in the ${store} store`);
    cache.values.set(key, value);
    return value;
  }

  /** Opens every record of a store (once per unlocked session), for range reads and counts. */
  protected async all(store: StoreName): Promise<Map<string, unknown>> {
    const cache = this.cacheOf(store);
    if (!cache.complete) {
      const rows = await this.raw.read((tx) => tx.entries<unknown>(store, { prefix: KEY_MARK }));
      const opened = await Promise.all(rows.map(([storedKey, sealed]) => this.openRecord(store, storedKey, sealed)));
      cache.values = new Map(opened);
      cache.absent.clear();
      cache.complete = true;
    }
    return cache.values;
  }

  protected async commit(staged: Staged): Promise<void> {
    const ops = await Promise.all(
      [...staged].flatMap(([store, changes]) =>
        [...changes].map(async ([key, value]) =>
          value === DELETED
            ? { store, key, storedKey: await this.storedKey(store, key), value, sealed: undefined }
            : { store, key, value, ...(await this.sealRecord(store, key, value)) },
        ),
      ),
    );
    await this.raw.write(async (tx) => {
      for (const op of ops) {
        if (op.sealed === undefined) await tx.delete(op.store, op.storedKey);
        else await tx.put(op.store, op.storedKey, op.sealed);
      }
    });
    for (const op of ops) {
      const cache = this.cacheOf(op.store);
      if (op.sealed === undefined) {
        cache.values.delete(op.key);
        cache.absent.add(op.key);
      } else {
        cache.values.set(op.key, op.value);
        cache.absent.delete(op.key);
      }
    }
  }
}

function recordAad(store: StoreName, storedKey: string): string {
  return `kv\0${store}\0${storedKey}`;
}
