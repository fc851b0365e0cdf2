// What we write is real git: the git program's fsck accepts it and its log shows our commits; two
// vaults made in the same millisecond never share an initial commit (Polykey B13).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { codeOf, nodeId, openHarness, storageKinds, type Harness } from './harness.js';

const gitIn = (gitdir: string, ...args: string[]) => execFileSync('git', [`--git-dir=${gitdir}`, ...args], { encoding: 'utf8', stdio: 'pipe' });

describe('real git reads our repositories ({ dir } storage)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness('dir');
  });
  afterEach(async () => {
    await h.close();
  });

  it('git fsck --full passes and git log shows our commits, authors and messages', async () => {
    const id = await h.vm.create('v');
    await h.secrets.batch('v', [
      { op: 'add', path: 'prod/db/password', content: 'hunter2' },
      { op: 'add', path: '.hidden', content: 'dot-file' },
      { op: 'add', path: 'bin', content: new Uint8Array([0, 255, 1, 254]) },
    ]);
    await h.secrets.rename('v', 'prod/db/password', 'prod/db/pw');
    await h.secrets.delete('v', ['bin']);
    const gitdir = h.vm.gitdir(id);
    gitIn(gitdir, 'fsck', '--full', '--strict');
    const log = gitIn(gitdir, 'log', '--format=%H|%an|%ae|%P|%B%x00', 'master')
      .split('\0\n')
      .filter((s) => s.trim() !== '');
    const ours = await h.vm.log('v');
    expect(log).toHaveLength(ours.length);
    log.forEach((entry, i) => {
      const [hash, author, email, parents, message] = entry.split('|');
      expect(hash).toBe(ours[i]!.commitId);
      expect(author).toBe(nodeId);
      expect(email).toBe('');
      expect(parents === '' ? [] : parents!.split(' ')).toEqual(ours[i]!.parents);
      expect(message!.trim()).toBe(ours[i]!.message);
    });
    expect(ours[2]!.message).toBe('.hidden added\nbin added\nprod/db/password added');
    expect(ours[1]!.message).toBe('prod/db/password deleted\nprod/db/pw added');
    expect(ours[0]!.message).toBe('bin deleted');
    expect(gitIn(gitdir, 'show', 'master:prod/db/pw')).toBe('hunter2');
    expect(gitIn(gitdir, 'ls-tree', '-r', '--name-only', 'master').split('\n').filter(Boolean)).toEqual(['.hidden', 'prod/db/pw']);
    // Only the changed path's trees were rewritten: the root tree of the last commit differs, prod/ does not.
    expect(gitIn(gitdir, 'rev-parse', 'master:prod')).toBe(gitIn(gitdir, 'rev-parse', 'master~1:prod'));
  });

  it('trees are in git\'s order where a folder sorts as if its name ended in "/"', async () => {
    const id = await h.vm.create('order');
    await h.secrets.batch('order', [
      { op: 'add', path: 'a/x', content: '1' },
      { op: 'add', path: 'a.b', content: '2' },
      { op: 'add', path: 'a-b', content: '3' },
      { op: 'add', path: 'a0', content: '4' },
      { op: 'add', path: 'B', content: '5' },
      { op: 'add', path: 'ü', content: '6' },
    ]);
    gitIn(h.vm.gitdir(id), 'fsck', '--full', '--strict');
    expect(gitIn(h.vm.gitdir(id), 'ls-tree', '--name-only', '-z', 'master').split('\0').filter(Boolean)).toEqual(['B', 'a-b', 'a.b', 'a', 'a0', 'ü']);
    expect((await h.secrets.list('order')).map((e) => e.path).sort()).toEqual(['B', 'a', 'a-b', 'a.b', 'a0', 'ü']);
  });

  it('a 5 MB binary secret round-trips exactly and git reads the same bytes', async () => {
    const id = await h.vm.create('big');
    const bytes = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    await h.secrets.write('big', 'blob.bin', bytes);
    const back = await h.secrets.get('big', 'blob.bin');
    expect(back.length).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0);
    expect(await h.secrets.stat('big', 'blob.bin')).toEqual({ type: 'file', size: bytes.length });
    const fromGit = execFileSync('git', [`--git-dir=${h.vm.gitdir(id)}`, 'cat-file', 'blob', 'master:blob.bin'], { maxBuffer: 16 * 1024 * 1024 });
    expect(Buffer.compare(fromGit, Buffer.from(bytes))).toBe(0);
  });
});

describe.each(storageKinds)('B13 and concurrency on %s storage', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('B13: two vaults created in the same millisecond with the same clock have different initial commits', async () => {
    h = await openHarness(kind, { clock: () => 1_700_000_000_000 });
    const [a, b] = await Promise.all([h.vm.create('a'), h.vm.create('b')]);
    const [la, lb] = [await h.vm.log(a), await h.vm.log(b)];
    expect(la[0]!.timestamp).toBe(lb[0]!.timestamp);
    expect(la[0]!.commitId).not.toBe(lb[0]!.commitId);
    expect(la[0]!.message).toContain(a);
    expect(lb[0]!.message).toContain(b);
  });

  it('concurrent write operations to one vault serialise and both land, each in its own commit', async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
    await Promise.all([
      h.secrets.write('v', 'one', '1'),
      h.secrets.write('v', 'two', '2'),
      h.secrets.batch('v', [{ op: 'write', path: 'dir/three', content: '3' }]),
      h.secrets.write('v', 'one', 'one again'),
    ]);
    const log = await h.vm.log('v');
    expect(log).toHaveLength(5);
    for (let i = 0; i < 4; i++) expect(log[i]!.parents).toEqual([log[i + 1]!.commitId]);
    expect((await h.secrets.list('v')).map((e) => e.path)).toEqual(['dir', 'one', 'two']);
    expect(await h.secrets.getText('v', 'one')).toBe('one again');
  });

  it('concurrent read operations allowed; reads wait for a write and never see half of it', async () => {
    h = await openHarness(kind);
    const id = await h.vm.create('v');
    await h.secrets.write('v', 'x', 'before');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    // Two readers hold the read lock at once (each waits for the other to start).
    let started = 0;
    let bothIn!: () => void;
    const together = new Promise<void>((r) => (bothIn = r));
    const reader = () =>
      h.vm.withReadLock(id, async () => {
        if (++started === 2) bothIn();
        await together;
        await gate;
        order.push('read');
      });
    const r1 = reader();
    const r2 = reader();
    const w = h.vm.mutate(id, async (t) => {
      order.push('write');
      await t.writeFile(['x'], new TextEncoder().encode('after'), 'write');
    });
    await together;
    release();
    await Promise.all([r1, r2, w]);
    expect(order).toEqual(['read', 'read', 'write']);
    expect(await h.secrets.getText('v', 'x')).toBe('after');
  });

  it('version and log reject bad refs on a vault that exists, with the codes of docs/api.md', async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
    expect(await codeOf(h.vm.version('v', 'nope'))).toBe('ErrorVaultReferenceInvalid');
  });
});
