// Shared shapes of the git layer: the fs isomorphic-git takes, and one repository handle.
import type { PromiseFsClient } from 'isomorphic-git';

/** The fs object isomorphic-git takes: Node's `fs` or a lightning-fs instance (both have `promises`). */
export type GitFs = PromiseFsClient & {
  /** Every writeFile leaves the file whole or untouched (the encrypted filesystem's do). */
  readonly atomicWrites?: boolean;
};

/** A bare repository. `cache` is isomorphic-git's cache object; ours piggybacks on it when given. */
export interface GitRepo {
  fs: GitFs;
  gitdir: string;
  cache?: object;
}

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  type: ObjectType;
  content: Uint8Array;
}
