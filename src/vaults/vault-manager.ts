// The vault manager: each vault is a bare git repository (`<vaultsRoot>/<VaultId>`) plus metadata in
// the kv 'vaults' store. It owns vault names, history and versions, per-vault read/write locks, the
// crash-safe commit protocol every secret write goes through, and the hooks clone and pull use
// (importVault, fastForward).
//
// Commit protocol (docs/spec.md §1.7): dirty marker in its own kv transaction → write objects → move master
// with one atomic ref write → flush the fs → clear the marker. start() rolls back whatever a crash
// interrupted. Git I/O never happens inside a kv transaction (IndexedDB would auto-commit).
import { KeynodeError, isKeynodeError, wrapError } from '../errors.js';
import { generateVaultId, isVaultId, type VaultId } from '../ids/index.js';
import type { Storage, Tx } from '../storage/index.js';
import { silentLogger, type LogEntry, type Logger, type VaultListItem } from '../types.js';
import { RWLock } from '../utils/lock.js';
import { copyTree, mkdirp, removeTree } from './fs-utils.js';
import { sweepUnreachable } from './gc.js';
import { writeObject } from './object-writer.js';
import { isDescendent } from './objects.js';
import { initRepository, readMaster, writeMaster } from '../git/index.js';
import { isReadableCommit, readTreeOfCommit, writeCommit, type Repo } from './git-repo.js';
import { isInHistory, missingRef, parseRef, readLog } from './history.js';
import * as store from './meta-store.js';
import type { VaultMeta, VaultRemote } from './meta-store.js';
import { assertVaultName, nameCandidates } from './names.js';
import { TreeEditor, type Change } from './tree-editor.js';

export type { VaultMeta, VaultRemote } from './meta-store.js';

export interface VaultManagerOptions {
  storage: Storage;
  /** The author of every commit this keynode makes. */
  nodeId: string;
  clock?: () => number;
  logger?: Logger;
  /**
   * Called inside the kv transaction that deletes a vault's metadata, so the ACL drops the vault from
   * every permission record atomically with it (Polykey B4). Await only Tx methods in it.
   */
  onDeleteVault?: (tx: Tx, vaultId: VaultId) => Promise<void>;
}

export class VaultManager {
  private readonly storage: Storage;
  private readonly nodeId: string;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly onDeleteVault: ((tx: Tx, vaultId: VaultId) => Promise<void>) | undefined;
  private readonly locks = new Map<VaultId, RWLock>();
  private readonly caches = new Map<VaultId, object>();
  private readonly commitsMade = new Map<VaultId, number>();
  private running = false;

  constructor(opts: VaultManagerOptions) {
    this.storage = opts.storage;
    this.nodeId = opts.nodeId;
    this.clock = opts.clock ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
    this.onDeleteVault = opts.onDeleteVault;
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.running) return;
    await this.recover();
    this.running = true;
  }

  /**
   * Crash recovery: removes half-created vaults and orphan repositories, rolls dirty vaults back.
   * Run at start, and at each unlock (a lock that cut an operation off is handled like a crash).
   */
  async recover(): Promise<void> {
    const { fs, kv } = this.storage;
    await mkdirp(fs, this.storage.vaultsRoot);
    const [metas, dirty] = await kv.read(async (tx) => [await store.allMetas(tx), await store.allDirty(tx)] as const);
    for (const meta of metas.filter((m) => m.state === 'creating')) {
      this.logger.warn('Removing a vault whose creation was interrupted.', { vaultId: meta.vaultId });
      await removeTree(fs, this.gitdir(meta.vaultId));
      await kv.write((tx) => store.deleteVaultRecords(tx, meta));
    }
    const ready = new Map(metas.filter((m) => m.state === 'ready').map((m) => [m.vaultId, m]));
    for (const [vaultId, marker] of dirty) {
      if (ready.has(vaultId)) await this.rollBack(vaultId, marker);
      else await kv.write((tx) => store.deleteDirty(tx, vaultId));
    }
    for (const name of await fs.promises.readdir(this.storage.vaultsRoot)) {
      if (!ready.has(name as VaultId)) {
        this.logger.warn('Removing a vault folder that belongs to no vault.', { folder: name });
        await removeTree(fs, `${this.storage.vaultsRoot}/${name}`);
      }
    }
    await this.storage.flush();
  }

  /** Forgets the git objects cached in memory (decrypted vault data): the keynode is being locked. */
  dropCaches(): void {
    this.caches.clear();
  }

  /** Waits for running operations to finish, then refuses new ones. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all([...this.locks.values()].map((lock) => lock.write(async () => undefined)));
    await this.storage.flush();
  }

  // ---- public API (docs/api.md "Vaults") ---------------------------------------------------------------

  async create(name: string): Promise<VaultId> {
    this.assertRunning();
    assertVaultName(name);
    return this.createNamed(name, async (repo, vaultId) => {
      await initRepository(repo);
      const tree = await writeObject(repo, 'tree', new Uint8Array(0));
      // The VaultId in the body makes every vault's first commit unique (Polykey B13).
      const message = `Initial Commit\n\nVault-Id: ${vaultId}\n`;
      const commit = await writeCommit(repo, { tree, parents: [], author: this.author(), message });
      await writeMaster(repo, commit);
    });
  }

  async list(): Promise<VaultListItem[]> {
    this.assertRunning();
    const metas = await this.storage.kv.read((tx) => store.allMetas(tx));
    return metas
      .filter((m) => m.state === 'ready')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((m) => (m.remote ? { vaultName: m.name, vaultId: m.vaultId, remote: { ...m.remote } } : { vaultName: m.name, vaultId: m.vaultId }));
  }

  async rename(vault: string, newName: string): Promise<void> {
    this.assertRunning();
    assertVaultName(newName);
    const vaultId = await this.resolve(vault);
    await this.storage.kv.write(async (tx) => {
      const meta = await store.getMeta(tx, vaultId);
      if (meta === undefined || meta.state !== 'ready') throw vaultUndefined(vault);
      if (meta.name === newName) return;
      if ((await store.idByName(tx, newName)) !== undefined) throw vaultDefined(newName);
      await store.deleteName(tx, meta.name);
      await store.putName(tx, newName, vaultId);
      await store.putMeta(tx, { ...meta, name: newName });
    });
  }

  /** Deletes the vault's metadata, name and permissions in one transaction, then its repository. */
  async delete(vault: string): Promise<void> {
    const vaultId = await this.resolve(vault);
    await this.withWriteLock(vaultId, async () => {
      await this.storage.kv.write(async (tx) => {
        const meta = await store.getMeta(tx, vaultId);
        if (meta === undefined) throw vaultUndefined(vault);
        await store.deleteVaultRecords(tx, meta);
        if (this.onDeleteVault) await this.onDeleteVault(tx, vaultId);
      });
      this.caches.delete(vaultId);
      // A crash from here on leaves an orphan folder, which start() removes.
      await removeTree(this.storage.fs, this.gitdir(vaultId));
      await this.storage.flush();
    });
  }

  /** History newest first, from `ref` ('last'/'HEAD'/absent = master, or a commit in master's history). */
  async log(vault: string, opts: { ref?: string; limit?: number } = {}): Promise<LogEntry[]> {
    this.assertRunning();
    const ref = opts.ref === undefined ? 'last' : parseRef(opts.ref);
    const limit = opts.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new KeynodeError('ErrorInvalidArgument', 'The log limit must be a whole number above zero.');
    }
    const vaultId = await this.resolve(vault);
    return this.withReadLock(vaultId, async () => {
      const repo = this.repo(vaultId);
      const master = await this.masterOf(vaultId);
      const from = ref === 'last' ? master : ref;
      if (!(await isInHistory(repo, master, from))) throw missingRef(from);
      return readLog(repo, from, limit);
    });
  }

  /** Checks out 'last' or a commit of master's history; reads then show it. */
  async version(vault: string, ref: 'last' | string): Promise<{ latest: boolean }> {
    this.assertRunning();
    const parsed = parseRef(ref);
    const vaultId = await this.resolve(vault);
    return this.withWriteLock(vaultId, async () => {
      const master = await this.masterOf(vaultId);
      const target = parsed === 'last' ? master : parsed;
      if (!(await isInHistory(this.repo(vaultId), master, target))) throw missingRef(target);
      await this.updateMeta(vaultId, (meta) => {
        const next = { ...meta };
        if (target === master) delete next.checkout;
        else next.checkout = target;
        return next;
      });
      return { latest: target === master };
    });
  }

  /** A mutable copy of any vault (a clone included): same history and commit ids, no remote. */
  async fork(vault: string, newName: string): Promise<VaultId> {
    this.assertRunning();
    assertVaultName(newName);
    const source = await this.resolve(vault);
    return this.createNamed(newName, (repo) => this.withReadLock(source, () => copyTree(repo.fs, this.gitdir(source), repo.gitdir)));
  }

  // ---- internal API for secrets, clone, pull, ACL and scan -----------------------------------------

  /** A vault argument to its VaultId: a name first, then an encoded VaultId; else ErrorVaultsVaultUndefined. */
  async resolve(vault: string): Promise<VaultId> {
    this.assertRunning();
    const found = await this.storage.kv.read(async (tx) => {
      if (typeof vault !== 'string') return undefined;
      const byName = await store.idByName(tx, vault);
      const id = byName ?? (isVaultId(vault) ? vault : undefined);
      if (id === undefined) return undefined;
      const meta = await store.getMeta(tx, id);
      return meta?.state === 'ready' ? id : undefined;
    });
    if (found === undefined) throw vaultUndefined(vault);
    return found;
  }

  /** The vault's metadata ({ vaultId, name, remote?, checkout? … }); ErrorVaultsVaultUndefined if gone. */
  async getMeta(vaultId: VaultId): Promise<VaultMeta> {
    const meta = await this.storage.kv.read((tx) => store.getMeta(tx, vaultId));
    if (meta === undefined || meta.state !== 'ready') throw vaultUndefined(vaultId);
    return meta;
  }

  /** The vault's bare repository folder. */
  gitdir(vaultId: VaultId): string {
    return `${this.storage.vaultsRoot}/${vaultId}`;
  }

  /** { fs, gitdir, cache } for this vault's git calls; the cache object is the vault's own, kept until it is dropped. */
  repo(vaultId: VaultId): Repo {
    let cache = this.caches.get(vaultId);
    if (cache === undefined) this.caches.set(vaultId, (cache = {}));
    return { fs: this.storage.fs, gitdir: this.gitdir(vaultId), cache };
  }

  /** Runs fn with a shared lock on the vault: readers run together, writers wait. */
  withReadLock<T>(vaultId: VaultId, fn: () => Promise<T>): Promise<T> {
    return this.lock(vaultId).read(fn);
  }

  /** Runs fn with the vault's exclusive lock. Not re-entrant: do not nest on one vault. */
  withWriteLock<T>(vaultId: VaultId, fn: () => Promise<T>): Promise<T> {
    return this.lock(vaultId).write(fn);
  }

  /** The commit master points at. */
  async masterOf(vaultId: VaultId): Promise<string> {
    const master = await readMaster(this.repo(vaultId));
    if (master === undefined) {
      throw new KeynodeError('ErrorStorageCorrupt', `The vault ${vaultId} has no readable master branch.`);
    }
    return master;
  }

  /**
   * How many commits writes through this manager made to the vault since it started: counted,
   * so that whether a call committed is known without reading master before and after it.
   */
  commitsOf(vaultId: VaultId): number {
    return this.commitsMade.get(vaultId) ?? 0;
  }

  /** The commit reads show: the checked-out version, or master. */
  async checkedOut(vaultId: VaultId): Promise<string> {
    const meta = await this.getMeta(vaultId);
    return meta.checkout ?? (await this.masterOf(vaultId));
  }

  /** Runs fn on a read-only view of the checked-out version's tree, under the read lock. */
  read<T>(vaultId: VaultId, fn: (tree: TreeEditor) => Promise<T>): Promise<T> {
    return this.withReadLock(vaultId, async () => {
      const repo = this.repo(vaultId);
      const tree = await readTreeOfCommit(repo, await this.checkedOut(vaultId));
      return fn(new TreeEditor(repo, tree));
    });
  }

  /**
   * One write batch as one commit. `edit` changes an in-memory tree of the checked-out version and
   * does every check; it must not touch git. When nothing changed, no commit is made. The commit's
   * parent is the checked-out version; if that was an old version, master moves to the new commit,
   * the later commits are dropped, and objects only they used are swept. Returns the new commit id.
   */
  async mutate(vaultId: VaultId, edit: (tree: TreeEditor) => Promise<void>): Promise<string | undefined> {
    this.assertRunning();
    return this.withWriteLock(vaultId, async () => {
      const meta = await this.getMeta(vaultId);
      if (meta.remote !== undefined) {
        throw new KeynodeError('ErrorVaultRemoteDefined', `The vault "${meta.name}" is a clone and read-only: fork it to make changes.`);
      }
      const repo = this.repo(vaultId);
      const master = await this.masterOf(vaultId);
      const base = meta.checkout ?? master;
      const editor = new TreeEditor(repo, await readTreeOfCommit(repo, base));
      await edit(editor);
      const changes = await editor.changes();
      if (changes.length === 0) return undefined;
      const commit = await this.moveMaster(vaultId, master, `Saving the change to vault "${meta.name}" failed; the vault is unchanged.`, async () => {
        const tree = await editor.write();
        return writeCommit(repo, { tree, parents: [base], author: this.author(), message: commitMessage(changes) });
      });
      this.commitsMade.set(vaultId, this.commitsOf(vaultId) + 1);
      if (base !== master) await this.sweep(vaultId);
      return commit;
    });
  }

  /**
   * Makes a new local vault from someone else's repository (clone). The name, or on a clash name-1 …
   * name-50 (then ErrorVaultsNameConflict); `populate` fills the bare repository at the given path
   * (which does not exist yet). If anything fails, nothing is left: no metadata, name or files.
   */
  async importVault(opts: { name: string; remote: VaultRemote; populate: (gitdir: string) => Promise<void> }): Promise<VaultId> {
    this.assertRunning();
    assertVaultName(opts.name);
    return this.createNamed(
      opts.name,
      async (repo) => {
        await opts.populate(repo.gitdir);
        const master = await readMaster(repo);
        if (master === undefined || !(await isReadableCommit(repo, master))) {
          throw new KeynodeError('ErrorGitPackInvalid', 'The cloned repository has no readable master branch.');
        }
      },
      opts.remote,
    );
  }

  /**
   * Pull's last step, under the write lock: newHead = master → nothing; master an ancestor of newHead →
   * master moves there, the checked-out version resets to latest and `remote` is stored; anything
   * else → ErrorVaultsMergeConflict and nothing changes (Polykey B6).
   */
  async fastForward(vaultId: VaultId, newHead: string, remote?: VaultRemote): Promise<{ from: string; to: string }> {
    this.assertRunning();
    return this.withWriteLock(vaultId, async () => {
      const repo = this.repo(vaultId);
      const master = await this.masterOf(vaultId);
      if (newHead === master) {
        // Up to date, yet a pull from another copy still makes that copy the stored remote (docs/spec.md §6.3).
        if (remote !== undefined) await this.updateMeta(vaultId, (meta) => ({ ...meta, remote: { ...remote } }));
        return { from: master, to: master };
      }
      // A missing or unreadable newHead counts as not fast-forwarding.
      const fastForwards = await isDescendent(repo, newHead, master).catch(() => false);
      if (!fastForwards) {
        throw new KeynodeError('ErrorVaultsMergeConflict', 'The remote history has diverged from this vault (it does not fast-forward); nothing was changed.');
      }
      await this.moveMaster(vaultId, master, 'Moving the vault to the pulled version failed; the vault is unchanged.', async () => newHead, remote);
      return { from: master, to: newHead };
    });
  }

  /** Deletes loose objects not reachable from master. Returns how many were deleted. */
  gc(vaultId: VaultId): Promise<number> {
    return this.withWriteLock(vaultId, () => this.sweep(vaultId));
  }

  /** Step 1 of the commit protocol, in its own transaction: records master before the batch. */
  async markDirty(vaultId: VaultId, base: string): Promise<void> {
    await this.storage.kv.write((tx) => store.putDirty(tx, vaultId, { base, since: this.clock() }));
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  /**
   * Steps 2-5 of the commit protocol after the marker (which records `master`): `target` writes the
   * objects and gives the commit master moves to; a failure puts master back (ErrorInternal `failure`).
   */
  private async moveMaster(vaultId: VaultId, master: string, failure: string, target: () => Promise<string>, remote?: VaultRemote): Promise<string> {
    await this.markDirty(vaultId, master);
    let commit: string;
    try {
      commit = await target();
      await writeMaster(this.repo(vaultId), commit);
      await this.storage.flush();
    } catch (e) {
      await this.abandon(vaultId, master);
      throw wrapError(e, 'ErrorInternal', failure);
    }
    await this.clearDirty(vaultId, remote);
    return commit;
  }

  private async clearDirty(vaultId: VaultId, remote?: VaultRemote): Promise<void> {
    await this.storage.kv.write(async (tx) => {
      await store.deleteDirty(tx, vaultId);
      const meta = await store.getMeta(tx, vaultId);
      if (meta === undefined) return;
      const next = { ...meta };
      delete next.checkout;
      if (remote !== undefined) next.remote = { ...remote };
      await store.putMeta(tx, next);
    });
  }

  /** After a failed batch in this process: master back to where it was, marker cleared. */
  private async abandon(vaultId: VaultId, master: string): Promise<void> {
    try {
      const repo = this.repo(vaultId);
      if ((await readMaster(repo)) !== master) await writeMaster(repo, master);
      await this.storage.flush();
      await this.storage.kv.write((tx) => store.deleteDirty(tx, vaultId));
    } catch (e) {
      // The marker stays; start() finishes the roll-back.
      this.logger.error('Rolling back a failed write did not complete.', { vaultId, error: String(e) });
    }
  }

  /** Crash recovery of one dirty vault: keep master if its last write completed, else restore it. */
  private async rollBack(vaultId: VaultId, marker: store.DirtyMarker): Promise<void> {
    this.logger.warn('Rolling back a vault a crash left mid-write.', { vaultId });
    const repo = this.repo(vaultId);
    // A ref torn by the crash is ErrorStorageCorrupt: restored like a missing one.
    let master = await readMaster(repo).catch((e: unknown) => {
      if (isKeynodeError(e) && e.code === 'ErrorStorageCorrupt') return undefined;
      throw e;
    });
    if (master === undefined || !(await isReadableCommit(repo, master))) {
      await writeMaster(repo, marker.base);
      master = marker.base;
    }
    await sweepUnreachable(repo, [master]);
    await this.storage.flush();
    await this.clearDirty(vaultId);
  }

  private async sweep(vaultId: VaultId): Promise<number> {
    const repo = this.repo(vaultId);
    const removed = await sweepUnreachable(repo, [await this.masterOf(vaultId)]);
    await this.storage.flush();
    return removed;
  }

  /**
   * Reserves a name for a new vault in a 'creating' record — `name`, else ErrorVaultsVaultDefined;
   * a clone (`remote`) takes the first free of name, name-1 … name-50 — then builds its repository
   * and marks it ready; on failure removes it all.
   */
  private async createNamed(name: string, build: (repo: Repo, vaultId: VaultId) => Promise<void>, remote?: VaultRemote): Promise<VaultId> {
    const vaultId = generateVaultId();
    await this.storage.kv.write(async (tx) => {
      let chosen: string | undefined;
      for (const candidate of remote === undefined ? [name] : nameCandidates(name)) {
        if ((await store.idByName(tx, candidate)) === undefined) {
          chosen = candidate;
          break;
        }
      }
      if (chosen === undefined && remote === undefined) throw vaultDefined(name);
      if (chosen === undefined) throw new KeynodeError('ErrorVaultsNameConflict', `No free name was found for "${name}" (tried up to 50 numbered names).`);
      await store.putName(tx, chosen, vaultId);
      await store.putMeta(tx, { vaultId, name: chosen, ...(remote && { remote: { ...remote } }), state: 'creating', createdAt: this.clock() });
    });
    try {
      await this.withWriteLock(vaultId, async () => {
        await build(this.repo(vaultId), vaultId);
        await this.storage.flush();
      });
      await this.updateMeta(vaultId, (meta) => ({ ...meta, state: 'ready' }), true);
    } catch (e) {
      await this.discard(vaultId);
      throw wrapError(e, 'ErrorInternal', 'Creating the vault failed; nothing was kept.');
    }
    return vaultId;
  }

  private async discard(vaultId: VaultId): Promise<void> {
    this.caches.delete(vaultId);
    try {
      await removeTree(this.storage.fs, this.gitdir(vaultId));
      await this.storage.flush();
    } finally {
      await this.storage.kv.write(async (tx) => {
        const meta = await store.getMeta(tx, vaultId);
        if (meta !== undefined) await store.deleteVaultRecords(tx, meta);
      });
    }
  }

  private async updateMeta(vaultId: VaultId, change: (meta: VaultMeta) => VaultMeta, creating = false): Promise<void> {
    await this.storage.kv.write(async (tx) => {
      const meta = await store.getMeta(tx, vaultId);
      if (meta === undefined || (!creating && meta.state !== 'ready')) throw vaultUndefined(vaultId);
      await store.putMeta(tx, change(meta));
    });
  }

  private lock(vaultId: VaultId): RWLock {
    let lock = this.locks.get(vaultId);
    if (lock === undefined) this.locks.set(vaultId, (lock = new RWLock()));
    return lock;
  }

  private author(): { nodeId: string; time: number } {
    return { nodeId: this.nodeId, time: this.clock() };
  }

  private assertRunning(): void {
    if (!this.running) throw new KeynodeError('ErrorKeynodeStopped', 'The vault manager is not running (call start() first).');
  }
}

/** One line per changed path: `<path> added|modified|deleted`. */
export function commitMessage(changes: Change[]): string {
  return changes.map((c) => `${c.path} ${c.kind}`).join('\n') + '\n';
}

function vaultUndefined(vault: unknown): KeynodeError {
  const shown = typeof vault === 'string' ? vault.slice(0, 100) : typeof vault;
  return new KeynodeError('ErrorVaultsVaultUndefined', `There is no vault "${shown}".`);
}

function vaultDefined(name: string): KeynodeError {
  return new KeynodeError('ErrorVaultsVaultDefined', `A vault named "${name}" already exists.`);
}
