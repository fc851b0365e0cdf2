// Claim shapes on a sigchain. Every claim is a signed token whose payload carries the chain fields
// (jti, seq, iat, prevDigest) and the claim's own fields (typ and the rest). A ClaimLinkNode links
// two keynodes and is only trusted with BOTH their signatures; both copies name the initiator as iss.
// A ClaimUnlinkNode, signed by the chain's owner alone, revokes a link claim earlier on the same chain
// (docs/gestalts.md): either end of a link may revoke it, without the other's help.
import type { NodeId } from '../ids/index.js';
import type { SignedToken } from '../keys/token.js';

export interface ClaimFields {
  typ: string;
  [field: string]: unknown;
}

export type ClaimChainFields = {
  /** Unique id of the claim (random, base64url). */
  jti: string;
  /** 1 for the first claim, then +1 for each. */
  seq: number;
  /** Issue time, seconds since the epoch. */
  iat: number;
  /** base64url SHA-256 of canonicalJSON of the previous signed claim; null for the first claim. */
  prevDigest: string | null;
};

export type ClaimPayload = ClaimFields & ClaimChainFields;

// A type alias (not an interface) so that it is assignable to ClaimFields' index signature.
export type ClaimLinkNodeFields = {
  typ: 'ClaimLinkNode';
  /** The initiator of the link. */
  iss: NodeId;
  /** The responder. */
  sub: NodeId;
};

export type ClaimLinkNodePayload = ClaimLinkNodeFields & ClaimChainFields;

export type ClaimUnlinkNodeFields = {
  typ: 'ClaimUnlinkNode';
  /** The chain's owner: the end of the link that revokes it. */
  iss: NodeId;
  /** The other end, no longer linked. */
  sub: NodeId;
  /** The revoked ClaimLinkNode on this same chain: its jti and seq. */
  linkJti: string;
  linkSeq: number;
};

export type ClaimUnlinkNodePayload = ClaimUnlinkNodeFields & ClaimChainFields;

export type SignedClaim = SignedToken<ClaimPayload>;
export type ClaimLinkNodeToken = SignedToken<ClaimLinkNodePayload>;
export type ClaimUnlinkNodeToken = SignedToken<ClaimUnlinkNodePayload>;

/**
 * A claim that verifySigchain accepted; for a ClaimLinkNode, `linked` is the end that is not the
 * owner; for a ClaimUnlinkNode, `unlinked` is the end whose link the owner revoked.
 */
export interface VerifiedClaim {
  seq: number;
  payload: ClaimPayload;
  token: SignedClaim;
  linked?: NodeId;
  unlinked?: NodeId;
}
