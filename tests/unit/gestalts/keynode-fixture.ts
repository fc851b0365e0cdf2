// A keynode's gestalt stack for tests: its own in-memory storage, a real Ed25519 identity, ACL,
// graph, sigchain and GestaltsManager — what the composition root will build. Two or three of these
// run the claim protocol by handing tokens to each other directly (the network carries them later).
import { ACL } from '../../../src/acl/index.js';
import { GestaltGraph, GestaltsManager } from '../../../src/gestalts/index.js';
import { loadOrCreateIdentity, type Identity } from '../../../src/keys/identity.js';
import { Sigchain } from '../../../src/sigchain/index.js';
import { memoryKV } from '../acl/helpers.js';

/** A keynode's gestalt stack; given an `identity`, the same keynode again on empty storage (a restore). */
export async function keynode(label: string, same?: Identity) {
  const kv = await memoryKV(label);
  const identity = same ?? (await loadOrCreateIdentity(kv));
  const acl = new ACL();
  const graph = new GestaltGraph(acl);
  const sigchain = new Sigchain(kv, identity);
  const gestalts = await GestaltsManager.create({ kv, identity, acl, graph, sigchain });
  return { kv, identity, nodeId: identity.nodeId, acl, graph, sigchain, gestalts };
}

export type TestKeynode = Awaited<ReturnType<typeof keynode>>;

/** The full four-step claim: `x` claims `y` (y must have invited x). Returns nothing; throws on refusal. */
export async function claim(x: TestKeynode, y: TestKeynode): Promise<void> {
  const request = await x.gestalts.createClaimRequest(y.nodeId);
  const reply = await y.gestalts.handleClaimRequest(x.nodeId, request);
  const doublySigned = await x.gestalts.completeClaim(y.nodeId, reply);
  await y.gestalts.finishClaim(x.nodeId, doublySigned);
}

/** What a user could observe of a keynode's gestalt state: its chain, its gestalts and their actions. */
export async function observable(k: TestKeynode) {
  return { chain: await k.sigchain.claims(), gestalts: await k.gestalts.list() };
}
