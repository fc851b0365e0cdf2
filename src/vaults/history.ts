// Vault history: parsing the refs `version` and `log` accept, the reachability rule for checking
// out old versions, and reading the log newest first.
import { KeynodeError } from '../errors.js';
import type { LogEntry } from '../types.js';
import { isReadableCommit, type Repo } from './git-repo.js';
import { isDescendent, readCommit } from './objects.js';

/** 'last' / 'HEAD' → master; otherwise a 40-hex commit id (any case), else ErrorVaultReferenceInvalid. */
export function parseRef(ref: unknown): 'last' | string {
  if (ref === 'last' || ref === 'HEAD') return 'last';
  if (typeof ref === 'string' && /^[0-9a-fA-F]{40}$/.test(ref)) return ref.toLowerCase();
  const shown = typeof ref === 'string' ? `"${ref.slice(0, 60)}"` : `a ${typeof ref}`;
  throw new KeynodeError('ErrorVaultReferenceInvalid', `${shown} is not a version: use "last" or a 40-character commit id.`);
}

/** Whether `commit` is master or one of its ancestors (the only versions that can be checked out). */
export async function isInHistory(repo: Repo, master: string, commit: string): Promise<boolean> {
  if (commit === master) return true;
  return (await isReadableCommit(repo, commit)) && isDescendent(repo, master, commit);
}

export function missingRef(ref: string): KeynodeError {
  return new KeynodeError('ErrorVaultReferenceMissing', `The version ${ref} is not in this vault's history.`);
}

/** Commits from `from` back along first parents, newest first; timestamps in milliseconds. */
export async function readLog(repo: Repo, from: string, limit: number | undefined): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let oid: string | undefined = from;
  while (oid !== undefined && (limit === undefined || out.length < limit)) {
    const commit = await readCommit(repo, oid);
    out.push({
      commitId: oid,
      parents: commit.parent,
      author: commit.author.name,
      timestamp: commit.author.timestamp * 1000,
      message: commit.message.replace(/\n+$/, ''),
    });
    oid = commit.parent[0];
  }
  return out;
}
