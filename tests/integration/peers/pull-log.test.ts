// Issue 11 between real keynodes over real WebRTC: the owner's pull log (every clone and pull it
// served in full: who, which commit, when), the exposure list after an unshare that shrinks as
// secrets are rewritten, and clone/pull progress with cancel leaving nothing half-made.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { codeOf, eventually, Net, noise, shareWith } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let peer: Keynode;
let other: Keynode;

beforeAll(async () => {
  net = await Net.start();
  [owner, peer, other] = await Promise.all([net.node('owner'), net.node('peer'), net.node('other')]);
});
afterAll(async () => {
  await net?.stopAll();
});

describe('pull log and exposure', () => {
  it('records each clone and pull the owner served; exposure lists what the peer saw, unchanged since', async () => {
    await owner.vaults.create('log');
    await owner.secrets.batch('log', [
      { op: 'write', path: 'db/password', content: 'one' },
      { op: 'write', path: 'api/key', content: 'k' },
      { op: 'write', path: 'notes/readme', content: 'hello' },
    ]);
    await shareWith(owner, 'log', peer);
    await shareWith(owner, 'log', other);
    expect(await owner.vaults.pullLog('log')).toEqual([]);

    const cloned = await peer.vaults.clone('log', owner.nodeId);
    const head1 = (await owner.vaults.log('log'))[0]!.commitId;
    const afterClone = await owner.vaults.pullLog('log');
    expect(afterClone).toEqual([{ nodeId: peer.nodeId, commitId: head1, at: expect.any(Number), kind: 'clone' }]);

    await owner.secrets.write('log', 'api/key', 'k2');
    await owner.secrets.write('log', 'new/only-after', 'x');
    await peer.vaults.pull(cloned);
    const head2 = (await owner.vaults.log('log'))[0]!.commitId;
    // An up-to-date pull moves no pack: nothing new was served, nothing is recorded.
    await peer.vaults.pull(cloned);
    const log = await owner.vaults.pullLog('log');
    expect(log.map((r) => [r.nodeId, r.kind, r.commitId])).toEqual([
      [peer.nodeId, 'pull', head2],
      [peer.nodeId, 'clone', head1],
    ]);
    expect(log[0]!.at).toBeGreaterThanOrEqual(log[1]!.at);

    // Someone who never fetched has seen nothing; the peer has seen everything in master.
    expect(await owner.vaults.exposure('log', other.nodeId)).toEqual([]);
    await owner.secrets.write('log', 'unseen', 'never pulled');
    const exposed = await owner.vaults.exposure('log', peer.nodeId);
    expect(exposed.map((e) => e.path).sort()).toEqual(['api/key', 'db/password', 'new/only-after', 'notes/readme']);
    expect(new Set(exposed.map((e) => e.since))).toEqual(new Set([head2]));

    // Unshared: rewriting a secret takes it off the list; deleting one does too.
    await owner.vaults.unshare('log', peer.nodeId);
    await owner.secrets.write('log', 'db/password', 'rotated');
    await owner.secrets.delete('log', 'notes/readme');
    expect((await owner.vaults.exposure('log', peer.nodeId)).map((e) => e.path).sort()).toEqual(['api/key', 'new/only-after']);
    // A value rotated back to one the peer saw in history counts as exposed again.
    await owner.secrets.write('log', 'db/password', 'one');
    expect((await owner.vaults.exposure('log', peer.nodeId)).map((e) => e.path)).toContain('db/password');
    // The log outlives the share, and goes with the vault.
    expect(await owner.vaults.pullLog('log')).toHaveLength(2);
    const id = (await owner.vaults.list()).find((v) => v.vaultName === 'log')!.vaultId;
    await owner.vaults.delete('log');
    await owner.vaults.create('log');
    expect(await owner.vaults.pullLog('log')).toEqual([]);
    expect(await codeOf(owner.vaults.pullLog(id))).toBe('ErrorVaultsVaultUndefined');
  });
});

describe('progress and cancel', () => {
  it('a clone reports negotiating, receiving (bytes growing) and indexing; transfers() shows it while it runs', async () => {
    await owner.vaults.create('big');
    await owner.secrets.write('big', 'blob', noise(3 * 1024 * 1024));
    await shareWith(owner, 'big', peer);
    const seen: Array<Awaited<ReturnType<Keynode['vaults']['transfers']>>> = [];
    const watching = setInterval(() => void peer.vaults.transfers().then((t) => t.length > 0 && seen.push(t)), 20);
    const id = await peer.vaults.clone('big', owner.nodeId);
    clearInterval(watching);
    expect(await peer.secrets.get(id, 'blob')).toHaveLength(3 * 1024 * 1024);
    const phases = seen.flat().map((t) => t.phase);
    expect(phases).toContain('receiving');
    const received = seen
      .flat()
      .filter((t) => t.phase === 'receiving')
      .map((t) => t.bytes);
    expect(Math.max(...received)).toBeGreaterThan(0);
    expect(seen.flat().every((t) => t.kind === 'clone' && t.vault === 'big' && t.nodeId === owner.nodeId)).toBe(true);
    expect(await peer.vaults.transfers()).toEqual([]);
  });

  it('cancelling a clone while it receives fails it and leaves no vault; cancelling a pull leaves the vault as it was', async () => {
    await owner.vaults.create('cancel');
    await owner.secrets.write('cancel', 'blob', noise(4 * 1024 * 1024));
    await shareWith(owner, 'cancel', peer);
    const before = await peer.vaults.list();
    const clone = peer.vaults.clone('cancel', owner.nodeId);
    await eventually(async () => (await peer.vaults.transfers()).some((t) => t.vault === 'cancel' && t.phase === 'receiving'));
    expect(await peer.vaults.cancelTransfer('cancel')).toBe(true);
    const error = await clone.then(
      () => undefined,
      (e: unknown) => e as { code: string; data?: { cancelled?: boolean } },
    );
    expect(error?.code).toBe('ErrorKeynodeInterrupted');
    expect(error?.data?.cancelled).toBe(true);
    expect(await peer.vaults.list()).toEqual(before);
    expect(await peer.vaults.transfers()).toEqual([]);
    expect(await peer.vaults.cancelTransfer('cancel')).toBe(false);

    // A finished clone, then a big change: cancel its pull and nothing moves.
    await owner.secrets.write('cancel', 'blob', 'small now');
    const id = await peer.vaults.clone('cancel', owner.nodeId);
    const head = (await peer.vaults.log(id))[0]!.commitId;
    await owner.secrets.write('cancel', 'blob', noise(4 * 1024 * 1024));
    const pull = peer.vaults.pull(id);
    await eventually(async () => (await peer.vaults.transfers()).some((t) => t.vault === id && t.phase === 'receiving'));
    await peer.vaults.cancelTransfer(id);
    expect(await codeOf(pull)).toBe('ErrorKeynodeInterrupted');
    expect((await peer.vaults.log(id))[0]!.commitId).toBe(head);
    expect(await peer.secrets.getText(id, 'blob')).toBe('small now');
    // And the next pull works.
    await peer.vaults.pull(id);
    expect(await peer.secrets.get(id, 'blob')).toHaveLength(4 * 1024 * 1024);
  });
});
