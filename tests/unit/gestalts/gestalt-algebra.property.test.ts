// Property tests of the gestalt/permission algebra. Random sequences of setNode, link, unlink,
// unsetNode, gestalt and vault grants and revocations, and unshare run against the real graph + ACL and
// against a plain model (per-node permission values, applied to the whole component). After every
// step: every member of a gestalt has identical permissions (one shared record), each node's
// permissions equal the model's, a merge gave exactly the union of the two parts, reference counts
// equal the number of nodes pointing at each record, and no record or pointer is orphaned.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyPermission, permUnion, type Permission } from '../../../src/acl/index.js';
import type { NodeId } from '../../../src/ids/index.js';
import type { GestaltAction, VaultAction } from '../../../src/types.js';
import { randomNodeId, randomVaultId } from '../acl/helpers.js';
import { graphSetup, linkClaim } from './helpers.js';

const NODES = Array.from({ length: 6 }, () => randomNodeId());
const VAULTS = Array.from({ length: 3 }, () => randomVaultId());

type Op =
  | { op: 'setNode'; n: number }
  | { op: 'unsetNode'; n: number }
  | { op: 'link'; a: number; b: number }
  | { op: 'unlink'; a: number; b: number }
  | { op: 'setAction'; n: number; action: GestaltAction }
  | { op: 'unsetAction'; n: number; action: GestaltAction }
  | { op: 'setVault'; n: number; v: number; action: VaultAction }
  | { op: 'unsetVault'; n: number; v: number; action: VaultAction }
  | { op: 'unshare'; n: number; v: number };

const idx = fc.nat({ max: NODES.length - 1 });
const vIdx = fc.nat({ max: VAULTS.length - 1 });
const gAction = fc.constantFrom<GestaltAction>('notify', 'scan', 'claim');
const vAction = fc.constantFrom<VaultAction>('clone', 'pull');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setNode' as const), n: idx }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unsetNode' as const), n: idx }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('link' as const), a: idx, b: idx }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unlink' as const), a: idx, b: idx }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('setAction' as const), n: idx, action: gAction }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unsetAction' as const), n: idx, action: gAction }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('setVault' as const), n: idx, v: vIdx, action: vAction }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unsetVault' as const), n: idx, v: vIdx, action: vAction }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unshare' as const), n: idx, v: vIdx }) },
);

/** The model: which nodes exist, which edges, and each node's permission value. */
class Model {
  nodes = new Set<NodeId>();
  edges = new Set<string>();
  perms = new Map<NodeId, Permission>();

  edgeKey(a: NodeId, b: NodeId) {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }
  component(n: NodeId): NodeId[] {
    const seen = new Set([n]);
    const queue = [n];
    while (queue.length) {
      const x = queue.shift()!;
      for (const y of this.nodes) {
        if (!seen.has(y) && this.edges.has(this.edgeKey(x, y))) {
          seen.add(y);
          queue.push(y);
        }
      }
    }
    return [...seen].sort();
  }
  assign(n: NodeId, perm: Permission) {
    for (const m of this.component(n)) this.perms.set(m, structuredClone(perm));
  }
}

function norm(perm: Permission | undefined): Permission | undefined {
  return perm === undefined ? undefined : permUnion(perm, emptyPermission());
}

describe('gestalt algebra (property)', () => {
  it('members agree, merges are unions, splits copy, reference counts match, after any sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { graph, acl, w, r } = await graphSetup();
        const model = new Model();
        for (const o of ops) {
          switch (o.op) {
            case 'setNode': {
              const n = NODES[o.n]!;
              await w((tx) => graph.setNode(tx, n));
              if (!model.nodes.has(n)) {
                model.nodes.add(n);
                model.perms.set(n, emptyPermission());
              }
              break;
            }
            case 'unsetNode': {
              const n = NODES[o.n]!;
              await w((tx) => graph.unsetNode(tx, n));
              model.nodes.delete(n);
              model.perms.delete(n);
              for (const e of [...model.edges]) if (e.split('|').includes(n)) model.edges.delete(e);
              break;
            }
            case 'link': {
              const [a, b] = [NODES[o.a]!, NODES[o.b]!];
              if (a === b) break;
              const pa = model.perms.get(a) ?? emptyPermission();
              const pb = model.perms.get(b) ?? emptyPermission();
              const connected = model.nodes.has(a) && model.component(a).includes(b);
              await w((tx) => graph.linkNodeAndNode(tx, a, b, linkClaim(a, b)));
              for (const n of [a, b]) model.nodes.add(n);
              model.edges.add(model.edgeKey(a, b));
              const union = connected ? pa : permUnion(pa, pb);
              model.assign(a, union);
              // A merge yields exactly the union of the two parts' permissions.
              expect(norm(await r((tx) => acl.getNodePerm(tx, b)))).toEqual(norm(union));
              break;
            }
            case 'unlink': {
              const [a, b] = [NODES[o.a]!, NODES[o.b]!];
              await w((tx) => graph.unlinkNodeAndNode(tx, a, b));
              model.edges.delete(model.edgeKey(a, b));
              break;
            }
            default: {
              const n = NODES[o.n]!;
              if (!model.nodes.has(n)) break; // grants go through graph members, as the API does
              const perm = structuredClone(model.perms.get(n)!);
              if (o.op === 'setAction') {
                await w((tx) => acl.setNodeAction(tx, n, o.action));
                perm.gestalt.push(o.action);
              } else if (o.op === 'unsetAction') {
                await w((tx) => acl.unsetNodeAction(tx, n, o.action));
                perm.gestalt = perm.gestalt.filter((a) => a !== o.action);
              } else if (o.op === 'setVault') {
                const v = VAULTS[o.v]!;
                await w((tx) => acl.setVaultAction(tx, v, n, o.action));
                perm.vaults[v] = [...(perm.vaults[v] ?? []), o.action];
              } else if (o.op === 'unsetVault') {
                const v = VAULTS[o.v]!;
                await w((tx) => acl.unsetVaultAction(tx, v, n, o.action));
                if (perm.vaults[v]) perm.vaults[v] = perm.vaults[v]!.filter((a) => a !== o.action);
              } else {
                const v = VAULTS[o.v]!;
                const removed = await w((tx) => acl.unshareVault(tx, v, n));
                expect(removed).toBe(perm.vaults[v] !== undefined && perm.vaults[v]!.length > 0);
                if (removed) {
                  delete perm.vaults[v];
                  if (!Object.values(perm.vaults).some((x) => x.length > 0)) perm.gestalt = perm.gestalt.filter((a) => a !== 'scan');
                }
              }
              model.assign(n, norm(perm)!);
            }
          }
          await checkInvariants();
        }

        async function checkInvariants() {
          const { snap, gestalts } = await r(async (tx) => ({ snap: await acl.snapshot(tx), gestalts: await graph.listGestalts(tx) }));
          // Gestalts are the model's components.
          const modelComponents = new Set([...model.nodes].map((n) => model.component(n).join()));
          expect(new Set(gestalts.map((g) => [...g].sort().join()))).toEqual(modelComponents);
          // Every graph node points at a record; nothing else does.
          expect(new Set(snap.pointers.keys())).toEqual(model.nodes);
          // One record per gestalt: all members share it, and different gestalts never share one.
          const recordOfGestalt = gestalts.map((g) => new Set(g.map((n) => snap.pointers.get(n))));
          for (const ids of recordOfGestalt) expect(ids.size).toBe(1);
          expect(new Set(recordOfGestalt.map((ids) => [...ids][0])).size).toBe(gestalts.length);
          // Reference counts equal the number of pointers; no orphaned records.
          const pointing = new Map<string, number>();
          for (const id of snap.pointers.values()) pointing.set(id, (pointing.get(id) ?? 0) + 1);
          expect(new Map([...snap.records].map(([id, rec]) => [id, rec.count]))).toEqual(pointing);
          // Each node's permissions are the model's.
          for (const n of model.nodes) {
            expect(norm(snap.records.get(snap.pointers.get(n)!)!.perm)).toEqual(norm(model.perms.get(n)));
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
