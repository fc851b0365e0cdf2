// Vault metadata in the kv 'vaults' store. Keys:
//   meta:<VaultId>   VaultMeta
//   name:<name>      VaultId (the unique name index)
//   dirty:<VaultId>  DirtyMarker, written in its own transaction before a batch touches git
// Every function takes a Tx and awaits only Tx methods (IndexedDB auto-commits otherwise).
import type { Tx } from '../storage/index.js';
import type { VaultId } from '../ids/index.js';

export interface VaultRemote {
  nodeId: string;
  vaultId: string;
}

export interface VaultMeta {
  vaultId: VaultId;
  name: string;
  /** Set on a clone: the vault it was cloned (or last pulled) from. Such a vault is read-only. */
  remote?: VaultRemote;
  /** 'creating' until the bare repository is complete; start() removes vaults left in it. */
  state: 'creating' | 'ready';
  /** The checked-out commit when it is not the latest one (absent = master). */
  checkout?: string;
  createdAt: number;
}

export interface DirtyMarker {
  /** master when the batch began: what a crash rolls back to if the ref write did not complete. */
  base: string;
  since: number;
}

const STORE = 'vaults';
const metaKey = (id: VaultId): string => `meta:${id}`;
const nameKey = (name: string): string => `name:${name}`;
const dirtyKey = (id: VaultId): string => `dirty:${id}`;

export function getMeta(tx: Tx, id: VaultId): Promise<VaultMeta | undefined> {
  return tx.get<VaultMeta>(STORE, metaKey(id));
}

export function putMeta(tx: Tx, meta: VaultMeta): Promise<void> {
  return tx.put(STORE, metaKey(meta.vaultId), meta);
}

export async function allMetas(tx: Tx): Promise<VaultMeta[]> {
  const rows = await tx.entries<VaultMeta>(STORE, { prefix: 'meta:' });
  return rows.map(([, meta]) => meta);
}

export function idByName(tx: Tx, name: string): Promise<VaultId | undefined> {
  return tx.get<VaultId>(STORE, nameKey(name));
}

export function putName(tx: Tx, name: string, id: VaultId): Promise<void> {
  return tx.put(STORE, nameKey(name), id);
}

export function deleteName(tx: Tx, name: string): Promise<void> {
  return tx.delete(STORE, nameKey(name));
}

/** Removes a vault's metadata, name and dirty marker (not its git files). */
export async function deleteVaultRecords(tx: Tx, meta: VaultMeta): Promise<void> {
  await tx.delete(STORE, metaKey(meta.vaultId));
  if ((await idByName(tx, meta.name)) === meta.vaultId) await deleteName(tx, meta.name);
  await tx.delete(STORE, dirtyKey(meta.vaultId));
}

export async function allDirty(tx: Tx): Promise<Array<[VaultId, DirtyMarker]>> {
  const rows = await tx.entries<DirtyMarker>(STORE, { prefix: 'dirty:' });
  return rows.map(([key, marker]) => [key.slice('dirty:'.length) as VaultId, marker]);
}

export function putDirty(tx: Tx, id: VaultId, marker: DirtyMarker): Promise<void> {
  return tx.put(STORE, dirtyKey(id), marker);
}

export function deleteDirty(tx: Tx, id: VaultId): Promise<void> {
  return tx.delete(STORE, dirtyKey(id));
}
