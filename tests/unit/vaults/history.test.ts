// History and versions: log, version checkout, write after checkout (linear history) and the
// reachability-safe clean-up that must keep blobs shared with the kept history (Polykey B3).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { blobOid } from '../../../src/vaults/tree-editor.js';
import { codeOf, openHarness, storageKinds, type Harness } from './harness.js';

async function objectExists(h: Harness, gitdir: string, oid: string): Promise<boolean> {
  try {
    await h.storage.fs.promises.stat(`${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`);
    return true;
  } catch {
    return false;
  }
}

describe.each(storageKinds)('vault history on %s storage', (kind) => {
  let h: Harness;
  let commits: string[]; // C1..C4, oldest first
  beforeEach(async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
    await h.secrets.write('v', 'shared', 'kept by every version'); // C1
    await h.secrets.write('v', 'f', 'two'); // C2
    await h.secrets.write('v', 'f', 'three'); // C3
    await h.secrets.write('v', 'g', 'four'); // C4
    commits = (await h.vm.log('v'))
      .slice(0, 4)
      .map((c) => c.commitId)
      .reverse();
  });
  afterEach(async () => {
    await h.close();
  });

  it('log is newest first, honours limit and ref, and each entry names its parent', async () => {
    const log = await h.vm.log('v');
    expect(log).toHaveLength(5);
    expect(log.map((c) => c.message)).toEqual(['g added', 'f modified', 'f added', 'shared added', expect.stringMatching(/^Initial Commit/)]);
    for (let i = 0; i < log.length - 1; i++) expect(log[i]!.parents).toEqual([log[i + 1]!.commitId]);
    expect(await h.vm.log('v', { limit: 2 })).toEqual(log.slice(0, 2));
    expect(await h.vm.log('v', { ref: commits[1]! })).toEqual(log.slice(2));
    expect(await h.vm.log('v', { ref: 'last', limit: 1 })).toEqual(log.slice(0, 1));
    expect(await codeOf(h.vm.log('v', { limit: 0 }))).toBe('ErrorInvalidArgument');
  });

  it('version checkout: reads show C2, then "last" shows C4 (scenario 6)', async () => {
    expect(await h.vm.version('v', commits[1]!)).toEqual({ latest: false });
    expect(await h.secrets.getText('v', 'f')).toBe('two');
    expect(await codeOf(h.secrets.get('v', 'g'))).toBe('ErrorSecretsSecretUndefined');
    expect((await h.secrets.list('v')).map((e) => e.path)).toEqual(['f', 'shared']);
    // The log still shows the whole history, so the user can go back to the latest.
    expect(await h.vm.log('v')).toHaveLength(5);
    expect(await h.vm.version('v', 'last')).toEqual({ latest: true });
    expect(await h.secrets.getText('v', 'f')).toBe('three');
    expect(await h.secrets.getText('v', 'g')).toBe('four');
    expect(await h.vm.version('v', commits[3]!)).toEqual({ latest: true });
  });

  it('can change commits and preserve the log with no intermediate vault mutation; the version survives a restart', async () => {
    const log = await h.vm.log('v');
    for (const c of commits) await h.vm.version('v', c);
    await h.vm.version('v', commits[0]!);
    expect(await h.vm.log('v')).toEqual(log);
    await h.vm.stop();
    const vm2 = await h.restart();
    const id = await vm2.resolve('v');
    expect(new TextDecoder().decode(await vm2.read(id, (t) => t.readFile(['shared'])))).toBe('kept by every version');
    expect(await vm2.read(id, (t) => t.lookup(['f']))).toBeUndefined();
  });

  it('bad references: "foo" is invalid, an unknown 40-hex id is missing; nothing changes (scenario 8)', async () => {
    await h.vm.version('v', commits[1]!);
    for (const ref of ['foo', '', 'abc123', 'g'.repeat(40), commits[0]!.slice(0, 39), `${commits[0]!} `, 'LAST']) {
      expect(await codeOf(h.vm.version('v', ref))).toBe('ErrorVaultReferenceInvalid');
      expect(await codeOf(h.vm.log('v', { ref }))).toBe('ErrorVaultReferenceInvalid');
    }
    expect(await codeOf(h.vm.version('v', 'f'.repeat(40)))).toBe('ErrorVaultReferenceMissing');
    // A tree or blob id exists in the store but is not a commit of the history.
    expect(await codeOf(h.vm.version('v', blobOid(new TextEncoder().encode('two'))))).toBe('ErrorVaultReferenceMissing');
    expect(await codeOf(h.vm.log('v', { ref: 'f'.repeat(40) }))).toBe('ErrorVaultReferenceMissing');
    // Still on C2, history untouched.
    expect(await h.secrets.getText('v', 'f')).toBe('two');
    expect(await h.vm.log('v')).toHaveLength(5);
  });

  it('adjusts HEAD after vault mutation, discarding forward and preserving backwards history (scenario 7)', async () => {
    await h.vm.version('v', commits[1]!);
    await h.secrets.write('v', 'h', 'five');
    const log = await h.vm.log('v');
    expect(log.map((c) => c.message.split('\n')[0])).toEqual(['h added', 'f added', 'shared added', 'Initial Commit']);
    expect(log[0]!.parents).toEqual([commits[1]]);
    expect(log[1]!.commitId).toBe(commits[1]);
    // Back on the latest version: the new commit.
    expect(await h.secrets.getText('v', 'f')).toBe('two');
    expect(await h.secrets.getText('v', 'h')).toBe('five');
    expect(await codeOf(h.secrets.get('v', 'g'))).toBe('ErrorSecretsSecretUndefined');
  });

  it('cannot checkout old commits after branching commit', async () => {
    await h.vm.version('v', commits[1]!);
    await h.secrets.write('v', 'h', 'five');
    expect(await codeOf(h.vm.version('v', commits[2]!))).toBe('ErrorVaultReferenceMissing');
    expect(await codeOf(h.vm.version('v', commits[3]!))).toBe('ErrorVaultReferenceMissing');
    expect(await h.vm.version('v', commits[1]!)).toEqual({ latest: false });
    expect(await h.vm.version('v', commits[0]!)).toEqual({ latest: false });
  });

  it('B3: clean-up after writing on an old version keeps a blob shared with the kept history', async () => {
    const id = await h.vm.resolve('v');
    const gitdir = h.vm.gitdir(id);
    // "shared" (from C1) is in every dropped commit's tree too; "four" (g) lives only in C4.
    const sharedBlob = blobOid(new TextEncoder().encode('kept by every version'));
    const droppedBlob = blobOid(new TextEncoder().encode('four'));
    const threeBlob = blobOid(new TextEncoder().encode('three'));
    expect(await objectExists(h, gitdir, droppedBlob)).toBe(true);
    await h.vm.version('v', commits[1]!);
    // The new commit also writes content equal to a dropped commit's blob: it must survive as well.
    await h.secrets.write('v', 'again', 'three');
    expect(await objectExists(h, gitdir, sharedBlob)).toBe(true);
    expect(await objectExists(h, gitdir, threeBlob)).toBe(true);
    expect(await objectExists(h, gitdir, droppedBlob)).toBe(false);
    expect(await objectExists(h, gitdir, commits[3]!)).toBe(false);
    expect(await objectExists(h, gitdir, commits[2]!)).toBe(false);
    expect(await h.secrets.getText('v', 'shared')).toBe('kept by every version');
    // Every version still reachable reads whole.
    for (const c of await h.vm.log('v')) {
      await h.vm.version('v', c.commitId);
      await h.secrets.env('v', undefined, { invalid: 'ignore' });
    }
    expect(await h.vm.gc(id)).toBe(0);
    if (h.kind === 'dir') {
      execFileSync('git', [`--git-dir=${gitdir}`, 'fsck', '--full', '--strict', '--no-dangling'], { stdio: 'pipe' });
      const out = execFileSync('git', [`--git-dir=${gitdir}`, 'cat-file', '-p', 'master:shared'], { encoding: 'utf8' });
      expect(out).toBe('kept by every version');
    }
  });
});
