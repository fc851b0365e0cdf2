// This keynode's Ed25519 identity. Created once (a 32-byte seed from the CSPRNG), shown once as a
// 24-word BIP-39 recovery code that is the seed itself, so the same code rebuilds the same NodeId on
// another browser. In an encrypted store (the rule for browsers and { dir }) the private key is kept
// wrapped by a key derived from the data key (src/keys/keyring.ts): WebCrypto unwraps it straight
// into a non-extractable CryptoKey, so its bytes never reach JavaScript. A plaintext store (only
// 'memory' without a passphrase, and stores of earlier versions) keeps a non-extractable CryptoKey
// where the store can hold one (IndexedDB), or the seed (the file store).
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { KeynodeError } from '../errors.js';
import { encodeNodeId, randomBytes, type NodeId } from '../ids/index.js';
import type { KV } from '../storage/kv.js';
import { ed25519Pkcs8, keyPairFromSeed, sign } from './crypto.js';
import type { Wrapped } from './keyring.js';
import type { Signer } from './token.js';

export interface Identity extends Signer {
  nodeId: NodeId;
  publicKey: Uint8Array;
  /** Present only when the identity was created just now: show it once. */
  recoveryCode?: string;
}

export interface StoredKey {
  publicKey: Uint8Array;
  privateKey?: CryptoKey;
  seed?: Uint8Array;
  /** The PKCS#8 private key, AES-GCM-wrapped under the session's identity key. */
  wrapped?: Wrapped;
}

const ED25519 = { name: 'Ed25519' } as const;
const WRAP_AAD = new TextEncoder().encode('keynode/identity/v1');

export function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase().split(/\s+/).join(' ');
}

export function seedFromRecoveryCode(code: string): Uint8Array {
  const words = normaliseRecoveryCode(code);
  if (words.split(' ').length !== 24 || !validateMnemonic(words, wordlist)) {
    throw new KeynodeError(
      'ErrorKeysRecoveryCodeInvalid',
      'That recovery code is not valid: it must be the 24 words shown when this keynode was created, in order.',
    );
  }
  return mnemonicToEntropy(words, wordlist);
}

export function recoveryCodeFromSeed(seed: Uint8Array): string {
  return entropyToMnemonic(seed, wordlist);
}

export function differentKeynode(): KeynodeError {
  return new KeynodeError('ErrorInvalidArgument', 'This storage already holds a different keynode; restore the recovery code into a new, empty profile.');
}

function makeIdentity(publicKey: Uint8Array, privateKey: CryptoKey, recoveryCode?: string): Identity {
  const identity: Identity = {
    nodeId: encodeNodeId(publicKey),
    publicKey,
    sign: (message) => sign(privateKey, message),
  };
  if (recoveryCode !== undefined) identity.recoveryCode = recoveryCode;
  return identity;
}

/** The identity a stored record holds; `wrapKey` opens a wrapped one (encrypted stores). */
export async function identityFromRecord(stored: StoredKey, wrapKey?: CryptoKey): Promise<Identity> {
  let privateKey = stored.privateKey;
  if (privateKey === undefined && stored.wrapped !== undefined) {
    if (wrapKey === undefined) throw new KeynodeError('ErrorKeynodeLocked', 'This keynode is locked: unlock it with its passphrase.');
    try {
      const params = { name: 'AES-GCM', iv: stored.wrapped.iv as BufferSource, additionalData: WRAP_AAD as BufferSource };
      privateKey = await crypto.subtle.unwrapKey('pkcs8', stored.wrapped.data as BufferSource, wrapKey, params, ED25519, false, ['sign']);
    } catch (e) {
      throw new KeynodeError('ErrorStorageCorrupt', 'The stored identity key is damaged: it failed its integrity check.', { cause: e });
    }
  }
  if (privateKey === undefined && stored.seed !== undefined) privateKey = (await keyPairFromSeed(stored.seed)).privateKey;
  if (privateKey === undefined) throw new KeynodeError('ErrorKeysNotFound', 'The stored identity has no private key.');
  return makeIdentity(stored.publicKey, privateKey);
}

/**
 * A record holding the identity of `seed` wrapped under `wrapKey`, and the identity itself (with
 * the recovery code when `showCode`). The seed is not kept.
 */
export async function wrappedIdentity(seed: Uint8Array, wrapKey: CryptoKey, showCode: boolean): Promise<{ record: StoredKey; identity: Identity }> {
  const pkcs8 = ed25519Pkcs8(seed);
  try {
    const movable = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, ED25519, true, ['sign']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = new Uint8Array(await crypto.subtle.wrapKey('pkcs8', movable, wrapKey, { name: 'AES-GCM', iv, additionalData: WRAP_AAD as BufferSource }));
    const pair = await keyPairFromSeed(seed);
    const record: StoredKey = { publicKey: pair.publicKey, wrapped: { iv, data } };
    return { record, identity: makeIdentity(pair.publicKey, pair.privateKey, showCode ? recoveryCodeFromSeed(seed) : undefined) };
  } finally {
    pkcs8.fill(0);
  }
}

/** Loads the stored identity, or creates one (from `recoveryCode` when given). Plaintext stores. */
export async function loadOrCreateIdentity(kv: KV, options: { recoveryCode?: string } = {}): Promise<Identity> {
  const restoreSeed = options.recoveryCode === undefined ? undefined : seedFromRecoveryCode(options.recoveryCode);
  const stored = await kv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
  if (stored !== undefined) {
    const identity = await identityFromRecord(stored);
    if (restoreSeed !== undefined) {
      const restored = await keyPairFromSeed(restoreSeed);
      restoreSeed.fill(0);
      if (encodeNodeId(restored.publicKey) !== identity.nodeId) throw differentKeynode();
    }
    return identity;
  }
  const seed = restoreSeed ?? randomBytes(32);
  const pair = await keyPairFromSeed(seed);
  const record: StoredKey = { publicKey: pair.publicKey };
  if (kv.persistsCryptoKeys) record.privateKey = pair.privateKey;
  else record.seed = seed.slice();
  // Another keynode on this storage (a second tab) may have created an identity since the read
  // above: claim the slot only if it is still empty, in one transaction, or else load theirs.
  const claimed = await kv.write(async (tx) => {
    if ((await tx.get('keys', 'identity')) !== undefined) return false;
    await tx.put('keys', 'identity', record);
    return true;
  });
  if (!claimed) {
    seed.fill(0);
    return loadOrCreateIdentity(kv, options);
  }
  const code = restoreSeed === undefined ? recoveryCodeFromSeed(seed) : undefined;
  seed.fill(0);
  return makeIdentity(pair.publicKey, pair.privateKey, code);
}
