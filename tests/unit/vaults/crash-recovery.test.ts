// Crash safety (scenario 9, Polykey "can recover from dirty state", "clean errant commits recovering
// from dirty state"): a crash is simulated with the manager's own internal steps — dirty marker,
// objects, even a torn ref — left unfinished; a new VaultManager on the same storage rolls back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import git from 'isomorphic-git';
import { execFileSync } from 'node:child_process';
import { generateVaultId } from '../../../src/ids/index.js';
import { TreeEditor, blobOid } from '../../../src/vaults/tree-editor.js';
import { MASTER, writeMaster } from '../../../src/git/index.js';
import { readTreeOfCommit, writeCommit } from '../../../src/vaults/git-repo.js';
import { openHarness, storageKinds, type Harness } from './harness.js';

const enc = (s: string) => new TextEncoder().encode(s);

async function objectExists(h: Harness, gitdir: string, oid: string): Promise<boolean> {
  return h.storage.fs.promises.stat(`${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`).then(
    () => true,
    () => false,
  );
}

describe.each(storageKinds)('crash recovery on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
  });
  afterEach(async () => {
    await h.close();
  });

  /** Does what mutate() does up to the point given, then "crashes" (stops without finishing). */
  async function crashMidBatch(
    vault: string,
    stage: 'objects' | 'commit' | 'torn-ref' | 'ref',
  ): Promise<{ master: string; strayBlob: string; commit: string }> {
    const id = await h.vm.resolve(vault);
    const repo = h.vm.repo(id);
    const master = await h.vm.masterOf(id);
    await h.vm.markDirty(id, master);
    const editor = new TreeEditor(repo, await readTreeOfCommit(repo, master));
    await editor.writeFile(['half', 'written'], enc('never committed'), 'write');
    const tree = await editor.write();
    let commit = '';
    if (stage !== 'objects') {
      commit = await writeCommit(repo, { tree, parents: [master], author: { nodeId: 'v', time: 0 }, message: 'half/written added\n' });
    }
    if (stage === 'torn-ref') await h.storage.fs.promises.writeFile(`${repo.gitdir}/${MASTER}`, commit.slice(0, 17), 'utf8');
    if (stage === 'ref') await writeMaster(repo, commit);
    await h.storage.flush();
    return { master, strayBlob: blobOid(enc('never committed')), commit };
  }

  it('can recover from dirty state: uncommitted objects are discarded and master is checked out', async () => {
    await h.vm.create('v');
    await h.secrets.write('v', 'kept', 'yes');
    const id = await h.vm.resolve('v');
    const log = await h.vm.log('v');
    const { strayBlob, commit } = await crashMidBatch('v', 'commit');
    expect(await objectExists(h, h.vm.gitdir(id), strayBlob)).toBe(true);
    const vm2 = await h.restart();
    expect(await vm2.log('v')).toEqual(log);
    expect(await objectExists(h, vm2.gitdir(id), strayBlob)).toBe(false);
    expect(await objectExists(h, vm2.gitdir(id), commit)).toBe(false);
    expect(await vm2.read(id, (t) => t.lookup(['half']))).toBeUndefined();
    expect(new TextDecoder().decode(await vm2.read(id, (t) => t.readFile(['kept'])))).toBe('yes');
    expect(await h.storage.kv.read((tx) => tx.get('vaults', `dirty:${id}`))).toBeUndefined();
  });

  it('clean errant commits recovering from dirty state: a torn master ref is restored from the marker', async () => {
    await h.vm.create('v');
    await h.secrets.write('v', 'kept', 'yes');
    const id = await h.vm.resolve('v');
    const log = await h.vm.log('v');
    const { master } = await crashMidBatch('v', 'torn-ref');
    const vm2 = await h.restart();
    expect(await vm2.masterOf(id)).toBe(master);
    expect(await vm2.log('v')).toEqual(log);
    const sm = new (await import('../../../src/secrets/secrets-manager.js')).SecretsManager(vm2);
    await sm.write('v', 'after', 'recovery');
    expect((await vm2.log('v'))[0]!.parents).toEqual([master]);
    if (h.kind === 'dir') execFileSync('git', [`--git-dir=${vm2.gitdir(id)}`, 'fsck', '--full', '--strict'], { stdio: 'pipe' });
  });

  it('a crash after the ref write keeps the completed commit and resets the checked-out version', async () => {
    await h.vm.create('v');
    await h.secrets.write('v', 'a', '1');
    const id = await h.vm.resolve('v');
    const c0 = (await h.vm.log('v'))[1]!.commitId;
    await h.vm.version('v', c0);
    const { commit } = await crashMidBatch('v', 'ref');
    const vm2 = await h.restart();
    expect(await vm2.masterOf(id)).toBe(commit);
    expect(new TextDecoder().decode(await vm2.read(id, (t) => t.readFile(['half', 'written'])))).toBe('never committed');
    expect((await vm2.getMeta(id)).checkout).toBeUndefined();
  });

  it('a crash before any commit object leaves master untouched and sweeps the stray blobs and trees', async () => {
    await h.vm.create('v');
    const id = await h.vm.resolve('v');
    const log = await h.vm.log('v');
    const { strayBlob } = await crashMidBatch('v', 'objects');
    const vm2 = await h.restart();
    expect(await vm2.log('v')).toEqual(log);
    expect(await objectExists(h, vm2.gitdir(id), strayBlob)).toBe(false);
  });

  it('half-created vaults and orphan repositories are removed on start; their names are free', async () => {
    await h.vm.create('whole');
    // A create interrupted after reserving the name and initialising the repository.
    const half = generateVaultId();
    await h.storage.kv.write(async (tx) => {
      await tx.put('vaults', 'name:half', half);
      await tx.put('vaults', `meta:${half}`, { vaultId: half, name: 'half', state: 'creating', createdAt: 0 });
    });
    await git.init({ fs: h.storage.fs as never, gitdir: `${h.storage.vaultsRoot}/${half}`, bare: true });
    // A repository whose metadata was deleted before a crash.
    const orphan = generateVaultId();
    await git.init({ fs: h.storage.fs as never, gitdir: `${h.storage.vaultsRoot}/${orphan}`, bare: true });
    await h.storage.flush();
    const vm2 = await h.restart();
    expect((await vm2.list()).map((v) => v.vaultName)).toEqual(['whole']);
    expect(await h.storage.fs.promises.readdir(h.storage.vaultsRoot)).toEqual([await vm2.resolve('whole')]);
    await vm2.create('half');
  });

  it('no mutation to vault when part of a commit operation fails: an I/O failure mid-write rolls back', async () => {
    await h.vm.create('v');
    await h.secrets.write('v', 'a', '1');
    const id = await h.vm.resolve('v');
    const log = await h.vm.log('v');
    // Make the ref write fail by putting a folder where the side file goes.
    const lock = `${h.vm.gitdir(id)}/${MASTER}.lock`;
    await h.storage.fs.promises.mkdir(lock);
    await expect(h.secrets.write('v', 'b', '2')).rejects.toMatchObject({ code: 'ErrorInternal' });
    await h.storage.fs.promises.rmdir(lock);
    expect(await h.vm.log('v')).toEqual(log);
    expect(await h.storage.kv.read((tx) => tx.get('vaults', `dirty:${id}`))).toBeUndefined();
    await h.secrets.write('v', 'b', '2');
    expect(await h.vm.log('v')).toHaveLength(3);
  });
});
