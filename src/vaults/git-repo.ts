// A vault's bare git repository, plumbing only (no working tree, no index): its shape and writing
// commits. `master` is read and moved by src/git/refs.ts (atomically), objects are read through
// objects.ts and written by object-writer.ts.
import type { GitFs } from '../storage/index.js';
import { serializeCommit, writeObject } from './object-writer.js';
import { readCommit } from './objects.js';

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

export function writeCommit(repo: Repo, { author, ...commit }: { tree: string; parents: string[]; author: Author; message: string }): Promise<string> {
  return writeObject(repo, 'commit', serializeCommit({ ...commit, person: `${author.nodeId} <>`, time: Math.floor(author.time / 1000) }));
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

export async function readTreeOfCommit(repo: Repo, commit: string): Promise<string> {
  return (await readCommit(repo, commit)).tree;
}
