// Pure helpers of the permission algebra: normalising action lists, the union used when gestalts
// merge, deep copies used when they split, and parsing action names that arrive from the outside.
import { KeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import { gestaltActions, vaultActions, type GestaltAction, type VaultAction } from '../types.js';
import type { Permission } from './types.js';

export function emptyPermission(): Permission {
  return { gestalt: [], vaults: {} };
}

/** Deduplicates and puts actions in their canonical order, so equal sets compare equal as arrays. */
export function normaliseGestaltActions(actions: Iterable<GestaltAction>): GestaltAction[] {
  const set = new Set(actions);
  return gestaltActions.filter((a) => set.has(a));
}

export function normaliseVaultActions(actions: Iterable<VaultAction>): VaultAction[] {
  const set = new Set(actions);
  return vaultActions.filter((a) => set.has(a));
}

export function clonePermission(perm: Permission): Permission {
  const vaults: Permission['vaults'] = {};
  for (const [vaultId, actions] of Object.entries(perm.vaults)) vaults[vaultId] = [...actions];
  return { gestalt: [...perm.gestalt], vaults };
}

/** Union of two records: gestalt actions united, vault keys united, and actions of a shared vault united. */
export function permUnion(a: Permission, b: Permission): Permission {
  const vaults: Permission['vaults'] = {};
  for (const source of [a.vaults, b.vaults]) {
    for (const [vaultId, actions] of Object.entries(source)) {
      vaults[vaultId] = normaliseVaultActions([...(vaults[vaultId] ?? []), ...actions]);
    }
  }
  for (const [vaultId, actions] of Object.entries(vaults)) if (actions.length === 0) delete vaults[vaultId];
  return { gestalt: normaliseGestaltActions([...a.gestalt, ...b.gestalt]), vaults };
}

export function permEqual(a: Permission, b: Permission): boolean {
  const x = permUnion(a, emptyPermission());
  const y = permUnion(b, emptyPermission());
  if (x.gestalt.join() !== y.gestalt.join()) return false;
  const keys = Object.keys(x.vaults).sort();
  if (keys.join() !== Object.keys(y.vaults).sort().join()) return false;
  return keys.every((k) => x.vaults[k]!.join() === y.vaults[k]!.join());
}

export function hasAnyVaultAction(perm: Permission): boolean {
  return Object.values(perm.vaults).some((actions) => actions.length > 0);
}

export function isGestaltAction(value: unknown): value is GestaltAction {
  return typeof value === 'string' && (gestaltActions as readonly string[]).includes(value);
}

export function isVaultAction(value: unknown): value is VaultAction {
  return typeof value === 'string' && (vaultActions as readonly string[]).includes(value);
}

/** Checks an action name from the API; the message lists every valid name (Polykey's omits claim, B14). */
export function parseGestaltAction(value: unknown): GestaltAction {
  if (!isGestaltAction(value)) {
    throw new KeynodeError('ErrorGestaltsInvalidAction', `${JSON.stringify(String(value)).slice(0, 60)} is not a gestalt action; use notify, scan or claim.`);
  }
  return value;
}

export function parseVaultAction(value: unknown): VaultAction {
  if (!isVaultAction(value)) {
    throw new KeynodeError('ErrorGestaltsInvalidAction', `${JSON.stringify(String(value)).slice(0, 60)} is not a vault action; use clone or pull.`);
  }
  return value;
}

/** The error for a node that is not in the gestalt graph (so has no permission record). */
export function nodeMissingError(nodeId: NodeId): KeynodeError {
  return new KeynodeError('ErrorGestaltsGraphNodeIdMissing', `Node ${nodeId} is not in the gestalt graph; trust it (or discover it) first.`, {
    data: { nodeId },
  });
}
