// The gestalt graph, at transaction level: keynodes as vertices, node–node links that hold the
// doubly-signed ClaimLinkNode, and a gestalt = one connected component (found by BFS). It keeps the
// ACL in step: every node of a gestalt points at ONE permission record.
//   link:   every node of both gestalts ends on one record holding the union (fixes Polykey's B1,
//           which re-points only the first side); a new node simply joins, so it inherits every share.
//   unlink: if the gestalt splits, the first node's part gets its own COPY, read inside the same
//           transaction (fixes B10), and the two parts change independently from then on — unless
//           the link was revoked (docs/gestalts.md): then the part holding the removed end gets a
//           fresh empty record, so a removed browser keeps nothing the gestalt was given.
// Callers verify claim signatures before linking; this file checks only that the claim names the ends.
//
// Storage in the `gestalts` store:
//   vertex:<key>        → GestaltNodeInfo
//   adj:<keyA>/<keyB>   → link key (written for both directions, so a prefix scan lists neighbours)
//   link:<link key>     → GestaltLinkNode
import type { ACL } from '../acl/acl.js';
import { emptyPermission, permUnion } from '../acl/utils.js';
import { KeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import type { ClaimLinkNodeToken } from '../sigchain/types.js';
import type { Tx } from '../storage/kv.js';
import { linkKey, nodeKey, parseGestaltKey } from './gestalt-keys.js';
import type { GestaltKey, GestaltLinkNode, GestaltNodeInfo } from './types.js';

const VERTEX = 'vertex:';
const ADJ = 'adj:';
const LINK = 'link:';

export class GestaltGraph {
  constructor(private readonly acl: ACL) {}

  async hasNode(tx: Tx, nodeId: NodeId): Promise<boolean> {
    return (await tx.get<GestaltNodeInfo>('gestalts', VERTEX + nodeKey(nodeId))) !== undefined;
  }

  /** Adds a node as a singleton gestalt with an empty record; a node already there is left as it is. */
  async setNode(tx: Tx, nodeId: NodeId): Promise<void> {
    if (await this.hasNode(tx, nodeId)) return;
    await tx.put('gestalts', VERTEX + nodeKey(nodeId), { type: 'node', nodeId } satisfies GestaltNodeInfo);
    await this.acl.setNodesPerm(tx, [nodeId], emptyPermission());
  }

  /** Removes a node: its links go (splitting its gestalt where needed), then its vertex and ACL pointer. */
  async unsetNode(tx: Tx, nodeId: NodeId): Promise<void> {
    if (!(await this.hasNode(tx, nodeId))) return;
    for (const neighbour of await this.neighbourNodes(tx, nodeId)) await this.unlinkNodeAndNode(tx, nodeId, neighbour);
    await tx.delete('gestalts', VERTEX + nodeKey(nodeId));
    await this.acl.unsetNodePerm(tx, nodeId);
  }

  async getLink(tx: Tx, a: NodeId, b: NodeId): Promise<GestaltLinkNode | undefined> {
    return tx.get<GestaltLinkNode>('gestalts', LINK + linkKey(nodeKey(a), nodeKey(b)));
  }

  /**
   * Links two nodes with the claim proving it (verified by the caller). Unknown ends are added. The
   * merged gestalt ends on one record: the union of both sides' records.
   */
  async linkNodeAndNode(tx: Tx, a: NodeId, b: NodeId, claim: ClaimLinkNodeToken): Promise<void> {
    const { iss, sub, typ } = claim.payload;
    if (a === b || typ !== 'ClaimLinkNode' || !((iss === a && sub === b) || (iss === b && sub === a))) {
      throw new KeynodeError('ErrorInvalidArgument', 'The claim does not link these two nodes.', { data: { a, b } });
    }
    const key = linkKey(nodeKey(a), nodeKey(b));
    const link: GestaltLinkNode = { type: 'node', claim };
    if ((await tx.get('gestalts', LINK + key)) !== undefined) {
      // Already linked, so already one gestalt on one record: keep the newer proof only.
      await tx.put('gestalts', LINK + key, link);
      return;
    }
    const sideA = (await this.getGestalt(tx, a)) ?? [a];
    const sideB = (await this.getGestalt(tx, b)) ?? [b];
    // Reads happen before any write, in this transaction, so the union is of what is stored now.
    const permA = await this.acl.getNodePerm(tx, a);
    const permB = await this.acl.getNodePerm(tx, b);
    for (const nodeId of [a, b]) {
      await tx.put('gestalts', VERTEX + nodeKey(nodeId), { type: 'node', nodeId } satisfies GestaltNodeInfo);
    }
    await tx.put('gestalts', LINK + key, link);
    await tx.put('gestalts', ADJ + nodeKey(a) + '/' + nodeKey(b), key);
    await tx.put('gestalts', ADJ + nodeKey(b) + '/' + nodeKey(a), key);

    const everyone = [...new Set([...sideA, ...sideB])];
    if (sideA.includes(b)) return; // already connected through another path: one record already
    const union = permUnion(permA ?? emptyPermission(), permB ?? emptyPermission());
    const target = permA !== undefined ? a : permB !== undefined ? b : undefined;
    if (target === undefined) await this.acl.setNodesPerm(tx, everyone, union);
    else await this.acl.joinNodePerm(tx, target, everyone, union);
  }

  /**
   * Removes the link; if that splits the gestalt, a's part gets its own copy of the record. The ends
   * named in `cutOff` (a revoked link's removed end, or both) instead leave with their part on a
   * fresh empty record: they keep nothing the gestalt was given. Returns the nodes cut off.
   */
  async unlinkNodeAndNode(tx: Tx, a: NodeId, b: NodeId, cutOff: readonly NodeId[] = []): Promise<NodeId[]> {
    const ka = nodeKey(a);
    const kb = nodeKey(b);
    const key = linkKey(ka, kb);
    if ((await tx.get('gestalts', LINK + key)) === undefined) return [];
    await tx.delete('gestalts', LINK + key);
    await tx.delete('gestalts', ADJ + ka + '/' + kb);
    await tx.delete('gestalts', ADJ + kb + '/' + ka);
    const partA = (await this.getGestalt(tx, a)) ?? [a];
    if (partA.includes(b)) return [];
    const perm = await this.acl.getNodePerm(tx, a);
    if (perm === undefined) return [];
    const cutA = cutOff.includes(a);
    const cutB = cutOff.includes(b);
    if (!cutA && !cutB) {
      await this.acl.setNodesPerm(tx, partA, perm);
      return [];
    }
    // The part that is not cut off keeps the record it had; a part cut off gets an empty one.
    const partB = (await this.getGestalt(tx, b)) ?? [b];
    if (cutA) await this.acl.setNodesPerm(tx, partA, emptyPermission());
    if (cutB) await this.acl.setNodesPerm(tx, partB, emptyPermission());
    return [...(cutA ? partA : []), ...(cutB ? partB : [])];
  }

  /** The nodes linked directly with `nodeId` in this graph. */
  async neighbourNodes(tx: Tx, nodeId: NodeId): Promise<NodeId[]> {
    return nodesOf(await this.neighbours(tx, nodeKey(nodeId)));
  }

  /** The nodes of the node's gestalt (BFS), or undefined when the node is not in the graph. */
  async getGestalt(tx: Tx, nodeId: NodeId): Promise<NodeId[] | undefined> {
    if (!(await this.hasNode(tx, nodeId))) return undefined;
    // One gestalt is usually a few devices among many trusted keynodes, so it is walked with one small
    // prefix scan per member rather than by reading the whole graph.
    return nodesOf(await bfs(nodeKey(nodeId), (key) => this.neighbours(tx, key)));
  }

  /** Every gestalt, each as its nodes; each node appears in exactly one. */
  async listGestalts(tx: Tx): Promise<NodeId[][]> {
    const adjacency = await this.adjacency(tx);
    const seen = new Set<GestaltKey>();
    const out: NodeId[][] = [];
    for (const [vertexKey] of await tx.entries('gestalts', { prefix: VERTEX })) {
      const key = vertexKey.slice(VERTEX.length);
      if (seen.has(key)) continue;
      const component = await bfs(key, (k) => adjacency.get(k) ?? []);
      for (const k of component) seen.add(k);
      out.push(nodesOf(component));
    }
    return out;
  }

  private async neighbours(tx: Tx, key: GestaltKey): Promise<GestaltKey[]> {
    const prefix = ADJ + key + '/';
    return (await tx.entries('gestalts', { prefix })).map(([k]) => k.slice(prefix.length));
  }

  // listGestalts visits every vertex anyway, so it reads all adjacency entries in one range scan.
  private async adjacency(tx: Tx): Promise<Map<GestaltKey, GestaltKey[]>> {
    const adjacency = new Map<GestaltKey, GestaltKey[]>();
    for (const [entry] of await tx.entries('gestalts', { prefix: ADJ })) {
      const [from, to] = entry.slice(ADJ.length).split('/') as [GestaltKey, GestaltKey];
      const list = adjacency.get(from);
      if (list === undefined) adjacency.set(from, [to]);
      else list.push(to);
    }
    return adjacency;
  }
}

/** The keys reachable from `start`, breadth first. */
async function bfs(start: GestaltKey, neighbours: (key: GestaltKey) => GestaltKey[] | Promise<GestaltKey[]>): Promise<GestaltKey[]> {
  const seen = new Set<GestaltKey>([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const next of await neighbours(queue[i]!)) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return [...seen];
}

/** The keynodes among `keys`, sorted. */
function nodesOf(keys: GestaltKey[]): NodeId[] {
  return keys
    .map(parseGestaltKey)
    .flatMap((id) => (id[0] === 'node' ? [id[1]] : []))
    .sort();
}
