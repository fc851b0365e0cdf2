// The ACL domain: permission records shared per gestalt, and the pure permission algebra.
export { ACL } from './acl.js';
export type { AclSnapshot, Permission, PermissionId, PermissionRecord, VaultIdEncoded } from './types.js';
export {
  clonePermission,
  emptyPermission,
  hasAnyVaultAction,
  isGestaltAction,
  isVaultAction,
  nodeMissingError,
  normaliseGestaltActions,
  normaliseVaultActions,
  parseGestaltAction,
  parseVaultAction,
  permEqual,
  permUnion,
} from './utils.js';
