// Polykey's VaultInternal titles (docs/polykey.md §9.2) that the other files do not already carry, on both storages.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf, openHarness, storageKinds, type Harness } from './harness.js';

describe.each(storageKinds)('vault internals on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
  });
  afterEach(async () => {
    await h.close();
  });

  it('creating state on disk: a bare repository with master and no working tree', async () => {
    const gitdir = h.vm.gitdir(await h.vm.resolve('v'));
    const entries = await h.storage.fs.promises.readdir(gitdir);
    expect(entries).toEqual(expect.arrayContaining(['HEAD', 'config', 'objects', 'refs']));
    expect(entries).not.toContain('.git');
    expect(entries).not.toContain('index');
    const config = await h.storage.fs.promises.readFile(`${gitdir}/config`, 'utf8');
    expect(String(config)).toMatch(/bare = true/);
  });

  it('can change to the current commit, and to the latest commit', async () => {
    await h.secrets.write('v', 'a', '1');
    const [head] = await h.vm.log('v');
    expect(await h.vm.version('v', head!.commitId)).toEqual({ latest: true });
    expect(await h.vm.version('v', 'last')).toEqual({ latest: true });
    expect(await h.vm.version('v', 'HEAD')).toEqual({ latest: true });
    expect(await h.secrets.getText('v', 'a')).toBe('1');
  });

  it('does not allow changing to an unrecognised commit', async () => {
    expect(await codeOf(h.vm.version('v', '0'.repeat(40)))).toBe('ErrorVaultReferenceMissing');
  });

  it('no commit after read', async () => {
    await h.secrets.write('v', 'd/a', '1');
    const log = await h.vm.log('v');
    await h.secrets.get('v', 'd/a');
    await h.secrets.list('v', 'd');
    await h.secrets.stat('v', 'd');
    await h.secrets.env('v');
    expect(await h.vm.log('v')).toEqual(log);
  });

  it('readF respects write locking: a read started during a write sees its result', async () => {
    const id = await h.vm.resolve('v');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const write = h.vm.mutate(id, async (t) => {
      await gate;
      await t.writeFile(['x'], new TextEncoder().encode('written'), 'write');
    });
    const read = h.secrets.getText('v', 'x');
    release();
    await write;
    expect(await read).toBe('written');
  });

  it('garbage collection keeps everything master reaches and nothing else', async () => {
    const id = await h.vm.resolve('v');
    await h.secrets.write('v', 'a', '1');
    await h.secrets.write('v', 'a', '2');
    expect(await h.vm.gc(id)).toBe(0);
    const log = await h.vm.log('v');
    for (const c of log) {
      await h.vm.version('v', c.commitId);
      await h.secrets.list('v');
    }
  });

  it('destroy is idempotent: deleting twice fails cleanly the second time', async () => {
    await h.vm.delete('v');
    expect(await codeOf(h.vm.delete('v'))).toBe('ErrorVaultsVaultUndefined');
    expect(await h.vm.list()).toEqual([]);
  });

  it('regression check for statusMatrix not recognising changes: same-size edits in one second each commit', async () => {
    await h.close();
    h = await openHarness(kind, { clock: () => 1_700_000_000_000 });
    await h.vm.create('v');
    await h.secrets.write('v', 's', 'aaaa');
    await h.secrets.write('v', 's', 'bbbb');
    await h.secrets.write('v', 's', 'cccc');
    expect((await h.vm.log('v')).map((c) => c.message.split('\n')[0])).toEqual(['s modified', 's modified', 's added', 'Initial Commit']);
    expect(await h.secrets.getText('v', 's')).toBe('cccc');
  });
});
