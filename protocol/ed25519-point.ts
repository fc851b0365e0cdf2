// Which 32-byte strings keynode accepts as Ed25519 values: a point — a NodeId (public key A) or the R
// half of a signature — and the S half of a signature. A point must decode under RFC 8032's strict
// rules (y below the field prime, no "negative zero" x, on the curve) and must not be of small order
// (the 8 points whose multiples stay in the torsion subgroup, the identity among them). A small-order
// key lets anyone forge: with A = identity, R = identity and S = 0 any message "verifies", and Node's
// WebCrypto accepted exactly that. Honest keys and honest R values are multiples of the base point,
// so the rule refuses nothing a real keynode makes.
//
// Points of large order with a torsion component ("mixed order") are not refused: the check costs a
// full scalar multiplication (about 2 ms in pure JS), and such a key is worth no more to its maker
// than a fresh key of its own — it forges nobody else's signature (docs/threat-model.md, "Against hostile peers").
import { ed25519 } from '@noble/curves/ed25519.js';

/** True when `bytes` is the canonical encoding of an Ed25519 curve point that is not of small order. */
export function isStrongPoint(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  try {
    // zip215 = false: RFC 8032 strict decoding (y < p, x = 0 only with the sign bit clear).
    return !ed25519.Point.fromBytes(bytes, false).isSmallOrder();
  } catch {
    return false;
  }
}

/** True when `bytes` is a little-endian integer below the group order: the only valid S (RFC 8032 §5.1.7). */
export function isCanonicalScalar(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n < ed25519.Point.Fn.ORDER;
}
