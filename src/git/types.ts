// Shared shapes of the git layer: the filesystem a repository lives on, and one repository handle.
import type { GitFs } from '../storage/index.js';

/** Node's `fs` or a lightning-fs instance (both have `promises`), as the storage layer opens it. */
export type { GitFs };

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
