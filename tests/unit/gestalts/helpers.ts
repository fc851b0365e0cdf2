// Test helpers for the gestalt tests: an ACL + graph on a fresh in-memory KV, and link claims for the
// graph-level tests (the graph's contract is that its caller has verified the signatures, so these
// carry none; the claim protocol tests use real, doubly-signed claims).
import { ACL } from '../../../src/acl/index.js';
import { GestaltGraph } from '../../../src/gestalts/index.js';
import type { NodeId } from '../../../src/ids/index.js';
import type { ClaimLinkNodeToken } from '../../../src/sigchain/index.js';
import { memoryKV } from '../acl/helpers.js';

export async function graphSetup() {
  const kv = await memoryKV('graph');
  const acl = new ACL();
  const graph = new GestaltGraph(acl);
  return { kv, acl, graph, w: kv.write.bind(kv), r: kv.read.bind(kv) };
}

export function linkClaim(iss: NodeId, sub: NodeId): ClaimLinkNodeToken {
  return { payload: { typ: 'ClaimLinkNode', iss, sub, jti: `${iss}-${sub}`, seq: 1, iat: 0, prevDigest: null }, signatures: [] };
}
