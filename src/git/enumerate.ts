// Decides what a pack must carry: the commits reachable from the wants but not from the client's
// common haves, and — by a sparse tree diff along changed paths only — the trees and blobs those
// commits introduce. A one-secret pull on a 10,000-secret vault touches a handful of trees
// instead of the whole history (Polykey's B7 resent every tree and blob under new commits).
import { ObjectMarks, type ObjectStore } from './object-store.js';
import { entryKind, forEachTreeEntry, parseCommit, parseTree, type CommitInfo, type TreeEntry } from './parse.js';
import type { GitObject } from './types.js';
import { toHex } from '../utils/bytes.js';

/** How many trees a clone's walk reads at once. */
const READ_TOGETHER = 8;

export interface PackItem {
  oid: string;
  type: 'commit' | 'tree' | 'blob';
  /** An object of the same kind at the same path that the client already has: a thin-delta base. */
  clientBase?: string;
}

interface WalkNode {
  info: CommitInfo;
  uninteresting: boolean;
  done: boolean;
  /** Order of arrival, which breaks ties between equal commit times as a queue scan would. */
  seq: number;
}

/** Newest commit first, then first arrived: the order git's revision walk pops commits in. */
function before(a: WalkNode, b: WalkNode): boolean {
  return a.info.time > b.info.time || (a.info.time === b.info.time && a.seq < b.seq);
}

/** A binary heap of walk nodes: the walk pops and pushes once per commit, in log time each. */
class WalkQueue {
  private readonly heap: WalkNode[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(n: WalkNode): void {
    const h = this.heap;
    let i = h.push(n) - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!before(n, h[up] as WalkNode)) break;
      h[i] = h[up] as WalkNode;
      i = up;
    }
    h[i] = n;
  }
  pop(): WalkNode {
    const h = this.heap;
    const top = h[0] as WalkNode;
    const last = h.pop() as WalkNode;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && before(h[l + 1] as WalkNode, h[l] as WalkNode) ? l + 1 : l;
        if (!before(h[c] as WalkNode, last)) break;
        h[i] = h[c] as WalkNode;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/**
 * Commits the client lacks (newest first) and the boundary commits it has, by a date-ordered
 * walk that stops once every queued commit is one the client has. Each commit is read once, and
 * the count of interesting queued commits is kept as they change, so a request naming thousands
 * of haves costs a walk, not a walk times the queue's length.
 */
async function walkCommits(store: ObjectStore, wants: string[], haves: string[]): Promise<{ send: string[]; boundary: CommitInfo[] }> {
  const nodes = new Map<string, WalkNode>();
  const queue = new WalkQueue();
  let interestingQueued = 0;
  const load = async (oid: string, uninteresting: boolean): Promise<void> => {
    const seen = nodes.get(oid);
    if (seen) {
      if (uninteresting && !seen.uninteresting) {
        seen.uninteresting = true;
        if (!seen.done) interestingQueued--;
        // Already walked as interesting: push its parents again so they get marked too.
        else for (const p of seen.info.parents) await load(p, true);
      }
      return;
    }
    const obj = await store.read(oid);
    // The client may claim a commit whose ancestry we do not fully have; the walk just stops there.
    if (!obj || obj.type !== 'commit') return;
    const node = { info: parseCommit(obj.content, oid), uninteresting, done: false, seq: nodes.size };
    nodes.set(oid, node);
    queue.push(node);
    if (!uninteresting) interestingQueued++;
  };
  for (const h of haves) await load(h, true);
  for (const w of wants) await load(w, false);
  while (queue.size > 0 && interestingQueued > 0) {
    const node = queue.pop();
    node.done = true;
    if (!node.uninteresting) interestingQueued--;
    for (const p of node.info.parents) await load(p, node.uninteresting);
  }
  // The loop stops only when every queued commit is uninteresting, so each interesting commit
  // was popped and its parents loaded.
  const send: string[] = [];
  const boundary: CommitInfo[] = [];
  for (const [oid, node] of nodes) {
    if (node.uninteresting) boundary.push(node.info);
    else send.push(oid);
  }
  return { send, boundary };
}

/** Everything to pack for `wants`, given the commits the client said it has and we have too. */
export async function enumerateObjects(store: ObjectStore, wants: string[], commonHaves: string[]): Promise<PackItem[]> {
  const { send, boundary } = await walkCommits(store, wants, commonHaves);
  const items: PackItem[] = [];
  const sent = new Set<string>();
  const roots: string[] = [];
  for (const oid of send) {
    items.push({ oid, type: 'commit' });
    sent.add(oid);
    const c = await store.mustRead(oid, 'commit');
    roots.push(parseCommit(c.content, oid).tree);
  }
  if (boundary.length === 0) await walkAll(store, unique(roots), items);
  else await diffTrees(store, unique(roots), unique(boundary.map((b) => b.tree)), items, sent);
  return items;
}

/**
 * Every tree and blob under `roots`, each once: a clone has nothing to diff against, so one walk
 * that remembers what it met is all it takes, and ObjectMarks keeps remembering cheap.
 */
async function walkAll(store: ObjectStore, roots: string[], items: PackItem[]): Promise<void> {
  const marks = new ObjectMarks(store.packs);
  const trees = roots.filter((t) => marks.add(t));
  while (trees.length > 0) {
    // A few trees at a time: loose ones are files, and their reads overlap.
    const batch = trees.splice(-READ_TOGETHER);
    const read = await Promise.all(batch.map((t) => store.mustRead(t, 'tree')));
    for (const [k, t] of batch.entries()) {
      items.push({ oid: t, type: 'tree' });
      const content = (read[k] as GitObject).content;
      forEachTreeEntry(content, t, (modeAt, nameAt, idAt) => {
        const kind = entryKind(content, modeAt, nameAt);
        if (kind === 'commit' || !marks.add(content, idAt)) return;
        const oid = toHex(content, idAt, idAt + 20);
        if (kind === 'tree') trees.push(oid);
        else items.push({ oid, type: 'blob' });
      });
    }
  }
}

function unique(a: string[]): string[] {
  return [...new Set(a)];
}

interface Group {
  trees: Set<string>;
  blobs: Set<string>;
  oldTrees: Set<string>;
  oldBlobs: Set<string>;
}

/**
 * Sparse diff: `fresh` are the versions of one path in the new commits, `old` the versions the
 * client has. Descends only into paths where some fresh version differs from every old one.
 */
async function diffTrees(store: ObjectStore, fresh: string[], old: string[], items: PackItem[], sent: Set<string>): Promise<void> {
  const oldSet = new Set(old);
  const todo = fresh.filter((t) => !oldSet.has(t) && !sent.has(t));
  if (todo.length === 0) return;
  for (const t of todo) {
    sent.add(t);
    items.push(old[0] ? { oid: t, type: 'tree', clientBase: old[0] } : { oid: t, type: 'tree' });
  }
  const groups = new Map<string, Group>();
  const group = (name: string): Group => {
    let g = groups.get(name);
    if (!g) {
      g = { trees: new Set(), blobs: new Set(), oldTrees: new Set(), oldBlobs: new Set() };
      groups.set(name, g);
    }
    return g;
  };
  const entries = async (t: string): Promise<TreeEntry[]> => parseTree((await store.mustRead(t, 'tree')).content, t);
  for (const t of todo) {
    for (const e of await entries(t)) {
      if (e.kind === 'tree') group(e.name).trees.add(e.oid);
      else if (e.kind === 'blob') group(e.name).blobs.add(e.oid);
    }
  }
  for (const t of old) {
    // An old tree we cannot read (the client claimed a commit we only partly have) adds nothing.
    const obj = await store.read(t);
    if (!obj || obj.type !== 'tree') continue;
    for (const e of parseTree(obj.content, t)) {
      const g = groups.get(e.name);
      if (!g) continue;
      if (e.kind === 'tree') g.oldTrees.add(e.oid);
      else if (e.kind === 'blob') g.oldBlobs.add(e.oid);
    }
  }
  for (const g of groups.values()) {
    const oldBlob = g.oldBlobs.values().next().value;
    for (const b of g.blobs) {
      if (g.oldBlobs.has(b) || sent.has(b)) continue;
      sent.add(b);
      items.push(oldBlob ? { oid: b, type: 'blob', clientBase: oldBlob } : { oid: b, type: 'blob' });
    }
    if (g.trees.size) await diffTrees(store, [...g.trees], [...g.oldTrees], items, sent);
  }
}
