// Revocations on a sigchain and the bounds on a chain (docs/gestalts.md): a ClaimUnlinkNode must be
// its owner's, naming a link claim its owner made earlier on the same chain with that other end;
// anything else refuses the whole chain. A chain's last word on each keynode decides: linked again
// after a revocation only by a new link claim. Chains over 128 claims or 60 KiB are refused.
import { describe, expect, it } from 'vitest';
import { linkStates, MAX_CHAIN_BYTES, MAX_CHAIN_LENGTH, verifySigchain, type ClaimFields } from '../../../src/sigchain/index.js';
import { buildChain, newIdentity } from './helpers.js';

const link = (iss: string, sub: string): ClaimFields => ({ typ: 'ClaimLinkNode', iss, sub });
const unlink = (iss: string, sub: string, linkSeq: number, linkJti = `claim-${linkSeq - 1}`): ClaimFields => ({
  typ: 'ClaimUnlinkNode',
  iss,
  sub,
  linkSeq,
  linkJti,
});

describe('revocations', () => {
  it('a revocation of its own link is accepted; the last word decides, and a new link undoes it', async () => {
    const [me, phone] = await Promise.all([newIdentity('me'), newIdentity('phone')]);
    const chain = await buildChain(me, [link(phone.nodeId, me.nodeId), unlink(me.nodeId, phone.nodeId, 1)], [[phone]]);
    const verified = await verifySigchain(me.nodeId, chain);
    expect(verified.map((c) => [c.linked, c.unlinked])).toEqual([
      [phone.nodeId, undefined],
      [undefined, phone.nodeId],
    ]);
    expect(linkStates(verified).get(phone.nodeId)).toEqual({ state: 'revoked', seq: 2 });
    const relinked = await buildChain(
      me,
      [link(phone.nodeId, me.nodeId), unlink(me.nodeId, phone.nodeId, 1), link(me.nodeId, phone.nodeId)],
      [[phone], [], [phone]],
    );
    expect(linkStates(await verifySigchain(me.nodeId, relinked)).get(phone.nodeId)).toMatchObject({ state: 'linked', seq: 3 });
  });

  it('a revocation naming no link of its owner with that keynode refuses the whole chain', async () => {
    const [me, phone, other] = await Promise.all([newIdentity('me'), newIdentity('phone'), newIdentity('other')]);
    const linked = [link(phone.nodeId, me.nodeId)];
    const cases: Array<[string, ClaimFields[], Array<(typeof me)[]>]> = [
      ['iss is not the owner', [...linked, unlink(phone.nodeId, me.nodeId, 1)], [[phone]]],
      ['names a link with another keynode', [...linked, unlink(me.nodeId, other.nodeId, 1)], [[phone]]],
      ['wrong jti', [...linked, unlink(me.nodeId, phone.nodeId, 1, 'not-the-link')], [[phone]]],
      ['names a claim that is no link', [{ typ: 'Note' }, unlink(me.nodeId, phone.nodeId, 1)], []],
      ['names a half-signed link (never a link)', [...linked, unlink(me.nodeId, phone.nodeId, 1)], [[]]],
      ['names itself or a later claim', [...linked, unlink(me.nodeId, phone.nodeId, 2)], [[phone]]],
    ];
    for (const [what, fields, cosigners] of cases) {
      const chain = await buildChain(me, fields, cosigners);
      await expect(verifySigchain(me.nodeId, chain), what).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
    // Signed by someone else than the owner.
    const foreign = await buildChain(me, [...linked], [[phone]]);
    foreign.push(...(await buildChain(other, [{ typ: 'Note' }, unlink(other.nodeId, phone.nodeId, 1)])).slice(1));
    await expect(verifySigchain(me.nodeId, foreign)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });
});

describe('bounds', () => {
  it(`a chain over ${MAX_CHAIN_LENGTH} claims, or over ${MAX_CHAIN_BYTES} bytes, is refused`, async () => {
    const me = await newIdentity('me');
    const long = await buildChain(
      me,
      Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => ({ typ: 'Note' })),
    );
    await expect(verifySigchain(me.nodeId, long)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid', data: { limit: MAX_CHAIN_LENGTH } });
    expect(await verifySigchain(me.nodeId, long.slice(0, MAX_CHAIN_LENGTH))).toHaveLength(MAX_CHAIN_LENGTH);
    // Big claims (each under the per-claim limit) that add up past the chain's byte bound.
    const big = await buildChain(
      me,
      Array.from({ length: 8 }, () => ({ typ: 'Note', text: 'x'.repeat(9000) })),
    );
    await expect(verifySigchain(me.nodeId, big)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid', data: { limit: MAX_CHAIN_BYTES } });
  });
});
