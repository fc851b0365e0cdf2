// This keynode's Ed25519 identity. Created once (a 32-byte seed from the CSPRNG), shown once as a
// 24-word BIP-39 recovery code that is the seed itself, so the same code rebuilds the same NodeId on
// another browser. The private key is kept as a non-extractable CryptoKey where the store can hold
// one (IndexedDB); the file store for Node keeps the seed in a 0600 file instead.
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { KeynodeError } from '../errors.js';
import { encodeNodeId, randomBytes, type NodeId } from '../ids/index.js';
import type { KV } from '../storage/kv.js';
import { keyPairFromSeed, sign } from './crypto.js';
import type { Signer } from './token.js';

export interface Identity extends Signer {
  nodeId: NodeId;
  publicKey: Uint8Array;
  /** Present only when the identity was created just now: show it once. */
  recoveryCode?: string;
}

interface StoredKey {
  publicKey: Uint8Array;
  privateKey?: CryptoKey;
  seed?: Uint8Array;
}

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

function makeIdentity(publicKey: Uint8Array, privateKey: CryptoKey, recoveryCode?: string): Identity {
  const identity: Identity = {
    nodeId: encodeNodeId(publicKey),
    publicKey,
    sign: (message) => sign(privateKey, message),
  };
  if (recoveryCode !== undefined) identity.recoveryCode = recoveryCode;
  return identity;
}

/** Loads the stored identity, or creates one (from `recoveryCode` when given). */
export async function loadOrCreateIdentity(kv: KV, options: { recoveryCode?: string } = {}): Promise<Identity> {
  const restoreSeed = options.recoveryCode === undefined ? undefined : seedFromRecoveryCode(options.recoveryCode);
  const stored = await kv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
  if (stored !== undefined) {
    const privateKey = stored.privateKey ?? (stored.seed ? (await keyPairFromSeed(stored.seed)).privateKey : undefined);
    if (privateKey === undefined) throw new KeynodeError('ErrorKeysNotFound', 'The stored identity has no private key.');
    const identity = makeIdentity(stored.publicKey, privateKey);
    if (restoreSeed !== undefined) {
      const restored = await keyPairFromSeed(restoreSeed);
      restoreSeed.fill(0);
      if (encodeNodeId(restored.publicKey) !== identity.nodeId) {
        throw new KeynodeError(
          'ErrorInvalidArgument',
          'This storage already holds a different keynode; restore the recovery code into a new, empty profile.',
        );
      }
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
