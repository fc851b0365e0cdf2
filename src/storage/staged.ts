// What a transaction sees in the stores that keep their records in memory (the file log, the
// encrypted store): the committed records with the transaction's own staged writes on top, in
// key order (code-unit order, as IndexedDB compares strings).
import type { RangeOptions } from './kv.js';

/** A staged delete. */
export const DELETED = Symbol('deleted');

export function stagedRange(
  committed: ReadonlyMap<string, unknown> | undefined,
  staged: ReadonlyMap<string, unknown> | undefined,
  range: RangeOptions | undefined,
): Array<[string, unknown]> {
  const merged = new Map(committed);
  for (const [k, v] of staged ?? []) {
    if (v === DELETED) merged.delete(k);
    else merged.set(k, v);
  }
  let keys = [...merged.keys()].filter(
    (k) =>
      (range?.prefix === undefined || k.startsWith(range.prefix)) && (range?.gte === undefined || k >= range.gte) && (range?.lt === undefined || k < range.lt),
  );
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (range?.reverse) keys.reverse();
  if (range?.limit !== undefined) keys = keys.slice(0, Math.max(0, range.limit));
  return keys.map((k) => [k, merged.get(k)]);
}
