// The ACL at transaction level: records shared by a gestalt, vault actions, unshare (docs/spec.md §4.2, B5),
// vault removal (B4), the gestalt algebra, and atomicity with the caller's transaction.
import { describe, expect, it } from 'vitest';
import { ACL } from '../../../src/acl/index.js';
import { memoryKV, randomNodeId, randomVaultId } from './helpers.js';

async function setup() {
  const kv = await memoryKV('acl');
  const acl = new ACL();
  return { kv, acl, w: kv.write.bind(kv), r: kv.read.bind(kv) };
}

describe('ACL', () => {
  it('trust and untrust gestalts: a change through any member is seen by every member', async () => {
    const { acl, w, r } = await setup();
    const [n1, n2, n3] = [randomNodeId(), randomNodeId(), randomNodeId()];
    await w(async (tx) => {
      await acl.setNodeAction(tx, n1, 'notify');
      await acl.joinNodePerm(tx, n1, [n2, n3]);
    });
    expect(await r((tx) => acl.getNodePerm(tx, n3))).toEqual({ gestalt: ['notify'], vaults: {} });
    await w((tx) => acl.unsetNodeAction(tx, n2, 'notify'));
    for (const n of [n1, n2, n3]) expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: [], vaults: {} });
    // Unsetting on a node with no record does nothing (and creates nothing).
    const stranger = randomNodeId();
    await w((tx) => acl.unsetNodeAction(tx, stranger, 'notify'));
    expect(await r((tx) => acl.getNodePerm(tx, stranger))).toBeUndefined();
  });

  it('setting and unsetting vault actions; an emptied entry is removed, not kept as []', async () => {
    const { acl, w, r } = await setup();
    const n = randomNodeId();
    const v = randomVaultId();
    await expect(w((tx) => acl.setVaultAction(tx, v, n, 'pull'))).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });
    expect(await r((tx) => acl.getNodePerm(tx, n))).toBeUndefined();
    await w(async (tx) => {
      await acl.setNodeAction(tx, n, 'notify');
      await acl.setVaultAction(tx, v, n, 'pull');
      await acl.setVaultAction(tx, v, n, 'clone');
      await acl.setVaultAction(tx, v, n, 'pull'); // twice = once
    });
    expect((await r((tx) => acl.getNodePerm(tx, n)))!.vaults).toEqual({ [v]: ['clone', 'pull'] });
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({ [n]: ['clone', 'pull'] });
    await w((tx) => acl.unsetVaultAction(tx, v, n, 'clone'));
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({ [n]: ['pull'] });
    await w((tx) => acl.unsetVaultAction(tx, v, n, 'pull'));
    expect((await r((tx) => acl.getNodePerm(tx, n)))!.vaults).toEqual({});
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({});
    // Nothing there: a no-op, never an error (B5).
    await w((tx) => acl.unsetVaultAction(tx, v, n, 'pull'));
    await w((tx) => acl.unsetVaultAction(tx, v, randomNodeId(), 'pull'));
  });

  it('getVaultPerms lists every node whose gestalt can act on the vault, and only those', async () => {
    const { acl, w, r } = await setup();
    const [a, b, c] = [randomNodeId(), randomNodeId(), randomNodeId()];
    const [v1, v2] = [randomVaultId(), randomVaultId()];
    await w(async (tx) => {
      await acl.setNodeAction(tx, a, 'notify');
      await acl.joinNodePerm(tx, a, [b]);
      await acl.setNodeAction(tx, c, 'notify');
      await acl.setVaultAction(tx, v1, a, 'clone');
      await acl.setVaultAction(tx, v2, c, 'pull');
    });
    expect(await r((tx) => acl.getVaultPerms(tx, v1))).toEqual({ [a]: ['clone'], [b]: ['clone'] });
    expect(await r((tx) => acl.getVaultPerms(tx, v2))).toEqual({ [c]: ['pull'] });
  });

  it('unshare keeps scan until the last vault is unshared (scenario 22)', async () => {
    const { acl, w, r } = await setup();
    const n = randomNodeId();
    const [v1, v2] = [randomVaultId(), randomVaultId()];
    await w(async (tx) => {
      await acl.setNodeAction(tx, n, 'notify');
      for (const v of [v1, v2]) {
        await acl.setNodeAction(tx, n, 'scan');
        await acl.setVaultAction(tx, v, n, 'clone');
        await acl.setVaultAction(tx, v, n, 'pull');
      }
    });
    expect(await w((tx) => acl.unshareVault(tx, v1, n))).toBe(true);
    expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: ['notify', 'scan'], vaults: { [v2]: ['clone', 'pull'] } });
    expect(await w((tx) => acl.unshareVault(tx, v2, n))).toBe(true);
    expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: ['notify'], vaults: {} });
  });

  it('unsharing from a node that never had a share is a no-op success (scenario 23, B5)', async () => {
    const { acl, w, r } = await setup();
    const n = randomNodeId();
    await w(async (tx) => {
      await acl.setNodeAction(tx, n, 'notify');
      await acl.setNodeAction(tx, n, 'scan');
    });
    const before = await r((tx) => acl.snapshot(tx));
    expect(await w((tx) => acl.unshareVault(tx, randomVaultId(), n))).toBe(false);
    expect(await r((tx) => acl.snapshot(tx))).toEqual(before);
    await expect(w((tx) => acl.unshareVault(tx, randomVaultId(), randomNodeId()))).rejects.toMatchObject({
      code: 'ErrorGestaltsGraphNodeIdMissing',
    });
  });

  it('permission listing after share then unshare: the node is no longer listed (scenario 24, our choice)', async () => {
    // Polykey lists it with an empty action list; we omit it, so the list is exactly who can pull now.
    const { acl, w, r } = await setup();
    const [n, m] = [randomNodeId(), randomNodeId()];
    const v = randomVaultId();
    await w(async (tx) => {
      for (const x of [n, m]) {
        await acl.setNodeAction(tx, x, 'scan');
        await acl.setVaultAction(tx, v, x, 'clone');
        await acl.setVaultAction(tx, v, x, 'pull');
      }
    });
    await w((tx) => acl.unshareVault(tx, v, n));
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({ [m]: ['clone', 'pull'] });
  });

  it('joining existing gestalt permissions re-points nodes and frees their old records', async () => {
    const { acl, w, r } = await setup();
    const [a, b, c] = [randomNodeId(), randomNodeId(), randomNodeId()];
    await expect(w((tx) => acl.joinNodePerm(tx, a, [b]))).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });
    await w(async (tx) => {
      await acl.setNodeAction(tx, a, 'notify');
      await acl.setNodeAction(tx, b, 'scan');
      await acl.setNodeAction(tx, c, 'claim');
      await acl.joinNodePerm(tx, a, [b, c], { gestalt: ['notify', 'scan', 'claim'], vaults: {} });
    });
    const snap = await r((tx) => acl.snapshot(tx));
    expect(snap.records.size).toBe(1);
    const [record] = [...snap.records.values()];
    expect(record).toEqual({ count: 3, perm: { gestalt: ['notify', 'scan', 'claim'], vaults: {} } });
    expect(new Set(snap.pointers.values()).size).toBe(1);
  });

  it('node removal decrements the count and deletes the record with its last node', async () => {
    const { acl, w, r } = await setup();
    const [a, b] = [randomNodeId(), randomNodeId()];
    await w((tx) => acl.setNodesPerm(tx, [a, b], { gestalt: ['notify'], vaults: {} }));
    await w((tx) => acl.unsetNodePerm(tx, a));
    let snap = await r((tx) => acl.snapshot(tx));
    expect([...snap.records.values()].map((x) => x.count)).toEqual([1]);
    expect(await r((tx) => acl.getNodePerm(tx, a))).toBeUndefined();
    expect(await r((tx) => acl.getNodePerm(tx, b))).toEqual({ gestalt: ['notify'], vaults: {} });
    await w((tx) => acl.unsetNodePerm(tx, b));
    snap = await r((tx) => acl.snapshot(tx));
    expect(snap.records.size).toBe(0);
    expect(snap.pointers.size).toBe(0);
  });

  it('vault removal takes the vault out of every record (B4)', async () => {
    const { acl, w, r } = await setup();
    const [a, b] = [randomNodeId(), randomNodeId()];
    const [v, keep] = [randomVaultId(), randomVaultId()];
    await w(async (tx) => {
      await acl.setNodeAction(tx, a, 'scan');
      await acl.setNodeAction(tx, b, 'scan');
      await acl.setVaultAction(tx, v, a, 'clone');
      await acl.setVaultAction(tx, v, b, 'pull');
      await acl.setVaultAction(tx, keep, b, 'pull');
    });
    await w((tx) => acl.removeVault(tx, v));
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({});
    expect((await r((tx) => acl.getNodePerm(tx, a)))!.vaults).toEqual({});
    expect((await r((tx) => acl.getNodePerm(tx, b)))!.vaults).toEqual({ [keep]: ['pull'] });
  });

  it("transactional operations: a failure later in the caller's transaction leaves the ACL untouched", async () => {
    const { acl, w, r } = await setup();
    const n = randomNodeId();
    const v = randomVaultId();
    await w((tx) => acl.setNodeAction(tx, n, 'notify'));
    const before = await r((tx) => acl.snapshot(tx));
    await expect(
      w(async (tx) => {
        await acl.setNodeAction(tx, n, 'scan');
        await acl.setVaultAction(tx, v, n, 'clone');
        await tx.put('outbox', 'x', { queued: true });
        throw new Error('the outbox write failed');
      }),
    ).rejects.toThrow('the outbox write failed');
    expect(await r((tx) => acl.snapshot(tx))).toEqual(before);
    expect(await r((tx) => tx.get('outbox', 'x'))).toBeUndefined();
  });

  it('records returned to callers are copies: mutating one changes nothing stored', async () => {
    const { acl, w, r } = await setup();
    const n = randomNodeId();
    await w((tx) => acl.setNodeAction(tx, n, 'notify'));
    const perm = (await r((tx) => acl.getNodePerm(tx, n)))!;
    perm.gestalt.push('claim');
    expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: ['notify'], vaults: {} });
  });
});
