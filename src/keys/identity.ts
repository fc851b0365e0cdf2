// This keynode's Ed25519 identity. Created once (a 32-byte seed from the CSPRNG), shown once as a
// 24-word BIP-39 recovery code that is the seed itself, so the same code rebuilds the same NodeId on
// another browser. In an encrypted store (the rule for browsers and { dir }) the private key is kept
// wrapped by a key derived from the data key (src/keys/keyring.ts): WebCrypto unwraps it straight
// into a non-extractable CryptoKey, so its bytes never reach JavaScript. A plaintext store (only
// 'memory' without a passphrase, and stores of earlier versions) keeps a non-extractable CryptoKey
// where the store can hold one (IndexedDB), or the seed (the file store).
// Beside it, kept the same way, is the X25519 key that opens boxes sealed to this NodeId
// (sealed-box.ts): made from the seed whenever the seed is at hand (creation, restore), since it
// cannot be made from a non-extractable signing key later. An encrypted identity stored before
// there was one gets it at its first unlock (identityFromRecord).
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { KeynodeError } from '../errors.js';
import { encodeNodeId, randomBytes, type NodeId } from '../ids/index.js';
import type { KV } from '../storage/kv.js';
import { ed25519Pkcs8, keyPairFromSeed, sign } from './crypto.js';
import type { Wrapped } from './keyring.js';
import { openBox, x25519KeyFromSeed, x25519PublicKeyOf } from './sealed-box.js';
import type { Signer } from './token.js';
import { bytesEqual } from '../utils/bytes.js';

export interface Identity extends Signer {
  nodeId: NodeId;
  publicKey: Uint8Array;
  /**
   * Opens a box sealed to this NodeId (sealed-box.ts, openBox); undefined when it does not open.
   * ErrorKeysNotFound when this identity has no X25519 key (a plaintext store of an earlier
   * version whose seed is not at hand).
   */
  unseal(box: Uint8Array, label: string, maxPlaintext: number): Promise<Uint8Array | undefined>;
  /** Present only when the identity was created just now: show it once. */
  recoveryCode?: string;
}

export interface StoredKey {
  publicKey: Uint8Array;
  privateKey?: CryptoKey;
  seed?: Uint8Array;
  /** The PKCS#8 private key, AES-GCM-wrapped under the session's identity key. */
  wrapped?: Wrapped;
  /** The X25519 key that opens sealed boxes, non-extractable (plaintext IndexedDB stores). */
  x25519?: CryptoKey;
  /** The same key as PKCS#8, wrapped like `wrapped` (encrypted stores). */
  x25519Wrapped?: Wrapped;
}

const ED25519 = { name: 'Ed25519' } as const;
const X25519 = { name: 'X25519' } as const;
const WRAP_AAD = new TextEncoder().encode('keynode/identity/v1');
const X25519_WRAP_AAD = new TextEncoder().encode('keynode/identity-x25519/v1');

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

function makeIdentity(publicKey: Uint8Array, privateKey: CryptoKey, x25519: CryptoKey | undefined, recoveryCode?: string): Identity {
  const nodeId = encodeNodeId(publicKey);
  let recipient: Uint8Array | undefined;
  const identity: Identity = {
    nodeId,
    publicKey,
    sign: (message) => sign(privateKey, message),
    unseal: async (box, label, maxPlaintext) => {
      if (x25519 === undefined) {
        throw new KeynodeError(
          'ErrorKeysNotFound',
          'This keynode has no key to open sealed mailbox items yet: set a passphrase with its recovery code to make one.',
        );
      }
      recipient ??= x25519PublicKeyOf(nodeId);
      return openBox(x25519, recipient, box, label, maxPlaintext);
    },
  };
  if (recoveryCode !== undefined) identity.recoveryCode = recoveryCode;
  return identity;
}

function wrapParams(iv: Uint8Array, aad: Uint8Array): AesGcmParams {
  return { name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource };
}

async function wrapPkcs8(key: CryptoKey, wrapKey: CryptoKey, aad: Uint8Array): Promise<Wrapped> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, data: new Uint8Array(await crypto.subtle.wrapKey('pkcs8', key, wrapKey, wrapParams(iv, aad))) };
}

function damaged(e: unknown): KeynodeError {
  return new KeynodeError('ErrorStorageCorrupt', 'The stored identity key is damaged: it failed its integrity check.', { cause: e });
}

/**
 * The identity a stored record holds; `wrapKey` opens a wrapped one (encrypted stores). `upgraded`
 * is the record to store instead, when an encrypted one had no X25519 key yet: it is made once,
 * from the seed inside the wrapped signing key (the one time that seed passes through JavaScript
 * after creation), and wrapped beside it.
 */
export async function identityFromRecord(stored: StoredKey, wrapKey?: CryptoKey): Promise<{ identity: Identity; upgraded?: StoredKey }> {
  let privateKey = stored.privateKey;
  let x25519 = stored.x25519;
  let upgraded: StoredKey | undefined;
  if (privateKey === undefined && stored.wrapped !== undefined) {
    if (wrapKey === undefined) throw new KeynodeError('ErrorKeynodeLocked', 'This keynode is locked: unlock it with its passphrase.');
    const { iv, data } = stored.wrapped;
    try {
      privateKey = await crypto.subtle.unwrapKey('pkcs8', data as BufferSource, wrapKey, wrapParams(iv, WRAP_AAD), ED25519, false, ['sign']);
      if (stored.x25519Wrapped !== undefined) {
        const x = stored.x25519Wrapped;
        x25519 = await crypto.subtle.unwrapKey('pkcs8', x.data as BufferSource, wrapKey, wrapParams(x.iv, X25519_WRAP_AAD), X25519, false, ['deriveBits']);
      } else {
        const movable = await crypto.subtle.unwrapKey('pkcs8', data as BufferSource, wrapKey, wrapParams(iv, WRAP_AAD), ED25519, true, ['sign']);
        const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', movable));
        // RFC 8410's layout puts the seed at bytes 16–47, with or without a public key after it.
        const seed = pkcs8.slice(16, 48);
        pkcs8.fill(0);
        try {
          if (!bytesEqual((await keyPairFromSeed(seed)).publicKey, stored.publicKey)) throw new Error("the unwrapped key is not this NodeId's");
          x25519 = await x25519KeyFromSeed(seed);
          upgraded = { ...stored, x25519Wrapped: await wrapPkcs8(await x25519KeyFromSeed(seed, true), wrapKey, X25519_WRAP_AAD) };
        } finally {
          seed.fill(0);
        }
      }
    } catch (e) {
      throw damaged(e);
    }
  }
  if (privateKey === undefined && stored.seed !== undefined) privateKey = (await keyPairFromSeed(stored.seed)).privateKey;
  if (x25519 === undefined && stored.seed !== undefined) x25519 = await x25519KeyFromSeed(stored.seed);
  if (privateKey === undefined) throw new KeynodeError('ErrorKeysNotFound', 'The stored identity has no private key.');
  const identity = makeIdentity(stored.publicKey, privateKey, x25519);
  return upgraded === undefined ? { identity } : { identity, upgraded };
}

/**
 * A record holding the identity of `seed` (its signing key and its X25519 key) wrapped under
 * `wrapKey`, and the identity itself (with the recovery code when `showCode`). The seed is not kept.
 */
export async function wrappedIdentity(seed: Uint8Array, wrapKey: CryptoKey, showCode: boolean): Promise<{ record: StoredKey; identity: Identity }> {
  const pkcs8 = ed25519Pkcs8(seed);
  try {
    const movable = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, ED25519, true, ['sign']);
    const pair = await keyPairFromSeed(seed);
    const record: StoredKey = {
      publicKey: pair.publicKey,
      wrapped: await wrapPkcs8(movable, wrapKey, WRAP_AAD),
      x25519Wrapped: await wrapPkcs8(await x25519KeyFromSeed(seed, true), wrapKey, X25519_WRAP_AAD),
    };
    const x25519 = await x25519KeyFromSeed(seed);
    return { record, identity: makeIdentity(pair.publicKey, pair.privateKey, x25519, showCode ? recoveryCodeFromSeed(seed) : undefined) };
  } finally {
    pkcs8.fill(0);
  }
}

/** Loads the stored identity, or creates one (from `recoveryCode` when given). Plaintext stores. */
export async function loadOrCreateIdentity(kv: KV, options: { recoveryCode?: string } = {}): Promise<Identity> {
  const restoreSeed = options.recoveryCode === undefined ? undefined : seedFromRecoveryCode(options.recoveryCode);
  const stored = await kv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
  if (stored !== undefined) {
    const { identity } = await identityFromRecord(stored);
    if (restoreSeed !== undefined) {
      const restored = await keyPairFromSeed(restoreSeed);
      restoreSeed.fill(0);
      if (encodeNodeId(restored.publicKey) !== identity.nodeId) throw differentKeynode();
    }
    return identity;
  }
  const seed = restoreSeed ?? randomBytes(32);
  const pair = await keyPairFromSeed(seed);
  const x25519 = await x25519KeyFromSeed(seed);
  const record: StoredKey = { publicKey: pair.publicKey };
  if (kv.persistsCryptoKeys) {
    record.privateKey = pair.privateKey;
    record.x25519 = x25519;
  } else record.seed = seed.slice();
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
  return makeIdentity(pair.publicKey, pair.privateKey, x25519, code);
}
