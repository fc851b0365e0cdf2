// Encrypting a plaintext store in place (one written by an earlier version, or a 'memory' keynode
// that gets its first passphrase). Every step writes the encrypted copy before it removes the
// plaintext one, so a crash or a closed tab at any moment loses nothing: the next unlock finds the
// keyring marked `migrating` and carries on from whatever plaintext is left.
import { NAME_MARK } from './cipher.js';
import type { EncryptedFs } from './encrypted-fs.js';
import type { EncryptedKV } from './encrypted-kv.js';
import type { GitFs } from './index.js';
import { storeNames, type KV, type StoreName } from './kv.js';

/** Where the keyring record lives in the plain store (stored keys of sealed records start with '~'). */
export const KEYRING_STORE = 'keys';
export const KEYRING_KEY = 'keyring';

const BATCH = 200;

/** Called after each step with the number of records and files done so far (tests stop it there). */
export type MigrationProgress = (done: number) => void;

/**
 * Plaintext records of one store, up to `limit` from each end of the key order: every key that is
 * not a sealed record's (they all start with '~'), nor the keyring's.
 */
export async function plaintextRows(raw: KV, store: StoreName, limit = BATCH): Promise<Array<[string, unknown]>> {
  const rows = await raw.read(async (tx) => [
    ...(await tx.entries<unknown>(store, { lt: '~', limit })),
    ...(await tx.entries<unknown>(store, { gte: '\u007f', limit })),
  ]);
  return rows.filter(([key]) => !(store === KEYRING_STORE && key === KEYRING_KEY));
}

export async function encryptRecordsInPlace(raw: KV, sealed: EncryptedKV, onProgress?: MigrationProgress): Promise<number> {
  let done = 0;
  for (const store of storeNames) {
    for (let rows = await plaintextRows(raw, store); rows.length > 0; rows = await plaintextRows(raw, store)) {
      const records = await Promise.all(rows.map(([key, value]) => sealed.sealRecord(store, key, value)));
      await raw.write(async (tx) => {
        for (const [i, [key]] of rows.entries()) {
          await tx.put(store, records[i]!.storedKey, records[i]!.sealed);
          await tx.delete(store, key);
        }
      });
      done += rows.length;
      onProgress?.(done);
    }
  }
  return done;
}

export async function encryptFilesInPlace(raw: GitFs, encrypted: EncryptedFs, root: string, onProgress?: MigrationProgress, done = 0): Promise<number> {
  const fs = raw.promises;
  const walk = async (storedDir: string, logicalDir: string): Promise<void> => {
    for (const name of (await fs.readdir(storedDir)) as string[]) {
      if (name.startsWith(NAME_MARK)) continue; // already encrypted (or written by an earlier run)
      const from = `${storedDir}/${name}`;
      const to = `${logicalDir}/${name}`;
      if ((await fs.lstat(from)).isDirectory()) {
        await encrypted.promises.mkdir(to).catch((e: unknown) => {
          if ((e as { code?: string }).code !== 'EEXIST') throw e;
        });
        await walk(from, to);
        await fs.rmdir(from);
      } else {
        await encrypted.promises.writeFile(to, (await fs.readFile(from)) as Uint8Array);
        await fs.unlink(from);
        onProgress?.(++done);
      }
    }
  };
  await walk(root, root);
  return done;
}
