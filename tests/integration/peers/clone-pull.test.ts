// Clone and pull between real keynodes over real WebRTC (Polykey VaultManager "with remote agents"
// titles; acceptance scenarios 34–42): new local ids with identical commits, refusals that leave
// nothing behind, name clashes, read-only clones, fast-forward-only pulls, switching remotes, forks.
// One signaling server and one owner/peer pair serve the whole file; each test uses its own vaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { codeOf, freshName, Net, shareWith } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let peer: Keynode;
let third: Keynode;

beforeAll(async () => {
  net = await Net.start();
  [owner, peer, third] = await Promise.all([net.node('owner'), net.node('peer'), net.node('third')]);
});
afterAll(async () => {
  await net?.stopAll();
});

const commitIds = async (k: Keynode, vault: string): Promise<string[]> => (await k.vaults.log(vault)).map((c) => c.commitId);

/** The owner's vault `name` with `n` commits beyond the initial one, shared with `to`. */
async function sharedVault(name: string, n: number, to: Keynode = peer): Promise<string> {
  const id = await owner.vaults.create(name);
  for (let i = 0; i < n; i += 1) await owner.secrets.write(name, `s${i}`, `value ${i}`);
  await shareWith(owner, name, to);
  return id;
}

describe('clone', () => {
  it('clone vaults from a remote keynode using a vault name', async () => {
    const remoteId = await sharedVault('by-name', 3);
    const localId = await peer.vaults.clone('by-name', owner.nodeId);
    expect(localId).not.toBe(remoteId);
    expect(await commitIds(peer, localId)).toEqual(await commitIds(owner, 'by-name'));
    expect(await peer.secrets.getText(localId, 's2')).toBe('value 2');
    const listed = (await peer.vaults.list()).find((v) => v.vaultId === localId);
    expect(listed).toEqual({ vaultName: 'by-name', vaultId: localId, remote: { nodeId: owner.nodeId, vaultId: remoteId } });
  });

  it('clone and pull vaults using a vault id', async () => {
    const remoteId = await sharedVault('by-id', 1);
    const localId = await peer.vaults.clone(remoteId, owner.nodeId);
    expect(localId).not.toBe(remoteId);
    expect(await commitIds(peer, localId)).toEqual(await commitIds(owner, remoteId));
    await owner.secrets.write(remoteId, 'next', 'more');
    const { from, to } = await peer.vaults.pull(localId);
    expect(from).not.toBe(to);
    expect(to).toBe((await owner.vaults.log(remoteId))[0]!.commitId);
    expect(await peer.secrets.getText(localId, 'next')).toBe('more');
  });

  it('clone vaults from a remote keynode using a vault name with no history', async () => {
    await sharedVault('empty-history', 0);
    const localId = await peer.vaults.clone('empty-history', owner.nodeId);
    const log = await peer.vaults.log(localId);
    expect(log).toHaveLength(1);
    expect(log.map((c) => c.commitId)).toEqual(await commitIds(owner, 'empty-history'));
    expect(await peer.secrets.list(localId)).toEqual([]);
  });

  it('fails to clone non existing vault', async () => {
    await sharedVault('exists', 0); // the peer has a permission record, so only the name is wrong
    const before = await peer.vaults.list();
    // The same refusal as for a vault that exists but is not shared (vault-oracle.test.ts).
    expect(await codeOf(peer.vaults.clone('does-not-exist', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    expect(await peer.vaults.list()).toEqual(before);
  });

  it('should reject cloning when permissions are not set', async () => {
    await owner.vaults.create('not-shared');
    await owner.secrets.write('not-shared', 'secret', 'x');
    const before = await third.vaults.list();
    // A stranger to the owner, then a known (trusted) keynode without a share: both refused.
    expect(await codeOf(third.vaults.clone('not-shared', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    await owner.gestalts.trust(third.nodeId);
    expect(await codeOf(third.vaults.clone('not-shared', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
    expect(await third.vaults.list()).toEqual(before);
  });

  it('can handle name conflict when cloning', async () => {
    await sharedVault('clash', 1);
    await peer.vaults.create('clash');
    await peer.vaults.create('clash-1');
    const first = await peer.vaults.clone('clash', owner.nodeId);
    const second = await peer.vaults.clone('clash', owner.nodeId);
    const names = new Map((await peer.vaults.list()).map((v) => [v.vaultId, v.vaultName]));
    expect(names.get(first)).toBe('clash-2');
    expect(names.get(second)).toBe('clash-3');
    expect(await peer.secrets.getText(second, 's0')).toBe('value 0');
  });

  it('throw when trying to commit to a cloned vault; rename and delete still work', async () => {
    await sharedVault('read-only', 1);
    const localId = await peer.vaults.clone('read-only', owner.nodeId);
    const head = await commitIds(peer, localId);
    expect(await codeOf(peer.secrets.write(localId, 'new', 'x'))).toBe('ErrorVaultRemoteDefined');
    expect(await codeOf(peer.secrets.update(localId, 's0', 'x'))).toBe('ErrorVaultRemoteDefined');
    expect(await codeOf(peer.secrets.delete(localId, 's0'))).toBe('ErrorVaultRemoteDefined');
    expect(await codeOf(peer.secrets.mkdir(localId, 'd'))).toBe('ErrorVaultRemoteDefined');
    expect(await commitIds(peer, localId)).toEqual(head);
    await peer.vaults.rename(localId, 'read-only-renamed');
    expect((await peer.vaults.list()).find((v) => v.vaultId === localId)?.vaultName).toBe('read-only-renamed');
    // A renamed clone still pulls from its remote.
    await owner.secrets.write('read-only', 'after', 'y');
    await peer.vaults.pull('read-only-renamed');
    expect(await peer.secrets.getText(localId, 'after')).toBe('y');
    await peer.vaults.delete(localId);
    expect((await peer.vaults.list()).some((v) => v.vaultId === localId)).toBe(false);
  });

  it('a fork of a clone is writable and keeps the history', async () => {
    await sharedVault('to-fork', 2);
    const cloneId = await peer.vaults.clone('to-fork', owner.nodeId);
    const forkId = await peer.vaults.fork(cloneId, 'forked');
    const listed = (await peer.vaults.list()).find((v) => v.vaultId === forkId);
    expect(listed?.remote).toBeUndefined();
    await peer.secrets.write('forked', 'mine', 'z');
    const log = await commitIds(peer, 'forked');
    expect(log.slice(1)).toEqual(await commitIds(peer, cloneId));
    expect(await codeOf(peer.vaults.pull('forked'))).toBe('ErrorVaultRemoteUndefined');
  });
});

describe('pull', () => {
  it('can pull a cloned vault (default remote; logs identical afterwards)', async () => {
    await sharedVault('pull-me', 1);
    const localId = await peer.vaults.clone('pull-me', owner.nodeId);
    await owner.secrets.write('pull-me', 'a', '1');
    await owner.secrets.write('pull-me', 'b', '2');
    await peer.vaults.pull(localId);
    expect(await commitIds(peer, localId)).toEqual(await commitIds(owner, 'pull-me'));
    expect(await peer.secrets.getText(localId, 'b')).toBe('2');
    // Up to date: nothing moves, the result says so.
    const again = await peer.vaults.pull(localId);
    expect(again.from).toBe(again.to);
  });

  it('able to recover metadata after complex operations (clone, rename, pull, restart)', async () => {
    const remoteId = await sharedVault('recover', 1);
    const name = freshName('restarting');
    let k = await net.node('restarting', { name });
    await shareWith(owner, 'recover', k);
    const copy = await k.vaults.clone('recover', owner.nodeId);
    await k.vaults.rename(copy, 'recovered');
    await owner.secrets.write('recover', 'x', '1');
    await k.vaults.pull('recovered');
    const before = await k.vaults.list();
    await k.stop();
    k = await net.node('restarting', { name });
    expect(await k.vaults.list()).toEqual(before);
    expect(before.find((v) => v.vaultId === copy)?.remote).toEqual({ nodeId: owner.nodeId, vaultId: remoteId });
    expect(await codeOf(k.secrets.write('recovered', 'y', '2'))).toBe('ErrorVaultRemoteDefined');
    await owner.secrets.write('recover', 'x', '2');
    await k.vaults.pull('recovered');
    expect(await commitIds(k, copy)).toEqual(await commitIds(owner, 'recover'));
  });

  it("concurrent pulls of one clone both end at the owner's head (pull respects locking)", async () => {
    await sharedVault('concurrent', 1);
    const copy = await peer.vaults.clone('concurrent', owner.nodeId);
    for (let i = 0; i < 3; i += 1) await owner.secrets.write('concurrent', `n${i}`, String(i));
    const results = await Promise.all([peer.vaults.pull(copy), peer.vaults.pull(copy)]);
    const head = (await owner.vaults.log('concurrent'))[0]!.commitId;
    for (const r of results) expect(r.to).toBe(head);
    expect(await commitIds(peer, copy)).toEqual(await commitIds(owner, 'concurrent'));
  });

  it("test pulling a vault that isn't remote", async () => {
    await peer.vaults.create('local-only');
    expect(await codeOf(peer.vaults.pull('local-only'))).toBe('ErrorVaultRemoteUndefined');
  });

  it('should reject Pulling when permissions are not set (unshared after the clone)', async () => {
    await sharedVault('revoked', 1);
    const localId = await peer.vaults.clone('revoked', owner.nodeId);
    await owner.secrets.write('revoked', 'later', 'x');
    await owner.vaults.unshare('revoked', peer.nodeId);
    const before = await commitIds(peer, localId);
    expect(await codeOf(peer.vaults.pull(localId))).toBe('ErrorVaultsPermissionDenied');
    expect(await commitIds(peer, localId)).toEqual(before);
    expect(await codeOf(peer.vaults.clone('revoked', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
  });

  it('should reject Pulling with only the clone permission', async () => {
    const remoteId = await sharedVault('clone-only', 1);
    const localId = await peer.vaults.clone('clone-only', owner.nodeId);
    // There is no public way to grant clone alone; take pull away inside the owner's own ACL.
    await revokePullOnly(owner, remoteId, peer.nodeId);
    expect((await owner.gestalts.permissions(peer.nodeId)).vaults[remoteId]).toEqual(['clone']);
    await owner.secrets.write('clone-only', 'later', 'x');
    expect(await codeOf(peer.vaults.pull(localId))).toBe('ErrorVaultsPermissionDenied');
    // Clone is still allowed, and scan reports exactly that action.
    const scanned = (await peer.vaults.scan(owner.nodeId)).find((v) => v.vaultId === remoteId);
    expect(scanned?.actions).toEqual(['clone']);
    const second = await peer.vaults.clone(remoteId, owner.nodeId);
    expect(await peer.secrets.getText(second, 'later')).toBe('x');
  });

  it('can pull a cloned vault with branched history: ErrorVaultsMergeConflict, clone unchanged (B6)', async () => {
    await sharedVault('diverge', 3); // C1 (initial) .. C4
    const localId = await peer.vaults.clone('diverge', owner.nodeId);
    const cloned = await commitIds(peer, localId);
    // The owner goes back to C2 and writes: C2 → C5 becomes master; C3, C4 are gone from its history.
    await owner.vaults.version('diverge', cloned[2]!);
    await owner.secrets.write('diverge', 'other', 'branch');
    const ownerLog = await commitIds(owner, 'diverge');
    expect(ownerLog.slice(1)).toEqual(cloned.slice(2));
    expect(await codeOf(peer.vaults.pull(localId))).toBe('ErrorVaultsMergeConflict');
    expect(await commitIds(peer, localId)).toEqual(cloned);
    expect(await peer.secrets.getText(localId, 's2')).toBe('value 2');
    await expect(peer.secrets.stat(localId, 'other')).rejects.toMatchObject({ code: 'ErrorSecretsSecretUndefined' });
  });

  it('manage pulling from different remotes', async () => {
    // owner's V → peer clones it (V-peer) and re-shares the clone with third → third clones from peer.
    const remoteId = await sharedVault('origin', 1);
    const peerCopy = await peer.vaults.clone('origin', owner.nodeId);
    await peer.vaults.rename(peerCopy, 'origin-on-peer');
    await shareWith(peer, 'origin-on-peer', third);
    const thirdCopy = await third.vaults.clone('origin-on-peer', peer.nodeId);
    expect((await third.vaults.list()).find((v) => v.vaultId === thirdCopy)?.remote).toEqual({ nodeId: peer.nodeId, vaultId: peerCopy });
    // The owner moves on; third pulls straight from the owner, by name.
    await owner.gestalts.trust(third.nodeId);
    await owner.vaults.share('origin', third.nodeId);
    await owner.secrets.write('origin', 'new', 'from owner');
    await third.vaults.pull(thirdCopy, { nodeId: owner.nodeId, pullVault: 'origin' });
    expect(await commitIds(third, thirdCopy)).toEqual(await commitIds(owner, 'origin'));
    expect((await third.vaults.list()).find((v) => v.vaultId === thirdCopy)?.remote).toEqual({ nodeId: owner.nodeId, vaultId: remoteId });
    // The next plain pull goes to the owner (peer's copy never pulled this commit).
    await owner.secrets.write('origin', 'newer', 'again');
    await third.vaults.pull(thirdCopy);
    expect(await third.secrets.getText(thirdCopy, 'newer')).toBe('again');
    expect(await codeOf(peer.secrets.getText(peerCopy, 'newer'))).toBe('ErrorSecretsSecretUndefined');
  });
});

/** Leaves `nodeId` only `clone` on the vault, through the owner's own ACL (no public API does this). */
async function revokePullOnly(k: Keynode, vaultId: string, nodeId: string): Promise<void> {
  type Ctx = {
    storage: { kv: { write(fn: (tx: unknown) => Promise<void>): Promise<void> } };
    acl: { unsetVaultAction(tx: unknown, v: string, n: string, a: string): Promise<void> };
  };
  const ctx = (k as unknown as { lockCtl: { core: { ctx: Ctx } } }).lockCtl.core.ctx;
  await ctx.storage.kv.write((tx) => ctx.acl.unsetVaultAction(tx, vaultId, nodeId, 'pull'));
}
