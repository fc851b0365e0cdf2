// Minimal parsers for the two object kinds a walk needs: a commit's tree, parents and time, and a
// tree's entries. Names stay byte-exact (latin1 strings) since they are only compared, never shown.
import { KeynodeError } from '../errors.js';
import { toHex } from '../utils/bytes.js';

export interface CommitInfo {
  tree: string;
  parents: string[];
  time: number; // committer time, seconds
}

const latin1 = new TextDecoder('latin1');

export function parseCommit(content: Uint8Array, oid: string): CommitInfo {
  const end = findHeaderEnd(content);
  const text = latin1.decode(content.subarray(0, end));
  let tree = '';
  const parents: string[] = [];
  let time = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5, 45);
    else if (line.startsWith('parent ')) parents.push(line.slice(7, 47));
    else if (line.startsWith('committer ')) {
      const m = /> (\d+) [+-]\d{4}$/.exec(line);
      if (m) time = Number(m[1]);
    }
  }
  if (tree.length !== 40) throw new KeynodeError('ErrorStorageCorrupt', `The commit ${oid} has no tree.`);
  return { tree, parents, time };
}

function findHeaderEnd(c: Uint8Array): number {
  for (let i = 0; i + 1 < c.length; i++) if (c[i] === 10 && c[i + 1] === 10) return i;
  return c.length;
}

export interface TreeEntry {
  name: string; // latin1 view of the raw name bytes
  oid: string;
  kind: 'tree' | 'blob' | 'commit';
}

/**
 * Calls `entry` for each entry of a tree with where its parts lie in `content`: the mode from
 * `modeAt`, the name from `nameAt` and the 20-byte id at `idAt` (each ends one byte before the
 * next starts). One parser for every reader of trees; a tree cut short is damage.
 */
export function forEachTreeEntry(content: Uint8Array, oid: string, entry: (modeAt: number, nameAt: number, idAt: number) => void): void {
  let p = 0;
  while (p < content.length) {
    const sp = content.indexOf(32, p);
    const nul = sp < 0 ? -1 : content.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > content.length) {
      throw new KeynodeError('ErrorStorageCorrupt', `The tree ${oid} is damaged.`, { data: { oid } });
    }
    entry(p, sp + 1, nul + 1);
    p = nul + 21;
  }
}

/** Modes: 40000 tree, 160000 gitlink (a commit of another repository), anything else a blob. */
export function entryKind(content: Uint8Array, modeAt: number, nameAt: number): TreeEntry['kind'] {
  const m0 = content[modeAt];
  return m0 === 52 /* '4' */ ? 'tree' : nameAt - modeAt === 7 && m0 === 49 && content[modeAt + 1] === 54 ? 'commit' : 'blob';
}

export function parseTree(content: Uint8Array, oid: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  forEachTreeEntry(content, oid, (modeAt, nameAt, idAt) => {
    out.push({ name: latin1.decode(content.subarray(nameAt, idAt - 1)), oid: toHex(content, idAt, idAt + 20), kind: entryKind(content, modeAt, nameAt) });
  });
  return out;
}
