// Scan between real keynodes (scenarios 44–45, Polykey "scanVaults should get all vaults with
// permissions from remote node" and the CLI's NOPERM case): exactly the requester's shared vaults,
// under their current names, with the requester's own actions and nothing about other recipients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { codeOf, Net, shareWith } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let alice: Keynode;
let bob: Keynode;
let carol: Keynode;

beforeAll(async () => {
  net = await Net.start();
  [owner, alice, bob, carol] = await Promise.all([net.node('owner'), net.node('alice'), net.node('bob'), net.node('carol')]);
});
afterAll(async () => {
  await net?.stopAll();
});

describe('scan', () => {
  it('lists exactly the vaults shared with the requester, current names and actions', async () => {
    const v1 = await owner.vaults.create('scan-1');
    const v2 = await owner.vaults.create('scan-2');
    await owner.vaults.create('scan-private');
    await shareWith(owner, 'scan-1', alice);
    await owner.vaults.share('scan-2', alice.nodeId);
    await owner.vaults.rename('scan-2', 'scan-2-renamed');
    expect(await alice.vaults.scan(owner.nodeId)).toEqual([
      { vaultName: 'scan-1', vaultId: v1, actions: ['clone', 'pull'] },
      { vaultName: 'scan-2-renamed', vaultId: v2, actions: ['clone', 'pull'] },
    ]);
    // Unshared vaults drop out; scan stays while something is still shared.
    await owner.vaults.unshare('scan-1', alice.nodeId);
    expect(await alice.vaults.scan(owner.nodeId)).toEqual([{ vaultName: 'scan-2-renamed', vaultId: v2, actions: ['clone', 'pull'] }]);
  });

  it('is refused without scan, even with notify; and for a stranger', async () => {
    expect(await codeOf(bob.vaults.scan(owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    await owner.gestalts.trust(bob.nodeId);
    expect((await owner.gestalts.permissions(bob.nodeId)).gestalt).toEqual(['notify']);
    expect(await codeOf(bob.vaults.scan(owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
  });

  it('after the owner deleted a shared vault, the vault is simply absent (B4)', async () => {
    const kept = await owner.vaults.create('scan-kept');
    await owner.vaults.create('scan-deleted');
    await shareWith(owner, 'scan-kept', carol);
    await owner.vaults.share('scan-deleted', carol.nodeId);
    expect((await carol.vaults.scan(owner.nodeId)).map((v) => v.vaultName)).toEqual(['scan-deleted', 'scan-kept']);
    await owner.vaults.delete('scan-deleted');
    expect(await carol.vaults.scan(owner.nodeId)).toEqual([{ vaultName: 'scan-kept', vaultId: kept, actions: ['clone', 'pull'] }]);
    expect(await codeOf(carol.vaults.clone('scan-deleted', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
  });

  it('never reveals other recipients to a recipient', async () => {
    const id = await owner.vaults.create('scan-shared-twice');
    await shareWith(owner, 'scan-shared-twice', alice);
    await shareWith(owner, 'scan-shared-twice', bob);
    expect((await owner.vaults.permissions(id)).map((p) => p.nodeId).sort()).toEqual([alice.nodeId, bob.nodeId].sort());
    const seenByAlice = await alice.vaults.scan(owner.nodeId);
    expect(seenByAlice.find((v) => v.vaultId === id)).toEqual({ vaultName: 'scan-shared-twice', vaultId: id, actions: ['clone', 'pull'] });
    expect(JSON.stringify(seenByAlice)).not.toContain(bob.nodeId);
    // Alice's clone carries no permissions of anybody: the owner's ACL never travels.
    const cloneId = await alice.vaults.clone(id, owner.nodeId);
    expect(await alice.vaults.permissions(cloneId)).toEqual([]);
    expect(JSON.stringify(await alice.vaults.list())).not.toContain(bob.nodeId);
  });
});
