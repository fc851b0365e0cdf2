// The same gestalt algebra on the Node command line's file store ({ dir }): a merge and a split are
// read back unchanged after the keynode restarts (the store is reopened from its log).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACL } from '../../../src/acl/index.js';
import { GestaltGraph } from '../../../src/gestalts/index.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import { randomNodeId, randomVaultId } from '../acl/helpers.js';
import { linkClaim } from './helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('gestalts on the file store', () => {
  it('a merge (union, one record) and a split (copies) survive a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keynode-gestalts-'));
    dirs.push(dir);
    const [n1, n2, n3, n4] = [randomNodeId(), randomNodeId(), randomNodeId(), randomNodeId()];
    const v = randomVaultId();
    const acl = new ACL();
    const graph = new GestaltGraph(acl);
    const first = await openNodeStorage({ dir }, 'file');
    await first.kv.write(async (tx) => {
      await graph.linkNodeAndNode(tx, n1, n2, linkClaim(n1, n2));
      await acl.setNodeAction(tx, n1, 'notify');
      await graph.linkNodeAndNode(tx, n3, n4, linkClaim(n3, n4));
      await acl.setVaultAction(tx, v, n4, 'pull');
    });
    await first.kv.write((tx) => graph.linkNodeAndNode(tx, n2, n3, linkClaim(n2, n3)));
    await first.kv.write((tx) => graph.unlinkNodeAndNode(tx, n3, n4));
    const before = await first.kv.read((tx) => acl.snapshot(tx));
    await first.close();

    const again = await openNodeStorage({ dir }, 'file');
    const after = await again.kv.read(async (tx) => ({
      snap: await acl.snapshot(tx),
      g1: await graph.getGestalt(tx, n1),
      g4: await graph.getGestalt(tx, n4),
      p1: await acl.getNodePerm(tx, n1),
      p4: await acl.getNodePerm(tx, n4),
    }));
    expect(after.snap).toEqual(before);
    expect(after.g1).toEqual([n1, n2, n3].sort());
    expect(after.g4).toEqual([n4]);
    expect(after.p1).toEqual({ gestalt: ['notify'], vaults: { [v]: ['pull'] } });
    expect(after.p4).toEqual(after.p1);
    expect([...after.snap.records.values()].map((r) => r.count).sort()).toEqual([1, 3]);
    await again.close();
  });
});
