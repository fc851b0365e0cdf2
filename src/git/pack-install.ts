// Stores an indexed pack in a repository so nothing half-written can pass for a pack: both files
// go to temporary names (tmp_pack_*, which git and our ObjectStore ignore), then the .pack and,
// last, the .idx are renamed into place — readers only look at packs that have an .idx.
import { KeynodeError } from '../errors.js';
import type { IndexedPack } from './pack-indexer.js';
import type { GitRepo } from './types.js';

interface RenamingFs {
  rename(from: string, to: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
}

export async function installPack(repo: GitRepo, indexed: IndexedPack): Promise<string> {
  const fsp = repo.fs.promises as unknown as RenamingFs;
  const dir = `${repo.gitdir}/objects/pack`;
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const tmpPack = `${dir}/tmp_pack_${tag}`;
  const tmpIdx = `${dir}/tmp_idx_${tag}`;
  const name = `${dir}/pack-${indexed.checksum}`;
  try {
    await fsp.mkdir(`${repo.gitdir}/objects`).catch(() => undefined);
    await fsp.mkdir(dir).catch(() => undefined);
    if (repo.fs.atomicWrites === true) {
      // Each write is whole or absent already (the encrypted filesystem), and a rename there
      // re-encrypts the whole pack: write in place, the .idx last, as the renames would.
      await fsp.writeFile(`${name}.pack`, indexed.pack);
      await fsp.writeFile(`${name}.idx`, indexed.idx);
      return name;
    }
    await fsp.writeFile(tmpPack, indexed.pack);
    await fsp.writeFile(tmpIdx, indexed.idx);
    await fsp.rename(tmpPack, `${name}.pack`);
    await fsp.rename(tmpIdx, `${name}.idx`);
  } catch (e) {
    for (const f of [tmpPack, tmpIdx]) await fsp.unlink(f).catch(() => undefined);
    throw new KeynodeError('ErrorStorageCorrupt', 'The vault data could not be saved.', { cause: e });
  }
  return name;
}
