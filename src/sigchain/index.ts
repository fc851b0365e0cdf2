// The sigchain domain: this keynode's hash-chained claims and the verifier for anyone's chain.
export { Sigchain, type SigchainOptions, type VerifiedAppend } from './sigchain.js';
export { linkStates, verifySigchain, MAX_CHAIN_BYTES, MAX_CHAIN_LENGTH, type LinkState } from './verify.js';
export { claimDigest, checkClaimShape, isClaimLinkNode, isClaimUnlinkNode } from './utils.js';
export type {
  ClaimChainFields,
  ClaimFields,
  ClaimLinkNodeFields,
  ClaimLinkNodePayload,
  ClaimLinkNodeToken,
  ClaimPayload,
  ClaimUnlinkNodeFields,
  ClaimUnlinkNodePayload,
  ClaimUnlinkNodeToken,
  SignedClaim,
  VerifiedClaim,
} from './types.js';
