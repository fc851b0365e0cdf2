// Ancestry questions answered by walking parents through the fast object store.
import type { ObjectStore } from './object-store.js';
import { parseCommit } from './parse.js';

/** True when `ancestor` is reachable from `oid` by following parents (strictly: not when equal). */
export async function reachesAncestor(store: ObjectStore, oid: string, ancestor: string): Promise<boolean> {
  const seen = new Set<string>([oid]);
  const stack = [oid];
  while (stack.length > 0) {
    const cur = stack.pop() as string;
    const obj = await store.read(cur);
    if (!obj || obj.type !== 'commit') continue;
    for (const p of parseCommit(obj.content, cur).parents) {
      if (p === ancestor) return true;
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return false;
}

/** True when every commit in `from` has an ancestor (or itself) in `targets`. */
export async function allReach(store: ObjectStore, from: string[], targets: Set<string>): Promise<boolean> {
  for (const f of from) {
    if (targets.has(f)) continue;
    let found = false;
    for (const t of targets) {
      if (await reachesAncestor(store, f, t)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}
