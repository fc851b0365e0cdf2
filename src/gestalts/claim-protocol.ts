// The cross-signing protocol that links two keynodes (docs/spec.md §3.3, docs/polykey.md §3.3), written
// transport-agnostically: each step takes and returns tokens, so the network layer can carry it over
// two peer RPC calls (request → reply, then the doubly-signed responder claim → done).
//   1. X createClaimRequest(Y)          → X's claim {iss X, sub Y}, signed by X (not yet on X's chain)
//   2. Y handleClaimRequest(X, token)   → requires `claim` for X in Y's ACL; countersigns X's claim and
//                                         returns it with Y's own claim {iss X, sub Y} signed by Y
//   3. X completeClaim(Y, reply)        → checks both, appends its claim and links X–Y in ONE
//                                         transaction, returns Y's claim countersigned by X
//   4. Y finishClaim(X, doublySigned)   → checks both signatures and that it extends Y's head, appends
//                                         and links in ONE transaction
// Steps 1–2 write nothing; a step that refuses its input changes nothing on its side. The one window
// no two-party protocol closes: if step 4 refuses after step 3 committed, X holds a link that Y did
// sign (Y consented in step 2); Y converges when it discovers X's chain (applyDiscoveredSigchain).
// Either end may later revoke the link alone (revokeLink): a ClaimUnlinkNode on its own chain.
import { KeynodeError } from '../errors.js';
import type { ACL } from '../acl/acl.js';
import type { NodeId } from '../ids/index.js';
import { addSignature, signToken, verifiedSigners, type Signer } from '../keys/token.js';
import type { Sigchain } from '../sigchain/sigchain.js';
import type { ClaimLinkNodeToken, SignedClaim } from '../sigchain/types.js';
import { checkClaimShape, isClaimLinkNode, sigchainInvalid } from '../sigchain/utils.js';
import { linkStates, verifySigchain } from '../sigchain/verify.js';
import type { KV, Tx } from '../storage/kv.js';
import { applyChain, recordOwnLink, recordOwnRevocation } from './discovery.js';
import type { GestaltGraph } from './gestalt-graph.js';

export interface ClaimContext {
  kv: KV;
  identity: Signer;
  acl: ACL;
  graph: GestaltGraph;
  sigchain: Sigchain;
}

export interface ClaimReply {
  /** The initiator's claim, now signed by both. */
  countersigned: ClaimLinkNodeToken;
  /** The responder's own claim for its chain, signed by the responder only. */
  responderClaim: ClaimLinkNodeToken;
}

export interface DiscoveredLink {
  a: NodeId;
  b: NodeId;
}

/** Parses a token as a ClaimLinkNode from `iss` to `sub`, or says precisely why not. */
function linkClaim(value: unknown, iss: NodeId, sub: NodeId): ClaimLinkNodeToken {
  const token = checkClaimShape(value);
  if (!isClaimLinkNode(token)) throw sigchainInvalid('The claim is not a ClaimLinkNode.');
  if (token.payload.iss !== iss || token.payload.sub !== sub) {
    throw new KeynodeError('ErrorNodePermissionDenied', 'The link claim names other keynodes than the two taking part.', {
      data: { iss: token.payload.iss, sub: token.payload.sub },
    });
  }
  return token;
}

async function requireSigners(token: SignedClaim, nodeIds: NodeId[], what: string): Promise<void> {
  const signers = await verifiedSigners(token);
  for (const nodeId of nodeIds) {
    if (!signers.has(nodeId)) throw sigchainInvalid(`${what} does not carry a valid signature of ${nodeId}.`);
  }
}

async function requireClaimPermission(ctx: ClaimContext, tx: Tx, x: NodeId): Promise<void> {
  const perm = await ctx.acl.getNodePerm(tx, x);
  if (perm === undefined || !perm.gestalt.includes('claim')) {
    throw new KeynodeError('ErrorNodePermissionDenied', `Keynode ${x} may not link with this keynode: it has not been invited (no claim permission).`, {
      data: { nodeId: x },
    });
  }
}

/** Step 1 (initiator X): X's half-signed claim to link with Y. */
export async function createClaimRequest(ctx: ClaimContext, y: NodeId): Promise<ClaimLinkNodeToken> {
  const x = ctx.identity.nodeId;
  if (y === x) throw new KeynodeError('ErrorInvalidArgument', 'A keynode cannot link with itself.');
  const payload = await ctx.sigchain.prepare({ typ: 'ClaimLinkNode' as const, iss: x, sub: y });
  return signToken(payload, ctx.identity);
}

/** Step 2 (responder Y): checks X may claim, countersigns X's claim, signs Y's own copy. Writes nothing. */
export async function handleClaimRequest(ctx: ClaimContext, authenticatedX: NodeId, value: unknown): Promise<ClaimReply> {
  const y = ctx.identity.nodeId;
  await ctx.kv.read((tx) => requireClaimPermission(ctx, tx, authenticatedX));
  const request = linkClaim(value, authenticatedX, y);
  if (request.signatures.length !== 1) throw sigchainInvalid("A claim request carries exactly the initiator's signature.");
  await requireSigners(request, [authenticatedX], 'The claim request');
  const countersigned = await addSignature(request, ctx.identity);
  const payload = await ctx.sigchain.prepare({ typ: 'ClaimLinkNode' as const, iss: authenticatedX, sub: y });
  const responderClaim = await signToken(payload, ctx.identity);
  return { countersigned, responderClaim };
}

/** Step 3 (initiator X): appends its doubly-signed claim, links X–Y, returns Y's claim countersigned. */
export async function completeClaim(ctx: ClaimContext, y: NodeId, reply: unknown): Promise<ClaimLinkNodeToken> {
  const x = ctx.identity.nodeId;
  const r = reply as Partial<ClaimReply> | null;
  if (typeof r !== 'object' || r === null) throw sigchainInvalid('The claim reply is not an object.');
  const own = linkClaim(r.countersigned, x, y);
  const verified = await ctx.sigchain.verifyForAppend(own); // both signatures, as a link claim needs
  const theirs = linkClaim(r.responderClaim, x, y);
  if (theirs.signatures.length !== 1) throw sigchainInvalid("The responder's claim carries exactly its signature.");
  await requireSigners(theirs, [y], "The responder's claim");
  const doublySigned = await addSignature(theirs, ctx.identity);
  await ctx.kv.write(async (tx) => {
    await ctx.sigchain.appendVerified(tx, verified);
    await ctx.graph.linkNodeAndNode(tx, x, y, own);
    await recordOwnLink(tx, x, y, own);
  });
  return doublySigned;
}

/** Step 4 (responder Y): appends its doubly-signed claim and links X–Y. */
export async function finishClaim(ctx: ClaimContext, authenticatedX: NodeId, value: unknown): Promise<void> {
  const y = ctx.identity.nodeId;
  const token = linkClaim(value, authenticatedX, y);
  const verified = await ctx.sigchain.verifyForAppend(token);
  await ctx.kv.write(async (tx) => {
    // Checked again: the invitation may have been withdrawn since step 2.
    await requireClaimPermission(ctx, tx, authenticatedX);
    await ctx.sigchain.appendVerified(tx, verified);
    await ctx.graph.linkNodeAndNode(tx, authenticatedX, y, token);
    await recordOwnLink(tx, y, authenticatedX, token);
  });
}

/**
 * Unlinking: revokes this keynode's link with `other` by a ClaimUnlinkNode on its own chain, naming
 * the link claim it revokes, and splits the gestalt here at once: `other`'s part leaves with an
 * empty permission record. Other keynodes apply it when they discover this chain.
 */
export async function revokeLink(ctx: ClaimContext, other: NodeId): Promise<void> {
  const self = ctx.identity.nodeId;
  if (other === self) throw new KeynodeError('ErrorInvalidArgument', 'A keynode cannot unlink itself; remove it from one of your other browsers.');
  const state = linkStates(await verifySigchain(self, await ctx.sigchain.claims())).get(other);
  if (state?.state !== 'linked') {
    const member = await ctx.kv.read(async (tx) => (await ctx.graph.getGestalt(tx, self))?.includes(other) ?? false);
    throw new KeynodeError(
      'ErrorInvalidArgument',
      member ? `This browser did not link with ${other} itself: remove it from the browser it was linked with.` : `${other} is not linked with this browser.`,
      { data: { nodeId: other } },
    );
  }
  const payload = await ctx.sigchain.prepare({
    typ: 'ClaimUnlinkNode' as const,
    iss: self,
    sub: other,
    linkJti: state.claim.payload.jti,
    linkSeq: state.seq,
  });
  const verified = await ctx.sigchain.verifyForAppend(await signToken(payload, ctx.identity));
  await ctx.kv.write(async (tx) => {
    await ctx.sigchain.appendVerified(tx, verified);
    await recordOwnRevocation(ctx, tx, other, payload.seq);
  });
}

/**
 * Discovery of one chain: verifies it whole, links every node a doubly-signed ClaimLinkNode on it
 * proves and takes down every link it revokes (discovery.ts). A broken chain changes nothing
 * (ErrorSigchainInvalid); a half-signed link is dropped. Returns the links that were new.
 */
export async function applyDiscoveredSigchain(ctx: ClaimContext, nodeId: NodeId, claims: unknown): Promise<DiscoveredLink[]> {
  return (await applyChain(ctx, nodeId, claims)).added;
}
