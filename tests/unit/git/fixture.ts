// Builds small vault repositories with isomorphic-git plumbing (no working tree), the way the
// vault layer writes them, for the git unit tests.
import LightningFS from '@isomorphic-git/lightning-fs';
import git from 'isomorphic-git';
import type { GitRepo } from '../../../src/git/index.js';
import { concatBytes } from '../../../src/utils/bytes.js';

let counter = 0;

export async function newRepo(): Promise<GitRepo> {
  const fs = new LightningFS(`git-unit-${process.pid}-${counter++}`, { wipe: true });
  const gitdir = '/vault';
  await git.init({ fs, dir: gitdir, gitdir, bare: true, defaultBranch: 'master' });
  return { fs, gitdir, cache: {} };
}

type Files = Record<string, string | Uint8Array>;

async function writeTree(repo: GitRepo, files: Files): Promise<string> {
  const here = new Map<string, Files>();
  const blobs: Array<{ name: string; content: string | Uint8Array }> = [];
  for (const [path, content] of Object.entries(files)) {
    const i = path.indexOf('/');
    if (i < 0) blobs.push({ name: path, content });
    else {
      const dir = path.slice(0, i);
      const sub = here.get(dir) ?? {};
      sub[path.slice(i + 1)] = content;
      here.set(dir, sub);
    }
  }
  const tree: Array<{ mode: string; path: string; oid: string; type: 'blob' | 'tree' }> = [];
  for (const { name, content } of blobs) {
    const blob = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    tree.push({ mode: '100644', path: name, oid: await git.writeBlob({ ...repo, blob }), type: 'blob' });
  }
  for (const [dir, sub] of here) tree.push({ mode: '040000', path: dir, oid: await writeTree(repo, sub), type: 'tree' });
  return git.writeTree({ ...repo, tree });
}

/** Commits the full contents `files` on top of master and moves master. */
export async function commitAll(repo: GitRepo, files: Files, message = 'change'): Promise<string> {
  const tree = await writeTree(repo, files);
  let parent: string[];
  try {
    parent = [await git.resolveRef({ ...repo, ref: 'refs/heads/master' })];
  } catch {
    parent = [];
  }
  const who = { name: 'unit', email: 'unit@example.invalid', timestamp: 1_700_000_000 + counter++, timezoneOffset: 0 };
  const oid = await git.writeCommit({ ...repo, commit: { message, tree, parent, author: who, committer: who } });
  await git.writeRef({ ...repo, ref: 'refs/heads/master', value: oid, force: true });
  return oid;
}

/** A vault of `n` secrets in nested folders. */
export function secrets(n: number, seed = 0): Files {
  const files: Files = {};
  for (let i = 0; i < n; i++) files[`env${i % 3}/svc${i % 7}/secret-${i}`] = `value-${seed}-${i}-${'x'.repeat(i % 50)}`;
  return files;
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return concatBytes(...parts);
}
