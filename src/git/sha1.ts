// SHA-1 of whole packs and indexes (their trailers): Node's own, native, where the runtime offers
// it (process.getBuiltinModule, Node ≥ 20.16), and @noble/hashes in browsers and service workers.
// A puller hashes every byte of a clone's pack as it arrives, and noble's 100 MB/s made that a
// tenth of indexing L. Object ids are objectId's (object-id.ts): per object, its pass is faster.
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';

export interface Sha1 {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

type Builtins = { getBuiltinModule?: (id: string) => { createHash?: (algorithm: 'sha1') => Sha1 } | undefined };
const createHash = (globalThis as { process?: Builtins }).process?.getBuiltinModule?.('node:crypto')?.createHash;

export function sha1Hasher(): Sha1 {
  return createHash ? createHash('sha1') : nobleSha1.create();
}

export function sha1(data: Uint8Array): Uint8Array {
  const hash = sha1Hasher();
  hash.update(data);
  return hash.digest();
}
