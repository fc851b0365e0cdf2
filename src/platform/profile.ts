// Which IndexedDB storage holds this browser profile's keynode, and replacing that keynode with
// the one a recovery code belongs to. A profile uses the storage 'default' until a restore: the
// restored keynode is built in a fresh storage first and only then does the profile point at it,
// so a restore that fails half-way leaves the old keynode as it was. The old storage is deleted
// afterwards — at once, or at the next start when the browser still held it open.
import { openDB, type IDBPDatabase } from 'idb';
import { KeynodeError } from '../errors.js';
import { encodeNodeId } from '../ids/index.js';
import type { Keynode, KeynodeHost } from '../keynode/keynode.js';
import { keyPairFromSeed } from '../keys/crypto.js';
import { seedFromRecoveryCode } from '../keys/identity.js';
import { openIndexedDbStorage, type Storage } from '../storage/index.js';
import { randomHex } from '../utils/bytes.js';

const POINTER_DB = 'keynode-profile';
const STORE = 'profile';
const DEFAULT = 'default';

interface Pointer {
  current: string;
  /** Storages of replaced keynodes, still to be deleted. */
  trash: string[];
}

function openPointer(): Promise<IDBPDatabase> {
  return openDB(POINTER_DB, 1, {
    upgrade(db) {
      db.createObjectStore(STORE);
    },
  });
}

async function readPointer(): Promise<Pointer> {
  const db = await openPointer();
  try {
    return ((await db.get(STORE, 'pointer')) as Pointer | undefined) ?? { current: DEFAULT, trash: [] };
  } finally {
    db.close();
  }
}

async function updatePointer(change: (p: Pointer) => Pointer): Promise<void> {
  const db = await openPointer();
  try {
    const tx = db.transaction(STORE, 'readwrite');
    const now = ((await tx.store.get('pointer')) as Pointer | undefined) ?? { current: DEFAULT, trash: [] };
    await tx.store.put(change(now), 'pointer');
    await tx.done;
  } finally {
    db.close();
  }
}

/** The storage name of this profile's keynode (for openIndexedDbStorage). */
export async function currentStorageName(): Promise<string> {
  return (await readPointer()).current;
}

/** The IndexedDB databases one storage is made of (storage/index.ts and lightning-fs). */
export function storageDatabases(name: string): string[] {
  return [`keynode-${name}`, `keynode-git-${name}`, `keynode-git-${name}_lock`];
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`Could not delete ${name}.`));
    // 'blocked': a connection is still open (lightning-fs closes its own 0.5 s after its last
    // use); the request goes on by itself once it closes.
  });
}

async function deleteStorage(name: string): Promise<void> {
  for (const db of storageDatabases(name)) await deleteDatabase(db);
}

/** Deletes the storages of replaced keynodes. Safe to call at any time; never touches the current one. */
export async function sweepReplacedStorages(): Promise<void> {
  const { current, trash } = await readPointer();
  for (const name of trash) {
    if (name === current) continue;
    await deleteStorage(name);
    await updatePointer((p) => ({ ...p, trash: p.trash.filter((t) => t !== name) }));
  }
}

/**
 * Checks that `current` may be replaced by the keynode `code` belongs to, changing nothing.
 * Returns false when the code is `current`'s own (nothing to do). Refused with a reason when the
 * code is not a recovery code, or while this browser holds vaults: they belong to the keynode
 * being replaced, and a restore must never lose a secret.
 */
export async function checkRestore(current: Pick<Keynode, 'nodeId' | 'vaults'>, code: string): Promise<boolean> {
  const seed = seedFromRecoveryCode(code);
  let nodeId: string;
  try {
    nodeId = encodeNodeId((await keyPairFromSeed(seed)).publicKey);
  } finally {
    seed.fill(0);
  }
  if (nodeId === current.nodeId) return false;
  const vaults = await current.vaults.list();
  if (vaults.length > 0) {
    // (The message says what to do: no code-specific hint fits.)
    throw new KeynodeError(
      'ErrorInvalidArgument',
      `This browser already holds ${vaults.length === 1 ? 'a vault' : `${vaults.length} vaults`} (${vaults.map((v) => `“${v.vaultName}”`).join(', ')}) of its current keynode, and restoring would replace that keynode. Restore in a new browser profile, or delete those vaults first.`,
    );
  }
  return true;
}

/**
 * Builds the restored keynode (`open` passes the recovery code to createKeynodeFrom) in a fresh
 * storage and points the profile at it; the old storage goes to the trash. The caller has checked
 * with checkRestore and stopped the old keynode. On failure the profile still points at the old
 * storage, and the fresh one goes to the trash.
 */
export async function replaceWithRestored(open: (storage: Storage) => Promise<KeynodeHost>): Promise<KeynodeHost> {
  const name = `restored-${randomHex(6)}`;
  let keynode: KeynodeHost;
  const storage = await openIndexedDbStorage(name);
  try {
    keynode = await open(storage);
  } catch (e) {
    // An open connection would keep the half-made storage from being deleted.
    await storage.close().catch(() => undefined);
    await updatePointer((p) => ({ ...p, trash: [...p.trash.filter((t) => t !== name), name] })).catch(() => undefined);
    void sweepReplacedStorages().catch(() => undefined);
    throw e;
  }
  await updatePointer((p) => ({ current: name, trash: [...p.trash.filter((t) => t !== name), p.current] }));
  void sweepReplacedStorages().catch(() => undefined);
  return keynode;
}
