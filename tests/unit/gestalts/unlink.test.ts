// Unlinking and what discovery does with it, without a network (tokens handed over directly):
// the remover's side splits at once and the removed part is forgotten; an observer applies the
// revocation when it reads the remover's chain, and the removed end's own chain (still showing the
// link) cannot bring it back; an older chain is refused; a restored keynode adopts only its own chain.
import { describe, expect, it } from 'vitest';
import { randomVaultId } from '../acl/helpers.js';
import { claim, keynode, type TestKeynode } from './keynode-fixture.js';

async function linked(): Promise<{ owner: TestKeynode; laptop: TestKeynode; phone: TestKeynode; v: string }> {
  const [owner, laptop, phone] = await Promise.all([keynode('owner'), keynode('laptop'), keynode('phone')]);
  await laptop.gestalts.grantClaim(phone.nodeId);
  await claim(phone, laptop);
  const v = randomVaultId();
  await owner.gestalts.trust(laptop.nodeId);
  await owner.kv.write((tx) => owner.acl.setVaultAction(tx, v, laptop.nodeId, 'pull'));
  await owner.gestalts.applyChain(laptop.nodeId, await laptop.gestalts.getOwnSigchain());
  expect((await owner.gestalts.get(phone.nodeId)).nodes.sort()).toEqual([laptop.nodeId, phone.nodeId].sort());
  return { owner, laptop, phone, v };
}

describe('unlink', () => {
  it("the remover forgets the removed browser at once; an observer cuts it off when it reads the remover's chain, and the removed chain cannot undo it", async () => {
    const { owner, laptop, phone, v } = await linked();
    await laptop.gestalts.unlink(phone.nodeId);
    expect((await laptop.gestalts.get(laptop.nodeId)).nodes).toEqual([laptop.nodeId]);
    await expect(laptop.gestalts.get(phone.nodeId)).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });

    const applied = await owner.gestalts.applyChain(laptop.nodeId, await laptop.gestalts.getOwnSigchain());
    expect(applied.removed).toEqual([{ a: laptop.nodeId, b: phone.nodeId }]);
    expect(await owner.gestalts.permissions(laptop.nodeId)).toEqual({ gestalt: ['notify'], vaults: { [v]: ['pull'] } });
    await expect(owner.gestalts.permissions(phone.nodeId)).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });
    // The phone's chain still links the laptop: applying it brings nothing back.
    expect((await owner.gestalts.applyChain(phone.nodeId, await phone.gestalts.getOwnSigchain())).added).toEqual([]);
    expect((await owner.gestalts.get(laptop.nodeId)).nodes).toEqual([laptop.nodeId]);
  });

  it('an older copy of a chain than the one verified before is refused: the revocation cannot vanish', async () => {
    const { owner, laptop, phone } = await linked();
    const before = await laptop.gestalts.getOwnSigchain();
    await laptop.gestalts.unlink(phone.nodeId);
    await owner.gestalts.applyChain(laptop.nodeId, await laptop.gestalts.getOwnSigchain());
    await expect(owner.gestalts.applyChain(laptop.nodeId, before)).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    await expect(owner.gestalts.get(phone.nodeId)).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });
  });

  it('only a direct link can be removed, and not twice', async () => {
    const { owner, laptop, phone } = await linked();
    await expect(laptop.gestalts.unlink(owner.nodeId)).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    await expect(laptop.gestalts.unlink(laptop.nodeId)).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    await phone.gestalts.unlink(laptop.nodeId);
    await expect(phone.gestalts.unlink(laptop.nodeId)).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
  });

  it('a restored keynode adopts a copy of its own chain, and nothing that is not its own', async () => {
    const { laptop, phone } = await linked();
    const fresh = await keynode('laptop-restored', laptop.identity);
    await expect(fresh.gestalts.adoptOwnChain(await phone.gestalts.getOwnSigchain())).rejects.toMatchObject({ code: 'ErrorSigchainInvalid' });
    expect(await fresh.sigchain.claims()).toEqual([]);
    expect(await fresh.gestalts.adoptOwnChain(await laptop.gestalts.getOwnSigchain())).toEqual({ adopted: 1, links: [phone.nodeId] });
    expect(await fresh.sigchain.claims()).toEqual(await laptop.gestalts.getOwnSigchain());
    // Offered again, or an older copy: nothing changes.
    expect(await fresh.gestalts.adoptOwnChain([])).toEqual({ adopted: 0, links: [] });
    expect(await fresh.gestalts.adoptOwnChain(await laptop.gestalts.getOwnSigchain())).toEqual({ adopted: 0, links: [] });
  });
});
