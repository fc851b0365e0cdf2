// Every secret of a commit as (path, blob id), for what needs the whole tree at once: search over a
// vault's paths, and which secrets a peer has seen (exposure after an unshare). Folder trees are kept
// by their id in a cache the caller owns, so walking the next commit re-reads only the folders that
// changed — a one-secret commit in a 10,000-secret vault costs a handful of tree reads, not two
// thousand. Those two thousand cost about 15 s in a service worker when the objects are loose (each
// one a file to read and decrypt), so the trees of the last walk are also kept in one file in the
// repository (`keynode-trees.json`, encrypted like every vault file): after an unlock, the first walk
// reads that file and only what changed since.
import type { Repo } from './git-repo.js';
import { readTreeOfCommit } from './git-repo.js';
import { readCommit, readTree, type TreeEntry } from './objects.js';

/** Folder trees by id. Git objects never change, so entries stay valid for as long as the cache lives. */
export type TreeCache = Map<string, TreeEntry[]>;

export interface BlobEntry {
  path: string;
  oid: string;
}

const TREES_FILE = 'keynode-trees.json';

async function entriesOf(repo: Repo, oid: string, cache: TreeCache): Promise<TreeEntry[]> {
  let entries = cache.get(oid);
  if (entries === undefined) {
    entries = await readTree(repo, oid);
    cache.set(oid, entries);
  }
  return entries;
}

/** Every file under the commit's tree, in tree order, and the ids of the folder trees on the way. */
export async function commitBlobs(repo: Repo, commit: string, cache: TreeCache): Promise<{ blobs: BlobEntry[]; trees: Set<string> }> {
  const blobs: BlobEntry[] = [];
  const trees = new Set<string>();
  // One folder at a time: the reads queue in storage anyway, and in parallel they were slower.
  const walk = async (tree: string, prefix: string): Promise<void> => {
    trees.add(tree);
    for (const e of await entriesOf(repo, tree, cache)) {
      if (e.type === 'tree') await walk(e.oid, `${prefix}${e.path}/`);
      else if (e.type === 'blob') blobs.push({ path: prefix + e.path, oid: e.oid });
    }
  };
  await walk(await readTreeOfCommit(repo, commit), '');
  return { blobs, trees };
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
  const seenCommits = new Set<string>();
  const queue = [commit];
  while (queue.length > 0) {
    const oid = queue.pop()!;
    if (seenCommits.has(oid)) continue;
    seenCommits.add(oid);
    const c = await readCommit(repo, oid);
    await walk(c.tree);
    queue.push(...c.parent);
  }
  return blobs;
}

type StoredEntry = [mode: string, path: string, oid: string, type: TreeEntry['type']];

/** The trees kept by the last saveTrees (empty if none, or unreadable: it is only a cache). */
export async function loadTrees(repo: Repo): Promise<TreeCache> {
  try {
    const text = (await repo.fs.promises.readFile(`${repo.gitdir}/${TREES_FILE}`, 'utf8')) as unknown as string;
    const stored = JSON.parse(text) as { v: 1; trees: Array<[string, StoredEntry[]]> };
    return new Map(stored.trees.map(([oid, entries]) => [oid, entries.map(([mode, path, id, type]) => ({ mode, path, oid: id, type }))]));
  } catch {
    return new Map();
  }
}

/** Keeps `trees` (taken from `cache`) for the next loadTrees. */
export async function saveTrees(repo: Repo, trees: Iterable<string>, cache: TreeCache): Promise<void> {
  const kept: Array<[string, StoredEntry[]]> = [];
  for (const oid of trees) {
    const entries = cache.get(oid);
    if (entries !== undefined) kept.push([oid, entries.map((e) => [e.mode, e.path, e.oid, e.type])]);
  }
  await repo.fs.promises.writeFile(`${repo.gitdir}/${TREES_FILE}`, JSON.stringify({ v: 1, trees: kept }), 'utf8');
}
