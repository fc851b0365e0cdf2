// The object list of a whole-history pack, kept beside the packs: a clone of an unchanged master
// after a restart (a service worker stops 30 s after its last event, and the kept pack in memory
// with it) skips the walk of every commit's trees. A packed object is one bit at its place in its
// pack's index, so a 48,508-object vault's list is a few KiB; loose objects are listed by id.
// A list is only used for the same wants over the same set of packs, and a file that does not
// parse exactly, or whose count of ids is off, is ignored (the walk runs again): a torn or stale
// list costs time, never a wrong pack. Objects are named by their content, so the closure of a commit never changes.
import { ObjectMarks, type ObjectStore } from './object-store.js';
import { isOid } from './object-id.js';
import type { GitRepo } from './types.js';
import { fromHex, toHex } from '../utils/bytes.js';

const FILE = 'keynode-clone-list';
const MAGIC = 'keynode-clone-list 1';

/** The ids of the pack for `wants` (sorted, comma-joined), or undefined when no valid list is kept. */
export async function readCloneList(repo: GitRepo, store: ObjectStore, wants: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = (await repo.fs.promises.readFile(`${repo.gitdir}/${FILE}`, 'utf8')) as string;
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  // The last line counts the ids: a list cut short at a line's end is not taken as a shorter list.
  const end = lines.length === 0 || lines.pop() !== '' ? undefined : /^end (0|[1-9][0-9]{0,8})$/.exec(lines.pop() ?? '');
  if (!end || lines[0] !== MAGIC || lines[1] !== `want ${wants}` || lines[2] !== `packs ${store.packKey}`) return undefined;
  const oids: string[] = [];
  let packs = 0;
  for (const line of lines.slice(3)) {
    const [kind, name, bits, extra] = line.split(' ');
    const pack = store.packs[packs];
    if (kind === 'pack' && pack !== undefined && name === pack.name && bits !== undefined && extra === undefined) {
      if (bits.length !== 2 * Math.ceil(pack.size / 8) || !/^[0-9a-f]*$/.test(bits)) return undefined;
      const marked = fromHex(bits);
      for (let i = 0; i < pack.size; i++) if ((marked[i >> 3] as number) & (1 << (i & 7))) oids.push(pack.idAt(i));
      packs++;
    } else if (kind === 'loose' && name !== undefined && isOid(name) && bits === undefined) oids.push(name);
    else return undefined;
  }
  return packs === store.packs.length && oids.length === Number(end[1]) ? oids : undefined;
}

/** Keeps the list of `oids`, the objects of the pack for `wants`; a list that cannot be written is only a lost shortcut. */
export async function writeCloneList(repo: GitRepo, store: ObjectStore, wants: string, oids: string[]): Promise<void> {
  const marks = new ObjectMarks(store.packs);
  for (const oid of oids) marks.add(oid);
  const packs = store.packs.map((p, k) => {
    const bits = new Uint8Array(Math.ceil(p.size / 8));
    marks.inPack(k).forEach((m, i) => (bits[i >> 3] = (bits[i >> 3] as number) | (m << (i & 7))));
    return `pack ${p.name} ${toHex(bits)}\n`;
  });
  const loose = [...marks.looseIds].map((oid) => `loose ${oid}\n`);
  const text = `${MAGIC}\nwant ${wants}\npacks ${store.packKey}\n${packs.join('')}${loose.join('')}end ${oids.length}\n`;
  try {
    await repo.fs.promises.writeFile(`${repo.gitdir}/${FILE}`, text, 'utf8');
  } catch {
    // Nothing depends on it: the next clone walks the trees, as this one did.
  }
}
