// The secrets domain: secret operations on vaults, path rules, env export.
export { SecretsManager } from './secrets-manager.js';
export { parsePath } from './paths.js';
