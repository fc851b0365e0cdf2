// Gestalt graph shapes. Vertices are keynodes; the vertex type stays open for identities
// (['identity', [provider, id]], docs/spec.md §3.5) although no provider is implemented, so nothing here
// creates identity vertices. A node–node link holds the ClaimLinkNode token both ends signed.
import type { NodeId } from '../ids/index.js';
import type { ClaimLinkNodeToken } from '../sigchain/types.js';

export type ProviderId = string;
export type IdentityId = string;

export type GestaltId = ['node', NodeId] | ['identity', [ProviderId, IdentityId]];

/** The storage key of a vertex: `node-<NodeId>` or `identity-<uri-encoded JSON pair>` (never contains '/'). */
export type GestaltKey = string;

export interface GestaltNodeInfo {
  type: 'node';
  nodeId: NodeId;
}

export interface GestaltLinkNode {
  type: 'node';
  /** The doubly-signed claim proving the link; whoever calls linkNodeAndNode has verified it. */
  claim: ClaimLinkNodeToken;
}
