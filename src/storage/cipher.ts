// The operations the encrypted stores need, on one unlocked session's keys (src/keys/keyring.ts):
// - seal/open: AES-256-GCM with a fresh random 96-bit nonce per write; the associated data names
//   what the bytes are (a record's store and key, a file's path), so a record or file moved to
//   another place fails to open instead of reading as something else.
// - name: deterministic, reversible encryption of one file-name component (a synthetic IV: the
//   MAC of the name in its folder), so a path can be mapped without listing folders.
// - key: a MAC of a record's key, the only form in which record keys are stored.
// A record that fails to open is ErrorStorageCorrupt, never wrong data.
import { KeynodeError } from '../errors.js';
import { randomBytes } from '../ids/index.js';
import { base64urlDecode, base64urlEncode } from '../keys/crypto.js';
import type { SessionKeys } from '../keys/keyring.js';
import { concatBytes, utf8 } from '../utils/bytes.js';

export interface Cipher {
  seal(plain: Uint8Array, aad: string): Promise<Uint8Array>;
  /** `what` names the record or file for the error a person reads when it is damaged. */
  open(sealed: Uint8Array, aad: string, what: string): Promise<Uint8Array>;
  /** The encrypted form of one path component (starts with NAME_MARK). */
  sealName(name: string, folder: string): Promise<string>;
  /** The name an encrypted component stands for; undefined if it is not one of ours. */
  openName(stored: string, folder: string): Promise<string | undefined>;
  /** A record key's stored form (starts with KEY_MARK). */
  key(text: string): Promise<string>;
}

/** First byte of every sealed record: the format, so it can change later. */
const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed file is longer than its contents. */
export const SEAL_OVERHEAD = 1 + IV_BYTES + TAG_BYTES;
/** Encrypted file names and record keys start with this, which no plaintext name or key does. */
export const NAME_MARK = '~';
export const KEY_MARK = '~';

export function corrupt(what: string, cause?: unknown): KeynodeError {
  return new KeynodeError(
    'ErrorStorageCorrupt',
    `Stored data (${what}) is damaged or was changed outside keynode: it failed its integrity check, so it was not used.`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The three primitives the cipher is made of, on the session's keys: AES-256-GCM with the content
 * or the names key (the tag at the end of the ciphertext; decrypt throws when it does not match),
 * and HMAC-SHA-256. WebCrypto everywhere; Node may use its synchronous crypto on the same keys.
 */
export interface CipherPrimitives {
  encrypt(key: 'content' | 'names', iv: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<Uint8Array> | Uint8Array;
  decrypt(key: 'content' | 'names', iv: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<Uint8Array> | Uint8Array;
  mac(data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

export function webPrimitives(keys: SessionKeys): CipherPrimitives {
  return {
    encrypt: async (key, iv, aad, data) =>
      new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource }, keys[key], data as BufferSource)),
    decrypt: async (key, iv, aad, data) =>
      new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource }, keys[key], data as BufferSource)),
    mac: async (data) => new Uint8Array(await subtle().sign('HMAC', keys.mac, data as BufferSource)),
  };
}

/** The cipher on WebCrypto: browsers, service workers and Node alike. */
export function webCipher(keys: SessionKeys): Cipher {
  return cipherOn(webPrimitives(keys));
}

export function cipherOn(p: CipherPrimitives): Cipher {
  const macOf = async (text: string): Promise<Uint8Array> => p.mac(utf8.encode(text));
  return {
    async seal(plain, aad) {
      const iv = randomBytes(IV_BYTES);
      return concatBytes(Uint8Array.of(FORMAT), iv, await p.encrypt('content', iv, utf8.encode(aad), plain));
    },
    async open(sealed, aad, what) {
      if (!(sealed instanceof Uint8Array) || sealed.length < SEAL_OVERHEAD || sealed[0] !== FORMAT) throw corrupt(what);
      try {
        return await p.decrypt('content', sealed.subarray(1, 1 + IV_BYTES), utf8.encode(aad), sealed.subarray(1 + IV_BYTES));
      } catch (e) {
        throw corrupt(what, e);
      }
    },
    async sealName(name, folder) {
      const context = `name\0${folder}`;
      const iv = (await macOf(`${context}\0${name}`)).slice(0, IV_BYTES);
      const ct = await p.encrypt('names', iv, utf8.encode(context), utf8.encode(name));
      return NAME_MARK + base64urlEncode(concatBytes(iv, ct));
    },
    async openName(stored, folder) {
      if (!stored.startsWith(NAME_MARK)) return undefined;
      try {
        const bytes = base64urlDecode(stored.slice(NAME_MARK.length));
        if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
        return utf8.decode(await p.decrypt('names', bytes.subarray(0, IV_BYTES), utf8.encode(`name\0${folder}`), bytes.subarray(IV_BYTES)));
      } catch {
        return undefined;
      }
    },
    async key(text) {
      // 128 bits of the MAC: collisions among one keynode's records are out of reach.
      return KEY_MARK + base64urlEncode((await macOf(`key\0${text}`)).subarray(0, 16));
    },
  };
}
