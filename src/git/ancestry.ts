// Ancestry questions answered by walking parents through the fast object store. upload-pack asks
// them once per want and once per have, so the two it asks are memoised for the whole request:
// each commit is read at most once however many wants and haves a client sends.
import type { ObjectStore } from './object-store.js';
import { parseCommit } from './parse.js';

async function parentsOf(store: ObjectStore, oid: string): Promise<string[] | undefined> {
  const obj = await store.read(oid);
  return obj && obj.type === 'commit' ? parseCommit(obj.content, oid).parents : undefined;
}

/** True when `ancestor` is reachable from `oid` by following parents (strictly: not when equal). */
export async function reachesAncestor(store: ObjectStore, oid: string, ancestor: string): Promise<boolean> {
  return (await notInHistory(store, oid, [ancestor], false)).length === 0;
}

/**
 * Which of `oids` are not `tip` or one of its ancestors (`withTip`: the tip itself counts), found
 * by one walk from `tip` that stops as soon as every one has been seen.
 */
export async function notInHistory(store: ObjectStore, tip: string, oids: Iterable<string>, withTip = true): Promise<string[]> {
  const looking = new Set(oids);
  if (withTip) looking.delete(tip);
  const seen = new Set<string>([tip]);
  const stack = [tip];
  while (stack.length > 0 && looking.size > 0) {
    const cur = stack.pop() as string;
    for (const p of (await parentsOf(store, cur)) ?? []) {
      looking.delete(p);
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return [...looking];
}

/**
 * upload-pack's "ok to give up": does every want have a common commit (one the client said it
 * has) as ancestor or itself? Asked again each time the client names another common commit.
 *
 * The first question walks down from the wants, not past common commits, and remembers each
 * commit's children; a commit named common later is marked with everything above it through
 * those links. A commit is read once and marked once per request, so thousands of haves cost one
 * walk of the history, not one each. A common commit the walk never met cannot be below a want
 * still unmarked: that want's whole history was walked, since only marked commits stop it.
 */
export class CommonReach {
  private readonly targets = new Set<string>();
  private readonly fresh: string[] = [];
  /** Walked commits and their children among the walked ones; undefined until the first question. */
  private children: Map<string, string[]> | undefined;
  private readonly marked = new Set<string>();
  private readonly wants: string[];

  constructor(
    private readonly store: ObjectStore,
    wants: Iterable<string>,
  ) {
    this.wants = [...new Set(wants)];
  }

  /** The client has `oid` and so do we. */
  addCommon(oid: string): void {
    if (this.targets.has(oid)) return;
    this.targets.add(oid);
    this.fresh.push(oid);
  }

  async allReach(): Promise<boolean> {
    if (this.targets.size === 0) return false;
    if (!this.children) await this.walk();
    const children = this.children as Map<string, string[]>;
    for (const t of this.fresh.splice(0)) if (children.has(t)) this.mark(t, children);
    return this.wants.every((w) => this.marked.has(w));
  }

  private async walk(): Promise<void> {
    const children = new Map<string, string[]>();
    const stack: string[] = [];
    for (const w of this.wants) {
      if (!children.has(w)) {
        children.set(w, []);
        stack.push(w);
      }
    }
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      if (this.targets.has(cur)) continue;
      for (const p of (await parentsOf(this.store, cur)) ?? []) {
        const kids = children.get(p);
        if (kids) kids.push(cur);
        else {
          children.set(p, [cur]);
          stack.push(p);
        }
      }
    }
    this.children = children;
  }

  private mark(from: string, children: Map<string, string[]>): void {
    const stack = [from];
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      if (this.marked.has(cur)) continue;
      this.marked.add(cur);
      for (const k of children.get(cur) ?? []) stack.push(k);
    }
  }
}
