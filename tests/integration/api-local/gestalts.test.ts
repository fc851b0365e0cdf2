// Trust and gestalt permissions at the API level (Polykey-CLI identities and the gestalts client
// handlers, by node): trust/untrust/allow/disallow/permissions/get/list, bad actions, unknown nodes,
// our own NodeId, and that refusals change nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { Keynodes, codeOf } from './helpers.js';

const keynodes = new Keynodes();
let a: Keynode;
let b: Keynode;
let c: Keynode;
beforeEach(async () => {
  [a, b, c] = await Promise.all([keynodes.memory('me'), keynodes.memory('b'), keynodes.memory('c')]);
});
afterEach(() => keynodes.stopAll());

const sorted = <T>(xs: T[]): T[] => [...xs].sort();
type Listed = { nodes: string[]; actions: string[]; own: boolean };
// The composition root adds `own` to docs/api.md's list items.
const listOf = async (k: Keynode): Promise<Listed[]> => (await k.gestalts.list()) as Listed[];
const others = async (k: Keynode): Promise<Listed[]> => (await listOf(k)).filter((g) => !g.nodes.includes(k.nodeId));

describe('gestalts', () => {
  it('a new keynode knows only its own gestalt', async () => {
    const list = await listOf(a);
    expect(list).toHaveLength(1);
    expect(list[0]!.nodes).toEqual([a.nodeId]);
    expect(list[0]!.own).toBe(true);
    expect(await a.gestalts.get(a.nodeId)).toEqual({ nodes: [a.nodeId] });
  });

  it('trusts and un-trusts a gestalt by node, adds it to the gestalt graph, and lists the gestalt with notify permission', async () => {
    await a.gestalts.trust(b.nodeId);
    expect(await a.gestalts.get(b.nodeId)).toEqual({ nodes: [b.nodeId] });
    expect(await others(a)).toEqual([{ nodes: [b.nodeId], actions: ['notify'], own: false }]);
    expect(await a.gestalts.permissions(b.nodeId)).toEqual({ gestalt: ['notify'], vaults: {} });
    // Trusting again changes nothing (already set in the gestalt graph).
    await a.gestalts.trust(b.nodeId);
    expect(await others(a)).toEqual([{ nodes: [b.nodeId], actions: ['notify'], own: false }]);
    // Untrust takes notify away; as in Polykey the node stays in the graph, with no actions.
    await a.gestalts.untrust(b.nodeId);
    expect(await others(a)).toEqual([{ nodes: [b.nodeId], actions: [], own: false }]);
    expect(await a.gestalts.permissions(b.nodeId)).toEqual({ gestalt: [], vaults: {} });
    // Trust is one-sided: b knows nothing of a.
    expect(await codeOf(b.gestalts.get(a.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
  });

  it('trust keeps what the gestalt already had (trusts a node already set in the gestalt graph)', async () => {
    await a.gestalts.trust(b.nodeId);
    await a.gestalts.allow(b.nodeId, 'scan');
    await a.gestalts.untrust(b.nodeId);
    await a.gestalts.trust(b.nodeId);
    expect(sorted((await a.gestalts.permissions(b.nodeId)).gestalt)).toEqual(['notify', 'scan']);
  });

  it('allows, disallows and gets gestalt permissions by node', async () => {
    await a.gestalts.trust(b.nodeId);
    await a.gestalts.allow(b.nodeId, 'scan');
    await a.gestalts.allow(b.nodeId, 'claim');
    await a.gestalts.allow(b.nodeId, 'scan'); // idempotent
    expect(sorted((await a.gestalts.permissions(b.nodeId)).gestalt)).toEqual(['claim', 'notify', 'scan']);
    await a.gestalts.disallow(b.nodeId, 'notify');
    await a.gestalts.disallow(b.nodeId, 'notify'); // idempotent
    expect(sorted((await a.gestalts.permissions(b.nodeId)).gestalt)).toEqual(['claim', 'scan']);
    await a.gestalts.disallow(b.nodeId, 'claim');
    await a.gestalts.disallow(b.nodeId, 'scan');
    expect(await a.gestalts.permissions(b.nodeId)).toEqual({ gestalt: [], vaults: {} });
    // Separate gestalts have separate records.
    await a.gestalts.trust(c.nodeId);
    await a.gestalts.allow(c.nodeId, 'scan');
    expect((await a.gestalts.permissions(b.nodeId)).gestalt).toEqual([]);
    const list = await others(a);
    expect(list).toHaveLength(2);
    expect(list.find((g) => g.nodes.includes(c.nodeId))?.actions.sort()).toEqual(['notify', 'scan']);
  });

  it('should fail on invalid inputs: bad actions are ErrorGestaltsInvalidAction and change nothing', async () => {
    await a.gestalts.trust(b.nodeId);
    const before = await a.gestalts.list();
    for (const action of ['clone', 'pull', 'NOTIFY', '', 'admin', 'scan ', undefined, 3]) {
      expect(await codeOf(a.gestalts.allow(b.nodeId, action as 'scan'))).toBe('ErrorGestaltsInvalidAction');
      expect(await codeOf(a.gestalts.disallow(b.nodeId, action as 'scan'))).toBe('ErrorGestaltsInvalidAction');
    }
    expect(await a.gestalts.list()).toEqual(before);
  });

  it('unknown nodes: allow, disallow, untrust, permissions and get fail with ErrorGestaltsGraphNodeIdMissing and add nothing', async () => {
    const before = await a.gestalts.list();
    expect(await codeOf(a.gestalts.allow(b.nodeId, 'scan'))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await codeOf(a.gestalts.disallow(b.nodeId, 'scan'))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await codeOf(a.gestalts.untrust(b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await codeOf(a.gestalts.permissions(b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await codeOf(a.gestalts.get(b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await a.gestalts.list()).toEqual(before);
  });

  it('our own NodeId cannot be trusted or granted: ErrorInvalidArgument, nothing changes', async () => {
    const before = await a.gestalts.list();
    expect(await codeOf(a.gestalts.trust(a.nodeId))).toBe('ErrorInvalidArgument');
    expect(await codeOf(a.gestalts.untrust(a.nodeId))).toBe('ErrorInvalidArgument');
    expect(await codeOf(a.gestalts.allow(a.nodeId, 'scan'))).toBe('ErrorInvalidArgument');
    expect(await codeOf(a.gestalts.disallow(a.nodeId, 'notify'))).toBe('ErrorInvalidArgument');
    expect(await a.gestalts.list()).toEqual(before);
  });

  it('invite works offline: it adds the node, grants claim and queues a GestaltInvite', async () => {
    await a.gestalts.invite(b.nodeId);
    expect(await a.gestalts.permissions(b.nodeId)).toEqual({ gestalt: ['claim'], vaults: {} });
    const outbox = await a.notifications.outbox.read();
    expect(outbox.map((o) => [o.to, o.data])).toEqual([[b.nodeId, { type: 'GestaltInvite' }]]);
  });

  it('claim and discover need the network: without one they fail with ErrorNodeConnectionFailed', async () => {
    await a.gestalts.trust(b.nodeId);
    expect(await codeOf(a.gestalts.claim(b.nodeId))).toBe('ErrorNodeConnectionFailed');
    expect(await codeOf(a.gestalts.discover(b.nodeId))).toBe('ErrorNodeConnectionFailed');
    expect(await a.gestalts.get(b.nodeId)).toEqual({ nodes: [b.nodeId] });
  });

  it('trust and permissions survive a restart', async () => {
    const dir = keynodes.tempDir();
    const first = await keynodes.start({ storage: { dir } });
    await first.gestalts.trust(b.nodeId);
    await first.gestalts.allow(b.nodeId, 'scan');
    await first.stop();
    const again = await keynodes.start({ storage: { dir } });
    expect(sorted((await again.gestalts.permissions(b.nodeId)).gestalt)).toEqual(['notify', 'scan']);
  });
});
