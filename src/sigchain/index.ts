// The sigchain domain: this keynode's hash-chained claims and the verifier for anyone's chain.
export { Sigchain, type SigchainOptions, type VerifiedAppend } from './sigchain.js';
export { verifySigchain, MAX_CHAIN_LENGTH } from './verify.js';
export { claimDigest, checkClaimShape, isClaimLinkNode } from './utils.js';
export type {
  ClaimChainFields,
  ClaimFields,
  ClaimLinkNodeFields,
  ClaimLinkNodePayload,
  ClaimLinkNodeToken,
  ClaimPayload,
  SignedClaim,
  VerifiedClaim,
} from './types.js';
