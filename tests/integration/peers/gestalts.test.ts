// Gestalt links between real keynodes (scenarios 18, 19, 25): claim needs an invite and leaves one
// doubly-signed ClaimLinkNode on both sigchains; discovery links a gestalt from a fetched sigchain,
// which a keynode serves only to keynodes it knows;
// a share with one member reaches every member (notification, clone, pull), including a member
// linked later, and only while the share lasts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifiedSigners, type SignedToken } from '../../../src/keys/token.js';
import { codeOf, eventually, link, Net, rawPeer, trustEachOther } from '../../utils/keynodes.js';

let net: Net;

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  await net?.stopAll();
});

type Claim = SignedToken<{ typ: string; iss?: string; sub?: string }>;

describe('claim and discover (scenario 25)', () => {
  it('claim needs the claim permission (an invite first); then both sigchains hold the doubly-signed claim', async () => {
    const [laptop, phone] = await Promise.all([net.node('laptop'), net.node('phone')]);
    expect(await codeOf(phone.gestalts.claim(laptop.nodeId))).toBe('ErrorNodePermissionDenied');
    await phone.gestalts.trust(laptop.nodeId); // so the invite notification lands in the inbox
    await laptop.gestalts.invite(phone.nodeId);
    const invite = await eventually(async () => (await phone.notifications.read()).find((n) => n.data.type === 'GestaltInvite'));
    expect(invite.from).toBe(laptop.nodeId);
    await phone.gestalts.claim(laptop.nodeId);

    for (const k of [laptop, phone]) {
      expect((await k.gestalts.get(laptop.nodeId)).nodes.sort()).toEqual([laptop.nodeId, phone.nodeId].sort());
    }
    // Fetch both chains as a peer they know would, and check the link claim on each.
    const raw = await rawPeer(net);
    for (const k of [laptop, phone]) {
      const rpc = await raw.connect(k.nodeId);
      // A stranger is not shown which browsers belong together.
      expect(await codeOf(rpc.callUnary('sigchain.get', {}))).toBe('ErrorNodePermissionDenied');
      await k.gestalts.trust(raw.nodeId);
      const { claims } = (await rpc.callUnary('sigchain.get', {})) as { claims: Claim[] };
      const links = claims.filter((c) => c.payload.typ === 'ClaimLinkNode');
      expect(links).toHaveLength(1);
      expect(links[0]!.payload).toMatchObject({ iss: phone.nodeId, sub: laptop.nodeId });
      expect([...(await verifiedSigners(links[0]!))].sort()).toEqual([laptop.nodeId, phone.nodeId].sort());
    }
  });

  it('discover links the gestalt from a fetched sigchain', async () => {
    const [owner, laptop, phone] = await Promise.all([net.node('owner'), net.node('laptop'), net.node('phone')]);
    await link(laptop, phone);
    await owner.gestalts.trust(laptop.nodeId);
    expect((await owner.gestalts.get(laptop.nodeId)).nodes).toEqual([laptop.nodeId]);
    // The laptop shows its links only to a keynode it knows.
    expect(await codeOf(owner.gestalts.discover(laptop.nodeId))).toBe('ErrorNodePermissionDenied');
    expect((await owner.gestalts.get(laptop.nodeId)).nodes).toEqual([laptop.nodeId]);
    await laptop.gestalts.trust(owner.nodeId);
    await owner.gestalts.discover(laptop.nodeId);
    expect((await owner.gestalts.get(laptop.nodeId)).nodes.sort()).toEqual([laptop.nodeId, phone.nodeId].sort());
    expect((await owner.gestalts.get(phone.nodeId)).nodes.sort()).toEqual([laptop.nodeId, phone.nodeId].sort());
    // The gestalt shares one permission record: trusting the laptop trusts the phone.
    expect((await owner.gestalts.permissions(phone.nodeId)).gestalt).toContain('notify');
  });
});

describe('a share reaches the whole gestalt (scenarios 18, 19)', () => {
  it('every member hears of it and can clone and pull, only while the share lasts', async () => {
    const [owner, laptop, phone, stranger] = await Promise.all([net.node('owner'), net.node('laptop'), net.node('phone'), net.node('stranger')]);
    await link(laptop, phone);
    for (const k of [laptop, phone]) await trustEachOther(owner, k);
    await owner.gestalts.discover(laptop.nodeId);
    const vaultId = await owner.vaults.create('family');
    await owner.secrets.write('family', 'wifi', 'hunter2');
    await owner.vaults.share('family', laptop.nodeId);
    for (const k of [laptop, phone]) {
      const n = await eventually(async () => (await k.notifications.read()).find((x) => x.data.type === 'VaultShare'));
      expect(n.data).toMatchObject({ vaultId, vaultName: 'family' });
    }
    // The phone was never named in the share, yet it scans, clones and pulls.
    expect((await phone.vaults.scan(owner.nodeId)).map((v) => v.vaultId)).toEqual([vaultId]);
    const phoneCopy = await phone.vaults.clone('family', owner.nodeId);
    expect(await phone.secrets.getText(phoneCopy, 'wifi')).toBe('hunter2');
    await owner.secrets.write('family', 'wifi', 'correct horse');
    await phone.vaults.pull(phoneCopy);
    expect(await phone.secrets.getText(phoneCopy, 'wifi')).toBe('correct horse');
    // Outside the gestalt: nothing.
    expect(await codeOf(stranger.vaults.clone('family', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    // Unsharing with the laptop takes it from the phone too.
    await owner.vaults.unshare('family', laptop.nodeId);
    await owner.secrets.write('family', 'wifi', 'changed again');
    expect(await codeOf(phone.vaults.pull(phoneCopy))).toBe('ErrorVaultsPermissionDenied');
    expect(await codeOf(phone.vaults.clone('family', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    expect(await phone.secrets.getText(phoneCopy, 'wifi')).toBe('correct horse');
  });

  it('a keynode linked later inherits the share once the owner discovers the link (late joiner)', async () => {
    const [owner, laptop, tablet] = await Promise.all([net.node('owner'), net.node('laptop'), net.node('tablet')]);
    await owner.gestalts.trust(laptop.nodeId);
    const vaultId = await owner.vaults.create('work');
    await owner.vaults.share('work', laptop.nodeId);
    expect(await codeOf(tablet.vaults.clone('work', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    await link(laptop, tablet);
    // The laptop knows the owner; the tablet does not, so discovery skips asking it (the laptop's
    // chain proves the link anyway).
    await laptop.gestalts.trust(owner.nodeId);
    await owner.gestalts.discover(laptop.nodeId);
    expect((await owner.gestalts.permissions(tablet.nodeId)).vaults[vaultId]?.sort()).toEqual(['clone', 'pull']);
    const copy = await tablet.vaults.clone('work', owner.nodeId);
    expect((await tablet.vaults.log(copy)).map((c) => c.commitId)).toEqual((await owner.vaults.log('work')).map((c) => c.commitId));
  });
});
