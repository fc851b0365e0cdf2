// The gestalts domain: the gestalt graph, the claim protocol that links keynodes, and the local API.
export { GestaltGraph } from './gestalt-graph.js';
export { GestaltsManager, type GestaltListItem, type GestaltsManagerOptions, type LocalGestalts } from './gestalts-manager.js';
export {
  applyDiscoveredSigchain,
  completeClaim,
  createClaimRequest,
  finishClaim,
  handleClaimRequest,
  revokeLink,
  type ClaimContext,
  type ClaimReply,
  type DiscoveredLink,
} from './claim-protocol.js';
export { applyChain, applyOwnChain, extendsChain, type AppliedChain } from './discovery.js';
export { gestaltKey, linkKey, nodeKey, parseGestaltKey } from './gestalt-keys.js';
export type { GestaltId, GestaltKey, GestaltLinkNode, GestaltNodeInfo, IdentityId, ProviderId } from './types.js';
