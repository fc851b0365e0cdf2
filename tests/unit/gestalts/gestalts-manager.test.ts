// The local Gestalts API (docs/api.md): trust, untrust, allow, disallow, permissions, get, list and the
// invite grant, with every argument checked before anything is written — malformed NodeIds and
// action names give their codes and leave the state exactly as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACL } from '../../../src/acl/index.js';
import { GestaltGraph, GestaltsManager } from '../../../src/gestalts/index.js';
import { isNodeId } from '../../../src/ids/index.js';
import { Sigchain } from '../../../src/sigchain/index.js';
import type { GestaltAction } from '../../../src/types.js';
import { randomNodeId } from '../acl/helpers.js';
import { claim, keynode, type TestKeynode } from './keynode-fixture.js';

async function state(k: TestKeynode) {
  return k.kv.read(async (tx) => ({
    acl: await k.acl.snapshot(tx),
    gestalts: await k.graph.listGestalts(tx),
    chain: await tx.entries('sigchain'),
  }));
}

describe('GestaltsManager', () => {
  it('trust adds a node with notify; untrust removes notify; both are idempotent', async () => {
    const k = await keynode('k');
    const n = randomNodeId();
    await k.gestalts.trust(n);
    await k.gestalts.trust(n);
    expect(await k.gestalts.permissions(n)).toEqual({ gestalt: ['notify'], vaults: {} });
    expect(await k.gestalts.get(n)).toEqual({ nodes: [n] });
    await k.gestalts.untrust(n);
    await k.gestalts.untrust(n);
    expect(await k.gestalts.permissions(n)).toEqual({ gestalt: [], vaults: {} });
    expect((await k.gestalts.get(n)).nodes).toEqual([n]); // still known, just not trusted
  });

  it('allow and disallow set one gestalt action; trust extends to the entire gestalt', async () => {
    const a = await keynode('a');
    const b = await keynode('b');
    const c = await keynode('c');
    await b.gestalts.grantClaim(c.nodeId);
    await claim(c, b); // b and c are one person's two keynodes
    await a.gestalts.applyDiscoveredSigchain(b.nodeId, await b.gestalts.getOwnSigchain());
    await a.gestalts.trust(b.nodeId);
    await a.gestalts.allow(c.nodeId, 'scan');
    for (const n of [b.nodeId, c.nodeId]) expect((await a.gestalts.permissions(n)).gestalt).toEqual(['notify', 'scan']);
    await a.gestalts.disallow(b.nodeId, 'notify');
    expect((await a.gestalts.permissions(c.nodeId)).gestalt).toEqual(['scan']);
    const listed = await a.gestalts.list();
    expect(listed).toContainEqual({ nodes: [b.nodeId, c.nodeId].sort(), actions: ['scan'], own: false });
    expect(listed).toContainEqual({ nodes: [a.nodeId], actions: [], own: true });
    expect(listed).toHaveLength(2);
  });

  it('shows its sigchain to its own linked keynodes and to keynodes it knows, never to a stranger', async () => {
    const b = await keynode('b');
    const c = await keynode('c');
    await b.gestalts.grantClaim(c.nodeId);
    await claim(c, b); // b and c: one person's two keynodes
    const chain = await b.gestalts.getOwnSigchain();
    expect(chain).toHaveLength(1);
    // c is in b's own gestalt: served even holding no right there.
    await b.gestalts.disallow(c.nodeId, 'claim');
    expect(await b.gestalts.permissions(c.nodeId)).toEqual({ gestalt: [], vaults: {} });
    expect(await b.gestalts.sigchainFor(c.nodeId)).toEqual(chain);

    const stranger = randomNodeId();
    const refused = async (n: typeof stranger) =>
      (await b.gestalts.sigchainFor(n).catch((e: { code: string; message: string }) => e)) as { code: string; message: string };
    expect(await refused(stranger)).toMatchObject({ code: 'ErrorNodePermissionDenied', message: expect.stringMatching(/only to keynodes it knows/) });
    await b.gestalts.trust(stranger);
    expect(await b.gestalts.sigchainFor(stranger)).toEqual(chain);
    // Every right withdrawn: a stranger again (the node is still in the graph, with an empty record).
    await b.gestalts.untrust(stranger);
    expect(await refused(stranger)).toMatchObject({ code: 'ErrorNodePermissionDenied' });
    // Invited (claim) or allowed to scan: known.
    const invited = randomNodeId();
    await b.gestalts.grantClaim(invited);
    expect(await b.gestalts.sigchainFor(invited)).toEqual(chain);
  });

  it('grantClaim (invite) adds the node if new and lets it claim', async () => {
    const k = await keynode('k');
    const n = randomNodeId();
    await k.gestalts.grantClaim(n);
    expect(await k.gestalts.permissions(n)).toEqual({ gestalt: ['claim'], vaults: {} });
  });

  it('an unknown node is ErrorGestaltsGraphNodeIdMissing for allow, disallow, untrust, permissions and get', async () => {
    const k = await keynode('k');
    const before = await state(k);
    const n = randomNodeId();
    for (const call of [
      () => k.gestalts.allow(n, 'scan'),
      () => k.gestalts.disallow(n, 'scan'),
      () => k.gestalts.untrust(n),
      () => k.gestalts.permissions(n),
      () => k.gestalts.get(n),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'ErrorGestaltsGraphNodeIdMissing' });
    }
    expect(await state(k)).toEqual(before);
  });

  it('a bad action name is ErrorGestaltsInvalidAction and changes nothing', async () => {
    const k = await keynode('k');
    const n = randomNodeId();
    await k.gestalts.trust(n);
    const before = await state(k);
    for (const bad of ['push', 'clone', '', 'Scan', null]) {
      await expect(k.gestalts.allow(n, bad as GestaltAction)).rejects.toMatchObject({ code: 'ErrorGestaltsInvalidAction' });
      await expect(k.gestalts.disallow(n, bad as GestaltAction)).rejects.toMatchObject({ code: 'ErrorGestaltsInvalidAction' });
    }
    // The action is checked before the node: an unknown node with a bad action still names the action.
    await expect(k.gestalts.allow(randomNodeId(), 'push' as GestaltAction)).rejects.toMatchObject({ code: 'ErrorGestaltsInvalidAction' });
    expect(await state(k)).toEqual(before);
  });

  it('malformed NodeIds are ErrorNodeIdInvalid on every method and change nothing (property)', async () => {
    const k = await keynode('k');
    await k.gestalts.trust(randomNodeId());
    const before = await state(k);
    const calls = (id: string) => [
      () => k.gestalts.trust(id),
      () => k.gestalts.untrust(id),
      () => k.gestalts.allow(id, 'scan'),
      () => k.gestalts.disallow(id, 'notify'),
      () => k.gestalts.grantClaim(id),
      () => k.gestalts.permissions(id),
      () => k.gestalts.get(id),
      () => k.gestalts.createClaimRequest(id),
      () => k.gestalts.completeClaim(id, {}),
      () => k.gestalts.applyDiscoveredSigchain(id, []),
    ];
    const valid = randomNodeId();
    const malformed = fc
      .oneof(
        fc.string({ maxLength: 80 }),
        fc.constantFrom('', 'v', valid.slice(0, 52), valid + 'a', valid.toUpperCase(), 'z' + valid.slice(1), valid.slice(0, 52) + 'w'),
      )
      .filter((s) => !isNodeId(s));
    await fc.assert(
      fc.asyncProperty(malformed, async (id) => {
        for (const call of calls(id)) await expect(call()).rejects.toMatchObject({ code: 'ErrorNodeIdInvalid' });
      }),
      { numRuns: 60 },
    );
    for (const call of calls(42 as unknown as string)) await expect(call()).rejects.toMatchObject({ code: 'ErrorNodeIdInvalid' });
    expect(await state(k)).toEqual(before);
  });

  it('our own node is in its own gestalt, never a stranger: changing its rights is refused', async () => {
    const k = await keynode('k');
    expect(await k.gestalts.get(k.nodeId)).toEqual({ nodes: [k.nodeId] });
    expect(await k.gestalts.list()).toEqual([{ nodes: [k.nodeId], actions: [], own: true }]);
    const before = await state(k);
    for (const call of [
      () => k.gestalts.trust(k.nodeId),
      () => k.gestalts.untrust(k.nodeId),
      () => k.gestalts.allow(k.nodeId, 'scan'),
      () => k.gestalts.disallow(k.nodeId, 'scan'),
      () => k.gestalts.grantClaim(k.nodeId),
      () => k.gestalts.createClaimRequest(k.nodeId),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    }
    expect(await state(k)).toEqual(before);
  });

  it('state survives a restart: a new manager on the same storage sees the same gestalts', async () => {
    const k = await keynode('k');
    const n = randomNodeId();
    await k.gestalts.trust(n);
    await k.gestalts.allow(n, 'scan');
    const before = await state(k);
    const acl = new ACL();
    const graph = new GestaltGraph(acl);
    const again = await GestaltsManager.create({ kv: k.kv, identity: k.identity, acl, graph, sigchain: new Sigchain(k.kv, k.identity) });
    expect(await again.permissions(n)).toEqual({ gestalt: ['notify', 'scan'], vaults: {} });
    expect(await state(k)).toEqual(before);
  });
});
