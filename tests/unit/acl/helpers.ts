// Test helpers for the ACL and gestalt tests: a fresh in-memory KV per test and random NodeIds and
// VaultIds (a NodeId must be a real public key; these tests sign nothing with them).
import { encodeNodeId, generateVaultId, randomBytes, type NodeId } from '../../../src/ids/index.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { KV } from '../../../src/storage/kv.js';
import { publicKeyOf } from '../../utils/ed25519.js';

let counter = 0;

export async function memoryKV(label: string): Promise<KV> {
  counter += 1;
  const storage = await openNodeStorage('memory', `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`);
  return storage.kv;
}

export function randomNodeId(): NodeId {
  return encodeNodeId(publicKeyOf(randomBytes(32)));
}

export function randomVaultId(): string {
  return generateVaultId();
}
