// Pure helpers shared by the sigchain and its verifier: the hash that chains claims together and the
// shape checks every claim passes before anything else looks at it. The digest uses the synchronous
// SHA-256 of @noble/hashes so it can be computed inside a storage transaction (which may await only
// its own requests).
import { sha256 } from '@noble/hashes/sha2.js';
import { KeynodeError } from '../errors.js';
import { isNodeId } from '../ids/index.js';
import { base64urlEncode, canonicalJSON } from '../keys/crypto.js';
import type { SignedToken } from '../keys/token.js';
import type { ClaimLinkNodeToken, ClaimPayload, ClaimUnlinkNodePayload, ClaimUnlinkNodeToken, SignedClaim } from './types.js';
import { utf8 } from '../utils/bytes.js';

/** Largest signed claim accepted (bytes of its canonical JSON): links are a few hundred bytes. */
export const MAX_CLAIM_BYTES = 16 * 1024;
/** Most signatures a claim may carry: a link has two. */
export const MAX_SIGNATURES = 4;

export function claimDigest(token: SignedToken<unknown>): string {
  return base64urlEncode(sha256(utf8.encode(canonicalJSON(token))));
}

export function sigchainInvalid(message: string, data?: Record<string, unknown>): KeynodeError {
  return new KeynodeError('ErrorSigchainInvalid', message, data === undefined ? {} : { data });
}

/**
 * Checks that a value is a well-formed signed claim (chain fields, typ, signature list, size) and,
 * for a ClaimLinkNode, that iss and sub are two different valid NodeIds. Signatures are not verified here.
 */
export function checkClaimShape(value: unknown): SignedClaim {
  return checkClaim(value).token;
}

/** checkClaimShape, also saying how many bytes the claim's canonical JSON takes (chains are bounded by it). */
export function checkClaim(value: unknown): { token: SignedClaim; bytes: number } {
  if (typeof value !== 'object' || value === null) throw sigchainInvalid('A claim is not an object.');
  const token = value as Partial<SignedClaim>;
  const p = token.payload as Partial<ClaimPayload> | undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw sigchainInvalid('A claim has no payload.');
  if (!Array.isArray(token.signatures) || token.signatures.length === 0 || token.signatures.length > MAX_SIGNATURES) {
    throw sigchainInvalid('A claim does not carry a sensible list of signatures.');
  }
  if (typeof p.jti !== 'string' || p.jti.length === 0 || p.jti.length > 100) throw sigchainInvalid('A claim has no valid jti.');
  if (typeof p.seq !== 'number' || !Number.isSafeInteger(p.seq) || p.seq < 1) throw sigchainInvalid('A claim has no valid seq.');
  if (typeof p.iat !== 'number' || !Number.isFinite(p.iat)) throw sigchainInvalid('A claim has no valid iat.');
  if (p.prevDigest !== null && typeof p.prevDigest !== 'string') throw sigchainInvalid('A claim has no valid prevDigest.');
  if (typeof p.typ !== 'string' || p.typ.length === 0) throw sigchainInvalid('A claim has no type.');
  if (p.typ === 'ClaimLinkNode' && !(isNodeId(p.iss) && isNodeId(p.sub) && p.iss !== p.sub)) {
    throw sigchainInvalid('A ClaimLinkNode does not name two different valid NodeIds.');
  }
  if (p.typ === 'ClaimUnlinkNode') {
    if (!(isNodeId(p.iss) && isNodeId(p.sub) && p.iss !== p.sub)) throw sigchainInvalid('A ClaimUnlinkNode does not name two different valid NodeIds.');
    const { linkJti, linkSeq } = p as Partial<ClaimUnlinkNodePayload>;
    if (typeof linkJti !== 'string' || linkJti.length === 0 || linkJti.length > 100) throw sigchainInvalid('A ClaimUnlinkNode names no valid link jti.');
    if (typeof linkSeq !== 'number' || !Number.isSafeInteger(linkSeq) || linkSeq < 1 || linkSeq >= p.seq) {
      throw sigchainInvalid('A ClaimUnlinkNode names no earlier claim of its chain.');
    }
  }
  let size: number;
  try {
    size = utf8.encode(canonicalJSON(token)).length;
  } catch {
    throw sigchainInvalid('A claim holds values that cannot be signed.');
  }
  if (size > MAX_CLAIM_BYTES) throw sigchainInvalid('A claim is too large.');
  return { token: token as SignedClaim, bytes: size };
}

export function isClaimLinkNode(token: SignedClaim): token is ClaimLinkNodeToken {
  return token.payload.typ === 'ClaimLinkNode';
}

export function isClaimUnlinkNode(token: SignedClaim): token is ClaimUnlinkNodeToken {
  return token.payload.typ === 'ClaimUnlinkNode';
}
