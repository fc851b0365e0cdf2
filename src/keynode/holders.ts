// Second holders of a vault's history (docs/threat-model.md "Second holders"). When a clone's
// default remote cannot be reached, a pull may come from another keynode that holds a copy of the
// same vault — but only from keynodes we trust as much as the owner for this vault, because a
// holder could write new commits of its own on top of what we have (commits are not signed):
//   1. the owner's other linked browsers (the owner's gestalt, as our graph knows it);
//   2. our own other linked browsers (sharing with us covers our gestalt; they may hold a clone).
// A keynode never learns who else a vault was shared with (SPEC §6.6), so other recipients are
// not candidates. On the serving side, a holder gives its copy of (owner, vault) only to those its
// own ACL lets pull that copy, and to keynodes of its own gestalt (the same person).
import { isKeynodeError } from '../errors.js';
import type { NodeId, VaultId } from '../ids/index.js';
import type { PullResult } from '../types.js';
import type { CoreContext } from './context.js';

/** Where a vault's history lives: the owner's NodeId and the VaultId there. */
export interface VaultOrigin {
  nodeId: NodeId;
  vaultId: VaultId;
}

/** How a second holder relates to the vault, as a pull result tells the user. */
export type HolderRelation = NonNullable<PullResult['via']>;

export interface Holder {
  nodeId: NodeId;
  relation: HolderRelation;
}

/** Never ask more keynodes than this for one pull: each failing one costs up to a connect timeout. */
export const MAX_HOLDERS = 8;

/** The keynodes to try, in order, when the owner of `origin` cannot be reached. */
export async function holdersOf(ctx: CoreContext, origin: VaultOrigin): Promise<Holder[]> {
  const out: Holder[] = [];
  const seen = new Set<string>([ctx.nodeId, origin.nodeId]);
  const add = (nodes: string[], relation: HolderRelation): void => {
    for (const nodeId of nodes) {
      if (seen.has(nodeId) || out.length >= MAX_HOLDERS) continue;
      seen.add(nodeId);
      out.push({ nodeId: nodeId as NodeId, relation });
    }
  };
  add(await gestaltOf(ctx, origin.nodeId), 'owner-linked');
  add(await gestaltOf(ctx, ctx.nodeId), 'own-linked');
  return out;
}

/** The nodes of `nodeId`'s gestalt in our graph, or none when our graph does not know it. */
async function gestaltOf(ctx: CoreContext, nodeId: NodeId): Promise<string[]> {
  try {
    return (await ctx.gestalts.get(nodeId)).nodes;
  } catch (e) {
    if (isKeynodeError(e)) return [];
    throw e;
  }
}

/** Our vault holding `origin`'s history: the vault itself if we own it, else our clone of it. */
export async function localCopyOf(ctx: CoreContext, origin: VaultOrigin): Promise<VaultId | undefined> {
  const vaults = await ctx.vaults.list();
  if (origin.nodeId === ctx.nodeId) return vaults.find((v) => v.vaultId === origin.vaultId && v.remote === undefined)?.vaultId as VaultId | undefined;
  return vaults.find((v) => v.remote?.nodeId === origin.nodeId && v.remote.vaultId === origin.vaultId)?.vaultId as VaultId | undefined;
}

/** Whether `requester` belongs to this keynode's own gestalt (another browser of the same person). */
export async function isOwnLinked(ctx: CoreContext, requester: NodeId): Promise<boolean> {
  if (requester === ctx.nodeId) return false;
  return (await gestaltOf(ctx, ctx.nodeId)).includes(requester);
}
