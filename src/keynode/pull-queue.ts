// Pulls that could not run because the owner was unreachable (offline, or this keynode had no
// network): persisted in the 'pending' store, shown as queued, and run by themselves when the owner
// can be reached again — when signaling (re)connects, when the owner logs in, and at start.
// A pull from the vault's default remote also runs when one of the vault's second holders logs in
// (holders.ts): the pull itself then tries them while the owner stays away.
// One queued pull per vault; asking again replaces it.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { assertNodeId, type NodeId, type VaultId } from '../ids/index.js';
import type { CoreContext } from './context.js';
import { holdersOf } from './holders.js';
import type { Network } from './network.js';
import type { Remote } from './remote.js';
import { pulled } from './vault-changes.js';

export interface QueuedPull {
  vaultId: string;
  vaultName: string;
  /** The keynode the pull waits for. */
  nodeId: string;
  pullVault?: string;
  queuedAt: number;
  attempts: number;
  lastAttemptAt?: number;
  /** Set when the pull ran and was refused (permission, diverged history): it will not run again. */
  failed?: { code: string; message: string };
}

const KEY = 'pull:';

/** Answers after which a queued pull keeps waiting rather than failing. */
const WAITING: ReadonlySet<string> = new Set(['ErrorNodeConnectionFailed', 'ErrorKeynodeLocked']);
/** How often to ask an owner whose keynode was locked again. */
const LOCKED_RETRY_MS = 60_000;

export class PullQueue {
  private running: Promise<void> = Promise.resolve();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly network: Network,
    private readonly remote: Remote,
  ) {
    network.addWatchSource(async () => {
      const out: NodeId[] = [];
      for (const p of await this.list()) if (p.failed === undefined) out.push(...(await this.reachableThrough(p)));
      return out;
    });
    network.onReachable((nodeId) => this.runSoon(nodeId));
  }

  /** Queues a pull of `vault` (same options as pull) to run when its owner can be reached. */
  async queue(vault: string, opts: { nodeId?: string; pullVault?: string } = {}): Promise<QueuedPull> {
    const vaultId = await this.ctx.vaults.resolve(vault);
    const meta = await this.ctx.vaults.getMeta(vaultId);
    const nodeId = opts.nodeId ?? meta.remote?.nodeId;
    if (nodeId === undefined) {
      throw new KeynodeError('ErrorVaultRemoteUndefined', `Vault "${meta.name}" was not cloned from another keynode, so there is nothing to pull it from.`);
    }
    const item: QueuedPull = {
      vaultId,
      vaultName: meta.name,
      nodeId: assertNodeId(nodeId),
      queuedAt: this.ctx.clock(),
      attempts: 0,
    };
    if (opts.pullVault !== undefined) item.pullVault = opts.pullVault;
    await this.ctx.storage.kv.write((tx) => tx.put('pending', KEY + vaultId, item));
    this.changed(vaultId);
    void this.network.refreshWatch().catch(() => undefined);
    this.runSoon(item.nodeId as NodeId);
    return item;
  }

  async list(): Promise<QueuedPull[]> {
    const entries = await this.ctx.storage.kv.read((tx) => tx.entries<QueuedPull>('pending', { prefix: KEY }));
    return entries.map(([, item]) => item).sort((a, b) => a.queuedAt - b.queuedAt);
  }

  async cancel(vault: string): Promise<void> {
    const vaultId = await this.ctx.vaults.resolve(vault).catch(() => vault as VaultId);
    const queued = await this.ctx.storage.kv.write(async (tx) => {
      const found = (await tx.get<QueuedPull>('pending', KEY + vaultId)) !== undefined;
      if (found) await tx.delete('pending', KEY + vaultId);
      return found;
    });
    if (queued) this.changed(vaultId);
  }

  /** Runs every waiting pull (or those waiting for `nodeId`), one at a time, in the background. */
  runSoon(nodeId?: NodeId): void {
    const run = this.running.then(() => this.runOnce(nodeId));
    this.running = run.catch((e: unknown) => this.ctx.logger.warn('queued pulls failed', { message: String(e) }));
  }

  private async runOnce(nodeId?: NodeId): Promise<void> {
    if (this.network.status().signaling !== 'connected') return;
    for (const item of await this.list()) {
      if (item.failed !== undefined || (nodeId !== undefined && !(await this.reachableThrough(item)).includes(nodeId))) continue;
      const key = KEY + item.vaultId;
      let outcome: KeynodeError | undefined;
      try {
        const { nodeId, pullVault } = item;
        const result = await this.remote.pull(item.vaultId, pullVault === undefined ? { nodeId } : { nodeId, pullVault });
        const detail = pulled(result);
        if (detail !== undefined) this.ctx.changes.report({ vaultId: item.vaultId, reason: 'pull', ...detail });
      } catch (e) {
        outcome = isKeynodeError(e) ? e : new KeynodeError('ErrorInternal', 'The queued pull failed.', { cause: e });
      }
      // A vault deleted here meanwhile has nothing left to pull into (checked outside the transaction).
      const gone = outcome?.code === 'ErrorVaultsVaultUndefined' && !(await this.ctx.vaults.list()).some((v) => v.vaultId === item.vaultId);
      await this.ctx.storage.kv.write(async (tx) => {
        const current = await tx.get<QueuedPull>('pending', key);
        if (current === undefined || current.queuedAt !== item.queuedAt) return; // cancelled or replaced meanwhile
        if (outcome === undefined || gone) {
          await tx.delete('pending', key);
          return;
        }
        const next: QueuedPull = { ...current, attempts: current.attempts + 1, lastAttemptAt: this.ctx.clock() };
        // Unreachable or locked: keep waiting. Anything else is an answer, and asking again would not change it.
        if (!WAITING.has(outcome.code)) next.failed = { code: outcome.code, message: outcome.message };
        await tx.put('pending', key, next);
      });
      this.changed(item.vaultId);
      // A locked owner stays online, so no "came online" event will say when to try again.
      if (outcome?.code === 'ErrorKeynodeLocked') this.retryLater(item.nodeId as NodeId);
    }
  }

  /** The keynodes whose coming online may let `item` run: its owner, and for a pull from the default remote, the vault's other holders. */
  private async reachableThrough(item: QueuedPull): Promise<NodeId[]> {
    const owner = item.nodeId as NodeId;
    const remote = (await this.ctx.vaults.list()).find((v) => v.vaultId === item.vaultId)?.remote;
    const fromDefault = remote !== undefined && remote.nodeId === owner && (item.pullVault === undefined || item.pullVault === remote.vaultId);
    if (!fromDefault) return [owner];
    const holders = await holdersOf(this.ctx, { nodeId: owner, vaultId: remote.vaultId as VaultId });
    return [owner, ...holders.map((h) => h.nodeId)];
  }

  private retryLater(nodeId: NodeId): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.runSoon(nodeId), LOCKED_RETRY_MS);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  /** The vault's queued pull was added, removed, or tried: what the vault shows changed. */
  private changed(vaultId: string): void {
    this.ctx.changes.report({ vaultId, reason: 'pull-queue' });
  }
}
