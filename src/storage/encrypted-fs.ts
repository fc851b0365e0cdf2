// The filesystem git uses (GitFs: lightning-fs or Node's fs), with everything under the vaults
// folder encrypted: each path component's name (cipher.ts: deterministic, so a path maps without a
// listing) and each file's contents (AES-GCM, fresh nonce, the file's path as associated data — a
// file copied or moved elsewhere by anyone but keynode fails to open). Git objects, packs, .idx
// files and refs are therefore ciphertext under names that reveal nothing, not even object ids.
// What stays visible: the shape of the tree (how many folders and files, and their sizes).
//
// Every write goes to a temporary name and is renamed into place, so a crash never leaves a torn
// file that would fail to open. rename() re-encrypts, because the path is part of the seal.
import { KeynodeError } from '../errors.js';
import { NAME_MARK, SEAL_OVERHEAD, type Cipher } from './cipher.js';
import type { GitFs } from './index.js';
import { randomHex, utf8 } from '../utils/bytes.js';

type Stat = Awaited<ReturnType<GitFs['promises']['stat']>>;

const TMP_PREFIX = '.tmp-';
/** How many mapped paths to remember before starting over. */
const PATH_CACHE_LIMIT = 100_000;

function wantsText(opts: unknown): boolean {
  return opts === 'utf8' || (typeof opts === 'object' && opts !== null && (opts as { encoding?: unknown }).encoding === 'utf8');
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
}

export class EncryptedFs implements GitFs {
  readonly atomicWrites = true;
  readonly promises: GitFs['promises'];
  /** logical path → stored path; cleared by forget(). */
  private readonly paths = new Map<string, string>();
  private readonly root: string;

  /** `cipher` throws ErrorKeynodeLocked while the keynode is locked. */
  constructor(
    private readonly raw: GitFs,
    root: string,
    private readonly cipher: () => Cipher,
  ) {
    this.root = root.replace(/\/+$/, '');
    const p = raw.promises;
    // Every method is async (isomorphic-git probes with readFile() and expects a promise), and
    // rmdir takes one argument so isomorphic-git removes folders one by one rather than assuming
    // a recursive rmdir.
    this.promises = {
      readFile: async (path: string, opts?: unknown) => {
        const stored = await this.stored(path);
        const sealed = await p.readFile(stored);
        // lightning-fs resolves a folder read to undefined; isomorphic-git expects that.
        if (sealed === undefined || sealed === null) return sealed as unknown as Uint8Array;
        const plain = await this.cipher().open(asBytes(sealed), fileAad(this.relative(path)), `a vault file, ${this.relative(path)}`);
        return wantsText(opts) ? utf8.decode(plain) : plain;
      },
      writeFile: async (path: string, data: Uint8Array | string) => {
        const stored = await this.stored(path);
        const bytes = typeof data === 'string' ? utf8.encode(data) : data;
        const sealed = await this.cipher().seal(bytes, fileAad(this.relative(path)));
        await this.replace(stored, sealed);
      },
      unlink: async (path: string) => p.unlink(await this.stored(path)),
      readdir: async (path: string) => {
        const names = (await p.readdir(await this.stored(path))) as string[];
        const folder = this.relative(path);
        const opened = await Promise.all(names.map((n) => (n.startsWith(NAME_MARK) ? this.cipher().openName(n, folder) : undefined)));
        // Anything that is not one of our names (a temporary file, a leftover) is not part of the vault.
        return opened.filter((n): n is string => n !== undefined);
      },
      mkdir: async (path: string) => {
        await p.mkdir(await this.stored(path));
      },
      rmdir: async (path: string) => {
        const stored = await this.stored(path);
        // A temporary file left by a crash mid-write is invisible to readdir: remove it here, or
        // the folder could never be removed.
        for (const n of (await p.readdir(stored).catch(() => [])) as string[]) {
          if (n.startsWith(TMP_PREFIX)) await p.unlink(`${stored}/${n}`).catch(() => undefined);
        }
        await p.rmdir(stored);
      },
      stat: async (path: string) => plainStat(await p.stat(await this.stored(path))),
      lstat: async (path: string) => plainStat(await p.lstat(await this.stored(path))),
      // isomorphic-git binds these too; vaults are bare repositories, which hold no links.
      readlink: async () => Promise.reject(noLinks()),
      symlink: async () => Promise.reject(noLinks()),
      rename: async (from: string, to: string) => {
        const data = (await this.promises.readFile(from)) as Uint8Array;
        await this.promises.writeFile(to, data);
        await this.promises.unlink(from);
      },
    };
  }

  /** Forgets every mapped path (the keynode is being locked). */
  forget(): void {
    this.paths.clear();
  }

  /** The stored path of a logical path under the root (which itself is stored as it is). */
  async stored(path: string): Promise<string> {
    if (typeof path !== 'string') throw enoent(String(path));
    if (this.isAncestor(path)) return path; // the folders the vaults folder is in (mkdir -p makes them)
    const rel = this.relative(path);
    if (rel === '') return this.root;
    const known = this.paths.get(rel);
    if (known !== undefined) return known;
    const slash = rel.lastIndexOf('/');
    const folder = slash === -1 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    const parent = folder === '' ? this.root : await this.stored(`${this.root}/${folder}`);
    const stored = `${parent}/${await this.cipher().sealName(name, folder)}`;
    if (this.paths.size >= PATH_CACHE_LIMIT) this.paths.clear();
    this.paths.set(rel, stored);
    return stored;
  }

  private isAncestor(path: string): boolean {
    const parts = path.split('/').filter((s) => s !== '' && s !== '.');
    const rootParts = this.root.split('/').filter((s) => s !== '');
    return parts.length < rootParts.length && parts.every((s, i) => rootParts[i] === s);
  }

  /** The path below the root, normalised ('' for the root itself). */
  relative(path: string): string {
    const parts = path.split('/').filter((s) => s !== '' && s !== '.');
    const rootParts = this.root.split('/').filter((s) => s !== '');
    const under = rootParts.every((s, i) => parts[i] === s);
    if (!under || parts.includes('..')) {
      throw new KeynodeError('ErrorInternal', 'A vault file outside the vaults folder was asked for; nothing is stored unencrypted.');
    }
    return parts.slice(rootParts.length).join('/');
  }

  /** Writes `sealed` at `stored` through a temporary name, so the file is whole or absent. */
  private async replace(stored: string, sealed: Uint8Array): Promise<void> {
    const p = this.raw.promises;
    if (p.rename === undefined) {
      await p.writeFile(stored, sealed);
      return;
    }
    const tmp = `${stored.slice(0, stored.lastIndexOf('/'))}/${TMP_PREFIX}${randomHex(6)}`;
    try {
      await p.writeFile(tmp, sealed);
      await p.rename.call(p, tmp, stored);
    } catch (e) {
      await p.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

export function noLinks(): Error {
  return Object.assign(new Error('Symbolic links are not stored in vaults.'), { code: 'ENOTSUP' });
}

function fileAad(relative: string): string {
  return `file\0${relative}`;
}

function asBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? utf8.encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A stat whose size is the plaintext's: what git and the vault code expect. */
function plainStat(s: Stat): Stat {
  const file = s.isFile();
  return {
    isFile: () => file,
    isDirectory: () => s.isDirectory(),
    isSymbolicLink: () => false,
    size: file ? Math.max(0, s.size - SEAL_OVERHEAD) : s.size,
  } as Stat;
}
