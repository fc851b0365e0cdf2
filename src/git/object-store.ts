// Fast object reads for the git server: packs are loaded whole and indexed in memory, loose
// objects are read and inflated directly. isomorphic-git's readObject costs milliseconds per
// call (docs/measurements.md §9.4), too slow for walking tens of thousands of objects. Every read is
// bounded by the per-object cap (limits.ts): a loose object's header is read first and its size
// checked before the rest is inflated, into exactly that many bytes.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { EntryInflater } from './entry-inflater.js';
import { DEFAULT_PACK_LIMITS, checkObjectSize } from './limits.js';
import { PackFile, type RawEntry } from './pack-file.js';
import type { GitObject, GitRepo, ObjectType } from './types.js';
import { fromHex, toHex } from '../utils/bytes.js';

const decoder = new TextDecoder();
const MAX_CACHED = 50_000;
/** "commit " and 16 digits and a NUL fit; a loose object whose header is longer is not one. */
const LOOSE_HEADER_MAX = 32;
const LOOSE_HEADER = /^(commit|tree|blob|tag) (0|[1-9][0-9]{0,15})$/;

function asBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new KeynodeError('ErrorStorageCorrupt', 'The file system returned text where bytes were expected.');
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Where a packed object lives, for copying its entry into a new pack. */
export interface PackedLocation {
  pack: PackFile;
  entry: RawEntry;
}

export class ObjectStore {
  private readonly caches = new Map<PackFile, Map<number, GitObject>>();
  private readonly looseCache = new Map<string, GitObject>();

  private constructor(
    private readonly repo: GitRepo,
    readonly packs: PackFile[],
    readonly packKey: string,
    private readonly maxObjectBytes: number,
    private readonly inflater: EntryInflater,
  ) {}

  /**
   * Opens the store, reusing the one kept on `repo.cache` while the set of packs (and the cap)
   * is unchanged. `maxObjectBytes` caps every object read (DEFAULT_PACK_LIMITS by default).
   */
  static async open(repo: GitRepo, maxObjectBytes = DEFAULT_PACK_LIMITS.maxObjectBytes): Promise<ObjectStore> {
    const dir = `${repo.gitdir}/objects/pack`;
    let names: string[] = [];
    try {
      names = ((await repo.fs.promises.readdir(dir)) as string[]).filter((n) => n.endsWith('.idx')).sort();
    } catch (e) {
      if (!isMissing(e)) throw wrapFs(e);
    }
    const key = names.join(',');
    const holder = repo.cache ? storesOn(repo.cache) : undefined;
    const kept = holder?.get(repo.gitdir);
    if (kept && kept.packKey === key && kept.maxObjectBytes === maxObjectBytes) return kept;
    const inflater = new EntryInflater();
    const packs: PackFile[] = [];
    for (const idxName of names) {
      const base = idxName.slice(0, -4);
      try {
        const [pack, idx] = await Promise.all([repo.fs.promises.readFile(`${dir}/${base}.pack`), repo.fs.promises.readFile(`${dir}/${idxName}`)]);
        packs.push(new PackFile(base, asBytes(pack), asBytes(idx), maxObjectBytes, inflater));
      } catch (e) {
        // A pack being written right now has its .idx last; skip one whose pack is not there yet.
        if (!isMissing(e)) throw wrapFs(e);
      }
    }
    const store = new ObjectStore(repo, packs, key, maxObjectBytes, inflater);
    holder?.set(repo.gitdir, store);
    return store;
  }

  locate(oid: string): PackedLocation | undefined {
    for (const pack of this.packs) {
      const off = pack.find(oid);
      if (off !== undefined) return { pack, entry: pack.entry(off) };
    }
    return undefined;
  }

  private cacheFor(pack: PackFile): Map<number, GitObject> {
    let c = this.caches.get(pack);
    if (!c || c.size > MAX_CACHED) {
      c = new Map();
      this.caches.set(pack, c);
    }
    return c;
  }

  /** The object, or undefined when this repository does not have it. */
  async read(oid: string): Promise<GitObject | undefined> {
    for (const pack of this.packs) {
      const off = pack.find(oid);
      if (off !== undefined) return pack.read(off, (o) => this.read(o), this.cacheFor(pack));
    }
    const hit = this.looseCache.get(oid);
    if (hit) return hit;
    let file: Uint8Array;
    try {
      file = asBytes(await this.repo.fs.promises.readFile(`${this.repo.gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw wrapFs(e);
    }
    const obj = this.inflateLoose(oid, file);
    if (obj.type !== 'blob') {
      if (this.looseCache.size > MAX_CACHED) this.looseCache.clear();
      this.looseCache.set(oid, obj);
    }
    return obj;
  }

  /** A loose object's type and content; its header's size is checked before the rest is inflated. */
  private inflateLoose(oid: string, file: Uint8Array): GitObject {
    const damaged = (): KeynodeError => new KeynodeError('ErrorStorageCorrupt', `The stored git object ${oid} is damaged.`);
    let type: ObjectType = 'blob';
    let start = 0;
    const got = this.inflater.inflateSized(file, 0, file.length, LOOSE_HEADER_MAX, (prefix) => {
      const nul = prefix.indexOf(0);
      const m = nul < 0 ? null : LOOSE_HEADER.exec(decoder.decode(prefix.subarray(0, nul)));
      if (!m) throw damaged();
      const size = Number(m[2]);
      checkObjectSize('a stored object', size, this.maxObjectBytes);
      type = m[1] as ObjectType;
      start = nul + 1;
      return start + size;
    });
    if (!got) throw damaged();
    return { type, content: got.data.subarray(start) };
  }

  async mustRead(oid: string, type?: ObjectType): Promise<GitObject> {
    const obj = await this.read(oid);
    if (!obj) throw new KeynodeError('ErrorStorageCorrupt', `The git object ${oid} is missing from the vault.`, { data: { oid } });
    if (type && obj.type !== type) throw new KeynodeError('ErrorStorageCorrupt', `The git object ${oid} is a ${obj.type}, not a ${type}.`, { data: { oid } });
    return obj;
  }

  async has(oid: string): Promise<boolean> {
    for (const pack of this.packs) if (pack.find(oid) !== undefined) return true;
    if (this.looseCache.has(oid)) return true;
    try {
      await this.repo.fs.promises.stat(`${this.repo.gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`);
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw wrapFs(e);
    }
  }
}

/**
 * A set of object ids for one walk that keeps each packed object as one byte at its place in its
 * pack's index: a clone's walk of a large vault meets 340,000 tree entries, and a hex string and
 * a set entry for each was most of its time. Ids in no pack (loose objects) are kept as hex.
 */
export class ObjectMarks {
  private readonly marked: Uint8Array[];
  private readonly loose = new Set<string>();

  constructor(private readonly packs: PackFile[]) {
    this.marked = packs.map((p) => new Uint8Array(p.size));
  }

  /** Adds the id given as hex or as the 20 bytes at `at` in `id`; false when it was there already. */
  add(id: Uint8Array | string, at = 0): boolean {
    const key = typeof id === 'string' ? fromHex(id) : id;
    for (let k = 0; k < this.packs.length; k++) {
      const i = (this.packs[k] as PackFile).position(key, at);
      if (i < 0) continue;
      const marked = this.marked[k] as Uint8Array;
      if (marked[i]) return false;
      marked[i] = 1;
      return true;
    }
    const hex = toHex(key, at, at + 20);
    if (this.loose.has(hex)) return false;
    this.loose.add(hex);
    return true;
  }

  /** Whether each object of the k-th pack was added, by its place in that pack's index (1 or 0). */
  inPack(k: number): Uint8Array {
    return this.marked[k] as Uint8Array;
  }

  /** The ids added that are in no pack. */
  get looseIds(): ReadonlySet<string> {
    return this.loose;
  }
}

const storeHolders = new WeakMap<object, Map<string, ObjectStore>>();
function storesOn(cache: object): Map<string, ObjectStore> {
  let m = storeHolders.get(cache);
  if (!m) {
    m = new Map();
    storeHolders.set(cache, m);
  }
  return m;
}

function wrapFs(e: unknown): KeynodeError {
  // The storage's own errors (a locked keynode, a record that failed its integrity check) say more.
  if (isKeynodeError(e)) return e;
  return new KeynodeError('ErrorStorageCorrupt', 'The vault storage could not be read.', { cause: e });
}
