// A vault's bare git repository, plumbing only (no working tree, no index): creating it with its
// first commit, reading and atomically moving `master`, writing commits. Objects are read through
// objects.ts and written by object-writer.ts; isomorphic-git is not involved.
import { isKeynodeError } from '../errors.js';
import type { GitFs } from '../storage/index.js';
import { initRepository } from '../git/refs.js';
import { serializeCommit, writeObject } from './object-writer.js';
import { readCommit } from './objects.js';

export const MASTER = 'refs/heads/master';
/** The empty tree's id is fixed by git. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** What every git call on one vault needs: the fs, the repository and its shared object cache. */
export interface Repo {
  fs: GitFs;
  gitdir: string;
  /** Holds the vault's object store (src/git/object-store.ts): without it every read re-loads the packs. */
  cache: object;
}

export interface Author {
  nodeId: string;
  /** Milliseconds since the epoch; git stores whole seconds. */
  time: number;
}

export async function initBare(repo: Repo): Promise<void> {
  await initRepository(repo);
}

export function writeCommit(repo: Repo, opts: { tree: string; parents: string[]; author: Author; message: string }): Promise<string> {
  const content = serializeCommit({
    tree: opts.tree,
    parents: opts.parents,
    person: `${opts.author.nodeId} <>`,
    time: Math.floor(opts.author.time / 1000),
    message: opts.message,
  });
  return writeObject(repo, 'commit', content);
}

/** The commit `master` points at, or undefined when the ref is missing or unreadable. */
export async function readMaster(repo: Repo): Promise<string | undefined> {
  // The loose ref is what we write; reading it directly spares resolveRef's packed-refs read and
  // its walk over candidate ref paths on every operation. A clone may leave master only in packed-refs.
  try {
    const text = await repo.fs.promises.readFile(`${repo.gitdir}/${MASTER}`, 'utf8');
    const oid = String(text).trim();
    if (/^[0-9a-f]{40}$/.test(oid)) return oid;
  } catch (e) {
    // A locked keynode or a ref that failed its integrity check is not "no master": say so.
    if (isKeynodeError(e)) throw e;
    // Otherwise fall through to the packed refs.
  }
  try {
    const packed = String(await repo.fs.promises.readFile(`${repo.gitdir}/packed-refs`, 'utf8'));
    for (const line of packed.split('\n')) {
      const [oid, ref] = line.trim().split(' ');
      if (ref === MASTER && oid !== undefined && /^[0-9a-f]{40}$/.test(oid)) return oid;
    }
    return undefined;
  } catch (e) {
    if (isKeynodeError(e)) throw e;
    return undefined;
  }
}

/** Whether `oid` names a commit whose object can be read. */
export async function isReadableCommit(repo: Repo, oid: string): Promise<boolean> {
  try {
    await readCommit(repo, oid);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves master with one atomic step: the new value is written to a side file and renamed over the
 * ref, so a crash leaves either the old or the new value, never a torn one (a plain write truncates
 * first). Falls back to a plain write on a filesystem without rename.
 */
export async function writeMaster(repo: Repo, oid: string): Promise<void> {
  const refPath = `${repo.gitdir}/${MASTER}`;
  // The encrypted filesystem writes every file whole or not at all already (and its rename
  // re-encrypts): one write is the atomic step there.
  if (repo.fs.atomicWrites === true) {
    await repo.fs.promises.writeFile(refPath, `${oid}\n`, 'utf8');
    return;
  }
  const rename = repo.fs.promises.rename;
  if (rename === undefined) {
    await repo.fs.promises.writeFile(refPath, `${oid}\n`, 'utf8');
    return;
  }
  const tmp = `${refPath}.lock`;
  await repo.fs.promises.writeFile(tmp, `${oid}\n`, 'utf8');
  await rename.call(repo.fs.promises, tmp, refPath);
}

export async function readTreeOfCommit(repo: Repo, commit: string): Promise<string> {
  return (await readCommit(repo, commit)).tree;
}
