// What the keynode keeps in memory about whole vault trees: each vault's folder trees by id, and the
// secrets of the version last asked for. Search asks for the same version on every keystroke, so
// only the first query after a change walks the tree. Decrypted data: forget() runs when the keynode
// locks.
import type { VaultId } from '../ids/index.js';
import type { VaultManager } from '../vaults/index.js';
import { commitBlobs, reachableBlobs, type BlobEntry, type TreeCache } from '../vaults/tree-walk.js';

/** Folder trees kept per vault before its cache starts over (a tree entry is ~150 bytes). */
const MAX_TREES_PER_VAULT = 20_000;

export class VaultIndex {
  private readonly trees = new Map<VaultId, TreeCache>();
  private readonly latest = new Map<VaultId, { commit: string; blobs: BlobEntry[] }>();

  constructor(private readonly vaults: VaultManager) {}

  /** The secrets of the version reads show (the checked-out one), with the commit they are of. */
  checkedOut(vaultId: VaultId): Promise<{ commit: string; blobs: BlobEntry[] }> {
    return this.vaults.withReadLock(vaultId, async () => {
      const commit = await this.vaults.checkedOut(vaultId);
      const known = this.latest.get(vaultId);
      if (known?.commit === commit) return known;
      const blobs = await commitBlobs(this.vaults.repo(vaultId), commit, this.treesOf(vaultId));
      const fresh = { commit, blobs };
      this.latest.set(vaultId, fresh);
      return fresh;
    });
  }

  /** The secrets of master, the latest version, whatever version is checked out. */
  master(vaultId: VaultId): Promise<BlobEntry[]> {
    return this.vaults.withReadLock(vaultId, async () => commitBlobs(this.vaults.repo(vaultId), await this.vaults.masterOf(vaultId), this.treesOf(vaultId)));
  }

  /** Every blob id in the histories of `commits`; commits this vault no longer has are left out. */
  reachable(vaultId: VaultId, commits: string[]): Promise<{ blobs: Set<string>; missing: string[] }> {
    return this.vaults.withReadLock(vaultId, async () => {
      const blobs = new Set<string>();
      const missing: string[] = [];
      for (const commit of new Set(commits)) {
        try {
          for (const oid of await reachableBlobs(this.vaults.repo(vaultId), commit, this.treesOf(vaultId))) blobs.add(oid);
        } catch {
          // An edit made on an old version drops the later commits, and what only they held.
          missing.push(commit);
        }
      }
      return { blobs, missing };
    });
  }

  /** Forgets one vault (it was deleted). */
  drop(vaultId: VaultId): void {
    this.trees.delete(vaultId);
    this.latest.delete(vaultId);
  }

  /** Forgets every path and tree held in memory: the keynode is locking. */
  forget(): void {
    this.trees.clear();
    this.latest.clear();
  }

  private treesOf(vaultId: VaultId): TreeCache {
    let cache = this.trees.get(vaultId);
    if (cache === undefined || cache.size > MAX_TREES_PER_VAULT) this.trees.set(vaultId, (cache = new Map()));
    return cache;
  }
}
