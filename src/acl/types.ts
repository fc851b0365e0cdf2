// The shapes the ACL stores and hands out. One Permission record is shared by every node of a
// gestalt (docs/spec.md §3.1); `count` says how many nodes point at it, so a record is deleted exactly when
// its last node leaves.
import type { NodeId } from '../ids/index.js';
import type { GestaltAction, VaultAction } from '../types.js';

/** Encoded VaultId (`z…`): records are keyed by the text form so they read back as they were written. */
export type VaultIdEncoded = string;

export interface Permission {
  /** Node-level actions, always in the order notify, scan, claim, without duplicates. */
  gestalt: GestaltAction[];
  /** Per-vault actions (clone, pull). A vault with no action left is removed, never kept as []. */
  vaults: Record<VaultIdEncoded, VaultAction[]>;
}

export type PermissionId = string;

export interface PermissionRecord {
  count: number;
  perm: Permission;
}

/** A consistent view of the whole ACL, read inside one transaction (diagnostics and tests). */
export interface AclSnapshot {
  records: Map<PermissionId, PermissionRecord>;
  pointers: Map<NodeId, PermissionId>;
}
