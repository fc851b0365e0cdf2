// The key-value contract every domain stores through: named stores of string keys, transactions that
// commit all-or-nothing. Implemented on IndexedDB (idb; fake-indexeddb for 'memory') and on a file
// log for Node ({ dir }).
//
// IndexedDB commits a transaction as soon as it has no pending request at the end of a task, so the
// callback given to read()/write() may await ONLY the Tx methods: sign, hash or fetch before opening
// the transaction, never inside it.

export const storeNames = [
  'meta', // keynode-level settings: identity public key, generator seeds
  'keys', // the private key (non-extractable CryptoKey, or the seed where CryptoKeys cannot be stored)
  'vaults', // vault metadata by VaultId; name index under 'name:' keys
  'acl', // permission records and node → record pointers
  'gestalts', // gestalt graph vertices and links
  'sigchain', // this keynode's claims, by sequence number
  'inbox', // received notifications by local NotificationId
  'requests', // notifications from senders without `notify`
  'outbox', // notifications waiting to be delivered
  'seen', // ids of accepted notification tokens (replay protection)
  'pending', // queued work: pulls waiting for a peer
] as const;

export type StoreName = (typeof storeNames)[number];

export interface RangeOptions {
  prefix?: string;
  gte?: string;
  lt?: string;
  reverse?: boolean;
  limit?: number;
}

export interface Tx {
  get<V>(store: StoreName, key: string): Promise<V | undefined>;
  put(store: StoreName, key: string, value: unknown): Promise<void>;
  delete(store: StoreName, key: string): Promise<void>;
  /** Entries in key order (code-unit order, as IndexedDB compares strings). */
  entries<V>(store: StoreName, range?: RangeOptions): Promise<Array<[string, V]>>;
  count(store: StoreName, range?: Pick<RangeOptions, 'prefix'>): Promise<number>;
}

export interface KV {
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Whether a CryptoKey survives put/get (IndexedDB: yes; the file store: no). */
  readonly persistsCryptoKeys: boolean;
  /**
   * Rewrites the store so that nothing deleted or overwritten is left in its files (the file log
   * keeps every old line until then). IndexedDB has no such call: the browser compacts its files
   * when it chooses.
   */
  compact?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The exclusive upper bound of a prefix range: the shortest string above every string that starts
 * with `prefix` (drop trailing U+FFFF, then raise the last code unit). `prefix + '\uffff'` would
 * leave out keys such as `prefix + '\uffff…'`. Undefined when no bound exists ('' or all U+FFFF):
 * then every key from `prefix` up starts with it.
 */
export function prefixEnd(prefix: string): string | undefined {
  let i = prefix.length - 1;
  while (i >= 0 && prefix.charCodeAt(i) === 0xffff) i--;
  if (i < 0) return undefined;
  return prefix.slice(0, i) + String.fromCharCode(prefix.charCodeAt(i) + 1);
}
