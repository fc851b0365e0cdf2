// The key hierarchy behind encryption at rest (docs/encryption.md). One random 256-bit data key per
// keynode encrypts everything it stores; the data key itself is stored only wrapped, twice:
//   - by a key derived from the passphrase with Argon2id (memory-hard; parameters stored beside the
//     salt so they can be raised later), and
//   - by a key derived from the identity's 32-byte seed — the recovery code — so a forgotten
//     passphrase can be replaced by whoever holds the recovery code.
// Unlocked, the data key is a non-extractable WebCrypto HKDF key: wrapping and unwrapping happen
// inside WebCrypto, so its bytes never reach JavaScript. The keys that do the work (records, file
// names, record keys, the identity's private key) are derived from it, also non-extractable.
// The passphrase KEK is the one key whose bytes pass through JavaScript (Argon2 runs in WASM); they
// are zeroed as soon as WebCrypto has imported them.
import { argon2id } from 'hash-wasm';
import { KeynodeError } from '../errors.js';
import { randomBytes } from '../ids/index.js';
import { utf8 } from '../utils/bytes.js';

export interface KdfParams {
  alg: 'argon2id';
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  salt: Uint8Array;
}

export interface Wrapped {
  iv: Uint8Array;
  data: Uint8Array;
}

/** Stored in plaintext beside the encrypted data: nothing in it reveals a secret. */
export interface KeyringRecord {
  version: 1;
  /** Public: a locked keynode still answers with its NodeId. */
  nodeId: string;
  kdf: KdfParams;
  byPassphrase: Wrapped;
  byRecovery: Wrapped & { salt: Uint8Array };
  /** A known plaintext sealed with the data key: tells a handed-back key apart from a stale one. */
  check: Wrapped;
  /** Lock after this long without a user action; null = never. */
  autoLockMs: number | null;
  /** Set while a plaintext store is being encrypted in place (storage/migrate.ts). */
  migrating?: boolean;
  /**
   * SHA-256 of the fields above: a damaged keyring is reported as damaged, not as a wrong
   * passphrase (AES-GCM cannot tell the two apart). Not a defence against tampering — whoever can
   * rewrite the file can only make it fail — but the difference matters to a person.
   */
  digest?: Uint8Array;
}

/**
 * Argon2id at RFC 9106's second recommended setting (64 MiB, 3 passes), on one lane because the
 * WASM build has one thread: about 0.35 s here, so unlocking stays under a second.
 */
export const KDF_DEFAULTS = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 } as const;

/** The keys derived from the data key, for one unlocked session. All non-extractable. */
export interface SessionKeys {
  /** The data key itself (HKDF): what a tab keeps so a restarted service worker comes back unlocked. */
  dataKey: CryptoKey;
  /** AES-256-GCM for record and file contents. */
  content: CryptoKey;
  /** AES-256-GCM for file names (deterministic: the IV is a MAC of the name). */
  names: CryptoKey;
  /** HMAC-SHA-256 for record keys and file-name IVs. */
  mac: CryptoKey;
  /** AES-256-GCM that wraps the identity's private key. */
  identity: CryptoKey;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const GCM = 'AES-GCM';

function aad(label: string, nodeId: string): Uint8Array {
  return utf8.encode(`keynode/${label}/v1\0${nodeId}`);
}

function passphraseBytes(passphrase: string): Uint8Array {
  // The same passphrase typed on another system may arrive in another Unicode normal form.
  return utf8.encode(passphrase.normalize('NFC'));
}

function passphraseKek(passphrase: string, kdf: KdfParams): Promise<CryptoKey> {
  return passphraseKey(passphrase, kdf, ['wrapKey', 'unwrapKey']);
}

/** An AES-256-GCM key from a passphrase with Argon2id (also what encrypts a vault backup). */
export async function passphraseKey(passphrase: string, kdf: KdfParams, usages: KeyUsage[]): Promise<CryptoKey> {
  if (kdf.alg !== 'argon2id') throw new KeynodeError('ErrorStorageCorrupt', `The stored key uses an unknown key derivation (${String(kdf.alg)}).`);
  const secret = await argon2id({
    password: passphraseBytes(passphrase),
    salt: kdf.salt,
    iterations: kdf.iterations,
    memorySize: kdf.memoryKiB,
    parallelism: kdf.parallelism,
    hashLength: 32,
    outputType: 'binary',
  });
  try {
    return await subtle().importKey('raw', secret as BufferSource, GCM, false, usages);
  } finally {
    secret.fill(0);
  }
}

async function recoveryKek(seed: Uint8Array, salt: Uint8Array): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', seed as BufferSource, 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: utf8.encode('keynode/recovery-kek/v1') as BufferSource },
    base,
    { name: GCM, length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  );
}

async function wrap(key: CryptoKey, kek: CryptoKey, additionalData: Uint8Array): Promise<Wrapped> {
  const iv = randomBytes(12);
  const data = new Uint8Array(await subtle().wrapKey('raw', key, kek, { name: GCM, iv: iv as BufferSource, additionalData: additionalData as BufferSource }));
  return { iv, data };
}

/** Unwraps the data key; `extractable` only for the moment of rewrapping it under a new key. */
async function unwrap(wrapped: Wrapped, kek: CryptoKey, additionalData: Uint8Array, extractable: boolean): Promise<CryptoKey | undefined> {
  const params = { name: GCM, iv: wrapped.iv as BufferSource, additionalData: additionalData as BufferSource };
  try {
    return extractable
      ? await subtle().unwrapKey('raw', wrapped.data as BufferSource, kek, params, { name: GCM }, true, ['encrypt'])
      : await subtle().unwrapKey('raw', wrapped.data as BufferSource, kek, params, 'HKDF', false, ['deriveKey', 'deriveBits']);
  } catch {
    return undefined; // a wrong key fails the GCM tag: the caller says which secret was wrong
  }
}

function passphraseInvalid(): KeynodeError {
  return new KeynodeError('ErrorKeynodePassphraseInvalid', 'That passphrase is not right. Nothing was changed.');
}

const CHECK_TEXT = utf8.encode('keynode data key check');

/**
 * A new data key, wrapped under the passphrase and the recovery seed. Returns the record to store
 * and the unlocked session keys.
 */
export async function createKeyring(opts: {
  nodeId: string;
  passphrase: string;
  seed: Uint8Array;
  autoLockMs: number | null;
}): Promise<{ record: KeyringRecord; keys: SessionKeys }> {
  assertPassphrase(opts.passphrase);
  const kdf: KdfParams = { alg: 'argon2id', ...KDF_DEFAULTS, salt: randomBytes(16) };
  const recoverySalt = randomBytes(16);
  // Made extractable only so WebCrypto can wrap it; it never leaves WebCrypto unwrapped.
  const fresh = await subtle().generateKey({ name: GCM, length: 256 }, true, ['encrypt']);
  const [pKek, rKek] = await Promise.all([passphraseKek(opts.passphrase, kdf), recoveryKek(opts.seed, recoverySalt)]);
  const [byPassphrase, byRecovery] = await Promise.all([wrap(fresh, pKek, aad('passphrase', opts.nodeId)), wrap(fresh, rKek, aad('recovery', opts.nodeId))]);
  const dataKey = await unwrap(byPassphrase, pKek, aad('passphrase', opts.nodeId), false);
  if (dataKey === undefined) throw new KeynodeError('ErrorInternal', 'A freshly wrapped data key did not unwrap.');
  const keys = await deriveSessionKeys(dataKey);
  const check = await sealCheck(keys, opts.nodeId);
  const record: KeyringRecord = {
    version: 1,
    nodeId: opts.nodeId,
    kdf,
    byPassphrase,
    byRecovery: { ...byRecovery, salt: recoverySalt },
    check,
    autoLockMs: opts.autoLockMs,
  };
  return { record, keys };
}

/** Unlocks with the passphrase; ErrorKeynodePassphraseInvalid when it is wrong. */
export async function openWithPassphrase(record: KeyringRecord, passphrase: string): Promise<SessionKeys> {
  return deriveSessionKeys(await unwrapDataKey(record, { passphrase }, false));
}

/** Unlocks with the identity seed from the recovery code. */
export async function openWithRecovery(record: KeyringRecord, seed: Uint8Array): Promise<SessionKeys> {
  return deriveSessionKeys(await unwrapDataKey(record, { seed }, false));
}

/** The data key, unwrapped with the passphrase or the recovery seed; throws the error that says which was wrong. */
async function unwrapDataKey(record: KeyringRecord, current: { passphrase: string } | { seed: Uint8Array }, extractable: boolean): Promise<CryptoKey> {
  const [kek, label, wrapped, invalid] =
    'passphrase' in current
      ? [await passphraseKek(current.passphrase, record.kdf), 'passphrase', record.byPassphrase, passphraseInvalid]
      : [
          await recoveryKek(current.seed, record.byRecovery.salt),
          'recovery',
          record.byRecovery,
          () => new KeynodeError('ErrorKeysRecoveryCodeInvalid', 'That recovery code does not belong to this keynode. Nothing was changed.'),
        ];
  const key = await unwrap(wrapped, kek, aad(label, record.nodeId), extractable);
  if (key === undefined) throw invalid();
  return key;
}

/**
 * The record with the data key wrapped under `next` (fresh salt, today's KDF parameters) instead
 * of the current passphrase. `current` is the passphrase, or the recovery seed when the user has
 * forgotten the passphrase. Only the wrapping changes: no stored record is re-encrypted.
 */
export async function rewrapPassphrase(record: KeyringRecord, current: { passphrase: string } | { seed: Uint8Array }, next: string): Promise<KeyringRecord> {
  assertPassphrase(next);
  const movable = await unwrapDataKey(record, current, true);
  const kdf: KdfParams = { alg: 'argon2id', ...KDF_DEFAULTS, salt: randomBytes(16) };
  const byPassphrase = await wrap(movable, await passphraseKek(next, kdf), aad('passphrase', record.nodeId));
  return { ...record, kdf, byPassphrase };
}

/** Whether the stored KDF parameters are below today's defaults (then unlocking rewraps). */
export function kdfIsOutdated(kdf: KdfParams): boolean {
  return kdf.memoryKiB < KDF_DEFAULTS.memoryKiB || kdf.iterations < KDF_DEFAULTS.iterations;
}

/** Whether `dataKey` (handed back by a tab) is this keynode's data key. */
export async function sessionFromDataKey(record: KeyringRecord, dataKey: CryptoKey): Promise<SessionKeys | undefined> {
  let keys: SessionKeys;
  try {
    keys = await deriveSessionKeys(dataKey);
    const iv = record.check.iv as BufferSource;
    const text = new Uint8Array(
      await subtle().decrypt({ name: GCM, iv, additionalData: aad('check', record.nodeId) as BufferSource }, keys.content, record.check.data as BufferSource),
    );
    if (text.length !== CHECK_TEXT.length || !text.every((b, i) => b === CHECK_TEXT[i])) return undefined;
  } catch {
    return undefined;
  }
  return keys;
}

async function sealCheck(keys: SessionKeys, nodeId: string): Promise<Wrapped> {
  const iv = randomBytes(12);
  const data = new Uint8Array(
    await subtle().encrypt(
      { name: GCM, iv: iv as BufferSource, additionalData: aad('check', nodeId) as BufferSource },
      keys.content,
      CHECK_TEXT as BufferSource,
    ),
  );
  return { iv, data };
}

async function deriveSessionKeys(dataKey: CryptoKey): Promise<SessionKeys> {
  const derive = (label: string, algorithm: AesKeyGenParams | HmacKeyGenParams, usages: KeyUsage[]): Promise<CryptoKey> =>
    subtle().deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32) as BufferSource, info: utf8.encode(`keynode/${label}/v1`) as BufferSource },
      dataKey,
      algorithm,
      false,
      usages,
    );
  const [content, names, mac, identity] = await Promise.all([
    derive('content', { name: GCM, length: 256 }, ['encrypt', 'decrypt']),
    derive('names', { name: GCM, length: 256 }, ['encrypt', 'decrypt']),
    derive('mac', { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign']),
    derive('identity', { name: GCM, length: 256 }, ['wrapKey', 'unwrapKey']),
  ]);
  return { dataKey, content, names, mac, identity };
}

function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(Array.from(value));
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  return `{${Object.keys(value)
    .filter((k) => k !== 'digest' && (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

async function digestOf(record: KeyringRecord): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', utf8.encode(canonical(record)) as BufferSource));
}

/** The record as it is stored: with the digest of its fields. */
export async function sealKeyring(record: KeyringRecord): Promise<KeyringRecord> {
  return { ...record, digest: await digestOf(record) };
}

/** Refuses a keyring whose fields no longer match its digest (ErrorStorageCorrupt). */
export async function assertKeyringIntact(record: KeyringRecord): Promise<void> {
  const digest = await digestOf(record);
  const stored = record.digest;
  if (!(stored instanceof Uint8Array) || stored.length !== digest.length || !stored.every((b, i) => b === digest[i])) {
    throw new KeynodeError(
      'ErrorStorageCorrupt',
      'The stored key that opens this keynode is damaged, so no passphrase can open it. Restore the keynode from its recovery code in a new profile, and clone your vaults again.',
    );
  }
}

/** Refuses a passphrase nobody should rely on. The UI says more (a strength hint); this is the floor. */
export function assertPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || [...passphrase.normalize('NFC')].length < 8) {
    throw new KeynodeError('ErrorInvalidArgument', 'A passphrase must be at least 8 characters long.');
  }
  if (utf8.encode(passphrase).length > 1024) {
    throw new KeynodeError('ErrorInvalidArgument', 'A passphrase may be at most 1,024 bytes long.');
  }
}
