// Reading a vault's commits, trees and blobs through keynode's own object store (src/git), the one
// the git server already uses: packs indexed in memory, loose objects inflated directly, every
// object size-checked before it is inflated. isomorphic-git's readCommit/readTree/readBlob cost
// milliseconds a call and carried most of isomorphic-git (and Node's Buffer) into the service
// worker's bundle. The shapes follow isomorphic-git's, so the vault code reads the same.
import { KeynodeError } from '../errors.js';
import { reachesAncestor } from '../git/ancestry.js';
import { ObjectStore } from '../git/object-store.js';
import { forEachTreeEntry } from '../git/parse.js';
import type { Repo } from './git-repo.js';
import { toHex } from '../utils/bytes.js';

/** One entry of a tree, as isomorphic-git gives it (and object-writer.ts takes it). */
export interface TreeEntry {
  /** '040000' folder, '100644' file, '100755' executable, '120000' link, '160000' gitlink. */
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface CommitObject {
  tree: string;
  parent: string[];
  author: { name: string; email: string; timestamp: number };
  message: string;
}

const utf8 = new TextDecoder();

async function read(repo: Repo, oid: string, type: 'commit' | 'tree' | 'blob'): Promise<Uint8Array> {
  const store = await ObjectStore.open(repo);
  const obj = await store.mustRead(oid);
  // A commit stands for its tree where a tree is asked for (isomorphic-git peels it too).
  if (type === 'tree' && obj.type === 'commit') return read(repo, parseCommitObject(obj.content, oid).tree, 'tree');
  if (obj.type !== type) throw new KeynodeError('ErrorStorageCorrupt', `The git object ${oid} is a ${obj.type}, not a ${type}.`, { data: { oid } });
  return obj.content;
}

export function parseCommitObject(content: Uint8Array, oid: string): CommitObject {
  const text = utf8.decode(content);
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const commit: CommitObject = { tree: '', parent: [], author: { name: '', email: '', timestamp: 0 }, message: split < 0 ? '' : text.slice(split + 2) };
  for (const line of headers.split('\n')) {
    // Continuation lines (a signature's) start with a space and belong to the header above.
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parent.push(value);
    else if (key === 'author') {
      const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(value);
      if (m) commit.author = { name: m[1]!, email: m[2]!, timestamp: Number(m[3]) };
    }
  }
  if (!/^[0-9a-f]{40}$/.test(commit.tree) || commit.parent.some((p) => !/^[0-9a-f]{40}$/.test(p))) {
    throw new KeynodeError('ErrorStorageCorrupt', `The commit ${oid} is damaged.`, { data: { oid } });
  }
  return commit;
}

/** Git's modes as isomorphic-git spells them; anything else is a damaged tree. */
function normalMode(mode: string, oid: string): { mode: string; type: TreeEntry['type'] } {
  if (/^0?4/.test(mode)) return { mode: '040000', type: 'tree' };
  if (mode.startsWith('1006')) return { mode: '100644', type: 'blob' };
  if (mode.startsWith('1007')) return { mode: '100755', type: 'blob' };
  if (mode.startsWith('120')) return { mode: '120000', type: 'blob' };
  if (mode.startsWith('160')) return { mode: '160000', type: 'commit' };
  throw new KeynodeError('ErrorStorageCorrupt', `The tree ${oid} has an entry of unknown kind.`, { data: { oid } });
}

export function parseTreeObject(content: Uint8Array, oid: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  forEachTreeEntry(content, oid, (modeAt, nameAt, idAt) => {
    const { mode, type } = normalMode(utf8.decode(content.subarray(modeAt, nameAt - 1)), oid);
    entries.push({ mode, path: utf8.decode(content.subarray(nameAt, idAt - 1)), oid: toHex(content, idAt, idAt + 20), type });
  });
  // isomorphic-git hands entries sorted by name (as strings): keep that order for everything above.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function readCommit(repo: Repo, oid: string): Promise<CommitObject> {
  return parseCommitObject(await read(repo, oid, 'commit'), oid);
}

export async function readTree(repo: Repo, oid: string): Promise<TreeEntry[]> {
  return parseTreeObject(await read(repo, oid, 'tree'), oid);
}

export async function readBlob(repo: Repo, oid: string): Promise<Uint8Array> {
  // A copy: the store keeps what it read for the next reader.
  return (await read(repo, oid, 'blob')).slice();
}

/** True when `ancestor` is a strict ancestor of `oid`. */
export async function isDescendent(repo: Repo, oid: string, ancestor: string): Promise<boolean> {
  if (oid === ancestor) return false;
  return reachesAncestor(await ObjectStore.open(repo), oid, ancestor);
}
