// Ed25519 through WebCrypto (browser pages, every worker kind, Node 20), plus the byte helpers the
// signing code shares. A NodeId is the raw public key, so verifying needs nothing but the NodeId.
import { base64urlEncode, decodeBase64url } from '../../protocol/encoding.js';
import { KeynodeError } from '../errors.js';

// Strict verification (protocol/node-id.ts) is shared with the signaling server, which checks logins.
export { verify } from '../../protocol/node-id.js';
export { base64urlEncode };

const ED25519 = { name: 'Ed25519' } as const;
// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): WebCrypto imports seeds only this way.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export interface KeyPair {
  privateKey: CryptoKey; // non-extractable
  publicKey: Uint8Array; // 32 raw bytes
}

/** The PKCS#8 form of a 32-byte Ed25519 seed (zero it after use: it is the private key). */
export function ed25519Pkcs8(seed: Uint8Array): Uint8Array<ArrayBuffer> {
  if (seed.length !== 32) throw new KeynodeError('ErrorInternal', 'An Ed25519 seed is 32 bytes.');
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(seed, 16);
  return pkcs8;
}

/** Builds the key pair for a 32-byte seed; the private key comes back non-extractable. */
export async function keyPairFromSeed(seed: Uint8Array): Promise<KeyPair> {
  const pkcs8 = ed25519Pkcs8(seed);
  // Import once extractable only to read the public half (JWK "x"), then again non-extractable.
  const extractable = await crypto.subtle.importKey('pkcs8', pkcs8, ED25519, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', extractable);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
  pkcs8.fill(0);
  if (jwk.x === undefined) throw new KeynodeError('ErrorInternal', 'WebCrypto did not return the public key.');
  return { privateKey, publicKey: base64urlDecode(jwk.x) };
}

export async function sign(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, message as BufferSource));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

export function base64urlDecode(text: string): Uint8Array {
  const bytes = decodeBase64url(text);
  if (bytes === undefined) throw new KeynodeError('ErrorInvalidArgument', 'Not base64url text.');
  return bytes;
}

/** Deterministic JSON (sorted object keys, no whitespace): what every signature covers. */
export function canonicalJSON(value: unknown): string {
  // Sign what JSON.stringify sends (toJSON first: a Date becomes its ISO text), so a receiver that
  // parses the JSON recomputes the same bytes; JSON has no form for the rest, so refuse it.
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new KeynodeError('ErrorInvalidArgument', 'Non-finite number in signed data.');
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
    throw new KeynodeError('ErrorInvalidArgument', `${value === undefined ? 'undefined' : `A ${typeof value}`} in signed data.`);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJSON).join(',') + ']';
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJSON(v)).join(',') + '}';
}
