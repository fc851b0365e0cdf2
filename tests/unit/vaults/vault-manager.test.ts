// VaultManager: create, list, rename, delete, fork, names, metadata that persists, concurrency,
// importVault (clone's hook) and fastForward (pull's hook). Polykey titles where one fits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import git from 'isomorphic-git';
import { isVaultId, type VaultId } from '../../../src/ids/index.js';
import { codeOf, nodeId, openHarness, storageKinds, type Harness } from './harness.js';

describe.each(storageKinds)('VaultManager on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
  });
  afterEach(async () => {
    await h.close();
  });

  it('creation adds a vault: one "Initial Commit" by my NodeId on master (scenario 1)', async () => {
    const id = await h.vm.create('v');
    expect(isVaultId(id)).toBe(true);
    expect(await h.vm.list()).toEqual([{ vaultName: 'v', vaultId: id }]);
    const log = await h.vm.log('v');
    expect(log).toHaveLength(1);
    expect(log[0]!.message.split('\n')[0]).toBe('Initial Commit');
    expect(log[0]!.message).toContain(`Vault-Id: ${id}`);
    expect(log[0]!.author).toBe(nodeId);
    expect(log[0]!.parents).toEqual([]);
    expect(await h.secrets.list('v')).toEqual([]);
  });

  it('can create many vaults and open a vault', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await h.vm.create(`vault-${i}`));
    expect(new Set(ids).size).toBe(8);
    expect((await h.vm.list()).map((v) => v.vaultName)).toEqual(ids.map((_, i) => `vault-${i}`));
    await h.secrets.write('vault-5', 'k', 'five');
    expect(await h.secrets.getText(ids[5]!, 'k')).toBe('five');
  });

  it('duplicate name: create or rename to a taken name fails and changes nothing (scenario 2)', async () => {
    const a = await h.vm.create('v');
    const b = await h.vm.create('w');
    expect(await codeOf(h.vm.create('v'))).toBe('ErrorVaultsVaultDefined');
    expect(await codeOf(h.vm.rename('w', 'v'))).toBe('ErrorVaultsVaultDefined');
    expect(await h.vm.list()).toEqual([
      { vaultName: 'v', vaultId: a },
      { vaultName: 'w', vaultId: b },
    ]);
  });

  it('can rename a vault; the old name is free again and the id still resolves', async () => {
    const id = await h.vm.create('old');
    await h.secrets.write('old', 's', 'x');
    await h.vm.rename('old', 'new');
    expect(await h.vm.list()).toEqual([{ vaultName: 'new', vaultId: id }]);
    expect(await h.secrets.getText('new', 's')).toBe('x');
    expect(await h.secrets.getText(id, 's')).toBe('x');
    expect(await codeOf(h.secrets.get('old', 's'))).toBe('ErrorVaultsVaultUndefined');
    const again = await h.vm.create('old');
    expect(again).not.toBe(id);
  });

  it('can delete a vault: its name, metadata, files and permissions go in one step', async () => {
    const seen: string[] = [];
    await h.close();
    h = await openHarness(kind, {
      onDeleteVault: async (tx, vaultId) => {
        seen.push(vaultId);
        await tx.put('acl', `test-dropped:${vaultId}`, true);
      },
    });
    const id = await h.vm.create('v');
    await h.secrets.write('v', 'a/b', 'secret');
    const gitdir = h.vm.gitdir(id);
    await h.vm.delete('v');
    expect(seen).toEqual([id]);
    expect(await h.storage.kv.read((tx) => tx.get('acl', `test-dropped:${id}`))).toBe(true);
    expect(await h.vm.list()).toEqual([]);
    expect(await codeOf(h.vm.log(id))).toBe('ErrorVaultsVaultUndefined');
    await expect(h.storage.fs.promises.stat(gitdir)).rejects.toThrow();
    await h.vm.create('v');
  });

  it('a failing permission clean-up aborts the delete: the vault stays whole', async () => {
    await h.close();
    h = await openHarness(kind, {
      onDeleteVault: async () => {
        throw new Error('acl unavailable');
      },
    });
    const id = await h.vm.create('v');
    await h.secrets.write('v', 's', 'kept');
    await expect(h.vm.delete('v')).rejects.toThrow();
    expect(await h.vm.list()).toEqual([{ vaultName: 'v', vaultId: id }]);
    expect(await h.secrets.getText('v', 's')).toBe('kept');
  });

  it('can list vaults, sorted by name', async () => {
    const b = await h.vm.create('b');
    const a = await h.vm.create('a');
    expect(await h.vm.list()).toEqual([
      { vaultName: 'a', vaultId: a },
      { vaultName: 'b', vaultId: b },
    ]);
  });

  it("withVaults should throw if vaultId doesn't exist: unknown names and ids are ErrorVaultsVaultUndefined", async () => {
    await h.vm.create('v');
    expect(await codeOf(h.vm.resolve('nope'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(h.vm.resolve('zJ8Bz7q3y4rkN1Ywwnxc2Fo'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(h.vm.log('nope'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(h.secrets.write('nope', 'a', 'b'))).toBe('ErrorVaultsVaultUndefined');
  });

  it("resolves a name before an id: a vault named like another vault's id wins", async () => {
    const first = await h.vm.create('first');
    const second = await h.vm.create(first); // a name that looks like the first vault's id
    expect(await h.vm.resolve(first)).toBe(second);
    expect(await h.vm.resolve(second)).toBe(second);
  });

  it('vaults persist: able to read and load existing metadata after a restart', async () => {
    const id = await h.vm.create('v');
    await h.secrets.write('v', 'dir/s', 'persisted');
    const before = await h.vm.log('v');
    await h.vm.stop();
    const vm2 = await h.restart();
    expect(await vm2.list()).toEqual([{ vaultName: 'v', vaultId: id }]);
    expect(await vm2.log('v')).toEqual(before);
    const tree = await vm2.read(id, (t) => t.readFile(['dir', 's']));
    expect(new TextDecoder().decode(tree)).toBe('persisted');
  });

  it('stopping vaultManager refuses new work; stop is idempotent', async () => {
    await h.vm.create('v');
    await h.vm.stop();
    await h.vm.stop();
    expect(await codeOf(h.vm.list())).toBe('ErrorKeynodeStopped');
  });

  it('stopping respects locks: stop waits for a running write', async () => {
    const id = await h.vm.create('v');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const write = h.vm.mutate(id, async (tree) => {
      await gate;
      await tree.writeFile(['s'], new TextEncoder().encode('late'), 'write');
    });
    let stopped = false;
    const stopping = h.vm.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    release();
    await write;
    await stopping;
    const vm2 = await h.restart();
    expect(new TextDecoder().decode(await vm2.read(id, (t) => t.readFile(['s'])))).toBe('late');
  });

  it('concurrently creating vault with same name only creates 1 vault', async () => {
    const results = await Promise.allSettled([h.vm.create('same'), h.vm.create('same'), h.vm.create('same')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('ErrorVaultsVaultDefined');
    expect((await h.vm.list()).map((v) => v.vaultName)).toEqual(['same']);
    // The losers left no repositories behind.
    expect(await h.storage.fs.promises.readdir(h.storage.vaultsRoot)).toEqual([(await h.vm.list())[0]!.vaultId]);
  });

  it('can concurrently rename the same vault: exactly one new name wins', async () => {
    const id = await h.vm.create('v');
    await h.vm.create('taken');
    const results = await Promise.allSettled([h.vm.rename('v', 'a'), h.vm.rename(id, 'taken'), h.vm.rename(id, 'a')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await h.vm.list()).map((v) => v.vaultName)).toEqual(['a', 'taken']);
  });

  it('bad names give ErrorVaultsNameInvalid and change nothing', async () => {
    const id = await h.vm.create('v');
    const bad = ['', 'a:b', 'a/b', 'tab\there', 'new\nline', 'nul\0', 'del\u007f', 'x'.repeat(256), 'é'.repeat(128), '\ud800'];
    for (const name of bad) {
      expect(await codeOf(h.vm.create(name))).toBe('ErrorVaultsNameInvalid');
      expect(await codeOf(h.vm.rename('v', name))).toBe('ErrorVaultsNameInvalid');
      expect(await codeOf(h.vm.fork('v', name))).toBe('ErrorVaultsNameInvalid');
    }
    expect(await h.vm.list()).toEqual([{ vaultName: 'v', vaultId: id }]);
    // The edges that are allowed.
    await h.vm.create('x'.repeat(255));
    await h.vm.create('é'.repeat(127) + 'x');
    await h.vm.create('spaces and ünïcødé 🔑 .dots');
    expect(await h.vm.list()).toHaveLength(4);
  });

  it('fork makes a mutable copy with the same history and no remote', async () => {
    await h.vm.create('v');
    await h.secrets.write('v', 'a', '1');
    await h.secrets.write('v', 'b', '2');
    const forkId = await h.vm.fork('v', 'f');
    expect(await h.vm.log('f')).toEqual(await h.vm.log('v'));
    await h.secrets.write('f', 'c', '3');
    expect(await h.secrets.list('v')).toEqual([
      { path: 'a', type: 'file' },
      { path: 'b', type: 'file' },
    ]);
    expect((await h.secrets.list('f')).map((e) => e.path)).toEqual(['a', 'b', 'c']);
    expect((await h.vm.getMeta(forkId)).remote).toBeUndefined();
    expect(await codeOf(h.vm.fork('v', 'f'))).toBe('ErrorVaultsVaultDefined');
  });
});

describe.each(storageKinds)('clone and pull hooks on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
  });
  afterEach(async () => {
    await h.close();
  });

  const remote = { nodeId: 'vremote', vaultId: 'zRemote' };
  /** A populate that copies another local vault's repository, as a clone would fetch it. */
  const copyFrom = (sourceId: VaultId) => async (gitdir: string) => {
    const copy = async (from: string, to: string): Promise<void> => {
      const st = await h.storage.fs.promises.lstat(from);
      if (st.isDirectory()) {
        await h.storage.fs.promises.mkdir(to);
        for (const n of await h.storage.fs.promises.readdir(from)) await copy(`${from}/${n}`, `${to}/${n}`);
      } else await h.storage.fs.promises.writeFile(to, await h.storage.fs.promises.readFile(from));
    };
    await copy(h.vm.gitdir(sourceId), gitdir);
  };

  it('can handle name conflict when cloning: name, name-1, name-2 … then ErrorVaultsNameConflict', async () => {
    const src = await h.vm.create('shared');
    const first = await h.vm.importVault({ name: 'shared', remote, populate: copyFrom(src) });
    const second = await h.vm.importVault({ name: 'shared', remote, populate: copyFrom(src) });
    expect((await h.vm.getMeta(first)).name).toBe('shared-1');
    expect((await h.vm.getMeta(second)).name).toBe('shared-2');
    expect((await h.vm.getMeta(first)).remote).toEqual(remote);
    expect(await h.vm.log(first)).toEqual(await h.vm.log(src));
    for (let i = 3; i <= 50; i++) await h.vm.create(`shared-${i}`);
    const before = await h.vm.list();
    expect(await codeOf(h.vm.importVault({ name: 'shared', remote, populate: copyFrom(src) }))).toBe('ErrorVaultsNameConflict');
    expect(await h.vm.list()).toEqual(before);
  });

  it('a clone that fails at any point leaves no vault, no name and no files', async () => {
    const src = await h.vm.create('src');
    const before = await h.storage.fs.promises.readdir(h.storage.vaultsRoot);
    const failing = async (gitdir: string) => {
      await copyFrom(src)(gitdir);
      throw new Error('connection lost');
    };
    await expect(h.vm.importVault({ name: 'clone', remote, populate: failing })).rejects.toThrow();
    // An empty repository (no master) is refused too.
    const empty = (gitdir: string) => git.init({ fs: h.storage.fs as never, gitdir, bare: true });
    expect(await codeOf(h.vm.importVault({ name: 'clone', remote, populate: empty }))).toBe('ErrorGitPackInvalid');
    expect((await h.vm.list()).map((v) => v.vaultName)).toEqual(['src']);
    expect(await h.storage.fs.promises.readdir(h.storage.vaultsRoot)).toEqual(before);
    await h.vm.create('clone');
  });

  it('throw when trying to commit to a cloned vault; rename, delete, log, version work', async () => {
    const src = await h.vm.create('src');
    await h.secrets.write('src', 's', 'v1');
    const id = await h.vm.importVault({ name: 'src', remote, populate: copyFrom(src) });
    const logBefore = await h.vm.log(id);
    for (const p of [
      h.secrets.write(id, 'x', 'y'),
      h.secrets.add(id, 'x', 'y'),
      h.secrets.update(id, 's', 'y'),
      h.secrets.delete(id, 's'),
      h.secrets.rename(id, 's', 't'),
      h.secrets.mkdir(id, 'd'),
      h.secrets.batch(id, [{ op: 'write', path: 'z', content: '1' }]),
    ]) {
      expect(await codeOf(p)).toBe('ErrorVaultRemoteDefined');
    }
    expect(await h.vm.log(id)).toEqual(logBefore);
    expect(await h.secrets.getText(id, 's')).toBe('v1');
    await h.vm.rename(id, 'renamed-clone');
    expect(await h.vm.version('renamed-clone', logBefore[1]!.commitId)).toEqual({ latest: false });
    expect(await codeOf(h.secrets.get('renamed-clone', 's'))).toBe('ErrorSecretsSecretUndefined');
    await h.vm.delete('renamed-clone');
    expect((await h.vm.list()).map((v) => v.vaultName)).toEqual(['src']);
    // A fork of the clone is writable.
    const clone2 = await h.vm.importVault({ name: 'src', remote, populate: copyFrom(src) });
    await h.vm.fork(clone2, 'mine');
    await h.secrets.write('mine', 'x', 'y');
    expect(await h.secrets.getText('mine', 'x')).toBe('y');
  });

  it('fastForward: up to date is a no-op, an ancestor moves master and resets the version, a divergence changes nothing', async () => {
    const owner = await h.vm.create('owner');
    const cloneId = await h.vm.importVault({ name: 'owner', remote, populate: copyFrom(owner) });
    const base = await h.vm.masterOf(cloneId);
    expect(await h.vm.fastForward(cloneId, base)).toEqual({ from: base, to: base });

    await h.secrets.write('owner', 'a', '1');
    await h.secrets.write('owner', 'b', '2');
    const ownerHead = await h.vm.masterOf(owner);
    // Bring the owner's objects over (what a fetch does), then fast-forward.
    await h.storage.fs.promises.rmdir(h.vm.gitdir(cloneId)).catch(() => undefined);
    const objs = `${h.vm.gitdir(owner)}/objects`;
    for (const fan of await h.storage.fs.promises.readdir(objs)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      await h.storage.fs.promises.mkdir(`${h.vm.gitdir(cloneId)}/objects/${fan}`).catch(() => undefined);
      for (const f of await h.storage.fs.promises.readdir(`${objs}/${fan}`)) {
        await h.storage.fs.promises.writeFile(`${h.vm.gitdir(cloneId)}/objects/${fan}/${f}`, await h.storage.fs.promises.readFile(`${objs}/${fan}/${f}`));
      }
    }
    await h.vm.version(cloneId, base); // a checked-out version is reset by the pull
    const newRemote = { nodeId: 'vother', vaultId: 'zOther' };
    expect(await h.vm.fastForward(cloneId, ownerHead, newRemote)).toEqual({ from: base, to: ownerHead });
    expect(await h.vm.masterOf(cloneId)).toBe(ownerHead);
    expect((await h.vm.getMeta(cloneId)).remote).toEqual(newRemote);
    expect(await h.secrets.getText(cloneId, 'b')).toBe('2');

    // Diverged: a fork writes its own commit; the clone cannot fast-forward to it.
    const forkId = await h.vm.fork(owner, 'fork');
    await h.vm.version(forkId, base);
    await h.secrets.write('fork', 'c', 'diverged');
    const diverged = await h.vm.masterOf(forkId);
    expect(await codeOf(h.vm.fastForward(owner, diverged))).toBe('ErrorVaultsMergeConflict');
    // Unknown commit: nothing changes either.
    expect(await codeOf(h.vm.fastForward(owner, 'f'.repeat(40)))).toBe('ErrorVaultsMergeConflict');
    expect(await h.vm.masterOf(owner)).toBe(ownerHead);
  });
});
