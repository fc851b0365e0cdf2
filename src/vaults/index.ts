// The vaults domain: the vault manager (bare git repositories, names, history, locks, crash safety).
export { VaultManager, commitMessage, type VaultManagerOptions, type VaultMeta, type VaultRemote } from './vault-manager.js';
export { TreeEditor } from './tree-editor.js';
export { assertVaultName } from './names.js';
