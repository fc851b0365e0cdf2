// Test keynodes for the notifications domain: each has its own 'memory' storage (fake-indexeddb),
// its own Ed25519 identity, the real ACL and gestalt graph, and a NotificationsManager driven by a
// clock the test moves by hand. Tokens travel by calling receive directly (the seam is delivery).
import { ACL } from '../../../src/acl/index.js';
import { GestaltGraph } from '../../../src/gestalts/gestalt-graph.js';
import type { NodeId } from '../../../src/ids/index.js';
import { loadOrCreateIdentity } from '../../../src/keys/identity.js';
import { addSignature, signToken } from '../../../src/keys/token.js';
import { NotificationsManager, type NotificationsManagerOptions } from '../../../src/notifications/index.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { KV } from '../../../src/storage/kv.js';
import type { ClaimLinkNodeToken } from '../../../src/sigchain/types.js';
import type { Identity } from '../../../src/keys/identity.js';

export class TestClock {
  constructor(public now = Date.UTC(2026, 0, 1)) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface TestNode {
  name: string;
  nodeId: NodeId;
  identity: Identity;
  kv: KV;
  acl: ACL;
  graph: GestaltGraph;
  clock: TestClock;
  n: NotificationsManager;
}

let counter = 0;

type Extra = Partial<Omit<NotificationsManagerOptions, 'kv' | 'identity' | 'acl' | 'gestalts' | 'clock'>>;

/** A new keynode on a fresh storage name, or (given `name`) the same keynode started again. */
export async function keynode(opts: { name?: string; clock?: TestClock } & Extra = {}): Promise<TestNode> {
  const { name: given, clock: givenClock, ...extra } = opts;
  const name = given ?? `notif-${process.pid}-${Date.now()}-${counter++}`;
  const clock = givenClock ?? new TestClock();
  const storage = await openNodeStorage('memory', name);
  const identity = await loadOrCreateIdentity(storage.kv);
  const acl = new ACL();
  const graph = new GestaltGraph(acl);
  const n = await NotificationsManager.create({ kv: storage.kv, identity, acl, gestalts: graph, clock: clock.read, ...extra });
  return { name, nodeId: identity.nodeId, identity, kv: storage.kv, acl, graph, clock, n };
}

/** `receiver` knows `sender` (a permission record); with `notify` unless told otherwise. */
export async function know(receiver: TestNode, sender: TestNode, opts: { notify?: boolean } = {}): Promise<void> {
  await receiver.kv.write(async (tx) => {
    await receiver.graph.setNode(tx, sender.nodeId);
    if (opts.notify ?? true) await receiver.acl.setNodeAction(tx, sender.nodeId, 'notify');
  });
}

/** Delivers as a peer channel authenticated as `from` would: straight into the recipient's receive. */
export function peerDelivery(from: TestNode, nodes: TestNode[]) {
  return async (to: NodeId, token: string): Promise<void> => {
    const target = nodes.find((t) => t.nodeId === to);
    if (target === undefined) throw new Error(`no test node ${to}`);
    await target.n.receive(token, { via: 'peer', authenticatedPeer: from.nodeId });
  };
}

/** Links `a` and `b` into one gestalt in `holder`'s graph, with a real ClaimLinkNode signed by both. */
export async function linkOwnGestalt(holder: TestNode, a: TestNode, b: TestNode): Promise<void> {
  const payload = { typ: 'ClaimLinkNode' as const, iss: a.nodeId, sub: b.nodeId, jti: 'test-claim', seq: 1, iat: 1, prevDigest: null };
  const claim: ClaimLinkNodeToken = await addSignature(await signToken(payload, a.identity), b.identity);
  await holder.kv.write((tx) => holder.graph.linkNodeAndNode(tx, a.nodeId, b.nodeId, claim));
}

/** Calls fn and returns the KeynodeError code it threw (fails the test if it did not throw). */
export async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `not a KeynodeError: ${String(e)}`;
  }
  throw new Error('expected a KeynodeError, but nothing was thrown');
}
