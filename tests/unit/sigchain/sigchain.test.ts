// The sigchain: appending only what extends the head and is properly signed, and verifying a whole
// chain fetched from elsewhere — a tampered, reordered or re-linked chain, or one signed by another
// key, is rejected; a link claim that lacks the other node's signature is dropped, never trusted.
import { describe, expect, it } from 'vitest';
import { addSignature, signToken } from '../../../src/keys/token.js';
import { claimDigest, Sigchain, verifySigchain, type SignedClaim } from '../../../src/sigchain/index.js';
import { memoryKV } from '../acl/helpers.js';
import { smallOrderEncodings, weakSigner, withNonCanonicalS } from '../../utils/ed25519.js';
import { base64urlDecode, base64urlEncode } from '../../../src/keys/crypto.js';
import { buildChain, newIdentity } from './helpers.js';

const note = (text: string) => ({ typ: 'Note', text });

async function ownChain() {
  const kv = await memoryKV('sigchain');
  const me = await newIdentity('me');
  return { kv, me, chain: new Sigchain(kv, me, { clock: () => 1_700_000_000_000 }) };
}

describe('Sigchain', () => {
  it('prepare fills the chain fields; append extends the head; claims come back in order and verify', async () => {
    const { me, chain } = await ownChain();
    const first = await chain.prepare(note('a'));
    expect(first).toMatchObject({ typ: 'Note', text: 'a', seq: 1, prevDigest: null, iat: 1_700_000_000 });
    expect(typeof first.jti).toBe('string');
    const t1 = await signToken(first, me);
    await chain.append(t1);
    const second = await chain.prepare(note('b'));
    expect(second.seq).toBe(2);
    expect(second.prevDigest).toBe(claimDigest(t1));
    await chain.append(await signToken(second, me));
    const claims = await chain.claims();
    expect(claims.map((c) => c.payload.text)).toEqual(['a', 'b']);
    expect((await verifySigchain(me.nodeId, claims)).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('append refuses a claim that does not extend the head (stale seq, wrong prevDigest) and keeps the chain', async () => {
    const { me, chain } = await ownChain();
    const stale = await chain.prepare(note('stale'));
    await chain.append(await signToken(await chain.prepare(note('a')), me));
    await expect(chain.append(await signToken(stale, me))).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    const next = await chain.prepare(note('b'));
    await expect(chain.append(await signToken({ ...next, prevDigest: 'x'.repeat(43) }, me))).rejects.toMatchObject({
      code: 'ErrorSigchainInvalid',
    });
    await expect(chain.append(await signToken({ ...next, seq: 5 }, me))).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect((await chain.claims()).map((c) => c.payload.text)).toEqual(['a']);
  });

  it('append refuses a claim signed by another key, a tampered claim, and garbage', async () => {
    const { me, chain } = await ownChain();
    const other = await newIdentity('other');
    const payload = await chain.prepare(note('a'));
    await expect(chain.append(await signToken(payload, other))).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    const signed = await signToken(payload, me);
    await expect(chain.append({ ...signed, payload: { ...payload, text: 'changed' } })).rejects.toMatchObject({
      code: 'ErrorSigchainInvalid',
    });
    for (const bad of [null, 'x', {}, { payload: {}, signatures: [] }, { payload: payload, signatures: 'x' }]) {
      await expect(chain.append(bad)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
    expect(await chain.claims()).toEqual([]);
  });

  it('append refuses a ClaimLinkNode that carries only one of the two signatures', async () => {
    const { me, chain } = await ownChain();
    const peer = await newIdentity('peer');
    const payload = await chain.prepare({ typ: 'ClaimLinkNode' as const, iss: me.nodeId, sub: peer.nodeId });
    await expect(chain.append(await signToken(payload, me))).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    const stranger = await newIdentity('stranger');
    const notMine = await chain.prepare({ typ: 'ClaimLinkNode' as const, iss: peer.nodeId, sub: stranger.nodeId });
    const allThree = await addSignature(await addSignature(await signToken(notMine, me), peer), stranger);
    await expect(chain.append(allThree)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    await chain.append(await addSignature(await signToken(payload, me), peer));
    expect(await chain.claims()).toHaveLength(1);
  });
});

describe('verifySigchain', () => {
  async function fixture() {
    const owner = await newIdentity('owner');
    const peer = await newIdentity('peer');
    const chain = await buildChain(owner, [note('a'), { typ: 'ClaimLinkNode', iss: owner.nodeId, sub: peer.nodeId }, note('c')], [[], [peer], []]);
    return { owner, peer, chain };
  }

  it('accepts an intact chain and reports the doubly-signed link with the other end', async () => {
    const { owner, peer, chain } = await fixture();
    const verified = await verifySigchain(owner.nodeId, chain);
    expect(verified.map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(verified[1]!.linked).toBe(peer.nodeId);
    expect(await verifySigchain(owner.nodeId, [])).toEqual([]);
  });

  it('rejects a tampered claim', async () => {
    const { owner, chain } = await fixture();
    const tampered = structuredClone(chain);
    tampered[0]!.payload.text = 'changed';
    await expect(verifySigchain(owner.nodeId, tampered)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });

  it('rejects a reordered chain and a chain with a claim left out', async () => {
    const { owner, chain } = await fixture();
    await expect(verifySigchain(owner.nodeId, [chain[1], chain[0], chain[2]])).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    await expect(verifySigchain(owner.nodeId, [chain[0], chain[2]])).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });

  it('rejects a claim whose prevDigest is wrong even when the owner signed it', async () => {
    const { owner } = await fixture();
    const good = await buildChain(owner, [note('a'), note('b')]);
    const forged = await signToken({ ...good[1]!.payload, prevDigest: claimDigest(good[1]!) }, owner);
    await expect(verifySigchain(owner.nodeId, [good[0], forged])).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });

  it('rejects a chain signed by another key, and a chain checked against the wrong owner', async () => {
    const { owner, peer, chain } = await fixture();
    const byPeer = await buildChain(peer, [note('a')]);
    await expect(verifySigchain(owner.nodeId, byPeer)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    await expect(verifySigchain(peer.nodeId, chain)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    // A signature copied from another claim does not verify either.
    const swapped = structuredClone(chain);
    swapped[0]!.signatures = chain[2]!.signatures;
    await expect(verifySigchain(owner.nodeId, swapped)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });

  it('drops a ClaimLinkNode missing the other signature, or not involving the owner, and keeps the rest', async () => {
    const owner = await newIdentity('owner');
    const peer = await newIdentity('peer');
    const third = await newIdentity('third');
    const chain = await buildChain(
      owner,
      [{ typ: 'ClaimLinkNode', iss: owner.nodeId, sub: peer.nodeId }, { typ: 'ClaimLinkNode', iss: peer.nodeId, sub: third.nodeId }, note('kept')],
      [[], [peer, third], []],
    );
    const verified = await verifySigchain(owner.nodeId, chain);
    expect(verified.map((c) => c.seq)).toEqual([3]);
  });

  it('rejects malformed input with ErrorSigchainInvalid, never a crash', async () => {
    const owner = (await newIdentity('owner')).nodeId;
    for (const bad of [null, 'chain', {}, [null], [{ payload: null, signatures: [] }], [{ payload: { typ: 'x' }, signatures: [{}] }]]) {
      await expect(verifySigchain(owner, bad)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
    const oneBadLink: SignedClaim[] = [
      {
        payload: { typ: 'ClaimLinkNode', iss: 'nope', sub: owner, jti: 'j', seq: 1, iat: 0, prevDigest: null },
        signatures: [{ protected: 'a', signature: 'b' }],
      },
    ];
    await expect(verifySigchain(owner, oneBadLink)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });

  it('rejects a chain "signed" by a small-order owner key with the R = identity, S = 0 forgery', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      const attacker = weakSigner(bytes);
      const chain = await buildChain(attacker, [note('a')]);
      await expect(verifySigchain(attacker.nodeId, chain), name).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
  });

  it('rejects a chain linking a small-order key, even when the genuine owner signed the link', async () => {
    const owner = await newIdentity('owner');
    for (const { name, bytes } of smallOrderEncodings) {
      const attacker = weakSigner(bytes);
      const chain = await buildChain(owner, [{ typ: 'ClaimLinkNode', iss: owner.nodeId, sub: attacker.nodeId }], [[attacker]]);
      await expect(verifySigchain(owner.nodeId, chain), name).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
  });

  it('rejects a claim whose owner signature was made malleable (S + ℓ)', async () => {
    const { owner, chain } = await fixture();
    const malleated = structuredClone(chain);
    const sig = malleated[0]!.signatures[0]!;
    sig.signature = base64urlEncode(withNonCanonicalS(base64urlDecode(sig.signature)));
    await expect(verifySigchain(owner.nodeId, malleated)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
  });
});

describe('Sigchain append with weak keys', () => {
  it('refuses a ClaimLinkNode to a small-order key, whatever it carries', async () => {
    const { me, chain } = await ownChain();
    for (const { name, bytes } of smallOrderEncodings) {
      const attacker = weakSigner(bytes);
      const payload = await chain.prepare({ typ: 'ClaimLinkNode' as const, iss: me.nodeId, sub: attacker.nodeId });
      const token = await addSignature(await signToken(payload, me), attacker);
      await expect(chain.append(token), name).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    }
    expect(await chain.claims()).toEqual([]);
  });
});
