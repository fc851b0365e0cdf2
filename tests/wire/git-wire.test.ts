// Wire compatibility with the real `git` (2.39): our server serves `git clone`/`git fetch`, our
// client clones from `git http-backend`, and our client and server talk to each other on Node's
// fs and on lightning-fs. `git fsck --full` must stay clean throughout.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import LightningFS from '@isomorphic-git/lightning-fs';
import gitIso from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneBare, fetchMaster, isDescendant, readMaster, setMaster, type GitTransport } from '../../src/git/index.js';
import { enumerateObjects } from '../../src/git/enumerate.js';
import { ObjectStore } from '../../src/git/object-store.js';
import { writePack, type PackStats } from '../../src/git/pack-writer.js';
import { git, gitAsync, httpTransport, serveWithGitHttpBackend, serveWithKeynode, tempDir, type Served } from './git-helpers.js';

let root: string;
let cleanup: () => void;
let work: string;
let ours: Served;
let native: Served;

function commitFile(path: string, content: string | Buffer, message: string): string {
  fs.mkdirSync(join(work, path, '..'), { recursive: true });
  fs.writeFileSync(join(work, path), content);
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', message], work);
  git(['push', '-q', join(root, 'vault.git'), 'master'], work);
  return git(['rev-parse', 'HEAD'], work).trim();
}

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('wire'));
  work = join(root, 'work');
  git(['init', '-q', '-b', 'master', work]);
  git(['init', '-q', '--bare', '-b', 'master', join(root, 'vault.git')]);
  for (let i = 0; i < 40; i++) {
    const dir = ['prod/db', 'prod/api/keys', 'staging', 'dev/ünïcødé 🔑'][i % 4] as string;
    fs.mkdirSync(join(work, dir), { recursive: true });
    fs.writeFileSync(join(work, dir, `secret-${i}`), `value ${i} ${randomBytes(24).toString('hex')}`);
    if (i % 8 === 7) {
      git(['add', '-A'], work);
      git(['commit', '-q', '-m', `batch ${i}`], work);
    }
  }
  fs.writeFileSync(join(work, 'blob.bin'), randomBytes(10 * 1024 * 1024));
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'a 10 MB binary secret'], work);
  git(['push', '-q', join(root, 'vault.git'), 'master'], work);
  // Pack what is there (deltas and all) so the server copies packed entries, then add loose ones.
  git(['repack', '-adq'], join(root, 'vault.git'));
  commitFile('prod/db/password', 'hunter2', 'loose commit after the pack');
  ours = await serveWithKeynode(root);
  native = await serveWithGitHttpBackend(root);
});

afterAll(async () => {
  await ours?.close();
  await native?.close();
  cleanup?.();
});

describe('our server, real git client', () => {
  it('git clone --bare gives the same commits and a clean fsck; a later fetch moves only the new objects', async () => {
    const clone = join(root, 'clone-by-git.git');
    await gitAsync(['-c', 'protocol.version=0', 'clone', '-q', '--bare', `${ours.url}/vault.git`, clone]);
    expect(git(['rev-parse', 'master'], clone).trim()).toBe(git(['rev-parse', 'master'], work).trim());
    expect(git(['rev-list', '--count', 'master'], clone).trim()).toBe(git(['rev-list', '--count', 'master'], work).trim());
    git(['fsck', '--full', '--strict'], clone);
    expect(git(['cat-file', '-s', 'master:blob.bin'], clone).trim()).toBe(String(10 * 1024 * 1024));

    const head = commitFile('dev/ünïcødé 🔑/secret-3', 'rotated', 'rotate one secret');
    const before = ours.stats.length;
    await gitAsync(['-c', 'protocol.version=0', 'fetch', '-q', `${ours.url}/vault.git`, 'master:master'], clone);
    expect(git(['rev-parse', 'master'], clone).trim()).toBe(head);
    git(['fsck', '--full', '--strict'], clone);
    const fetched = ours.stats.slice(before);
    expect(fetched).toHaveLength(1);
    // commit + 3 trees on the path + blob, the trees as thin deltas: well under a kilobyte.
    expect(fetched[0]?.objects).toBe(5);
    expect(fetched[0]?.bytes).toBeLessThan(1000);
  });
});

describe('our pack writer, checked by git index-pack', () => {
  it('copies stored deltas as ref-deltas for a client without ofs-delta, and git accepts the pack strictly', async () => {
    const gitdir = join(root, 'vault.git');
    const store = await ObjectStore.open({ fs, gitdir, cache: {} });
    const items = await enumerateObjects(store, [git(['rev-parse', 'master'], gitdir).trim()], []);
    const stats: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
    const parts: Uint8Array[] = [];
    for await (const c of writePack(store, items, { ofsDelta: false, thin: false, chunkSize: 65515 }, stats)) parts.push(c);
    // The repack left deltas in the stored pack: some of them must have been copied, not rebuilt.
    expect(stats.reused).toBeGreaterThan(items.length / 2);
    const target = join(root, 'index-pack-check.git');
    git(['init', '-q', '--bare', target]);
    git(['index-pack', '--strict', '--stdin'], target, Buffer.concat(parts));
    const chains = git([
      'verify-pack',
      '-v',
      ...fs
        .readdirSync(join(target, 'objects/pack'))
        .filter((f) => f.endsWith('.idx'))
        .map((f) => join(target, 'objects/pack', f)),
    ]);
    expect(chains).toMatch(/chain length = 1/);
  });

  it('a pack of an older commit leaves stored entries out; the deltas it copies are re-aimed, and git accepts it strictly', async () => {
    const gitdir = join(root, 'vault.git');
    const older = git(['rev-parse', 'master~3'], gitdir).trim();
    const store = await ObjectStore.open({ fs, gitdir, cache: {} });
    const items = await enumerateObjects(store, [older], []);
    const expected = git(['rev-list', '--objects', older], gitdir).trim().split('\n').length;
    expect(items.length).toBe(expected);
    expect(expected).toBeLessThan(store.packs.reduce((n, p) => n + p.size, 0));
    for (const ofsDelta of [true, false]) {
      const stats: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
      const parts: Uint8Array[] = [];
      for await (const c of writePack(store, items, { ofsDelta, thin: false, chunkSize: 1000 }, stats)) parts.push(c);
      expect(stats.objects).toBe(expected);
      expect(stats.reused).toBeGreaterThan(0);
      const target = join(root, `older-${ofsDelta}.git`);
      git(['init', '-q', '--bare', target]);
      git(['index-pack', '--strict', '--stdin'], target, Buffer.concat(parts));
      git(['update-ref', 'refs/heads/master', older], target);
      git(['fsck', '--full', '--strict'], target);
    }
  });
});

describe('our client, real git server (git http-backend)', () => {
  it('cloneBare and fetchMaster give a repository git fsck finds clean', async () => {
    const gitdir = join(root, 'clone-by-us.git');
    const { head } = await cloneBare({ fs, gitdir, transport: await httpTransport(`${native.url}/vault.git`) });
    expect(head).toBe(git(['rev-parse', 'master'], work).trim());
    expect(await readMaster({ fs, gitdir })).toBe(head);
    expect(git(['symbolic-ref', 'HEAD'], gitdir).trim()).toBe('refs/heads/master');
    git(['fsck', '--full', '--strict'], gitdir);

    const next = commitFile('staging/new-secret', 'fresh', 'add a secret');
    const { remoteHead } = await fetchMaster({ fs, gitdir, transport: await httpTransport(`${native.url}/vault.git`) });
    expect(remoteHead).toBe(next);
    expect(await readMaster({ fs, gitdir })).toBe(head); // fetch never moves our refs
    expect(await isDescendant({ fs, gitdir }, remoteHead, head)).toBe(true);
    await setMaster({ fs, gitdir }, remoteHead);
    git(['fsck', '--full', '--strict'], gitdir);
    expect(git(['show', 'master:staging/new-secret'], gitdir)).toBe('fresh');
  });
});

describe('our client against our server', () => {
  it('clones and pulls on Node fs, and the result serves git cleanly', async () => {
    const gitdir = join(root, 'ours-to-ours.git');
    let posts = 0;
    const counted = async (): Promise<GitTransport> => {
      const transport = await httpTransport(`${ours.url}/vault.git`);
      return { advertisement: transport.advertisement, pack: (b) => (posts++, transport.pack(b)) };
    };
    const { head } = await cloneBare({ fs, gitdir, transport: await counted() });
    expect(head).toBe(git(['rev-parse', 'master'], work).trim());
    git(['fsck', '--full', '--strict'], gitdir);

    const postsBefore = posts;
    expect((await fetchMaster({ fs, gitdir, transport: await counted() })).remoteHead).toBe(head);
    expect(posts).toBe(postsBefore); // up to date: no pack requested

    const next = commitFile('prod/api/keys/secret-1', 'new value', 'rotate');
    const before = ours.stats.length;
    expect((await fetchMaster({ fs, gitdir, transport: await counted() })).remoteHead).toBe(next);
    expect(posts).toBe(postsBefore + 1);
    expect(ours.stats.slice(before)[0]?.objects).toBe(6); // commit, 4 trees on the path, blob
    await setMaster({ fs, gitdir }, next);
    git(['fsck', '--full', '--strict'], gitdir);
    expect(git(['show', 'master:prod/api/keys/secret-1'], gitdir)).toBe('new value');
  });

  it('clones into lightning-fs with a thin pull, then serves that copy to git', async () => {
    const lfs = new LightningFS('wire-test', { wipe: true });
    const gitdir = '/vault';
    const cache = {};
    const { head } = await cloneBare({ fs: lfs, gitdir, transport: await httpTransport(`${ours.url}/vault.git`), thinPack: true, cache });
    const next = commitFile('prod/db/password', 'rotated again', 'rotate');
    const before = ours.stats.length;
    expect((await fetchMaster({ fs: lfs, gitdir, transport: await httpTransport(`${ours.url}/vault.git`), thinPack: true, cache })).remoteHead).toBe(next);
    const pulled = ours.stats.slice(before)[0];
    expect(pulled?.thinDeltas).toBeGreaterThan(0);
    expect(pulled?.bytes).toBeLessThan(1000);
    expect(await isDescendant({ fs: lfs, gitdir, cache }, next, head)).toBe(true);
    await setMaster({ fs: lfs, gitdir }, next);
    const { blob } = await gitIso.readBlob({ fs: lfs, gitdir, oid: next, filepath: 'prod/db/password', cache });
    expect(new TextDecoder().decode(blob)).toBe('rotated again');

    // Serve the lightning-fs copy (thin pack inside) to real git: it must get a complete pack.
    const { createServer } = await import('node:http');
    const { advertiseRefs, uploadPack } = await import('../../src/git/index.js');
    const repo = { fs: lfs, gitdir, cache };
    const server = createServer((req, res) => {
      void (async () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
          res.end(await advertiseRefs(repo));
          return;
        }
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(c as Buffer);
        res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
        for await (const chunk of uploadPack(repo, new Uint8Array(Buffer.concat(parts)))) res.write(chunk);
        res.end();
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const clone = join(root, 'from-lightning.git');
    await gitAsync(['-c', 'protocol.version=0', 'clone', '-q', '--bare', `http://127.0.0.1:${port}/vault`, clone]);
    await new Promise((r) => server.close(r));
    expect(git(['rev-parse', 'master'], clone).trim()).toBe(next);
    git(['fsck', '--full', '--strict'], clone);
  });
});
