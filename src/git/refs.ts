// The one branch a vault has: read and move `master`, point HEAD at it. Wraps isomorphic-git's
// ref handling (loose refs and packed-refs) so its errors never reach a caller raw.
import * as git from 'isomorphic-git';
import { KeynodeError } from '../errors.js';
import { isOid } from './hex.js';
import type { GitRepo } from './types.js';

export const MASTER = 'refs/heads/master';

/** master's commit id, or undefined for a vault with no commit yet. */
export async function readMaster({ fs, gitdir }: GitRepo): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs, gitdir, ref: MASTER });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'NotFoundError') return undefined;
    throw new KeynodeError('ErrorStorageCorrupt', 'The vault branch could not be read.', { cause: e });
  }
}

/** Moves master to `oid` (the caller has checked it is a fast-forward) and keeps HEAD on master. */
export async function setMaster({ fs, gitdir }: GitRepo, oid: string): Promise<void> {
  if (!isOid(oid)) throw new KeynodeError('ErrorInvalidArgument', 'A commit id is 40 hexadecimal characters.');
  try {
    await git.writeRef({ fs, gitdir, ref: MASTER, value: oid, force: true });
    await git.writeRef({ fs, gitdir, ref: 'HEAD', value: MASTER, symbolic: true, force: true });
  } catch (e) {
    throw new KeynodeError('ErrorStorageCorrupt', 'The vault branch could not be moved.', { cause: e });
  }
}
