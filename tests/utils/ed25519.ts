// Ed25519 test material: real public keys for property tests (any 32 random bytes are not a NodeId
// any more: only a strong curve point is), and the weak encodings every NodeId and signature check
// must refuse — the 8 small-order points, spelled canonically and not, as listed in "Taming the
// many EdDSAs" (Chalkias et al., 2020) and libsodium's blocklist.
import { base32hexnopad } from '@scure/base';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import type { NodeId } from '../../src/ids/index.js';

/** The public key of a 32-byte seed (RFC 8032 key generation): always a strong point. */
export function publicKeyOf(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** Arbitrary real public keys. */
export const publicKeys = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 32, maxLength: 32 }).map(publicKeyOf);

/** The NodeId spelling of any 32 bytes, bypassing encodeNodeId's checks: how an attacker writes one. */
export function spellNodeId(bytes: Uint8Array): NodeId {
  return ('v' + base32hexnopad.encode(bytes).toLowerCase()) as NodeId;
}

export const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));

/** Every encoding of a small-order point that some decoder accepts: 8 canonical, 6 not. */
export const smallOrderEncodings: ReadonlyArray<{ name: string; bytes: Uint8Array; canonical: boolean }> = [
  { name: 'identity (0, 1)', bytes: hex('0100000000000000000000000000000000000000000000000000000000000000'), canonical: true },
  { name: 'order 2 (0, -1)', bytes: hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), canonical: true },
  { name: 'order 4, y = 0', bytes: hex('0000000000000000000000000000000000000000000000000000000000000000'), canonical: true },
  { name: 'order 4, y = 0, x negated', bytes: hex('0000000000000000000000000000000000000000000000000000000000000080'), canonical: true },
  { name: 'order 8, y8', bytes: hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), canonical: true },
  { name: 'order 8, y8, x negated', bytes: hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'), canonical: true },
  { name: 'order 8, -y8', bytes: hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), canonical: true },
  { name: 'order 8, -y8, x negated', bytes: hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'), canonical: true },
  { name: 'identity with the sign bit set ("-0")', bytes: hex('0100000000000000000000000000000000000000000000000000000000000080'), canonical: false },
  { name: 'order 2 with the sign bit set', bytes: hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'), canonical: false },
  { name: 'order 4 as y = p', bytes: hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), canonical: false },
  { name: 'order 4 as y = p, sign bit set', bytes: hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'), canonical: false },
  { name: 'identity as y = p + 1', bytes: hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), canonical: false },
  { name: 'identity as y = p + 1, sign bit set', bytes: hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'), canonical: false },
];

/**
 * A point of large order written non-canonically (y + p instead of y, for the first small y that is
 * on the curve): lenient decoders take it for a genuine key.
 */
export function nonCanonicalLargePoint(): { nonCanonical: Uint8Array; canonical: Uint8Array } {
  const p = ed25519.Point.Fp.ORDER;
  for (let y = 2n; y < 19n; y++) {
    const canonical = littleEndian(y);
    try {
      if (ed25519.Point.fromBytes(canonical, false).isSmallOrder()) continue;
    } catch {
      continue; // not on the curve
    }
    return { nonCanonical: littleEndian(y + p), canonical };
  }
  throw new Error('no small y on the curve');
}

function littleEndian(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The classic forgery: R = identity, S = 0, which a small-order key "verifies" for any message. */
export const forgedSignature = (): Uint8Array => {
  const sig = new Uint8Array(64);
  sig[0] = 1;
  return sig;
};

/** A genuine signature made malleable: S + ℓ, same R (a non-canonical S that lenient verifiers take). */
export function withNonCanonicalS(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  const out = signature.slice();
  out.set(littleEndian(s + ed25519.Point.Fn.ORDER), 32);
  return out;
}

/** A signer as an attacker builds one: a small-order "key" and the forged signature for every message. */
export function weakSigner(bytes: Uint8Array = smallOrderEncodings[0]!.bytes): { nodeId: NodeId; sign: () => Promise<Uint8Array> } {
  return { nodeId: spellNodeId(bytes), sign: async () => forgedSignature() };
}
