// Test harness for the vaults and secrets domains: a real Storage (fake-indexeddb + lightning-fs for
// 'memory', files under /dev/shm or the temp folder for 'dir'), a VaultManager and a SecretsManager.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNodeId } from '../../../src/ids/index.js';
import { publicKeyOf } from '../../utils/ed25519.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { Storage, Tx } from '../../../src/storage/index.js';
import { SecretsManager } from '../../../src/secrets/secrets-manager.js';
import { VaultManager } from '../../../src/vaults/vault-manager.js';
import type { VaultId } from '../../../src/ids/index.js';

export const storageKinds = ['memory', 'dir'] as const;
export type StorageKind = (typeof storageKinds)[number];

export const nodeId = encodeNodeId(publicKeyOf(new Uint8Array(32).fill(7)));

export interface Harness {
  kind: StorageKind;
  storage: Storage;
  vm: VaultManager;
  secrets: SecretsManager;
  /** The folder of a 'dir' storage. */
  dir: string | undefined;
  /** A second VaultManager on the same storage, as after a restart. */
  restart(opts?: { onDeleteVault?: (tx: Tx, vaultId: VaultId) => Promise<void> }): Promise<VaultManager>;
  close(): Promise<void>;
}

let counter = 0;

export async function openHarness(
  kind: StorageKind,
  opts: { clock?: () => number; onDeleteVault?: (tx: Tx, vaultId: VaultId) => Promise<void> } = {},
): Promise<Harness> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = kind === 'dir' ? mkdtempSync(join(base, 'keynode-vaults-')) : undefined;
  const name = `vaults-test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;
  const storage = await openNodeStorage(dir === undefined ? 'memory' : { dir }, name);
  const vm = new VaultManager({ storage, nodeId, ...opts });
  await vm.start();
  const managers = [vm];
  return {
    kind,
    storage,
    vm,
    secrets: new SecretsManager(vm),
    dir,
    async restart(more = {}) {
      const next = new VaultManager({ storage, nodeId, ...opts, ...more });
      await next.start();
      managers.push(next);
      return next;
    },
    async close() {
      for (const m of managers) await m.stop();
      await storage.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves to the KeynodeError code a promise rejects with (fails the test if it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `not a KeynodeError: ${String(e)}`;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
