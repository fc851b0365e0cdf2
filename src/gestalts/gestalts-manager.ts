// The local part of the public Gestalts API (docs/api.md): trust, allow, read permissions and gestalts, and
// the claim protocol's steps as methods. It is the thin checked surface over the transaction-level
// ACL and graph: every NodeId and action is validated before anything is written, so bad input
// changes nothing. invite/claim/discover need the network; the composition root builds them from
// grantClaim, the claim steps and applyChain. unlink is local: it revokes our own link claim.
//
// Our own keynode is a vertex of our own graph from start() on, in its own gestalt (as Polykey keeps
// it): links we claim join other keynodes to OUR gestalt, and that gestalt's record is what our own
// other devices are granted. It is never a stranger: trust/untrust/allow/disallow/grantClaim refuse
// our own NodeId (a keynode always has every right over itself); grant to a linked device instead.
import type { ACL } from '../acl/acl.js';
import type { Permission } from '../acl/types.js';
import { nodeMissingError, parseGestaltAction } from '../acl/utils.js';
import { KeynodeError } from '../errors.js';
import { assertNodeId, type NodeId } from '../ids/index.js';
import type { Signer } from '../keys/token.js';
import type { Sigchain } from '../sigchain/sigchain.js';
import type { ClaimLinkNodeToken, SignedClaim } from '../sigchain/types.js';
import { linkStates, verifySigchain } from '../sigchain/verify.js';
import type { KV, Tx } from '../storage/kv.js';
import type { GestaltAction, Gestalts } from '../types.js';
import * as protocol from './claim-protocol.js';
import type { ClaimReply, DiscoveredLink } from './claim-protocol.js';
import { applyChain, applyOwnChain, storedChain, type AppliedChain } from './discovery.js';
import type { GestaltGraph } from './gestalt-graph.js';

export interface GestaltsManagerOptions {
  kv: KV;
  identity: Signer;
  acl: ACL;
  graph: GestaltGraph;
  sigchain: Sigchain;
}

export interface GestaltListItem {
  nodes: string[];
  actions: GestaltAction[];
  /** True for the gestalt this keynode itself belongs to (its own linked devices). */
  own: boolean;
}

export type LocalGestalts = Pick<Gestalts, 'trust' | 'untrust' | 'allow' | 'disallow' | 'permissions' | 'get' | 'list' | 'unlink'>;

export class GestaltsManager implements LocalGestalts {
  readonly nodeId: NodeId;
  private readonly ctx: protocol.ClaimContext;
  private readonly adoptedListeners: Array<(links: NodeId[]) => void> = [];

  constructor(private readonly options: GestaltsManagerOptions) {
    this.nodeId = options.identity.nodeId;
    this.ctx = { ...options };
  }

  static async create(options: GestaltsManagerOptions): Promise<GestaltsManager> {
    const manager = new GestaltsManager(options);
    await manager.start();
    return manager;
  }

  /** Puts our own node in our graph (idempotent). */
  async start(): Promise<void> {
    await this.options.kv.write((tx) => this.options.graph.setNode(tx, this.nodeId));
  }

  // ---- trust and gestalt actions ---------------------------------------------------------------

  /** Adds the node to the graph if new and grants its gestalt `notify`. */
  async trust(nodeId: string): Promise<void> {
    await this.changeAction(nodeId, 'notify', 'add');
  }

  async untrust(nodeId: string): Promise<void> {
    await this.changeAction(nodeId, 'notify', 'unset');
  }

  async allow(nodeId: string, action: GestaltAction): Promise<void> {
    await this.changeAction(nodeId, action, 'set');
  }

  async disallow(nodeId: string, action: GestaltAction): Promise<void> {
    await this.changeAction(nodeId, action, 'unset');
  }

  /** What invite grants: adds the node if new and lets it claim a link with us. */
  async grantClaim(nodeId: string): Promise<void> {
    await this.changeAction(nodeId, 'claim', 'add');
  }

  /** Grants or withdraws `action` for a stranger's gestalt: 'add' puts the node in the graph if new, the others need it known. */
  private async changeAction(nodeId: string, action: GestaltAction, change: 'add' | 'set' | 'unset'): Promise<void> {
    const id = this.stranger(nodeId);
    const a = parseGestaltAction(action);
    await this.options.kv.write(async (tx) => {
      if (change === 'add') await this.options.graph.setNode(tx, id);
      else await this.requireKnown(tx, id);
      if (change === 'unset') await this.options.acl.unsetNodeAction(tx, id, a);
      else await this.options.acl.setNodeAction(tx, id, a);
    });
  }

  // ---- reading -----------------------------------------------------------------------------------

  async permissions(nodeId: string): Promise<Permission> {
    const id = assertNodeId(nodeId);
    return this.options.kv.read(async (tx) => {
      await this.requireKnown(tx, id);
      return (await this.options.acl.getNodePerm(tx, id)) ?? { gestalt: [], vaults: {} };
    });
  }

  async get(nodeId: string): Promise<{ nodes: string[] }> {
    const id = assertNodeId(nodeId);
    return this.options.kv.read(async (tx) => {
      const nodes = await this.options.graph.getGestalt(tx, id);
      if (nodes === undefined) throw nodeMissingError(id);
      return { nodes };
    });
  }

  async list(): Promise<GestaltListItem[]> {
    return this.options.kv.read(async (tx) => {
      const out: GestaltListItem[] = [];
      for (const nodes of await this.options.graph.listGestalts(tx)) {
        const perm = await this.options.acl.getNodePerm(tx, nodes[0]!);
        out.push({ nodes, actions: perm?.gestalt ?? [], own: nodes.includes(this.nodeId) });
      }
      return out;
    });
  }

  // ---- the claim protocol (transport-agnostic steps) ---------------------------------------------

  async createClaimRequest(nodeId: string): Promise<ClaimLinkNodeToken> {
    return protocol.createClaimRequest(this.ctx, assertNodeId(nodeId));
  }

  async handleClaimRequest(authenticatedNodeId: NodeId, token: unknown): Promise<ClaimReply> {
    return protocol.handleClaimRequest(this.ctx, assertNodeId(authenticatedNodeId), token);
  }

  async completeClaim(nodeId: string, reply: unknown): Promise<ClaimLinkNodeToken> {
    return protocol.completeClaim(this.ctx, assertNodeId(nodeId), reply);
  }

  async finishClaim(authenticatedNodeId: NodeId, token: unknown): Promise<void> {
    return protocol.finishClaim(this.ctx, assertNodeId(authenticatedNodeId), token);
  }

  async applyDiscoveredSigchain(nodeId: string, claims: unknown): Promise<DiscoveredLink[]> {
    return protocol.applyDiscoveredSigchain(this.ctx, assertNodeId(nodeId), claims);
  }

  /** One step of discovery: `nodeId`'s chain, fetched from it, applied to the graph (discovery.ts). */
  async applyChain(nodeId: NodeId, claims: unknown): Promise<AppliedChain> {
    return nodeId === this.nodeId ? applyOwnChain(this.ctx) : applyChain(this.ctx, nodeId, claims);
  }

  /** Revokes our link with `nodeId` (a ClaimUnlinkNode on our chain); its part of the gestalt is cut off here at once. */
  async unlink(nodeId: string): Promise<void> {
    await protocol.revokeLink(this.ctx, assertNodeId(nodeId));
  }

  /** The keynodes linked directly with `nodeId` in our graph. */
  async neighbours(nodeId: NodeId): Promise<NodeId[]> {
    return this.options.kv.read((tx) => this.options.graph.neighbourNodes(tx, nodeId));
  }

  /** Our own other browsers: the members of our gestalt but us. */
  async ownMembers(): Promise<NodeId[]> {
    const nodes = await this.options.kv.read((tx) => this.options.graph.getGestalt(tx, this.nodeId));
    return (nodes ?? []).filter((n) => n !== this.nodeId);
  }

  /** The keynodes our own chain links us with now. */
  async ownLinks(): Promise<NodeId[]> {
    const states = linkStates(await verifySigchain(this.nodeId, await this.getOwnSigchain()));
    return [...states].filter(([, s]) => s.state === 'linked').map(([n]) => n);
  }

  /**
   * The copy of `asker`'s own chain we verified when we discovered it, for `asker` only (the
   * `sigchain.copy` RPC): a keynode restored from its recovery code takes its links back from it.
   */
  async chainCopyFor(asker: NodeId): Promise<SignedClaim[]> {
    return (await this.options.kv.read((tx) => storedChain(tx, asker))) ?? [];
  }

  /** The copy of `nodeId`'s chain we keep, to offer it back when `nodeId` has lost it. */
  async chainCopyOf(nodeId: NodeId): Promise<SignedClaim[] | undefined> {
    return this.options.kv.read((tx) => storedChain(tx, nodeId));
  }

  /**
   * A copy of our own chain from another keynode (after a restore): every claim must verify as ours
   * — signed by us, hash-chained, links signed by both ends — and it must extend what we hold, so a
   * stranger can add nothing we did not sign and an older copy changes nothing. Returns how many
   * claims were taken and the keynodes our chain then links us with.
   */
  async adoptOwnChain(claims: unknown): Promise<{ adopted: number; links: NodeId[] }> {
    await verifySigchain(this.nodeId, claims);
    const adopted = await this.options.kv.write((tx) => this.options.sigchain.adoptIn(tx, claims as SignedClaim[]));
    if (adopted === 0) return { adopted, links: [] };
    const applied = await applyOwnChain(this.ctx);
    for (const cb of [...this.adoptedListeners]) cb(applied.partners);
    return { adopted, links: applied.partners };
  }

  /** `cb(links)` after adoptOwnChain took claims: the composition root discovers those keynodes. */
  onOwnChainAdopted(cb: (links: NodeId[]) => void): void {
    this.adoptedListeners.push(cb);
  }

  /** Our chain, as this keynode reads it. */
  async getOwnSigchain(): Promise<SignedClaim[]> {
    return this.options.sigchain.claims();
  }

  /**
   * Our chain for a peer that asks to discover us (the `sigchain.get` RPC). The chain lists every
   * browser of ours, which says "these keynodes are one person": not something to tell anyone who
   * connects. It is served to keynodes of our own gestalt (they need it to converge after a claim)
   * and to keynodes we know — a permission record holding some action: trusted (notify), invited
   * (claim), able to scan, or shared a vault. A stranger, or a node whose every right was
   * withdrawn, is refused. Discovery still works where it is meant to: the contact named refuses
   * only someone it does not know, and a linked browser further on that does not know the asker is
   * skipped (src/keynode/remote.ts) — the contact's own chain already proves that link.
   */
  async sigchainFor(asker: NodeId): Promise<SignedClaim[]> {
    const allowed = await this.options.kv.read(async (tx) => {
      if ((await this.options.graph.getGestalt(tx, this.nodeId))?.includes(asker)) return true;
      const perm = await this.options.acl.getNodePerm(tx, asker);
      return perm !== undefined && (perm.gestalt.length > 0 || Object.keys(perm.vaults).length > 0);
    });
    if (!allowed) {
      throw new KeynodeError(
        'ErrorNodePermissionDenied',
        'This keynode shows its linked browsers only to keynodes it knows; ask its owner to trust you first.',
      );
    }
    return this.getOwnSigchain();
  }

  // ---- checks ------------------------------------------------------------------------------------

  private stranger(nodeId: string): NodeId {
    const id = assertNodeId(nodeId);
    if (id === this.nodeId) {
      throw new KeynodeError(
        'ErrorInvalidArgument',
        "That is this keynode's own NodeId: a keynode always has every right over itself. Grant rights to your linked devices by their NodeIds.",
      );
    }
    return id;
  }

  private async requireKnown(tx: Tx, nodeId: NodeId): Promise<void> {
    if (!(await this.options.graph.hasNode(tx, nodeId))) throw nodeMissingError(nodeId);
  }
}
