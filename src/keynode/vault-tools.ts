// The vault operations a password-manager user expects beyond docs/api.md's core set (issue 11), behind
// the keynode facade: find secrets by path, import other tools' exports, the owner's pull log and
// what a peer has seen, clone and pull with progress and cancel, encrypted backups. Each method is
// given the running core; the facade runs it inside the session gate.
import { KeynodeError } from '../errors.js';
import { assertNodeId, type VaultId } from '../ids/index.js';
import type { ImportReport, PullResult } from '../types.js';
import { backupReminders, exportBackup, forgetBackup, restoreBackup } from './backup.js';
import type { Core } from './core.js';
import { ancestorsOf, parseImport, type ImportFormat } from './importers.js';
import { exposure, readPulls, removePulls, type Exposed, type PullRecord } from './pull-log.js';
import { Remote } from './remote.js';
import { findSecrets, type FindResult } from './secret-search.js';
import { Transfers, type Progress } from './transfers.js';
import { VaultIndex } from './vault-index.js';

export interface ImportOptions {
  format?: ImportFormat | 'auto';
  /** A folder to put everything in ('' or absent: the vault root). */
  into?: string;
  /** What to do with a secret that exists already (default 'skip'). */
  existing?: 'skip' | 'overwrite';
  /** Only report what would be done. */
  dryRun?: boolean;
}

export class VaultTools {
  readonly transfers: Transfers;
  private index: VaultIndex | undefined;

  constructor(onProgress?: (p: Progress) => void) {
    this.transfers = new Transfers(onProgress);
  }

  /** A (new) core: its vaults are what the index reads. */
  attach(core: Core): void {
    this.index = new VaultIndex(core.ctx.vaults);
  }

  /** The keynode is locking: forget every path held in memory. */
  forget(): void {
    this.index?.forget();
  }

  clone(c: Core, vault: string, nodeId: string): Promise<VaultId> {
    return this.transfers.run('clone', vault, nodeId, c.net, (net) => new Remote(c.ctx, net).clone(vault, nodeId));
  }

  async pull(c: Core, vault: string, opts?: { nodeId?: string; pullVault?: string }): Promise<PullResult> {
    const meta = await c.ctx.vaults.getMeta(await c.ctx.vaults.resolve(vault));
    const from = opts?.nodeId ?? meta.remote?.nodeId ?? '';
    return this.transfers.run('pull', vault, from, c.net, (net) => new Remote(c.ctx, net).pull(vault, opts));
  }

  async find(c: Core, vault: string, query: unknown, opts?: { limit?: unknown }): Promise<FindResult> {
    return findSecrets(this.indexOf(), await c.ctx.vaults.resolve(vault), query, opts);
  }

  async importSecrets(c: Core, vault: string, text: unknown, opts: ImportOptions = {}): Promise<ImportReport> {
    const vaultId = await c.ctx.vaults.resolve(vault);
    const parsed = parseImport(text, opts.format ?? 'auto', opts.into ?? '');
    const existing = new Set((await this.indexOf().checkedOut(vaultId)).blobs.map((b) => b.path));
    const folders = new Set([...existing].flatMap(ancestorsOf));
    const report: ImportReport = { format: parsed.format, added: [], overwritten: [], skipped: [...parsed.skipped] };
    const writes: Array<{ op: 'write'; path: string; content: string }> = [];
    for (const { path, content } of parsed.entries) {
      const clash = ancestorsOf(path).find((a) => existing.has(a));
      if (folders.has(path)) report.skipped.push({ entry: path, reason: 'the vault has a folder of that name' });
      else if (clash !== undefined) report.skipped.push({ entry: path, reason: `"${clash}" is a secret in the vault, not a folder` });
      else if (existing.has(path) && opts.existing !== 'overwrite')
        report.skipped.push({ entry: path, reason: 'the vault has a secret of that name (choose to overwrite to replace it)' });
      else {
        (existing.has(path) ? report.overwritten : report.added).push(path);
        writes.push({ op: 'write', path, content });
      }
    }
    if (opts.dryRun !== true && writes.length > 0) await c.ctx.secrets.batch(vaultId, writes);
    return report;
  }

  async pullLog(c: Core, vault: string): Promise<PullRecord[]> {
    return readPulls(c.ctx.storage.kv, await c.ctx.vaults.resolve(vault));
  }

  async exposure(c: Core, vault: string, nodeId: string): Promise<Exposed[]> {
    const vaultId = await c.ctx.vaults.resolve(vault);
    return exposure(c.ctx.storage.kv, this.indexOf(), vaultId, assertNodeId(nodeId));
  }

  async backup(c: Core, vault: string, passphrase: string): Promise<Uint8Array> {
    return exportBackup(c.ctx, await c.ctx.vaults.resolve(vault), passphrase);
  }

  restore(c: Core, file: Uint8Array, passphrase: string, opts?: { name?: string }): Promise<VaultId> {
    return restoreBackup(c.ctx, file, passphrase, opts?.name);
  }

  backupReminders(c: Core): Promise<Array<{ vaultId: string; vaultName: string; lastBackup?: number }>> {
    return backupReminders(c.ctx);
  }

  /** The vault was deleted: its pull log, backup record and index go with it. */
  async dropVault(c: Core, vaultId: VaultId): Promise<void> {
    this.index?.drop(vaultId);
    await removePulls(c.ctx.storage.kv, vaultId);
    await forgetBackup(c.ctx, vaultId);
  }

  private indexOf(): VaultIndex {
    if (this.index === undefined) throw new KeynodeError('ErrorKeynodeLocked', 'The keynode has not been unlocked yet.');
    return this.index;
  }
}
