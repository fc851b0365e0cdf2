// The one place 'vault-changed' is emitted. An API call that changes a vault says so in the API
// table (api.ts, `changes`) and is reported here once it has succeeded; work the core does by itself
// (a queued pull, pull-queue.ts) reports here too. A call that fails reports nothing.
import type { VaultId } from '../ids/index.js';
import type { PullResult } from '../types.js';
import type { VaultManager } from '../vaults/vault-manager.js';
import type { Events, KeynodeEvents } from './events.js';

export type VaultChange = KeynodeEvents['vault-changed'];
/** What an event carries beyond the vault and the reason; undefined: nothing changed after all. */
type Detail = Omit<VaultChange, 'vaultId' | 'reason'>;

/** How an API method changes a vault. */
export interface ChangeSpec<R = never, A = never> {
  reason: string;
  /** Where the VaultId is: the method's first argument (a name or id, resolved before the call), or its result. */
  vault: 'arg' | 'result';
  /** Only when the call committed: a write that changed nothing, or a dry run, is no change. */
  ifMoved?: true;
  /** Whether the result is a change after all, and what the event says beyond the reason (default: always, nothing). */
  report?: (result: R, args: A) => Detail | undefined;
}

/** A pull reports only when it moved the vault, and says where it came from (a queued pull has no caller to tell). */
export function pulled(result: PullResult): Detail | undefined {
  if (result.from === result.to) return undefined;
  return result.via === undefined ? { source: result.source } : { source: result.source, via: result.via };
}

export class VaultChanges {
  constructor(private readonly events: Events) {}

  report(change: VaultChange): void {
    this.events.emit('vault-changed', change);
  }

  /** Runs `call`, an API method that changes a vault as `spec` says, and reports the change once it succeeded. */
  async around<R>(spec: ChangeSpec<R, unknown[]>, vaults: VaultManager, args: unknown[], call: () => Promise<R>): Promise<R> {
    // Resolved first, since the call may rename or delete it; an unknown vault is the call's own error to give.
    const named = spec.vault === 'arg' ? await vaults.resolve(args[0] as string).catch(() => undefined) : undefined;
    // The vault manager counts the commits its writes make: no read of master before or after.
    const commits = spec.ifMoved === true && named !== undefined ? vaults.commitsOf(named) : undefined;
    const result = await call();
    const vaultId = spec.vault === 'result' ? (result as VaultId) : named;
    if (vaultId === undefined || (commits !== undefined && commits === vaults.commitsOf(vaultId))) return result;
    const detail = spec.report === undefined ? {} : spec.report(result, args);
    if (detail !== undefined) this.report({ vaultId, reason: spec.reason, ...detail });
    return result;
  }
}
