// The encrypted filesystem under the vaults (src/storage/encrypted-fs.ts), over Node's fs and over
// lightning-fs: contents and names round-trip, nothing of either is stored readable, a file changed
// or moved outside keynode fails to open (ErrorStorageCorrupt, never other data), and the folders
// git needs behave as git expects.
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import FS from '@isomorphic-git/lightning-fs';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCipher } from '../../../src/platform/node-cipher.js';
import { SEAL_OVERHEAD, webCipher, type Cipher } from '../../../src/storage/cipher.js';
import { EncryptedFs } from '../../../src/storage/encrypted-fs.js';
import type { GitFs } from '../../../src/storage/index.js';
import { codeOf } from '../../utils/keynodes.js';
import { testSessionKeys } from './session-keys.js';

import '../../../src/platform/node-storage.js'; // lightning-fs needs the navigator stub

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Backend {
  name: string;
  make(): Promise<{ raw: GitFs; root: string; cipher: Cipher }>;
}

let n = 0;
const backends: Backend[] = [
  {
    name: "Node's fs",
    async make() {
      const dir = await mkdtemp(path.join(tmpdir(), 'keynode-encfs-'));
      dirs.push(dir);
      const root = path.join(dir, 'vaults');
      await fsp.mkdir(root);
      return { raw: fs as unknown as GitFs, root, cipher: nodeCipher(await testSessionKeys()) };
    },
  },
  {
    name: 'lightning-fs',
    async make() {
      const raw = new FS(`encfs-${process.pid}-${n++}`, { wipe: true }) as unknown as GitFs;
      await raw.promises.mkdir('/vaults');
      return { raw, root: '/vaults', cipher: webCipher(await testSessionKeys()) };
    },
  },
];

/** Every stored path under `dir` (names as they are on the raw filesystem), and each file's bytes. */
async function walk(raw: GitFs, dir: string): Promise<Array<{ path: string; bytes?: Uint8Array }>> {
  const out: Array<{ path: string; bytes?: Uint8Array }> = [];
  for (const name of (await raw.promises.readdir(dir)) as string[]) {
    const p = `${dir}/${name}`;
    if ((await raw.promises.lstat(p)).isDirectory()) {
      out.push({ path: p }, ...(await walk(raw, p)));
    } else {
      out.push({ path: p, bytes: (await raw.promises.readFile(p)) as Uint8Array });
    }
  }
  return out;
}

function contains(haystack: Uint8Array | string, needle: string): boolean {
  const h = typeof haystack === 'string' ? Buffer.from(haystack) : Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  return h.includes(Buffer.from(needle));
}

describe.each(backends)('encrypted fs over $name', (backend) => {
  let raw: GitFs;
  let root: string;
  let efs: EncryptedFs;

  beforeAll(async () => {
    ({ raw, root } = await backend.make());
    const { cipher } = await backend.make();
    efs = new EncryptedFs(raw, root, () => cipher);
  });

  it('round-trips bytes and text, and lists and stats by the plaintext names and sizes', async () => {
    const dir = `${root}/zVaultOne`;
    await efs.promises.mkdir(dir);
    await efs.promises.mkdir(`${dir}/objects`);
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    await efs.promises.writeFile(`${dir}/objects/blob-bin`, bytes);
    await efs.promises.writeFile(`${dir}/HEAD`, 'ref: refs/heads/master\n');
    expect(await efs.promises.readFile(`${dir}/objects/blob-bin`)).toEqual(bytes);
    expect(await efs.promises.readFile(`${dir}/HEAD`, 'utf8')).toBe('ref: refs/heads/master\n');
    expect(await efs.promises.readFile(`${dir}/HEAD`, { encoding: 'utf8' })).toBe('ref: refs/heads/master\n');
    expect(((await efs.promises.readdir(dir)) as string[]).sort()).toEqual(['HEAD', 'objects']);
    expect(await efs.promises.readdir(root)).toEqual(['zVaultOne']);
    const stat = await efs.promises.stat(`${dir}/objects/blob-bin`);
    expect([stat.isFile(), stat.isDirectory(), stat.size]).toEqual([true, false, 70_000]);
    expect((await efs.promises.lstat(`${dir}/objects`)).isDirectory()).toBe(true);
    // Stored sealed: one byte of format, the nonce and the tag on top.
    const stored = await walk(raw, root);
    expect(
      stored
        .filter((f) => f.bytes !== undefined)
        .map((f) => f.bytes!.length)
        .sort((a, b) => a - b),
    ).toEqual([23 + SEAL_OVERHEAD, 70_000 + SEAL_OVERHEAD]);
  });

  it('stores no name and no content in a readable form', async () => {
    const dir = `${root}/zSecretVaultName`;
    await efs.promises.mkdir(dir);
    await efs.promises.writeFile(`${dir}/db-password-path`, 'hunter2-secret-value');
    for (const entry of await walk(raw, root)) {
      for (const word of ['zSecretVaultName', 'db-password-path', 'hunter2-secret-value', 'objects', 'HEAD']) {
        expect(contains(entry.path, word)).toBe(false);
        if (entry.bytes !== undefined) expect(contains(entry.bytes, word)).toBe(false);
      }
    }
  });

  it('a missing file is ENOENT, as git expects', async () => {
    const err = await efs.promises.readFile(`${root}/zVaultOne/nothing`).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ENOENT');
    expect(await efs.promises.readFile(undefined as unknown as string).catch((e: unknown) => (e as { code?: string }).code)).toBe('ENOENT');
  });

  it('a flipped byte, a swapped file or a file moved to another folder is ErrorStorageCorrupt, never other data', async () => {
    const dir = `${root}/zTamper`;
    await efs.promises.mkdir(dir);
    await efs.promises.mkdir(`${dir}/other`);
    await efs.promises.writeFile(`${dir}/a`, 'first file');
    await efs.promises.writeFile(`${dir}/b`, 'second file');
    const storedA = await efs.stored(`${dir}/a`);
    const storedB = await efs.stored(`${dir}/b`);
    // A copy (Node's Buffer.slice would share the bytes).
    const original = new Uint8Array((await raw.promises.readFile(storedA)) as Uint8Array);
    for (const at of [0, 1, 13, original.length - 1]) {
      const flipped = original.slice();
      flipped[at]! ^= 0x01;
      await raw.promises.writeFile(storedA, flipped);
      expect(await codeOf(efs.promises.readFile(`${dir}/a`))).toBe('ErrorStorageCorrupt');
    }
    await raw.promises.writeFile(storedA, original.slice(0, 10));
    expect(await codeOf(efs.promises.readFile(`${dir}/a`))).toBe('ErrorStorageCorrupt');
    // b's bytes under a's name: sealed with b's path, so they do not open as a.
    await raw.promises.writeFile(storedA, (await raw.promises.readFile(storedB)) as Uint8Array);
    expect(await codeOf(efs.promises.readFile(`${dir}/a`))).toBe('ErrorStorageCorrupt');
    await raw.promises.writeFile(storedA, original);
    expect(await efs.promises.readFile(`${dir}/a`, 'utf8')).toBe('first file');
    // a's bytes copied into another folder under a's name there.
    await raw.promises.writeFile(await efs.stored(`${dir}/other/a`), original);
    expect(await codeOf(efs.promises.readFile(`${dir}/other/a`))).toBe('ErrorStorageCorrupt');
  });

  it('rename re-seals for the new path; writes leave no temporary file; rmdir removes a crash leftover', async () => {
    const dir = `${root}/zRename`;
    await efs.promises.mkdir(dir);
    await efs.promises.writeFile(`${dir}/tmp_pack_1`, 'pack bytes');
    await efs.promises.rename!(`${dir}/tmp_pack_1`, `${dir}/pack-1.pack`);
    expect(await efs.promises.readdir(dir)).toEqual(['pack-1.pack']);
    expect(await efs.promises.readFile(`${dir}/pack-1.pack`, 'utf8')).toBe('pack bytes');
    const storedDir = await efs.stored(dir);
    expect(((await raw.promises.readdir(storedDir)) as string[]).length).toBe(1);
    // A temporary file left by a crash mid-write is not listed, and does not stop rmdir.
    await raw.promises.writeFile(`${storedDir}/.tmp-deadbeef`, new Uint8Array([1, 2, 3]));
    expect(await efs.promises.readdir(dir)).toEqual(['pack-1.pack']);
    await efs.promises.unlink(`${dir}/pack-1.pack`);
    await efs.promises.rmdir(dir);
    expect(await efs.promises.readdir(root)).not.toContain('zRename');
  });

  it('refuses paths outside the vaults folder rather than store them in plaintext', async () => {
    expect(await codeOf(efs.promises.writeFile(`${root}/../escape`, 'x'))).toBe('ErrorInternal');
    expect(await codeOf(efs.promises.writeFile('/elsewhere/file', 'x'))).toBe('ErrorInternal');
  });

  it('isomorphic-git keeps a working bare repository on it', async () => {
    const gitdir = `${root}/zRepo`;
    await efs.promises.mkdir(gitdir);
    await git.init({ fs: efs, gitdir, bare: true, defaultBranch: 'master' });
    const blob = await git.writeBlob({ fs: efs, gitdir, blob: new TextEncoder().encode('value') });
    const tree = await git.writeTree({ fs: efs, gitdir, tree: [{ mode: '100644', path: 'k', oid: blob, type: 'blob' }] });
    const author = { name: 'n', email: 'e', timestamp: 0, timezoneOffset: 0 };
    const commit = await git.writeCommit({ fs: efs, gitdir, commit: { message: 'm', tree, parent: [], author, committer: author } });
    await git.writeRef({ fs: efs, gitdir, ref: 'refs/heads/master', value: commit, force: true });
    expect(await git.resolveRef({ fs: efs, gitdir, ref: 'master' })).toBe(commit);
    const read = await git.readBlob({ fs: efs, gitdir, oid: commit, filepath: 'k' });
    expect(new TextDecoder().decode(read.blob)).toBe('value');
    // No object id is visible as a name: blob ids would let anyone confirm a guessed secret.
    for (const entry of await walk(raw, await efs.stored(gitdir))) {
      for (const id of [blob, tree, commit]) expect(contains(entry.path, id.slice(2))).toBe(false);
    }
  });
});
