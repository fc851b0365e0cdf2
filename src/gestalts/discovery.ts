// Applying a verified sigchain to the gestalt graph (docs/gestalts.md). A link between X and Y is live
// while at least one end's chain links them and neither end's chain has revoked it: each end's last
// word is remembered separately, so a stolen browser that still shows the link on its own chain
// cannot bring it back once the other end has revoked it. Only a new link claim (which needs both
// signatures) undoes a revocation.
//
// A copy of every chain verified here is kept, for two reasons: a chain fetched later must extend
// it (an older or different chain from the same keynode is refused, so no revocation can be made to
// vanish), and a keynode restored from its recovery code can get its own chain back from us.
//
// Storage in the `gestalts` store, beside the graph's own keys:
//   chain:<NodeId>      → SignedClaim[]   the last verified chain of that keynode
//   end:<X>/<Y>         → EndState        what X's chain last said of Y
import type { NodeId } from '../ids/index.js';
import type { ClaimLinkNodeToken, SignedClaim } from '../sigchain/types.js';
import { claimDigest, sigchainInvalid } from '../sigchain/utils.js';
import { linkStates, verifySigchain, type LinkState } from '../sigchain/verify.js';
import type { Tx } from '../storage/kv.js';
import type { ClaimContext, DiscoveredLink } from './claim-protocol.js';

const CHAIN = 'chain:';
const END = 'end:';

/** What one end's chain last said of the other: the same as its LinkState. */
type EndState = LinkState;

export interface AppliedChain {
  /** Links this chain made live. */
  added: DiscoveredLink[];
  /** Links this chain (or a revocation remembered from the other end) took down. */
  removed: DiscoveredLink[];
  /** The keynodes this chain's owner is linked with now. */
  partners: NodeId[];
}

/**
 * Verifies `owner`'s chain (fetched from `owner` itself), checks that it extends the copy verified
 * before, keeps it, and brings the graph in line with what it says of every keynode it names.
 */
export async function applyChain(ctx: ClaimContext, owner: NodeId, claims: unknown): Promise<AppliedChain> {
  const verified = await verifySigchain(owner, claims);
  const chain = claims as SignedClaim[];
  const states = linkStates(verified);
  return ctx.kv.write(async (tx) => {
    if (owner !== ctx.identity.nodeId) {
      const before = await tx.get<SignedClaim[]>('gestalts', CHAIN + owner);
      if (before !== undefined && !extendsChain(chain, before)) {
        throw sigchainInvalid(`The sigchain ${owner} sent is older than, or different from, the one this keynode verified before; it was not applied.`, {
          nodeId: owner,
          had: before.length,
          got: chain.length,
        });
      }
      await tx.put('gestalts', CHAIN + owner, chain);
    }
    return applyStates(ctx, tx, owner, states);
  });
}

/** Our own chain's word on every keynode it names, applied to our graph (after a restore, on every discovery that reaches us). */
export async function applyOwnChain(ctx: ClaimContext): Promise<AppliedChain> {
  return applyChain(ctx, ctx.identity.nodeId, await ctx.sigchain.claims());
}

/** The chain of `nodeId` as this keynode last verified it, if it ever did. */
export async function storedChain(tx: Tx, nodeId: NodeId): Promise<SignedClaim[] | undefined> {
  return tx.get<SignedClaim[]>('gestalts', CHAIN + nodeId);
}

/** True when `chain` starts with every claim of `prefix`, unchanged (the last one's digest covers the rest). */
export function extendsChain(chain: readonly SignedClaim[], prefix: readonly SignedClaim[]): boolean {
  if (prefix.length === 0) return true;
  if (chain.length < prefix.length) return false;
  return claimDigest(chain[prefix.length - 1]!) === claimDigest(prefix[prefix.length - 1]!);
}

/**
 * A link just made by the claim protocol: our chain's word on `other` is now this claim, and
 * whatever `other` said of us before (a revocation) is forgotten — it has just signed a new link.
 */
export async function recordOwnLink(tx: Tx, self: NodeId, other: NodeId, claim: ClaimLinkNodeToken): Promise<void> {
  await tx.put('gestalts', END + self + '/' + other, { state: 'linked', seq: claim.payload.seq, claim } satisfies EndState);
  await tx.delete('gestalts', END + other + '/' + self);
}

/** Our revocation of the link with `other`, at `seq` of our chain: the link goes, and `other`'s part is cut off. */
export async function recordOwnRevocation(ctx: ClaimContext, tx: Tx, other: NodeId, seq: number): Promise<void> {
  const self = ctx.identity.nodeId;
  await tx.put('gestalts', END + self + '/' + other, { state: 'revoked', seq } satisfies EndState);
  await reconcile(ctx, tx, self, other);
}

async function applyStates(ctx: ClaimContext, tx: Tx, owner: NodeId, states: Map<NodeId, LinkState>): Promise<AppliedChain> {
  const out: AppliedChain = { added: [], removed: [], partners: [] };
  for (const [other, state] of states) {
    const previous = await tx.get<EndState>('gestalts', END + owner + '/' + other);
    // Our own end's word is never older than what the claim protocol wrote (same chain, same seq).
    if (previous === undefined || previous.seq !== state.seq || previous.state !== state.state) {
      await tx.put('gestalts', END + owner + '/' + other, state satisfies EndState);
    }
    const change = await reconcile(ctx, tx, owner, other);
    if (change === 'added') out.added.push({ a: owner, b: other });
    if (change === 'removed') out.removed.push({ a: owner, b: other });
    if (await ctx.graph.getLink(tx, owner, other)) out.partners.push(other);
  }
  return out;
}

/** Makes the graph's link between a and b match both ends' last word. */
async function reconcile(ctx: ClaimContext, tx: Tx, a: NodeId, b: NodeId): Promise<'added' | 'removed' | undefined> {
  const fromA = await tx.get<EndState>('gestalts', END + a + '/' + b);
  const fromB = await tx.get<EndState>('gestalts', END + b + '/' + a);
  const revoked = fromA?.state === 'revoked' || fromB?.state === 'revoked';
  const proof = fromA?.state === 'linked' ? fromA.claim : fromB?.state === 'linked' ? fromB.claim : undefined;
  const linked = (await ctx.graph.getLink(tx, a, b)) !== undefined;
  if (!revoked && proof !== undefined && !linked) {
    await ctx.graph.linkNodeAndNode(tx, a, b, proof);
    return 'added';
  }
  if (revoked && linked) {
    // Whoever was revoked leaves with nothing: b if a revoked it, a if b did (both if both did).
    const cutOff: NodeId[] = [];
    if (fromA?.state === 'revoked') cutOff.push(b);
    if (fromB?.state === 'revoked') cutOff.push(a);
    const cut = await ctx.graph.unlinkNodeAndNode(tx, a, b, cutOff);
    // A part cut off was known here only as members of that gestalt and now holds nothing: it is
    // forgotten, a stranger again (the ends' words stay, so it cannot link back by itself). Our own
    // part is never forgotten: it keeps its empty record.
    if (!cut.includes(ctx.identity.nodeId)) for (const nodeId of cut) await ctx.graph.unsetNode(tx, nodeId);
    return 'removed';
  }
  return undefined;
}
