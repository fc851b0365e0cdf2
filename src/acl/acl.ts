// The permission records (ACL), at transaction level: every method takes the caller's Tx first, so a
// caller composes one atomic transaction (a share writes the ACL and the notification outbox together).
//
// Storage in the `acl` store (Polykey's model, docs/polykey.md §2.3):
//   perm:<PermissionId> → { count, perm }   one record per gestalt; count = nodes pointing at it
//   node:<NodeId>       → PermissionId      every node of one gestalt points at the same record
// There is no vault → nodes index: who holds a vault is answered by reading the (few) records, so
// nothing can go stale the way Polykey's lazily collected index does.
//
// Emptied vault entries are removed, never kept as [] (Polykey keeps `{}`): getVaultPerms therefore
// lists exactly the nodes that can clone or pull now, which is what the UI must make plain.
import { KeynodeError } from '../errors.js';
import { randomBytes, type NodeId } from '../ids/index.js';
import { base64urlEncode } from '../keys/crypto.js';
import type { Tx } from '../storage/kv.js';
import type { GestaltAction, VaultAction } from '../types.js';
import type { AclSnapshot, Permission, PermissionId, PermissionRecord, VaultIdEncoded } from './types.js';
import { clonePermission, emptyPermission, hasAnyVaultAction, nodeMissingError, normaliseGestaltActions, normaliseVaultActions, permUnion } from './utils.js';

const PERM = 'perm:';
const NODE = 'node:';

export class ACL {
  constructor(private readonly random: (n: number) => Uint8Array = randomBytes) {}

  // ---- reading ---------------------------------------------------------------------------------

  async getNodePerm(tx: Tx, nodeId: NodeId): Promise<Permission | undefined> {
    const record = await this.recordOf(tx, nodeId);
    return record === undefined ? undefined : clonePermission(record[1].perm);
  }

  /** The id of the record a node points at: two nodes share permissions exactly when these are equal. */
  async getPermissionId(tx: Tx, nodeId: NodeId): Promise<PermissionId | undefined> {
    return tx.get<PermissionId>('acl', NODE + nodeId);
  }

  /** Every node whose record grants at least one action on the vault, with those actions. */
  async getVaultPerms(tx: Tx, vaultId: VaultIdEncoded): Promise<Record<NodeId, VaultAction[]>> {
    // Two range scans rather than a read per node: records first, then the pointers into them.
    const holding = new Map<PermissionId, VaultAction[]>();
    for (const [key, record] of await tx.entries<PermissionRecord>('acl', { prefix: PERM })) {
      const actions = record.perm.vaults[vaultId];
      if (actions !== undefined && actions.length > 0) holding.set(key.slice(PERM.length), actions);
    }
    const out: Record<NodeId, VaultAction[]> = {};
    if (holding.size === 0) return out;
    for (const [key, permId] of await tx.entries<PermissionId>('acl', { prefix: NODE })) {
      const actions = holding.get(permId);
      if (actions !== undefined) out[key.slice(NODE.length) as NodeId] = [...actions];
    }
    return out;
  }

  async snapshot(tx: Tx): Promise<AclSnapshot> {
    const records = new Map<PermissionId, PermissionRecord>();
    for (const [key, record] of await tx.entries<PermissionRecord>('acl', { prefix: PERM })) {
      records.set(key.slice(PERM.length), { count: record.count, perm: clonePermission(record.perm) });
    }
    const pointers = new Map<NodeId, PermissionId>();
    for (const [key, permId] of await tx.entries<PermissionId>('acl', { prefix: NODE })) {
      pointers.set(key.slice(NODE.length) as NodeId, permId);
    }
    return { records, pointers };
  }

  // ---- gestalt actions -------------------------------------------------------------------------

  /** Adds a gestalt action to the node's (gestalt's) record, creating a record of its own if it has none. */
  async setNodeAction(tx: Tx, nodeId: NodeId, action: GestaltAction): Promise<void> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) {
      await this.setNodesPerm(tx, [nodeId], { gestalt: [action], vaults: {} });
      return;
    }
    const [permId, record] = found;
    record.perm.gestalt = normaliseGestaltActions([...record.perm.gestalt, action]);
    await tx.put('acl', PERM + permId, record);
  }

  /** Removes a gestalt action; a node without a record has nothing to remove. */
  async unsetNodeAction(tx: Tx, nodeId: NodeId, action: GestaltAction): Promise<void> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) return;
    const [permId, record] = found;
    record.perm.gestalt = record.perm.gestalt.filter((a) => a !== action);
    await tx.put('acl', PERM + permId, record);
  }

  // ---- vault actions ---------------------------------------------------------------------------

  /** Grants a vault action to the node's gestalt; the node must already have a record (be in the graph). */
  async setVaultAction(tx: Tx, vaultId: VaultIdEncoded, nodeId: NodeId, action: VaultAction): Promise<void> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) throw nodeMissingError(nodeId);
    const [permId, record] = found;
    record.perm.vaults[vaultId] = normaliseVaultActions([...(record.perm.vaults[vaultId] ?? []), action]);
    await tx.put('acl', PERM + permId, record);
  }

  /** Removes a vault action; nothing there (no record, no entry) is a no-op (B5). */
  async unsetVaultAction(tx: Tx, vaultId: VaultIdEncoded, nodeId: NodeId, action: VaultAction): Promise<void> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) return;
    const [permId, record] = found;
    const actions = record.perm.vaults[vaultId];
    if (actions === undefined) return;
    const left = actions.filter((a) => a !== action);
    if (left.length === 0) delete record.perm.vaults[vaultId];
    else record.perm.vaults[vaultId] = left;
    await tx.put('acl', PERM + permId, record);
  }

  /**
   * docs/spec.md §4.2: removes clone and pull for the vault from the node's gestalt and, when the gestalt then
   * holds no vault action at all, removes `scan`. A vault never shared with it is a no-op success (B5)
   * that leaves `scan` alone. Returns whether a share was actually removed (the caller notifies only then).
   */
  async unshareVault(tx: Tx, vaultId: VaultIdEncoded, nodeId: NodeId): Promise<boolean> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) throw nodeMissingError(nodeId);
    const [permId, record] = found;
    if (record.perm.vaults[vaultId] === undefined) return false;
    delete record.perm.vaults[vaultId];
    if (!hasAnyVaultAction(record.perm)) record.perm.gestalt = record.perm.gestalt.filter((a) => a !== 'scan');
    await tx.put('acl', PERM + permId, record);
    return true;
  }

  /** Removes a deleted vault from every record (docs/spec.md §1.5, B4). */
  async removeVault(tx: Tx, vaultId: VaultIdEncoded): Promise<void> {
    for (const [key, record] of await tx.entries<PermissionRecord>('acl', { prefix: PERM })) {
      if (record.perm.vaults[vaultId] === undefined) continue;
      delete record.perm.vaults[vaultId];
      // As with unshare: a gestalt left with no shared vault has nothing to scan.
      if (!hasAnyVaultAction(record.perm)) record.perm.gestalt = record.perm.gestalt.filter((a) => a !== 'scan');
      await tx.put('acl', key, record);
    }
  }

  // ---- the gestalt algebra the graph uses ------------------------------------------------------

  /** Gives the nodes one brand-new record holding `perm` (a new gestalt, or one side of a split). */
  async setNodesPerm(tx: Tx, nodeIds: readonly NodeId[], perm: Permission): Promise<PermissionId> {
    const unique = [...new Set(nodeIds)];
    await this.detachMany(tx, unique);
    const permId = base64urlEncode(this.random(16));
    const record: PermissionRecord = { count: unique.length, perm: permUnion(perm, emptyPermission()) };
    await tx.put('acl', PERM + permId, record);
    for (const nodeId of unique) await tx.put('acl', NODE + nodeId, permId);
    return permId;
  }

  /** Replaces the contents of the node's gestalt record in place, or creates a record for it. */
  async setNodePerm(tx: Tx, nodeId: NodeId, perm: Permission): Promise<void> {
    const found = await this.recordOf(tx, nodeId);
    if (found === undefined) {
      await this.setNodesPerm(tx, [nodeId], perm);
      return;
    }
    const [permId, record] = found;
    record.perm = permUnion(perm, emptyPermission());
    await tx.put('acl', PERM + permId, record);
  }

  /**
   * Points `others` at `target`'s record (optionally replacing its contents first). Their old records
   * lose a reference each and disappear when none is left.
   */
  async joinNodePerm(tx: Tx, target: NodeId, others: readonly NodeId[], perm?: Permission): Promise<void> {
    const found = await this.recordOf(tx, target);
    if (found === undefined) throw nodeMissingError(target);
    const [permId, record] = found;
    if (perm !== undefined) record.perm = permUnion(perm, emptyPermission());
    const moving: NodeId[] = [];
    for (const nodeId of new Set(others)) {
      if ((await this.getPermissionId(tx, nodeId)) !== permId) moving.push(nodeId);
    }
    await this.detachMany(tx, moving);
    for (const nodeId of moving) await tx.put('acl', NODE + nodeId, permId);
    record.count += moving.length;
    await tx.put('acl', PERM + permId, record);
  }

  /** Detaches a node from its record (the node leaves the graph). */
  async unsetNodePerm(tx: Tx, nodeId: NodeId): Promise<void> {
    await this.detachMany(tx, [nodeId]);
  }

  // ---- internals -------------------------------------------------------------------------------

  private async recordOf(tx: Tx, nodeId: NodeId): Promise<[PermissionId, PermissionRecord] | undefined> {
    const permId = await this.getPermissionId(tx, nodeId);
    if (permId === undefined) return undefined;
    const record = await tx.get<PermissionRecord>('acl', PERM + permId);
    if (record === undefined) {
      throw new KeynodeError('ErrorStorageCorrupt', 'A permission record is missing; the permission store is damaged.', {
        data: { nodeId },
      });
    }
    return [permId, record];
  }

  /** Removes the nodes' pointers; each old record loses that many references (once per record, not per node). */
  private async detachMany(tx: Tx, nodeIds: readonly NodeId[]): Promise<void> {
    const leaving = new Map<PermissionId, number>();
    for (const nodeId of nodeIds) {
      const permId = await this.getPermissionId(tx, nodeId);
      if (permId === undefined) continue;
      leaving.set(permId, (leaving.get(permId) ?? 0) + 1);
      await tx.delete('acl', NODE + nodeId);
    }
    for (const [permId, n] of leaving) {
      const record = await tx.get<PermissionRecord>('acl', PERM + permId);
      if (record === undefined) continue;
      record.count -= n;
      if (record.count <= 0) await tx.delete('acl', PERM + permId);
      else await tx.put('acl', PERM + permId, record);
    }
  }
}
