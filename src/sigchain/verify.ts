// Verifies a whole sigchain fetched from a peer (or read back from storage). The chain as a whole must
// be intact — every claim signed by its owner, seq counting 1, 2, 3…, each prevDigest the hash of the
// claim before — or it is rejected outright (ErrorSigchainInvalid). Individual ClaimLinkNodes that
// are not doubly signed, or do not have the owner at one end, are dropped: never trusted, never thrown.
// Async only because Ed25519 verification in WebCrypto is.
import type { NodeId } from '../ids/index.js';
import { verifiedSigners } from '../keys/token.js';
import type { SignedClaim, VerifiedClaim } from './types.js';
import { checkClaimShape, claimDigest, isClaimLinkNode, sigchainInvalid } from './utils.js';

/** Most claims one chain may hold before we refuse to spend time on it. */
export const MAX_CHAIN_LENGTH = 10_000;

export async function verifySigchain(owner: NodeId, claims: unknown): Promise<VerifiedClaim[]> {
  if (!Array.isArray(claims)) throw sigchainInvalid('A sigchain must be a list of claims.');
  if (claims.length > MAX_CHAIN_LENGTH) throw sigchainInvalid('The sigchain is too long to verify.');
  const out: VerifiedClaim[] = [];
  let previous: SignedClaim | undefined;
  for (let i = 0; i < claims.length; i++) {
    const token = checkClaimShape(claims[i]);
    const { seq, prevDigest } = token.payload;
    if (seq !== i + 1) throw sigchainInvalid(`Claim ${i + 1} of the sigchain is out of order.`, { index: i, seq });
    const expected = previous === undefined ? null : claimDigest(previous);
    if (prevDigest !== expected) {
      throw sigchainInvalid(`Claim ${seq} of the sigchain does not follow the claim before it.`, { seq });
    }
    const signers = await verifiedSigners(token);
    if (!signers.has(owner)) throw sigchainInvalid(`Claim ${seq} of the sigchain is not signed by its owner.`, { seq });
    previous = token;
    if (isClaimLinkNode(token)) {
      const { iss, sub } = token.payload;
      const other = iss === owner ? sub : sub === owner ? iss : undefined;
      if (other === undefined || !signers.has(other)) continue;
      out.push({ seq, payload: token.payload, token, linked: other });
    } else {
      out.push({ seq, payload: token.payload, token });
    }
  }
  return out;
}
