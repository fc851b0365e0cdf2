// Verifies a whole sigchain fetched from a peer (or read back from storage). The chain as a whole must
// be intact — every claim signed by its owner (first), seq counting 1, 2, 3…, each prevDigest the hash of the
// claim before, within the length and byte bounds — or it is rejected outright (ErrorSigchainInvalid).
// Individual ClaimLinkNodes that are not doubly signed, or do not have the owner at one end, are
// dropped: never trusted, never thrown. A ClaimUnlinkNode is held to more: the owner must be its iss
// and it must name a link claim the owner made earlier on this chain with that other end (same jti
// and seq); anything else is a forged or confused revocation and the whole chain is refused, since the
// owner signed it. Async only because Ed25519 verification in WebCrypto is.
import type { NodeId } from '../ids/index.js';
import { base64urlDecode } from '../keys/crypto.js';
import { verifiedSigners } from '../keys/token.js';
import type { ClaimLinkNodeToken, SignedClaim, VerifiedClaim } from './types.js';
import { checkClaim, claimDigest, isClaimLinkNode, isClaimUnlinkNode, sigchainInvalid } from './utils.js';
import { utf8 } from '../utils/bytes.js';

/**
 * Most claims one chain may hold. A person links and unlinks a handful of browsers, each one claim;
 * the bound keeps a hostile chain from costing thousands of signature checks.
 */
export const MAX_CHAIN_LENGTH = 128;
/**
 * Most bytes (canonical JSON) one chain may hold: what one peer RPC reply frame carries, so a chain
 * this keynode accepts is one it can also serve (about a hundred link claims).
 */
export const MAX_CHAIN_BYTES = 60 * 1024;

export async function verifySigchain(owner: NodeId, claims: unknown): Promise<VerifiedClaim[]> {
  if (!Array.isArray(claims)) throw sigchainInvalid('A sigchain must be a list of claims.');
  if (claims.length > MAX_CHAIN_LENGTH) {
    throw sigchainInvalid(`The sigchain holds ${claims.length} claims; at most ${MAX_CHAIN_LENGTH} are accepted.`, { limit: MAX_CHAIN_LENGTH });
  }
  const out: VerifiedClaim[] = [];
  // The link claims accepted so far, by seq: what a revocation may name.
  const links = new Map<number, { jti: string; other: NodeId }>();
  let previous: SignedClaim | undefined;
  let total = 0;
  for (let i = 0; i < claims.length; i++) {
    const { token, bytes } = checkClaim(claims[i]);
    total += bytes;
    if (total > MAX_CHAIN_BYTES) throw sigchainInvalid(`The sigchain is larger than ${MAX_CHAIN_BYTES} bytes.`, { limit: MAX_CHAIN_BYTES });
    const { seq, prevDigest } = token.payload;
    if (seq !== i + 1) throw sigchainInvalid(`Claim ${i + 1} of the sigchain is out of order.`, { index: i, seq });
    const expected = previous === undefined ? null : claimDigest(previous);
    if (prevDigest !== expected) {
      throw sigchainInvalid(`Claim ${seq} of the sigchain does not follow the claim before it.`, { seq });
    }
    const signers = await verifiedSigners(token);
    if (!signers.has(owner)) throw sigchainInvalid(`Claim ${seq} of the sigchain is not signed by its owner.`, { seq });
    // The owner signs each claim of its chain first. Both copies of a link carry both signatures;
    // this is what tells ours from the other end's, so the other's copy never passes as our chain.
    if (firstSigner(token) !== owner) throw sigchainInvalid(`Claim ${seq} of the sigchain was not first signed by its owner.`, { seq });
    previous = token;
    if (isClaimLinkNode(token)) {
      const { iss, sub } = token.payload;
      const other = iss === owner ? sub : sub === owner ? iss : undefined;
      if (other === undefined || !signers.has(other)) continue;
      links.set(seq, { jti: token.payload.jti, other });
      out.push({ seq, payload: token.payload, token, linked: other });
    } else if (isClaimUnlinkNode(token)) {
      const { iss, sub, linkJti, linkSeq } = token.payload;
      const link = links.get(linkSeq);
      if (iss !== owner || link === undefined || link.jti !== linkJti || link.other !== sub) {
        throw sigchainInvalid(`Claim ${seq} of the sigchain revokes a link its owner did not make on this chain.`, { seq });
      }
      out.push({ seq, payload: token.payload, token, unlinked: sub });
    } else {
      out.push({ seq, payload: token.payload, token });
    }
  }
  return out;
}

function firstSigner(token: SignedClaim): string | undefined {
  try {
    const header = JSON.parse(utf8.decode(base64urlDecode(token.signatures[0]!.protected))) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** What a chain says of one other keynode, by its last word on it: linked (with the proof) or revoked. */
export type LinkState = { state: 'linked'; seq: number; claim: ClaimLinkNodeToken } | { state: 'revoked'; seq: number };

/** For each keynode a verified chain links or unlinks, the chain's last word on it. */
export function linkStates(verified: readonly VerifiedClaim[]): Map<NodeId, LinkState> {
  const states = new Map<NodeId, LinkState>();
  for (const c of verified) {
    if (c.linked !== undefined) states.set(c.linked, { state: 'linked', seq: c.seq, claim: c.token as ClaimLinkNodeToken });
    else if (c.unlinked !== undefined) states.set(c.unlinked, { state: 'revoked', seq: c.seq });
  }
  return states;
}
