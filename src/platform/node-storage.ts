// Node's storage choices: 'memory' (IndexedDB through fake-indexeddb, kept for the life of the
// process, so several keynodes told apart by name — and a keynode restarted under the same name —
// work in one test process) and { dir } (files on disk that survive a restart), which one process
// at a time may open (dir-lock.ts): a second is refused rather than left to lose writes.
import 'fake-indexeddb/auto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openFileKV } from '../storage/file-kv.js';
import { lockDir } from './dir-lock.js';
import { isStorage, openIndexedDbStorage, type GitFs, type Storage, type StorageSpec } from '../storage/index.js';

// lightning-fs reads navigator.locks in its constructor; Node 20 has no navigator.
(globalThis as { navigator?: object }).navigator ??= {};

export async function openNodeStorage(spec: StorageSpec, name: string): Promise<Storage> {
  if (isStorage(spec)) return spec;
  if (spec === 'memory' || spec === 'indexeddb') return openIndexedDbStorage(name);
  const dir = path.resolve(spec.dir);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const release = await lockDir(dir);
  try {
    const kv = await openFileKV(dir);
    const vaultsRoot = path.join(dir, 'vaults');
    await fs.promises.mkdir(vaultsRoot, { recursive: true, mode: 0o700 });
    return {
      kv,
      fs: fs as unknown as GitFs,
      vaultsRoot,
      flush: async () => undefined,
      close: async () => {
        try {
          await kv.close();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
