// Every secret of a commit as (path, blob id), for what needs the whole tree at once: search over a
// vault's paths, and which secrets a peer has seen (exposure after an unshare). Folder trees are kept
// by their id in a cache the caller owns, so walking the next commit re-reads only the folders that
// changed — a one-secret commit in a 10,000-secret vault costs a handful of tree reads, not two thousand.
import git, { type TreeEntry } from 'isomorphic-git';
import type { Repo } from './git-repo.js';
import { readTreeOfCommit } from './git-repo.js';

/** Folder trees by id. Git objects never change, so entries stay valid for as long as the cache lives. */
export type TreeCache = Map<string, TreeEntry[]>;

export interface BlobEntry {
  path: string;
  oid: string;
}

async function entriesOf(repo: Repo, oid: string, cache: TreeCache): Promise<TreeEntry[]> {
  let entries = cache.get(oid);
  if (entries === undefined) {
    entries = (await git.readTree({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache })).tree;
    cache.set(oid, entries);
  }
  return entries;
}

/** Every file under the commit's tree, in tree order (git's byte order of names within each folder). */
export async function commitBlobs(repo: Repo, commit: string, cache: TreeCache): Promise<BlobEntry[]> {
  const out: BlobEntry[] = [];
  const walk = async (tree: string, prefix: string): Promise<void> => {
    for (const e of await entriesOf(repo, tree, cache)) {
      if (e.type === 'tree') await walk(e.oid, `${prefix}${e.path}/`);
      else if (e.type === 'blob') out.push({ path: prefix + e.path, oid: e.oid });
    }
  };
  await walk(await readTreeOfCommit(repo, commit), '');
  return out;
}

/**
 * Every blob id reachable from `commit` — its tree and those of all its ancestors: what a peer that
 * fetched `commit` holds. Folders already visited (same id) are skipped, so shared history is cheap.
 */
export async function reachableBlobs(repo: Repo, commit: string, cache: TreeCache): Promise<Set<string>> {
  const blobs = new Set<string>();
  const seenTrees = new Set<string>();
  const walk = async (tree: string): Promise<void> => {
    if (seenTrees.has(tree)) return;
    seenTrees.add(tree);
    for (const e of await entriesOf(repo, tree, cache)) {
      if (e.type === 'tree') await walk(e.oid);
      else if (e.type === 'blob') blobs.add(e.oid);
    }
  };
  const seenCommits = new Set<string>([commit]);
  const queue = [commit];
  while (queue.length > 0) {
    const oid = queue.pop()!;
    const { commit: c } = await git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
    await walk(c.tree);
    for (const parent of c.parent) {
      if (!seenCommits.has(parent)) {
        seenCommits.add(parent);
        queue.push(parent);
      }
    }
  }
  return blobs;
}
