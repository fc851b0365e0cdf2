// What the keynode keeps in memory about whole vault trees: each vault's folder trees by id, and the
// secrets of the version last asked for. Search asks for the same version on every keystroke, so
// only the first query after a change walks the tree, and that walk reads only the folders that
// changed (the trees of the last walk are kept in the vault: tree-walk.ts). Decrypted data:
// forget() runs when the keynode locks.
import type { VaultId } from '../ids/index.js';
import type { VaultManager } from '../vaults/index.js';
import { commitBlobs, loadTrees, reachableBlobs, saveTrees, type BlobEntry, type TreeCache } from '../vaults/tree-walk.js';

/** Folder trees kept per vault before its cache starts over (a tree entry is ~150 bytes). */
const MAX_TREES_PER_VAULT = 20_000;

export class VaultIndex {
  private readonly trees = new Map<VaultId, TreeCache>();
  private readonly latest = new Map<VaultId, { commit: string; blobs: BlobEntry[] }>();
  /** Walks under way, so keystrokes that arrive meanwhile wait for the same one. */
  private readonly walking = new Map<string, Promise<{ commit: string; blobs: BlobEntry[] }>>();

  constructor(private readonly vaults: VaultManager) {}

  /** The secrets of the version reads show (the checked-out one), with the commit they are of. */
  async checkedOut(vaultId: VaultId): Promise<{ commit: string; blobs: BlobEntry[] }> {
    const commit = await this.vaults.withReadLock(vaultId, () => this.vaults.checkedOut(vaultId));
    const known = this.latest.get(vaultId);
    if (known?.commit === commit) return known;
    const key = `${vaultId} ${commit}`;
    let walk = this.walking.get(key);
    if (walk === undefined) {
      walk = this.walk(vaultId, commit).finally(() => this.walking.delete(key));
      this.walking.set(key, walk);
    }
    const fresh = await walk;
    this.latest.set(vaultId, fresh);
    return fresh;
  }

  /** The secrets of master, the latest version, whatever version is checked out. */
  async master(vaultId: VaultId): Promise<BlobEntry[]> {
    const commit = await this.vaults.withReadLock(vaultId, () => this.vaults.masterOf(vaultId));
    return (await this.walk(vaultId, commit)).blobs;
  }

  private walk(vaultId: VaultId, commit: string): Promise<{ commit: string; blobs: BlobEntry[] }> {
    return this.vaults.withReadLock(vaultId, async () => {
      const repo = this.vaults.repo(vaultId);
      const cache = await this.treesOf(vaultId);
      const before = cache.size;
      const { blobs, trees } = await commitBlobs(repo, commit, cache);
      // Read from storage: keep this version's trees for the next unlock (not waited for: a cache).
      if (cache.size > before) void this.vaults.withReadLock(vaultId, () => saveTrees(repo, trees, cache)).catch(() => undefined);
      return { commit, blobs };
    });
  }

  /** Every blob id in the histories of `commits`; commits this vault no longer has are left out. */
  reachable(vaultId: VaultId, commits: string[]): Promise<{ blobs: Set<string>; missing: string[] }> {
    return this.vaults.withReadLock(vaultId, async () => {
      const blobs = new Set<string>();
      const missing: string[] = [];
      const cache = await this.treesOf(vaultId);
      for (const commit of new Set(commits)) {
        try {
          for (const oid of await reachableBlobs(this.vaults.repo(vaultId), commit, cache)) blobs.add(oid);
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

  private async treesOf(vaultId: VaultId): Promise<TreeCache> {
    let cache = this.trees.get(vaultId);
    if (cache === undefined) this.trees.set(vaultId, (cache = await loadTrees(this.vaults.repo(vaultId))));
    else if (cache.size > MAX_TREES_PER_VAULT) this.trees.set(vaultId, (cache = new Map()));
    return cache;
  }
}
