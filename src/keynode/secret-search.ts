// secrets.find: the secrets of a vault whose path holds every word of the query (case-insensitive),
// best first — the name itself before a folder on the way to it, a name that starts with the word
// before one that only contains it, then shorter paths, then path order. Only paths are searched,
// never values. The paths come from the vault index (vault-index.ts), walked once per version.
import { KeynodeError } from '../errors.js';
import type { VaultId } from '../ids/index.js';
import type { VaultIndex } from './vault-index.js';

export interface FindResult {
  /** The best matches, at most `limit`. */
  paths: string[];
  /** How many secrets match in all. */
  total: number;
}

const MAX_QUERY = 1024;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

export function checkFindArgs(query: unknown, opts: { limit?: unknown } | undefined): { terms: string[]; limit: number } {
  if (typeof query !== 'string' || query.length > MAX_QUERY) {
    throw new KeynodeError('ErrorInvalidArgument', `A search is text of at most ${MAX_QUERY} characters.`);
  }
  const limit = opts?.limit ?? DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new KeynodeError('ErrorInvalidArgument', `The search limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return {
    terms: query
      .toLowerCase()
      .split(/\s+/)
      .filter((t) => t !== ''),
    limit,
  };
}

/** How well `path` (lower case) matches: higher is better; -1 when a term is missing. */
function score(path: string, terms: string[]): number {
  const nameAt = path.lastIndexOf('/') + 1;
  let total = 0;
  for (const term of terms) {
    const inName = path.indexOf(term, nameAt);
    if (inName >= 0) total += inName === nameAt ? 3 : 2;
    else if (path.includes(term)) total += 1;
    else return -1;
  }
  return total;
}

export async function findSecrets(index: VaultIndex, vaultId: VaultId, query: unknown, opts?: { limit?: unknown }): Promise<FindResult> {
  const { terms, limit } = checkFindArgs(query, opts);
  const { blobs } = await index.checkedOut(vaultId);
  const hits: Array<{ path: string; score: number }> = [];
  for (const { path } of blobs) {
    const s = terms.length === 0 ? 0 : score(path.toLowerCase(), terms);
    if (s >= 0) hits.push({ path, score: s });
  }
  hits.sort((a, b) => b.score - a.score || a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { paths: hits.slice(0, limit).map((h) => h.path), total: hits.length };
}
