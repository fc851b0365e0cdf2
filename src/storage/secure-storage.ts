// One keynode's storage as the domains see it (a Storage whose kv and fs stay the same objects for
// the keynode's life), switching underneath between:
//   - plaintext: the plain store itself (only 'memory' without a passphrase, and stores of earlier
//     versions until their first passphrase);
//   - encrypted and unlocked: EncryptedKV and EncryptedFs over the plain store;
//   - encrypted and locked: the same, refusing every operation with ErrorKeynodeLocked.
// The keyring record (src/keys/keyring.ts) lives in the plain store beside the sealed records.
import { KeynodeError } from '../errors.js';
import { identityFromRecord, type Identity, type StoredKey } from '../keys/identity.js';
import { assertKeyringIntact, sealKeyring, type KeyringRecord, type SessionKeys } from '../keys/keyring.js';
import { NAME_MARK, webCipher, type Cipher } from './cipher.js';
import { EncryptedFs, noLinks } from './encrypted-fs.js';
import { EncryptedKV } from './encrypted-kv.js';
import type { GitFs, Storage } from './index.js';
import { storeNames, type KV, type Tx } from './kv.js';
import { encryptFilesInPlace, encryptRecordsInPlace, KEYRING_KEY, KEYRING_STORE, plaintextRows, type MigrationProgress } from './migrate.js';

export type MakeCipher = (keys: SessionKeys) => Cipher;

export function lockedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeLocked', 'This keynode is locked: unlock it with its passphrase first.');
}

export class SecureStorage implements Storage {
  readonly kv: KV;
  readonly fs: GitFs;
  readonly vaultsRoot: string;
  private readonly sealedKv: EncryptedKV;
  private readonly sealedFs: EncryptedFs;
  private cipherNow: Cipher | undefined;
  private keysNow: SessionKeys | undefined;

  private constructor(
    readonly raw: Storage,
    private keyringNow: KeyringRecord | undefined,
    private readonly makeCipher: MakeCipher,
  ) {
    this.vaultsRoot = raw.vaultsRoot;
    const cipher = (): Cipher => this.cipherNow ?? fail(lockedError());
    this.sealedKv = new EncryptedKV(raw.kv, cipher);
    this.sealedFs = new EncryptedFs(raw.fs, raw.vaultsRoot, cipher);
    // While plaintext is being encrypted in place, what is stored is half one and half the other:
    // the keynode counts as locked until that is done.
    const kv = (): KV => (this.migrating ? fail(lockedError()) : this.encrypted ? this.sealedKv : raw.kv);
    const fs = (): GitFs['promises'] => (this.migrating ? fail(lockedError()) : (this.encrypted ? this.sealedFs : raw.fs).promises);
    this.kv = {
      read: (fn) => kv().read(fn),
      write: (fn) => kv().write(fn),
      get persistsCryptoKeys() {
        return kv().persistsCryptoKeys;
      },
      close: async () => undefined, // closed with the storage
    };
    // Each method looked up at call time (the store may become encrypted while the keynode runs);
    // rmdir keeps one parameter (see encrypted-fs.ts).
    const encrypted = (): boolean => this.encrypted;
    this.fs = {
      get atomicWrites() {
        return encrypted();
      },
      promises: {
        readFile: (path, opts) => fs().readFile(path, opts),
        writeFile: (path, data, opts) => fs().writeFile(path, data, opts),
        unlink: (path) => fs().unlink(path),
        readdir: (path) => fs().readdir(path),
        mkdir: (path, opts) => fs().mkdir(path, opts),
        rmdir: (path) => fs().rmdir(path),
        stat: (path) => fs().stat(path),
        lstat: (path) => fs().lstat(path),
        readlink: async (path) => (fs().readlink ?? fail(noLinks())).call(fs(), path),
        symlink: async (target, path) => (fs().symlink ?? fail(noLinks())).call(fs(), target, path),
        rename: async (from, to) => (fs().rename ?? fail(new KeynodeError('ErrorInternal', 'This filesystem cannot rename.'))).call(fs(), from, to),
      },
    };
  }

  static async open(raw: Storage, makeCipher: MakeCipher = webCipher): Promise<SecureStorage> {
    const record = await raw.kv.read((tx) => tx.get<KeyringRecord>(KEYRING_STORE, KEYRING_KEY));
    if (record !== undefined) await assertKeyringIntact(record);
    return new SecureStorage(raw, record, makeCipher);
  }

  /** The keyring, when this store is encrypted. */
  get keyring(): KeyringRecord | undefined {
    return this.keyringNow;
  }

  get encrypted(): boolean {
    return this.keyringNow !== undefined;
  }

  private get migrating(): boolean {
    return this.keyringNow?.migrating === true;
  }

  get unlocked(): boolean {
    return this.cipherNow !== undefined;
  }

  /** The unlocked session's keys (a tab keeps keys.dataKey for a restarted service worker). */
  get session(): SessionKeys | undefined {
    return this.keysNow;
  }

  /** Whether the plain store holds anything of a keynode outside the keyring and sealed records. */
  async hasPlaintext(): Promise<boolean> {
    // Two rows from each end: the keyring record may be one of them.
    for (const store of storeNames) if ((await plaintextRows(this.raw.kv, store, 2)).length > 0) return true;
    try {
      const names = (await this.raw.fs.promises.readdir(this.vaultsRoot)) as string[];
      return names.some((n) => !n.startsWith(NAME_MARK) && !n.startsWith('.'));
    } catch {
      return false; // no vaults folder yet
    }
  }

  /** The identity record of a plaintext store, if there is one. */
  plaintextIdentity(): Promise<StoredKey | undefined> {
    return this.raw.kv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
  }

  /** Uses `keys` from now on (they were checked against the keyring by the caller). */
  unlock(keys: SessionKeys): void {
    this.keysNow = keys;
    this.cipherNow = this.makeCipher(keys);
  }

  /** Forgets the keys and everything decrypted with them. */
  lock(): void {
    this.keysNow = undefined;
    this.cipherNow = undefined;
    this.sealedKv.forget();
    this.sealedFs.forget();
  }

  /** The identity kept in the encrypted store (wrapped; opened inside WebCrypto). */
  async identity(): Promise<Identity> {
    const keys = this.keysNow ?? fail(lockedError());
    const stored = await this.sealedKv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
    if (stored === undefined) throw new KeynodeError('ErrorStorageCorrupt', 'The encrypted store has no identity: it is damaged.');
    const { identity, upgraded } = await identityFromRecord(stored, keys.identity);
    // Stored before keynodes had an X25519 key: keep the one made now, so it is made only once.
    if (upgraded !== undefined) await this.sealedKv.write((tx) => tx.put('keys', 'identity', upgraded));
    return identity;
  }

  /**
   * Makes this store encrypted under `record`/`keys`, with `identity` as its identity record: the
   * keyring, the sealed identity, and the removal of a plaintext identity in one transaction. With
   * `migrating`, the plaintext left behind is encrypted in place afterwards (encryptInPlace).
   */
  async becomeEncrypted(unsealed: KeyringRecord, keys: SessionKeys, identity: StoredKey): Promise<void> {
    const record = await sealKeyring(unsealed);
    this.unlock(keys);
    const { storedKey, sealed } = await this.sealedKv.sealRecord('keys', 'identity', identity);
    await this.raw.kv.write(async (tx: Tx) => {
      await tx.put('keys', storedKey, sealed);
      await tx.delete('keys', 'identity');
      await tx.put(KEYRING_STORE, KEYRING_KEY, record);
    });
    this.keyringNow = record;
  }

  /** Replaces the keyring record (a new passphrase, auto-lock setting, migration done). */
  async saveKeyring(unsealed: KeyringRecord): Promise<void> {
    const record = await sealKeyring(unsealed);
    await this.raw.kv.write((tx) => tx.put(KEYRING_STORE, KEYRING_KEY, record));
    this.keyringNow = record;
  }

  /** Encrypts whatever plaintext is left (resumable), then clears the keyring's `migrating` mark. */
  async encryptInPlace(onProgress?: MigrationProgress): Promise<void> {
    if (!this.unlocked) fail(lockedError());
    const records = await encryptRecordsInPlace(this.raw.kv, this.sealedKv, onProgress);
    await this.raw.fs.promises.mkdir(this.vaultsRoot).catch(() => undefined);
    await encryptFilesInPlace(this.raw.fs, this.sealedFs, this.vaultsRoot, onProgress, records);
    await this.raw.flush();
    const { migrating: _, ...done } = this.keyringNow!;
    await this.saveKeyring(done);
    // The file log still holds the plaintext lines it replaced: rewrite it without them.
    await this.raw.kv.compact?.();
  }

  flush(): Promise<void> {
    return this.raw.flush();
  }

  async close(): Promise<void> {
    await this.sealedKv.close();
    await this.raw.close();
  }
}

function fail(error: Error): never {
  throw error;
}
