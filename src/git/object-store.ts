// Fast object reads for the git server: packs are loaded whole and indexed in memory, loose
// objects are read and inflated directly. isomorphic-git's readObject costs milliseconds per
// call (perf-anchors.md), too slow for walking tens of thousands of objects.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { PackFile, type RawEntry } from './pack-file.js';
import type { GitObject, GitRepo, ObjectType } from './types.js';
import { inflate } from './zlib.js';

const decoder = new TextDecoder();
const MAX_CACHED = 50_000;

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
  ) {}

  /** Opens the store, reusing the one kept on `repo.cache` while the set of packs is unchanged. */
  static async open(repo: GitRepo): Promise<ObjectStore> {
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
    if (kept && kept.packKey === key) return kept;
    const packs: PackFile[] = [];
    for (const idxName of names) {
      const base = idxName.slice(0, -4);
      try {
        const [pack, idx] = await Promise.all([
          repo.fs.promises.readFile(`${dir}/${base}.pack`),
          repo.fs.promises.readFile(`${dir}/${idxName}`),
        ]);
        packs.push(new PackFile(base, asBytes(pack), asBytes(idx)));
      } catch (e) {
        // A pack being written right now has its .idx last; skip one whose pack is not there yet.
        if (!isMissing(e)) throw wrapFs(e);
      }
    }
    const store = new ObjectStore(repo, packs, key);
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
    const raw = inflate(file);
    const nul = raw.indexOf(0);
    const header = decoder.decode(raw.subarray(0, nul));
    const space = header.indexOf(' ');
    const type = header.slice(0, space) as ObjectType;
    const size = Number(header.slice(space + 1));
    if (nul < 0 || !['commit', 'tree', 'blob', 'tag'].includes(type) || size !== raw.length - nul - 1) {
      throw new KeynodeError('ErrorStorageCorrupt', `The stored git object ${oid} is damaged.`);
    }
    const obj: GitObject = { type, content: raw.subarray(nul + 1) };
    if (type !== 'blob') {
      if (this.looseCache.size > MAX_CACHED) this.looseCache.clear();
      this.looseCache.set(oid, obj);
    }
    return obj;
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
