// The indexer's per-entry tables (pack-indexer.ts): typed arrays indexed by entry number rather
// than an object per entry, since a clone of a large vault has tens of thousands of entries and
// the bookkeeping is budgeted per entry (limits.ts, ENTRY_OVERHEAD_BYTES).

export class Entries {
  readonly offsets: Float64Array;
  readonly crcs: Uint32Array;
  readonly oids: Uint8Array;
  readonly types: Uint8Array; // resolved type code (1-4), 0 until known
  readonly sizes: Float64Array; // the object's size: inflated, or a delta's announced result
  readonly data: Array<Uint8Array | undefined>; // inflated delta, or object content until no longer needed
  readonly hex: string[]; // filled only where a ref-delta needs a lookup by id
  readonly done: Uint8Array; // 1 once the object id is known
  // ofs-delta children of each entry as linked lists (no array per base).
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.offsets = new Float64Array(capacity);
    this.crcs = new Uint32Array(capacity);
    this.oids = new Uint8Array(capacity * 20);
    this.types = new Uint8Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.data = new Array<Uint8Array | undefined>(capacity);
    this.hex = new Array<string>(capacity);
    this.done = new Uint8Array(capacity);
    this.firstChild = new Int32Array(capacity).fill(-1);
    this.nextSibling = new Int32Array(capacity).fill(-1);
  }
}

/** The entry starting at `offset` among the first `count` (offsets ascend), or -1. */
export function entryAt(offsets: Float64Array, count: number, offset: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = offsets[mid] as number;
    if (v === offset) return mid;
    if (v < offset) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** A copy of `es` with room for twice as many entries (at most `cap`, the pack's count). */
export function grow(es: Entries, cap: number): Entries {
  const n = new Entries(Math.min(cap, Math.max(1024, es.offsets.length * 2)));
  n.offsets.set(es.offsets);
  n.crcs.set(es.crcs);
  n.oids.set(es.oids);
  n.types.set(es.types);
  n.sizes.set(es.sizes);
  for (let i = 0; i < es.count; i++) {
    n.data[i] = es.data[i];
    n.hex[i] = es.hex[i] as string;
  }
  n.done.set(es.done);
  n.firstChild.set(es.firstChild);
  n.nextSibling.set(es.nextSibling);
  n.count = es.count;
  return n;
}
