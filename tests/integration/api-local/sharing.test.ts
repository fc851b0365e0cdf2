// Share, unshare and the permission listing at the API level (scenarios 15–17 and 22–24, B4, B5):
// what the owner's ACL and outbox hold after each call, with no network (the notifications stay
// queued). The recipients are real keynodes in the same process; nothing ever reaches them here.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { Keynodes, codeOf } from './helpers.js';

const keynodes = new Keynodes();
let a: Keynode;
let b: Keynode;
let vId: string;
beforeEach(async () => {
  [a, b] = await Promise.all([keynodes.memory('owner'), keynodes.memory('friend')]);
  vId = await a.vaults.create('v');
});
afterEach(() => keynodes.stopAll());

/** Everything share/unshare may change, to prove a refused call changed nothing. */
async function snapshot(k: Keynode): Promise<unknown> {
  const vaults = await k.vaults.list();
  const perms: Record<string, unknown> = {};
  for (const v of vaults) perms[v.vaultId] = await k.vaults.permissions(v.vaultId);
  const outbox = (await k.notifications.outbox.read()).map((o) => ({ id: o.id, to: o.to, data: o.data }));
  return { vaults, perms, gestalts: await k.gestalts.list(), outbox };
}

function malformedNodeIds(good: string): string[] {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  // The last character carries one key bit and four padding bits: flipping a padding bit gives a
  // second spelling of the same key, which must be refused (every NodeId has one spelling).
  const flipped = alphabet[alphabet.indexOf(good.slice(-1)) ^ 1]!;
  return [
    '',
    'v',
    'not a node id',
    good.slice(0, -1), // 52 characters
    `${good}0`, // 54 characters
    `u${good.slice(1)}`, // wrong multibase prefix
    `${good.slice(0, -1)}z`, // outside base32hex
    `${good.slice(0, -1)}${flipped}`, // non-canonical padding bits
    good.toUpperCase(),
    ` ${good}`,
  ];
}

describe('share', () => {
  it('share requires a known node: ErrorGestaltsGraphNodeIdMissing and nothing written (scenario 15)', async () => {
    const before = await snapshot(a);
    expect(await codeOf(a.vaults.share('v', b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await codeOf(a.vaults.unshare('v', b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await a.vaults.permissions('v')).toEqual([]);
    expect(await a.notifications.outbox.read()).toEqual([]);
    expect(await codeOf(a.gestalts.permissions(b.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await snapshot(a)).toEqual(before);
  });

  it('should share a vault: clone+pull on the vault, scan on the gestalt, a VaultShare queued (scenario 16)', async () => {
    await a.gestalts.trust(b.nodeId);
    await a.vaults.share('v', b.nodeId);
    expect(await a.vaults.permissions('v')).toEqual([{ nodeId: b.nodeId, actions: ['clone', 'pull'] }]);
    const perm = await a.gestalts.permissions(b.nodeId);
    expect(perm.vaults).toEqual({ [vId]: ['clone', 'pull'] });
    expect([...perm.gestalt].sort()).toEqual(['notify', 'scan']);
    const outbox = await a.notifications.outbox.read();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.to).toBe(b.nodeId);
    expect(outbox[0]!.data).toEqual({ type: 'VaultShare', vaultId: vId, vaultName: 'v', actions: ['clone', 'pull'] });
    // The vault can be named by id as well.
    const w = await a.vaults.create('w');
    await a.vaults.share(w, b.nodeId);
    expect((await a.gestalts.permissions(b.nodeId)).vaults).toEqual({ [vId]: ['clone', 'pull'], [w]: ['clone', 'pull'] });
  });

  it('sharing with a known node that was never trusted (no notify) still grants and queues', async () => {
    // allow() needs a graph entry; trust then untrust leaves the node known without notify.
    await a.gestalts.trust(b.nodeId);
    await a.gestalts.untrust(b.nodeId);
    await a.vaults.share('v', b.nodeId);
    expect(await a.gestalts.permissions(b.nodeId)).toEqual({ gestalt: ['scan'], vaults: { [vId]: ['clone', 'pull'] } });
    expect(await a.notifications.outbox.read()).toHaveLength(1);
  });

  it('sharing vault handles failure to send the notification: the share stands, the notification waits (scenario 17)', async () => {
    await a.gestalts.trust(b.nodeId);
    await a.vaults.share('v', b.nodeId);
    // With no network the delivery attempt fails at once; the item stays, marked for a retry.
    await vi.waitFor(
      async () => {
        const [item] = await a.notifications.outbox.read();
        expect(item!.attempts).toBeGreaterThanOrEqual(1);
      },
      { timeout: 20_000, interval: 50 },
    );
    const [item] = await a.notifications.outbox.read();
    expect(item!.lastError?.code).toBe('ErrorNodeConnectionFailed');
    expect(item!.failed ?? false).toBe(false);
    expect(item!.state).toBe('not-delivered-yet');
    expect(item!.nextAttemptAt).toBeGreaterThan(Date.now());
    expect(await a.vaults.permissions('v')).toEqual([{ nodeId: b.nodeId, actions: ['clone', 'pull'] }]);
    // Nothing reached the recipient.
    expect(await b.notifications.read()).toEqual([]);
  });

  it('sharing an unknown vault fails with ErrorVaultsVaultUndefined and writes nothing', async () => {
    await a.gestalts.trust(b.nodeId);
    const before = await snapshot(a);
    expect(await codeOf(a.vaults.share('nope', b.nodeId))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(a.vaults.unshare('nope', b.nodeId))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(a.vaults.permissions('nope'))).toBe('ErrorVaultsVaultUndefined');
    expect(await snapshot(a)).toEqual(before);
  });

  it('sharing with ourselves is refused and changes nothing', async () => {
    const before = await snapshot(a);
    expect(await codeOf(a.vaults.share('v', a.nodeId))).toBe('ErrorInvalidArgument');
    expect(await codeOf(a.vaults.unshare('v', a.nodeId))).toBe('ErrorInvalidArgument');
    // Nor can a share link be made out to ourselves (it used to open into our own inbox).
    expect(await codeOf(a.vaults.shareLink('v', a.nodeId))).toBe('ErrorInvalidArgument');
    expect(await snapshot(a)).toEqual(before);
    expect(await a.notifications.read()).toEqual([]);
  });

  it('malformed NodeIds are refused with ErrorNodeIdInvalid and change nothing', async () => {
    await a.gestalts.trust(b.nodeId);
    await a.vaults.share('v', b.nodeId);
    const before = await snapshot(a);
    for (const bad of malformedNodeIds(b.nodeId)) {
      const calls: Array<() => Promise<unknown>> = [
        () => a.vaults.share('v', bad),
        () => a.vaults.unshare('v', bad),
        () => a.vaults.shareLink('v', bad),
        () => a.gestalts.trust(bad),
        () => a.gestalts.untrust(bad),
        () => a.gestalts.allow(bad, 'scan'),
        () => a.gestalts.disallow(bad, 'notify'),
        () => a.gestalts.permissions(bad),
        () => a.gestalts.get(bad),
        () => a.notifications.send(bad, 'hello'),
      ];
      for (const [i, call] of calls.entries()) {
        expect(await codeOf(call()), `call ${i} with ${JSON.stringify(bad)}`).toBe('ErrorNodeIdInvalid');
      }
    }
    expect(await snapshot(a)).toEqual(before);
  });
});

describe('unshare', () => {
  beforeEach(async () => {
    await a.gestalts.trust(b.nodeId);
  });

  it('should unshare a vault: scan stays until the last vault is unshared (scenario 22)', async () => {
    const v2 = await a.vaults.create('v2');
    await a.vaults.share('v', b.nodeId);
    await a.vaults.share('v2', b.nodeId);
    await a.vaults.unshare('v', b.nodeId);
    let perm = await a.gestalts.permissions(b.nodeId);
    expect(perm.vaults).toEqual({ [v2]: ['clone', 'pull'] });
    expect([...perm.gestalt].sort()).toEqual(['notify', 'scan']);
    await a.vaults.unshare('v2', b.nodeId);
    perm = await a.gestalts.permissions(b.nodeId);
    expect(perm).toEqual({ gestalt: ['notify'], vaults: {} });
  });

  it('unshare queues a VaultUnshare {vaultId, vaultName}', async () => {
    await a.vaults.share('v', b.nodeId);
    await a.notifications.outbox.clear();
    await a.vaults.unshare('v', b.nodeId);
    const outbox = await a.notifications.outbox.read();
    expect(outbox.map((o) => [o.to, o.data])).toEqual([[b.nodeId, { type: 'VaultUnshare', vaultId: vId, vaultName: 'v' }]]);
  });

  it('unshare from a node it was never shared with is a no-op success and queues nothing (scenario 23, B5)', async () => {
    await a.gestalts.allow(b.nodeId, 'scan');
    const before = await snapshot(a);
    await a.vaults.unshare('v', b.nodeId);
    await a.vaults.unshare('v', b.nodeId);
    expect(await snapshot(a)).toEqual(before);
    expect(await a.notifications.outbox.read()).toEqual([]);
    // scan granted by hand is not taken away by a no-op unshare.
    expect([...(await a.gestalts.permissions(b.nodeId)).gestalt].sort()).toEqual(['notify', 'scan']);
    // Unsharing twice after a real share: the second is a no-op too.
    await a.vaults.share('v', b.nodeId);
    await a.vaults.unshare('v', b.nodeId);
    const count = (await a.notifications.outbox.read()).length;
    await a.vaults.unshare('v', b.nodeId);
    expect(await a.notifications.outbox.read()).toHaveLength(count);
  });

  it('permission listing after unshare omits the emptied entry (scenario 24; Polykey shows an empty list)', async () => {
    const c = await keynodes.memory('third');
    await a.gestalts.trust(c.nodeId);
    await a.vaults.share('v', b.nodeId);
    await a.vaults.share('v', c.nodeId);
    const both = [
      { nodeId: b.nodeId, actions: ['clone', 'pull'] },
      { nodeId: c.nodeId, actions: ['clone', 'pull'] },
    ].sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1));
    expect(await a.vaults.permissions('v')).toEqual(both);
    await a.vaults.unshare('v', b.nodeId);
    expect(await a.vaults.permissions('v')).toEqual([{ nodeId: c.nodeId, actions: ['clone', 'pull'] }]);
    await a.vaults.unshare('v', c.nodeId);
    expect(await a.vaults.permissions('v')).toEqual([]);
    expect((await a.gestalts.permissions(b.nodeId)).vaults).toEqual({});
  });
});

describe('deleting a shared vault (B4)', () => {
  it('removes the vault from every permission record and leaves the others alone', async () => {
    const c = await keynodes.memory('third');
    await a.gestalts.trust(b.nodeId);
    await a.gestalts.trust(c.nodeId);
    const keep = await a.vaults.create('keep');
    for (const n of [b.nodeId, c.nodeId]) {
      await a.vaults.share('v', n);
      await a.vaults.share('keep', n);
    }
    await a.vaults.delete('v');
    for (const n of [b.nodeId, c.nodeId]) {
      const perm = await a.gestalts.permissions(n);
      expect(perm.vaults).toEqual({ [keep]: ['clone', 'pull'] });
      expect(Object.keys(perm.vaults)).not.toContain(vId);
    }
    expect(await codeOf(a.vaults.permissions(vId))).toBe('ErrorVaultsVaultUndefined');
    // A new vault under the old name starts with no permissions.
    await a.vaults.create('v');
    expect(await a.vaults.permissions('v')).toEqual([]);
  });

  it('a deleted vault stays out of the records after a restart', async () => {
    const dir = keynodes.tempDir();
    const owner = await keynodes.start({ storage: { dir } });
    await owner.gestalts.trust(b.nodeId);
    const id = await owner.vaults.create('gone');
    await owner.vaults.share('gone', b.nodeId);
    await owner.vaults.delete('gone');
    await owner.stop();
    const again = await keynodes.start({ storage: { dir } });
    expect((await again.gestalts.permissions(b.nodeId)).vaults).toEqual({});
    expect(Object.keys((await again.gestalts.permissions(b.nodeId)).vaults)).not.toContain(id);
  });
});
