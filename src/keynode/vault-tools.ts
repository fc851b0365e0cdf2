// The vault operations a password-manager user expects beyond docs/api.md's core set (issue 11), behind
// the keynode facade: find secrets by path, import other tools' exports, the owner's pull log and
// what a peer has seen, clone and pull with progress and cancel, encrypted backups. Built with the
// core; the API table (api.ts) names the methods that answer API calls.
import { assertNodeId, type VaultId } from '../ids/index.js';
import type { ImportReport, PullResult } from '../types.js';
import { backupReminders, exportBackup, forgetBackup, restoreBackup } from './backup.js';
import type { CoreContext } from './context.js';
import { ancestorsOf, parseImport, type ImportFormat } from './importers.js';
import { exposure, readPulls, removePulls, type Exposed, type PullRecord } from './pull-log.js';
import type { Network } from './network.js';
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
  private readonly index: VaultIndex;

  constructor(
    private readonly ctx: CoreContext,
    private readonly net: Network,
    onProgress?: (p: Progress) => void,
  ) {
    this.transfers = new Transfers(onProgress);
    this.index = new VaultIndex(this.ctx.vaults);
  }

  /** The keynode is locking: forget every path held in memory. */
  forget(): void {
    this.index.forget();
  }

  clone(vault: string, nodeId: string): Promise<VaultId> {
    return this.transfers.run('clone', vault, nodeId, this.net, (net) => new Remote(this.ctx, net).clone(vault, nodeId));
  }

  async pull(vault: string, opts?: { nodeId?: string; pullVault?: string }): Promise<PullResult> {
    const meta = await this.ctx.vaults.getMeta(await this.ctx.vaults.resolve(vault));
    const from = opts?.nodeId ?? meta.remote?.nodeId ?? '';
    return this.transfers.run('pull', vault, from, this.net, (net) => new Remote(this.ctx, net).pull(vault, opts));
  }

  async find(vault: string, query: string, opts?: { limit?: number }): Promise<FindResult> {
    return findSecrets(this.index, await this.ctx.vaults.resolve(vault), query, opts);
  }

  async importSecrets(vault: string, text: string, opts: ImportOptions = {}): Promise<ImportReport> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const parsed = parseImport(text, opts.format ?? 'auto', opts.into ?? '');
    const existing = new Set((await this.index.checkedOut(vaultId)).blobs.map((b) => b.path));
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
    if (opts.dryRun !== true && writes.length > 0) await this.ctx.secrets.batch(vaultId, writes);
    return report;
  }

  async pullLog(vault: string): Promise<PullRecord[]> {
    return readPulls(this.ctx.storage.kv, await this.ctx.vaults.resolve(vault));
  }

  async exposure(vault: string, nodeId: string): Promise<Exposed[]> {
    return exposure(this.ctx.storage.kv, this.index, await this.ctx.vaults.resolve(vault), assertNodeId(nodeId));
  }

  async backup(vault: string, passphrase: string): Promise<Uint8Array> {
    return exportBackup(this.ctx, await this.ctx.vaults.resolve(vault), passphrase);
  }

  restoreBackup(file: Uint8Array, passphrase: string, opts?: { name?: string }): Promise<VaultId> {
    return restoreBackup(this.ctx, file, passphrase, opts?.name);
  }

  backupReminders(): Promise<Array<{ vaultId: string; vaultName: string; lastBackup?: number }>> {
    return backupReminders(this.ctx);
  }

  /** Deletes the vault, and its pull log, backup record and index with it. */
  async deleteVault(vault: string): Promise<void> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    await this.ctx.vaults.delete(vault);
    this.index.drop(vaultId);
    await removePulls(this.ctx.storage.kv, vaultId);
    await forgetBackup(this.ctx, vaultId);
  }
}
