// The two-signature claim protocol between two keynodes (scenario 25) and discovery of a peer's
// sigchain, with tokens handed over directly. Refusals leave both chains and graphs as they were; a
// link claim with one signature is never linked.
import { describe, expect, it } from 'vitest';
import { addSignature, verifiedSigners } from '../../../src/keys/token.js';
import { verifySigchain, type ClaimLinkNodeToken } from '../../../src/sigchain/index.js';
import { randomVaultId } from '../acl/helpers.js';
import { claim, keynode, observable } from './keynode-fixture.js';

describe('claim protocol', () => {
  it('after an invite, B claims A: both chains hold {iss: B, sub: A} signed by both, both graphs link A–B', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    await a.gestalts.grantClaim(b.nodeId); // what invite grants
    await claim(b, a);
    for (const k of [a, b]) {
      const chain = await k.sigchain.claims();
      expect(chain).toHaveLength(1);
      expect(chain[0]!.payload).toMatchObject({ typ: 'ClaimLinkNode', iss: b.nodeId, sub: a.nodeId, seq: 1, prevDigest: null });
      expect(await verifiedSigners(chain[0]!)).toEqual(new Set([a.nodeId, b.nodeId]));
      const verified = await verifySigchain(k.nodeId, chain);
      expect(verified[0]!.linked).toBe(k === a ? b.nodeId : a.nodeId);
      expect((await k.gestalts.get(a.nodeId)).nodes).toEqual([a.nodeId, b.nodeId].sort());
    }
    // On A, B joined A's own gestalt.
    const own = (await a.gestalts.list()).find((g) => g.own)!;
    expect(own.nodes).toEqual([a.nodeId, b.nodeId].sort());
  });

  it('without the invite, A refuses with ErrorNodePermissionDenied and nothing changes on either side', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    await a.gestalts.trust(b.nodeId); // notify is not claim
    const before = [await observable(a), await observable(b)];
    const request = await b.gestalts.createClaimRequest(a.nodeId);
    await expect(a.gestalts.handleClaimRequest(b.nodeId, request)).rejects.toMatchObject({ code: 'ErrorNodePermissionDenied' });
    expect([await observable(a), await observable(b)]).toEqual(before);
  });

  it('the request must come from the authenticated node and be addressed to the responder', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    await a.gestalts.grantClaim(b.nodeId);
    await a.gestalts.grantClaim(c.nodeId);
    const fromB = await b.gestalts.createClaimRequest(a.nodeId);
    await expect(a.gestalts.handleClaimRequest(c.nodeId, fromB)).rejects.toMatchObject({ code: 'ErrorNodePermissionDenied' });
    const toC = await b.gestalts.createClaimRequest(c.nodeId);
    await expect(a.gestalts.handleClaimRequest(b.nodeId, toC)).rejects.toMatchObject({ code: 'ErrorNodePermissionDenied' });
    // A request signed by someone else than its iss is refused.
    const forged = { ...fromB, signatures: (await addSignature({ payload: fromB.payload, signatures: [] }, c.identity)).signatures };
    await expect(a.gestalts.handleClaimRequest(b.nodeId, forged)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect(await a.sigchain.claims()).toEqual([]);
  });

  it('a tampered or half-signed reply is refused by the initiator, leaving both sides unchanged', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    await a.gestalts.grantClaim(b.nodeId);
    const before = [await observable(a), await observable(b)];
    const request = await b.gestalts.createClaimRequest(a.nodeId);
    const reply = await a.gestalts.handleClaimRequest(b.nodeId, request);
    const tampered = structuredClone(reply);
    tampered.countersigned.payload.iat += 1;
    await expect(b.gestalts.completeClaim(a.nodeId, tampered)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    const halfSigned = { ...reply, countersigned: request };
    await expect(b.gestalts.completeClaim(a.nodeId, halfSigned)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    const unsignedResponder = { ...reply, responderClaim: { ...reply.responderClaim, signatures: request.signatures } };
    await expect(b.gestalts.completeClaim(a.nodeId, unsignedResponder)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    await expect(b.gestalts.completeClaim(a.nodeId, null)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect([await observable(a), await observable(b)]).toEqual(before);
  });

  it('the responder never links a claim carrying only its own signature', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    await a.gestalts.grantClaim(b.nodeId);
    const before = await observable(a);
    const reply = await a.gestalts.handleClaimRequest(b.nodeId, await b.gestalts.createClaimRequest(a.nodeId));
    await expect(a.gestalts.finishClaim(b.nodeId, reply.responderClaim)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect(await observable(a)).toEqual(before);
  });

  it('the responder re-checks the invite at the last step, and refuses a claim that no longer extends its chain', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    await a.gestalts.grantClaim(b.nodeId);
    await a.gestalts.grantClaim(c.nodeId);
    const replyB = await a.gestalts.handleClaimRequest(b.nodeId, await b.gestalts.createClaimRequest(a.nodeId));
    const doublyB = await b.gestalts.completeClaim(a.nodeId, replyB);
    const beforeA = await observable(a);
    await a.gestalts.disallow(b.nodeId, 'claim');
    await expect(a.gestalts.finishClaim(b.nodeId, doublyB)).rejects.toMatchObject({ code: 'ErrorNodePermissionDenied' });
    expect((await observable(a)).chain).toEqual(beforeA.chain);
    // C links first; B's claim (prepared on the old head) is now stale on A.
    await a.gestalts.allow(b.nodeId, 'claim');
    await claim(c, a);
    await expect(a.gestalts.finishClaim(b.nodeId, doublyB)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect((await a.sigchain.claims()).map((t) => t.payload.iss)).toEqual([c.nodeId]);
    // B linked on its side when it completed: A signed that claim, so discovering B's chain converges A.
    const links = await a.gestalts.applyDiscoveredSigchain(b.nodeId, await b.gestalts.getOwnSigchain());
    expect(links).toEqual([{ a: b.nodeId, b: a.nodeId }]);
    expect((await a.gestalts.get(b.nodeId)).nodes).toEqual([a.nodeId, b.nodeId, c.nodeId].sort());
  });

  it('the responder refuses a token claiming another responder or initiator at the last step', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    await a.gestalts.grantClaim(b.nodeId);
    await a.gestalts.grantClaim(c.nodeId);
    const reply = await a.gestalts.handleClaimRequest(b.nodeId, await b.gestalts.createClaimRequest(a.nodeId));
    const doubly = await b.gestalts.completeClaim(a.nodeId, reply);
    await expect(a.gestalts.finishClaim(c.nodeId, doubly)).rejects.toMatchObject({ code: 'ErrorNodePermissionDenied' });
    expect(await a.sigchain.claims()).toEqual([]);
  });

  it("linking merges permissions: a vault shared with B beforehand reaches A's whole gestalt on C", async () => {
    // C has shared V with A; A and B (the same person's two keynodes) link; C discovers A's chain.
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    const v = randomVaultId();
    await c.gestalts.trust(a.nodeId);
    await c.kv.write(async (tx) => {
      await c.acl.setNodeAction(tx, a.nodeId, 'scan');
      await c.acl.setVaultAction(tx, v, a.nodeId, 'clone');
      await c.acl.setVaultAction(tx, v, a.nodeId, 'pull');
    });
    await a.gestalts.grantClaim(b.nodeId);
    await claim(b, a);
    const links = await c.gestalts.applyDiscoveredSigchain(a.nodeId, await a.gestalts.getOwnSigchain());
    expect(links).toEqual([{ a: a.nodeId, b: b.nodeId }]);
    expect(await c.gestalts.permissions(b.nodeId)).toEqual({ gestalt: ['notify', 'scan'], vaults: { [v]: ['clone', 'pull'] } });
    // Discovering again changes nothing.
    expect(await c.gestalts.applyDiscoveredSigchain(a.nodeId, await a.gestalts.getOwnSigchain())).toEqual([]);
  });

  it('discovery rejects a broken chain and links nothing; a half-signed link on a chain is dropped', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    await a.gestalts.grantClaim(b.nodeId);
    await claim(b, a);
    const chain = await a.gestalts.getOwnSigchain();
    const before = await observable(c);
    const tampered = structuredClone(chain);
    tampered[0]!.payload.sub = c.nodeId;
    await expect(c.gestalts.applyDiscoveredSigchain(a.nodeId, tampered)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    // A's chain passed off as C's own: not signed by C.
    await expect(c.gestalts.applyDiscoveredSigchain(c.nodeId, chain)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    // Strip B's signature (A, the responder, signed its copy first): the chain is still A's and
    // intact, but the link is no longer proven, so it is dropped.
    const oneSig = structuredClone(chain);
    oneSig[0]!.signatures = (oneSig[0] as ClaimLinkNodeToken).signatures.slice(0, 1);
    expect(await verifiedSigners(oneSig[0]!)).toEqual(new Set([a.nodeId]));
    expect(await c.gestalts.applyDiscoveredSigchain(a.nodeId, oneSig)).toEqual([]);
    expect(await observable(c)).toEqual(before);
  });
});
