// What keynodes and the signaling server both need about NodeIds (docs/design.md §2): the type, its
// one text spelling ('v' + 52 lowercase base32hex characters of a 32-byte Ed25519 public key), the
// strict check that only a strong point is one (ed25519-point.ts), and verifying a signature by one.
// Shared so that the server refuses exactly the NodeIds and signatures a keynode would.
import { isCanonicalScalar, isStrongPoint } from './ed25519-point.js';
import { decodeBase32hex, encodeBase32hex } from './encoding.js';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type NodeId = Brand<string, 'NodeId'>;

/** The 32 bytes a NodeId's text spells, whatever point they are. */
export function spelledPublicKey(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length !== 53) return undefined;
  const bytes = decodeBase32hex(text);
  // Re-encoding must give the same text, so every NodeId has exactly one spelling.
  if (bytes === undefined || bytes.length !== 32 || encodeBase32hex(bytes) !== text) return undefined;
  return bytes;
}

// Decoding a point costs about 0.1 ms, and NodeIds are checked in every schema, so the NodeIds that
// passed are remembered (bounded: cleared when full, which costs only the checks again).
const strongNodeIds = new Set<string>();
const STRONG_CACHE_SIZE = 4096;

/** The public key of a NodeId, or undefined unless `text` spells a strong point the one way it may. */
export function decodeNodeId(text: string): Uint8Array | undefined {
  const bytes = spelledPublicKey(text);
  if (bytes === undefined) return undefined;
  if (!strongNodeIds.has(text)) {
    if (!isStrongPoint(bytes)) return undefined;
    if (strongNodeIds.size >= STRONG_CACHE_SIZE) strongNodeIds.clear();
    strongNodeIds.add(text);
  }
  return bytes;
}

export function isNodeId(value: unknown): value is NodeId {
  return typeof value === 'string' && decodeNodeId(value) !== undefined;
}

const ED25519 = { name: 'Ed25519' } as const;
const publicKeyCache = new Map<string, Promise<CryptoKey>>();

function importPublicKey(nodeId: NodeId, raw: Uint8Array): Promise<CryptoKey> {
  let key = publicKeyCache.get(nodeId);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', raw as BufferSource, ED25519, true, ['verify']);
    if (publicKeyCache.size > 1000) publicKeyCache.clear();
    publicKeyCache.set(nodeId, key);
  }
  return key;
}

/**
 * True when `signature` is `nodeId`'s Ed25519 signature over `message`; never throws on bad input.
 * Strict, whatever the platform's WebCrypto allows: the key (decodeNodeId) and R must be canonical
 * points of large order and S below the group order (ed25519-point.ts) before WebCrypto checks the
 * equation. Every login, handshake, notification and claim is verified here.
 */
export async function verify(nodeId: NodeId, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!isCanonicalScalar(signature.subarray(32)) || !isStrongPoint(signature.subarray(0, 32))) return false;
  const raw = decodeNodeId(nodeId);
  if (raw === undefined) return false;
  try {
    return await crypto.subtle.verify(ED25519, await importPublicKey(nodeId, raw), signature as BufferSource, message as BufferSource);
  } catch {
    return false;
  }
}
