// Whole-folder operations on the GitFs (Node fs or lightning-fs, which has no recursive rmdir/mkdir
// and no copy): removing a vault's repository, copying one for a fork, making the vaults root.
import type { GitFs } from '../storage/index.js';

export function errno(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

export async function exists(fs: GitFs, path: string): Promise<boolean> {
  try {
    await fs.promises.lstat(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
    throw e;
  }
}

/** mkdir -p: creates each missing folder along `path`. */
export async function mkdirp(fs: GitFs, path: string): Promise<void> {
  let current: string | undefined = path.startsWith('/') ? '' : undefined;
  for (const part of path.split('/').filter((p) => p !== '')) {
    current = current === undefined ? part : `${current}/${part}`;
    try {
      await fs.promises.mkdir(current);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
  }
}

/** rm -rf: removes `path` and everything under it; a missing path is not an error. */
export async function removeTree(fs: GitFs, path: string): Promise<void> {
  let stat;
  try {
    stat = await fs.promises.lstat(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  if (stat.isDirectory()) {
    for (const name of await fs.promises.readdir(path)) await removeTree(fs, `${path}/${name}`);
    await fs.promises.rmdir(path);
  } else {
    await fs.promises.unlink(path);
  }
}

/** cp -r: copies the folder `from` to the new folder `to`, byte for byte. */
export async function copyTree(fs: GitFs, from: string, to: string): Promise<void> {
  const stat = await fs.promises.lstat(from);
  if (stat.isDirectory()) {
    await fs.promises.mkdir(to);
    for (const name of await fs.promises.readdir(from)) await copyTree(fs, `${from}/${name}`, `${to}/${name}`);
  } else {
    await fs.promises.writeFile(to, await fs.promises.readFile(from));
  }
}
