// Sealed boxes: bytes encrypted to one keynode, made with nothing but its NodeId, saying nothing
// about who made them, and opened only with that keynode's identity (docs/encryption.md, "Sealed
// boxes"). The signaling mailbox carries notifications this way (src/notifications/sealed-item.ts).
//
//   box    = version 0x01 ‖ E (32, the sender's ephemeral X25519 public key) ‖ AES-256-GCM(padded) ‖ tag (16)
//   padded = u32be(length) ‖ plaintext ‖ zeros, 4 + bucket bytes; bucket = max(1024, next power of two ≥ length)
//   key    = HKDF-SHA-256(X25519(e, R), salt 32 zero bytes, info = label ‖ 0x00 ‖ E ‖ R), the header as AAD
//
// R, the recipient's X25519 public key, is its Ed25519 public key (the NodeId) under the birational
// map to Curve25519, so nothing has to be published or fetched; its private half is the Ed25519
// seed's clamped scalar (the same scalar the Ed25519 key signs with). E is fresh for every box, so
// every AES key encrypts exactly one message and a fixed nonce is safe. A box carries no signature:
// anyone can seal to anyone, so what is inside must authenticate itself (a notification is signed).
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeynodeError } from '../errors.js';
import { decodeNodeId, type NodeId } from '../ids/index.js';
import { concatBytes, utf8 } from '../utils/bytes.js';

export const SEALED_BOX_VERSION = 0x01;
const HEADER_BYTES = 1 + 32;
const LENGTH_BYTES = 4;
const TAG_BYTES = 16;
/** Bytes a box adds to its bucket: the header, the length and the GCM tag. */
export const SEALED_BOX_OVERHEAD = HEADER_BYTES + LENGTH_BYTES + TAG_BYTES;
/**
 * The smallest bucket. Every share, unshare and invite token fits in 1 KiB (a share naming a
 * 255-byte vault is about 810 bytes; an invite about 480), so the server cannot tell them apart.
 */
export const MIN_BUCKET = 1024;

const X25519 = { name: 'X25519' } as const;
const GCM = 'AES-GCM';
const ZERO_NONCE = new Uint8Array(12);
const HKDF_SALT = new Uint8Array(32);
// PKCS#8 wrapping of a raw X25519 private key (RFC 8410, OID 1.3.101.110).
const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** The padded size a plaintext of `length` bytes is sealed at: 1024, 2048, 4096… */
export function bucketFor(length: number): number {
  let bucket = MIN_BUCKET;
  while (bucket < length) bucket *= 2;
  return bucket;
}

/** The size of the box that seals `length` bytes. */
export function sealedSize(length: number): number {
  return bucketFor(length) + SEALED_BOX_OVERHEAD;
}

/** The recipient's X25519 public key: its NodeId's Ed25519 point mapped to Curve25519. */
export function x25519PublicKeyOf(nodeId: NodeId): Uint8Array {
  const point = decodeNodeId(nodeId);
  if (point === undefined) throw new KeynodeError('ErrorNodeIdInvalid', 'Not a valid NodeId.');
  return ed25519.utils.toMontgomery(point);
}

/**
 * The PKCS#8 form of the X25519 private key of an Ed25519 seed (zero it after use). `seed` is not
 * changed; the scalar's bytes are zeroed here.
 */
export function x25519Pkcs8FromSeed(seed: Uint8Array): Uint8Array<ArrayBuffer> {
  if (seed.length !== 32) throw new KeynodeError('ErrorInternal', 'An Ed25519 seed is 32 bytes.');
  const scalar = ed25519.utils.toMontgomerySecret(seed);
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(X25519_PKCS8_PREFIX);
  pkcs8.set(scalar, 16);
  scalar.fill(0);
  return pkcs8;
}

/** The X25519 key that opens boxes sealed to the seed's NodeId; `extractable` only to wrap it for storage. */
export async function x25519KeyFromSeed(seed: Uint8Array, extractable = false): Promise<CryptoKey> {
  const pkcs8 = x25519Pkcs8FromSeed(seed);
  try {
    return await subtle().importKey('pkcs8', pkcs8, X25519, extractable, ['deriveBits']);
  } finally {
    pkcs8.fill(0);
  }
}

/** The AES-GCM key of one box, from the X25519 shared secret; undefined for a low-order E or R. */
async function boxKey(privateKey: CryptoKey, peerPublic: Uint8Array, info: Uint8Array, usage: KeyUsage): Promise<CryptoKey | undefined> {
  let shared: Uint8Array;
  try {
    const peer = await subtle().importKey('raw', peerPublic as BufferSource, X25519, false, []);
    shared = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: peer }, privateKey, 256));
  } catch {
    return undefined; // WebCrypto itself refuses an all-zero result (a low-order point)
  }
  try {
    // Checked here too, whatever the platform does: a small-order E would make the key public.
    if (shared.every((b) => b === 0)) return undefined;
    const base = await subtle().importKey('raw', shared as BufferSource, 'HKDF', false, ['deriveKey']);
    return await subtle().deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT as BufferSource, info: info as BufferSource },
      base,
      { name: GCM, length: 256 },
      false,
      [usage],
    );
  } finally {
    shared.fill(0);
  }
}

function infoOf(label: string, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return concatBytes(utf8.encode(label), Uint8Array.of(0), ephemeral, recipient);
}

/**
 * Seals `plaintext` (at most `maxPlaintext` bytes) to `to`. `label` separates the uses of boxes:
 * a box sealed for one purpose does not open for another.
 */
export async function sealTo(to: NodeId, plaintext: Uint8Array, label: string, maxPlaintext: number): Promise<Uint8Array> {
  if (plaintext.length > maxPlaintext) {
    throw new KeynodeError('ErrorInvalidArgument', `This is too large to seal (over ${maxPlaintext} bytes).`);
  }
  const recipient = x25519PublicKeyOf(to);
  const pair = (await subtle().generateKey(X25519, false, ['deriveBits'])) as CryptoKeyPair;
  const ephemeral = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const key = await boxKey(pair.privateKey, recipient, infoOf(label, ephemeral, recipient), 'encrypt');
  if (key === undefined) throw new KeynodeError('ErrorInternal', 'A sealed box could not be made for this NodeId.');
  const padded = new Uint8Array(LENGTH_BYTES + bucketFor(plaintext.length));
  new DataView(padded.buffer).setUint32(0, plaintext.length);
  padded.set(plaintext, LENGTH_BYTES);
  const header = concatBytes(Uint8Array.of(SEALED_BOX_VERSION), ephemeral);
  const sealed = new Uint8Array(
    await subtle().encrypt({ name: GCM, iv: ZERO_NONCE as BufferSource, additionalData: header as BufferSource }, key, padded as BufferSource),
  );
  padded.fill(0);
  return concatBytes(header, sealed);
}

/**
 * Opens a box sealed to the holder of `privateKey` (whose public key is `recipient`). Undefined when
 * it is not a box this key opens: a size that is no bucket up to `maxPlaintext`'s, an unknown
 * version, a low-order E, a failed tag, a length or padding that is not the one a sealer writes.
 * The size is checked before anything is allocated or decrypted.
 */
export async function openBox(
  privateKey: CryptoKey,
  recipient: Uint8Array,
  box: Uint8Array,
  label: string,
  maxPlaintext: number,
): Promise<Uint8Array | undefined> {
  const bucket = box.length - SEALED_BOX_OVERHEAD;
  if (bucket < MIN_BUCKET || bucket > bucketFor(maxPlaintext) || (bucket & (bucket - 1)) !== 0) return undefined;
  if (box[0] !== SEALED_BOX_VERSION) return undefined;
  const header = box.subarray(0, HEADER_BYTES);
  const ephemeral = box.subarray(1, HEADER_BYTES);
  const key = await boxKey(privateKey, ephemeral, infoOf(label, ephemeral, recipient), 'decrypt');
  if (key === undefined) return undefined;
  let padded: Uint8Array;
  try {
    padded = new Uint8Array(
      await subtle().decrypt(
        { name: GCM, iv: ZERO_NONCE as BufferSource, additionalData: header as BufferSource },
        key,
        box.subarray(HEADER_BYTES) as BufferSource,
      ),
    );
  } catch {
    return undefined;
  }
  const length = new DataView(padded.buffer, padded.byteOffset).getUint32(0);
  // Only the padding a sealer writes: the smallest bucket that fits, and zeros after the plaintext.
  const canonical = length <= maxPlaintext && bucketFor(length) === bucket && padded.subarray(LENGTH_BYTES + length).every((b) => b === 0);
  const plaintext = canonical ? padded.slice(LENGTH_BYTES, LENGTH_BYTES + length) : undefined;
  padded.fill(0);
  return plaintext;
}
