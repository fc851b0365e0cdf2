// The one branch a vault has: read and move `master`, point HEAD at it, and lay out a new bare
// repository. Plain files, as git keeps them: a loose ref is `<oid>\n`, and a repository cloned or
// repacked by git may hold master only in packed-refs. Errors never reach a caller raw.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { isOid } from './object-id.js';
import type { GitRepo } from './types.js';

export const MASTER = 'refs/heads/master';

function errno(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

function isMissing(e: unknown): boolean {
  return errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR';
}

/** A file's text, or undefined when it does not exist. */
async function readText({ fs, gitdir }: GitRepo, name: string): Promise<string | undefined> {
  try {
    return String(await fs.promises.readFile(`${gitdir}/${name}`, 'utf8'));
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** master's commit id, or undefined for a vault with no commit yet. */
export async function readMaster(repo: GitRepo): Promise<string | undefined> {
  try {
    const loose = await readText(repo, MASTER);
    if (loose !== undefined) {
      const oid = loose.trim();
      if (!isOid(oid)) throw new KeynodeError('ErrorStorageCorrupt', 'The vault branch is damaged.');
      return oid;
    }
    for (const line of (await readText(repo, 'packed-refs'))?.split('\n') ?? []) {
      const [oid, ref] = line.trim().split(' ');
      if (ref === MASTER && oid !== undefined && isOid(oid)) return oid;
    }
    return undefined;
  } catch (e) {
    // A locked keynode or a record that failed its integrity check says more than "unreadable".
    if (isKeynodeError(e)) throw e;
    throw new KeynodeError('ErrorStorageCorrupt', 'The vault branch could not be read.', { cause: e });
  }
}

/**
 * Moves master in one atomic step in a repository laid out already (every vault write ends here):
 * the new value is written to a side file and renamed over the ref, so a crash leaves the old or
 * the new value, never a torn one (a plain write truncates first). The encrypted filesystem writes
 * every file whole or not at all (and its rename re-encrypts), so there one write is the step; a
 * filesystem without rename gets a plain write.
 */
export async function writeMaster({ fs, gitdir }: GitRepo, oid: string): Promise<void> {
  const ref = `${gitdir}/${MASTER}`;
  const rename = fs.promises.rename;
  if (fs.atomicWrites === true || rename === undefined) {
    await fs.promises.writeFile(ref, `${oid}\n`, 'utf8');
    return;
  }
  await fs.promises.writeFile(`${ref}.lock`, `${oid}\n`, 'utf8');
  await rename.call(fs.promises, `${ref}.lock`, ref);
}

/** Moves master to `oid` (the caller has checked it is a fast-forward) and keeps HEAD on master. */
export async function setMaster(repo: GitRepo, oid: string): Promise<void> {
  if (!isOid(oid)) throw new KeynodeError('ErrorInvalidArgument', 'A commit id is 40 hexadecimal characters.');
  try {
    await makeFolders(repo, ['refs/heads']);
    await writeMaster(repo, oid);
    await repo.fs.promises.writeFile(`${repo.gitdir}/HEAD`, `ref: ${MASTER}\n`, 'utf8');
  } catch (e) {
    if (isKeynodeError(e)) throw e;
    throw new KeynodeError('ErrorStorageCorrupt', 'The vault branch could not be moved.', { cause: e });
  }
}

/** Each folder (relative to gitdir), with gitdir and any missing parent along the way. */
async function makeFolders({ fs, gitdir }: GitRepo, folders: string[]): Promise<void> {
  const made = new Set<string>();
  for (const folder of folders) {
    const parts = `${gitdir}/${folder}`.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (path === '' || made.has(path)) continue;
      made.add(path);
      try {
        await fs.promises.mkdir(path);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
    }
  }
}

/**
 * Lays out an empty bare repository on master, as `git init --bare` (and isomorphic-git's init)
 * does; a repository that already has a config is left as it is.
 */
export async function initRepository(repo: GitRepo): Promise<void> {
  const { fs, gitdir } = repo;
  try {
    if ((await readText(repo, 'config')) !== undefined) return;
    await makeFolders(repo, ['hooks', 'info', 'objects/info', 'objects/pack', 'refs/heads', 'refs/tags']);
    const config = '[core]\n\trepositoryformatversion = 0\n\tfilemode = false\n\tbare = true\n\tsymlinks = false\n\tignorecase = true\n';
    await fs.promises.writeFile(`${gitdir}/config`, config, 'utf8');
    await fs.promises.writeFile(`${gitdir}/HEAD`, `ref: ${MASTER}\n`, 'utf8');
  } catch (e) {
    if (isKeynodeError(e)) throw e;
    throw new KeynodeError('ErrorStorageCorrupt', 'A new vault repository could not be created.', { cause: e });
  }
}
