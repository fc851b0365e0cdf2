// The gestalt graph with its ACL: gestalts as connected components, union on merge (B1), inheritance
// by a late joiner, copies on split (B10), and node removal (docs/polykey.md §3.5, scenarios 18–21).
import { describe, expect, it } from 'vitest';
import { randomNodeId, randomVaultId } from '../acl/helpers.js';
import { graphSetup, linkClaim } from './helpers.js';

describe('GestaltGraph', () => {
  it('getNode, setNode and unsetNode', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const n = randomNodeId();
    expect(await r((tx) => graph.hasNode(tx, n))).toBe(false);
    expect(await r((tx) => graph.getGestalt(tx, n))).toBeUndefined();
    await w((tx) => graph.setNode(tx, n));
    expect(await r((tx) => graph.getGestalt(tx, n))).toEqual([n]);
    expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: [], vaults: {} });
    await w((tx) => graph.unsetNode(tx, n));
    expect(await r((tx) => graph.hasNode(tx, n))).toBe(false);
    expect(await r((tx) => acl.getNodePerm(tx, n))).toBeUndefined();
    const snap = await r((tx) => acl.snapshot(tx));
    expect(snap.records.size + snap.pointers.size).toBe(0);
  });

  it('setNode on a known node keeps its gestalt and permissions', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [a, b] = [randomNodeId(), randomNodeId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, a, b, linkClaim(a, b));
      await acl.setNodeAction(tx, a, 'notify');
      await graph.setNode(tx, b);
    });
    expect(await r((tx) => graph.getGestalt(tx, b))).toEqual([a, b].sort());
    expect(await r((tx) => acl.getNodePerm(tx, b))).toEqual({ gestalt: ['notify'], vaults: {} });
  });

  it('linkNodeAndNode and unlinkNodeAndNode; getGestalt follows links breadth-first', async () => {
    const { graph, w, r } = await graphSetup();
    const [a, b, c, d] = [randomNodeId(), randomNodeId(), randomNodeId(), randomNodeId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, a, b, linkClaim(a, b));
      await graph.linkNodeAndNode(tx, c, b, linkClaim(c, b));
      await graph.setNode(tx, d);
    });
    expect(await r((tx) => graph.getGestalt(tx, a))).toEqual([a, b, c].sort());
    expect(await r((tx) => graph.getLink(tx, b, a))).toMatchObject({ claim: { payload: { iss: a, sub: b } } });
    const lists = await r((tx) => graph.listGestalts(tx));
    expect(lists.map((g) => g.length).sort()).toEqual([1, 3]);
    await w((tx) => graph.unlinkNodeAndNode(tx, b, a));
    expect(await r((tx) => graph.getGestalt(tx, a))).toEqual([a]);
    expect(await r((tx) => graph.getGestalt(tx, c))).toEqual([b, c].sort());
    // Unlinking what is not linked changes nothing.
    await w((tx) => graph.unlinkNodeAndNode(tx, a, d));
    expect(await r((tx) => graph.listGestalts(tx))).toHaveLength(3);
  });

  it('refuses a claim that does not name both ends, and a link of a node to itself', async () => {
    const { graph, w, r } = await graphSetup();
    const [a, b, c] = [randomNodeId(), randomNodeId(), randomNodeId()];
    await expect(w((tx) => graph.linkNodeAndNode(tx, a, b, linkClaim(a, c)))).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    await expect(w((tx) => graph.linkNodeAndNode(tx, a, a, linkClaim(a, a)))).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    expect(await r((tx) => graph.listGestalts(tx))).toEqual([]);
  });

  it('gestalt propagation: a share with N1 reaches N2 of its gestalt (scenario 18)', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n2] = [randomNodeId(), randomNodeId()];
    const v = randomVaultId();
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2));
      await acl.setNodeAction(tx, n1, 'scan');
      await acl.setVaultAction(tx, v, n1, 'clone');
      await acl.setVaultAction(tx, v, n1, 'pull');
    });
    expect(await r((tx) => acl.getNodePerm(tx, n2))).toEqual({ gestalt: ['scan'], vaults: { [v]: ['clone', 'pull'] } });
    expect(await r((tx) => acl.getVaultPerms(tx, v))).toEqual({ [n1]: ['clone', 'pull'], [n2]: ['clone', 'pull'] });
  });

  it('a late joiner inherits the shares of the gestalt it joins (scenario 19)', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n3] = [randomNodeId(), randomNodeId()];
    const v = randomVaultId();
    await w(async (tx) => {
      await graph.setNode(tx, n1);
      await acl.setVaultAction(tx, v, n1, 'clone');
      await acl.setVaultAction(tx, v, n1, 'pull');
    });
    await w((tx) => graph.linkNodeAndNode(tx, n3, n1, linkClaim(n3, n1)));
    expect((await r((tx) => acl.getNodePerm(tx, n3)))!.vaults).toEqual({ [v]: ['clone', 'pull'] });
    expect(await r((tx) => acl.getPermissionId(tx, n3))).toBe(await r((tx) => acl.getPermissionId(tx, n1)));
  });

  it('merging two known gestalts puts all four nodes on one record holding the union (scenario 20, B1)', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n2, n3, n4] = [randomNodeId(), randomNodeId(), randomNodeId(), randomNodeId()];
    const [v1, v2] = [randomVaultId(), randomVaultId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2));
      await acl.setNodeAction(tx, n1, 'notify');
      await acl.setVaultAction(tx, v1, n1, 'pull');
      await graph.linkNodeAndNode(tx, n3, n4, linkClaim(n3, n4));
      await acl.setNodeAction(tx, n4, 'scan');
      await acl.setVaultAction(tx, v1, n4, 'clone');
      await acl.setVaultAction(tx, v2, n4, 'pull');
    });
    await w((tx) => graph.linkNodeAndNode(tx, n2, n3, linkClaim(n2, n3)));
    const expected = { gestalt: ['notify', 'scan'], vaults: { [v1]: ['clone', 'pull'], [v2]: ['pull'] } };
    for (const n of [n1, n2, n3, n4]) expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual(expected);
    const snap = await r((tx) => acl.snapshot(tx));
    expect(snap.records.size).toBe(1);
    expect([...snap.records.values()][0]!.count).toBe(4);
    // One record: a change through n4 is seen by n1.
    await w((tx) => acl.setNodeAction(tx, n4, 'claim'));
    expect((await r((tx) => acl.getNodePerm(tx, n1)))!.gestalt).toEqual(['notify', 'scan', 'claim']);
  });

  it('a split gives each part its own copy; they then change independently (scenario 21)', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n2, n3] = [randomNodeId(), randomNodeId(), randomNodeId()];
    const [v, v2] = [randomVaultId(), randomVaultId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2));
      await graph.linkNodeAndNode(tx, n2, n3, linkClaim(n2, n3));
      await acl.setNodeAction(tx, n1, 'scan');
      await acl.setVaultAction(tx, v, n1, 'clone');
      await acl.setVaultAction(tx, v, n1, 'pull');
    });
    await w((tx) => graph.unlinkNodeAndNode(tx, n2, n3));
    expect(await r((tx) => acl.getNodePerm(tx, n3))).toEqual({ gestalt: ['scan'], vaults: { [v]: ['clone', 'pull'] } });
    await w(async (tx) => {
      await acl.unshareVault(tx, v, n1);
      await acl.setVaultAction(tx, v2, n3, 'pull');
    });
    expect(await r((tx) => acl.getNodePerm(tx, n3))).toEqual({ gestalt: ['scan'], vaults: { [v]: ['clone', 'pull'], [v2]: ['pull'] } });
    expect(await r((tx) => acl.getNodePerm(tx, n2))).toEqual({ gestalt: [], vaults: {} });
    expect(await r((tx) => acl.getNodePerm(tx, n1))).toEqual({ gestalt: [], vaults: {} });
    const snap = await r((tx) => acl.snapshot(tx));
    expect([...snap.records.values()].map((x) => x.count).sort()).toEqual([1, 2]);
  });

  it('a split copies what the same transaction just wrote (B10: reads inside the transaction)', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n2] = [randomNodeId(), randomNodeId()];
    const v = randomVaultId();
    await w((tx) => graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2)));
    await w(async (tx) => {
      await acl.setVaultAction(tx, v, n2, 'pull');
      await graph.unlinkNodeAndNode(tx, n1, n2);
    });
    for (const n of [n1, n2]) expect((await r((tx) => acl.getNodePerm(tx, n)))!.vaults).toEqual({ [v]: ['pull'] });
  });

  it('removing the middle node splits the gestalt and both ends keep copies', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [n1, n2, n3] = [randomNodeId(), randomNodeId(), randomNodeId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2));
      await graph.linkNodeAndNode(tx, n2, n3, linkClaim(n2, n3));
      await acl.setNodeAction(tx, n2, 'notify');
    });
    await w((tx) => graph.unsetNode(tx, n2));
    expect(await r((tx) => graph.getGestalt(tx, n1))).toEqual([n1]);
    expect(await r((tx) => graph.getGestalt(tx, n3))).toEqual([n3]);
    for (const n of [n1, n3]) expect(await r((tx) => acl.getNodePerm(tx, n))).toEqual({ gestalt: ['notify'], vaults: {} });
    expect(await r((tx) => acl.getPermissionId(tx, n1))).not.toBe(await r((tx) => acl.getPermissionId(tx, n3)));
    expect(await r((tx) => acl.getNodePerm(tx, n2))).toBeUndefined();
  });

  it('linking two nodes already in one gestalt (a cycle) keeps the one record', async () => {
    const { graph, acl, w, r } = await graphSetup();
    const [a, b, c] = [randomNodeId(), randomNodeId(), randomNodeId()];
    await w(async (tx) => {
      await graph.linkNodeAndNode(tx, a, b, linkClaim(a, b));
      await graph.linkNodeAndNode(tx, b, c, linkClaim(b, c));
      await acl.setNodeAction(tx, a, 'scan');
      await graph.linkNodeAndNode(tx, c, a, linkClaim(c, a));
    });
    const snap = await r((tx) => acl.snapshot(tx));
    expect([...snap.records.values()]).toEqual([{ count: 3, perm: { gestalt: ['scan'], vaults: {} } }]);
    // With the cycle, removing one link splits nothing.
    await w((tx) => graph.unlinkNodeAndNode(tx, a, b));
    expect(await r((tx) => graph.getGestalt(tx, a))).toEqual([a, b, c].sort());
    expect((await r((tx) => acl.snapshot(tx))).records.size).toBe(1);
  });
});
