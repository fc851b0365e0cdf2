// Reachability-safe clean-up (Polykey B3 deleted live blobs here): mark every object reachable from
// the commits that must survive (master), then delete only loose objects that were not marked.
// Packed objects are never touched. Used after a write on an old version dropped later commits, and
// when start() rolls back a vault a crash left dirty. The caller holds the vault's write lock.
import type { Repo } from './git-repo.js';
import { readCommit, readTree } from './objects.js';

/** Every object id reachable from `roots` (commits, their trees and blobs). */
export async function markReachable(repo: Repo, roots: string[]): Promise<Set<string>> {
  const marked = new Set<string>();
  const commits = [...roots];
  const trees: string[] = [];
  while (commits.length > 0) {
    const oid = commits.pop()!;
    if (marked.has(oid)) continue;
    marked.add(oid);
    const commit = await readCommit(repo, oid);
    commits.push(...commit.parent);
    trees.push(commit.tree);
    // Walk trees as we go so memory stays bounded by the unvisited frontier.
    while (trees.length > 0) {
      const t = trees.pop()!;
      if (marked.has(t)) continue;
      marked.add(t);
      const tree = await readTree(repo, t);
      for (const e of tree) {
        if (e.type === 'tree') trees.push(e.oid);
        else marked.add(e.oid);
      }
    }
  }
  return marked;
}

/** Deletes the loose objects not reachable from `roots`; returns how many were deleted. */
export async function sweepUnreachable(repo: Repo, roots: string[]): Promise<number> {
  const keep = await markReachable(repo, roots);
  const objects = `${repo.gitdir}/objects`;
  let removed = 0;
  for (const fan of await repo.fs.promises.readdir(objects)) {
    if (!/^[0-9a-f]{2}$/.test(fan)) continue;
    for (const rest of await repo.fs.promises.readdir(`${objects}/${fan}`)) {
      const oid = fan + rest;
      if (/^[0-9a-f]{40}$/.test(oid) && !keep.has(oid)) {
        await repo.fs.promises.unlink(`${objects}/${fan}/${rest}`);
        removed += 1;
      } else if (!/^[0-9a-f]{38}$/.test(rest)) {
        // A temporary file a crashed write left behind (it has no object name): unreachable by definition.
        await repo.fs.promises.unlink(`${objects}/${fan}/${rest}`);
      }
    }
  }
  return removed;
}
