// Writes loose git objects (blob, tree, commit) straight to the object store. isomorphic-git's
// writeBlob/writeTree/writeCommit each re-discover the gitdir and probe paths first (about seven file
// operations per object); a commit on a large vault is dominated by those round trips, so the write
// path serialises and stores objects itself: one existence check, then one write (plus a mkdir for a
// new fan-out folder). An existing object is never rewritten, so a live object is never torn; a torn
// new one is unreachable and swept by crash recovery.
import { deflate } from 'pako';
import type { TreeEntry } from './objects.js';
import type { Repo } from './git-repo.js';
import { objectId as writeObjectId } from '../git/object-id.js';
import { concatBytes, fromHex, toHex } from '../utils/bytes.js';
import { errno } from './fs-utils.js';

const encoder = new TextEncoder();

/** The object's id: SHA-1 of `<type> <size>\0<content>`. */
export function objectId(type: 'blob' | 'tree' | 'commit', content: Uint8Array): string {
  const id = new Uint8Array(20);
  writeObjectId(type, content, id, 0);
  return toHex(id);
}

export async function writeObject(repo: Repo, type: 'blob' | 'tree' | 'commit', content: Uint8Array): Promise<string> {
  const oid = objectId(type, content);
  const folder = `${repo.gitdir}/objects/${oid.slice(0, 2)}`;
  const file = `${folder}/${oid.slice(2)}`;
  try {
    await repo.fs.promises.lstat(file);
    return oid;
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  const data = deflate(concatBytes(encoder.encode(`${type} ${content.length}\0`), content));
  try {
    await repo.fs.promises.writeFile(file, data);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
    try {
      await repo.fs.promises.mkdir(folder);
    } catch (e2) {
      if (errno(e2) !== 'EEXIST') throw e2;
    }
    await repo.fs.promises.writeFile(file, data);
  }
  return oid;
}

/** Git's tree order: names compared bytewise, a folder as if its name ended in '/'. */
function treeKey(e: TreeEntry): Uint8Array {
  return encoder.encode(e.type === 'tree' ? `${e.path}/` : e.path);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function serializeTree(entries: TreeEntry[]): Uint8Array {
  const sorted = entries.map((e) => ({ e, key: treeKey(e) })).sort((x, y) => compareBytes(x.key, y.key));
  const parts: Uint8Array[] = [];
  for (const { e } of sorted) {
    // Git writes folder modes without the leading zero ('40000').
    const mode = e.mode.replace(/^0+/, '');
    parts.push(encoder.encode(`${mode} ${e.path}\0`), fromHex(e.oid));
  }
  return concatBytes(...parts);
}

export interface CommitFields {
  tree: string;
  parents: string[];
  /** Person line without the timestamp: `name <email>`. */
  person: string;
  /** Seconds since the epoch, UTC. */
  time: number;
  message: string;
}

export function serializeCommit(c: CommitFields): Uint8Array {
  let text = `tree ${c.tree}\n`;
  for (const p of c.parents) text += `parent ${p}\n`;
  text += `author ${c.person} ${c.time} +0000\ncommitter ${c.person} ${c.time} +0000\n\n${c.message}`;
  return encoder.encode(text);
}
