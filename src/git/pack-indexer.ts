// Indexes a received pack in memory, as `git index-pack --fix-thin` does: checks the trailer,
// inflates every entry (finding where each zlib stream ends), resolves ofs- and ref-deltas,
// hashes every object synchronously, appends the bases a thin pack left out (read from our own
// objects) so the stored pack is complete, and writes a v2 .idx. Anything that does not add up
// (truncated data, wrong object count, bad checksum, a delta against a missing base, a size that
// lies) is ErrorGitPackInvalid, thrown before a single byte is written anywhere.
//
// Memory is bounded by the budgets of limits.ts, checked before each allocation: an entry's
// announced size against the per-object cap and the pack's budget before it is inflated (and it
// is never inflated past that size), a delta's announced result size — read from the delta's
// first bytes in the same pass — against both before any delta is applied, and against its
// base's real size where the base is already known. A pack over a budget is ErrorGitPackTooLarge.
import { sha1 } from '@noble/hashes/legacy.js';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { bytesEqual } from '../keys/crypto.js';
import { crc32 } from './crc32.js';
import { applyDelta, readDeltaHeader } from './delta.js';
import { EntryInflater } from './entry-inflater.js';
import { fromHex, toHex } from './hex.js';
import { firstDuplicateId, writeIdx } from './idx-writer.js';
import { ENTRY_OVERHEAD_BYTES, InflateBudget, checkObjectSize, packLimits, type PackLimits } from './limits.js';
import { objectId } from './object-id.js';
import { OFS_DELTA, REF_DELTA, TYPE_CODES, TYPE_NAMES, entryHeader, readEntryHeader } from './pack-entry.js';
import type { GitObject, ObjectType } from './types.js';
import { deflate } from './zlib.js';

const UNRESOLVED = 0;

export interface IndexPackOptions {
  /** Reads an object we already have: the base of a thin pack's ref-delta. */
  readBase?: (oid: string) => Promise<GitObject | undefined>;
  /** Budgets; DEFAULT_PACK_LIMITS (limits.ts) for whatever is not given. */
  limits?: Partial<PackLimits>;
}

export interface IndexedPack {
  /** The pack to store: the one received, or it with missing thin-pack bases appended. */
  pack: Uint8Array;
  idx: Uint8Array;
  /** Hex SHA-1 trailer of `pack`, which names the files (pack-<checksum>.pack). */
  checksum: string;
  /** Number of objects in `pack`. */
  count: number;
  /** Bases appended from our own objects (non-zero only for thin packs). */
  appended: number;
  /** What the pack cost against maxPackInflatedBytes. */
  inflatedBytes: number;
  /** Object ids in the pack, for checking that what we asked for arrived. */
  has(oid: string): boolean;
}

export function invalid(why: string, cause?: unknown): KeynodeError {
  return new KeynodeError(
    'ErrorGitPackInvalid',
    `The vault data from the other keynode is not a valid git pack (${why}).`,
    cause === undefined ? undefined : { cause },
  );
}

class Entries {
  readonly offsets: Float64Array;
  readonly crcs: Uint32Array;
  readonly oids: Uint8Array;
  readonly types: Uint8Array; // resolved type code (1-4), UNRESOLVED until known
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

export async function indexPack(received: Uint8Array, opts: IndexPackOptions = {}): Promise<IndexedPack> {
  const limits = packLimits(opts.limits);
  const maxObject = limits.maxObjectBytes;
  const budget = new InflateBudget(limits);
  if (received.length < 32) throw invalid('too short');
  if (received[0] !== 0x50 || received[1] !== 0x41 || received[2] !== 0x43 || received[3] !== 0x4b) throw invalid('no PACK signature');
  const dv = new DataView(received.buffer, received.byteOffset, received.byteLength);
  const version = dv.getUint32(4);
  if (version !== 2 && version !== 3) throw invalid(`version ${version}`);
  const declared = dv.getUint32(8);
  const bodyEnd = received.length - 20;
  if (!bytesEqual(sha1(received.subarray(0, bodyEnd)), received.subarray(bodyEnd))) throw invalid('checksum mismatch');
  // Every entry takes at least 2 bytes (header + a zlib stream); a count beyond that is a lie.
  if (declared > (bodyEnd - 12) / 2) throw invalid('object count larger than the pack');
  // The per-entry tables are sized from the count, so the count is paid for before they exist.
  budget.take(declared * ENTRY_OVERHEAD_BYTES);

  // Room for thin-pack bases appended later is added on demand by growing a copy.
  let es = new Entries(declared);
  const refChildren = new Map<string, number[]>();
  const inflater = new EntryInflater();
  let pos = 12;
  for (let i = 0; i < declared; i++) {
    if (pos >= bodyEnd) throw invalid(`it ends after ${i} of ${declared} objects`);
    const start = pos;
    const head = readEntryHeader(received, start, bodyEnd, invalid);
    const isDelta = head.typeCode === OFS_DELTA || head.typeCode === REF_DELTA;
    checkObjectSize(isDelta ? 'a delta' : 'an object', head.size, maxObject);
    budget.take(head.size);
    let base = -1;
    if (head.baseOffset !== undefined) {
      base = entryAt(es.offsets, i, head.baseOffset);
      if (base < 0) throw invalid('a delta points at no entry');
      es.nextSibling[i] = es.firstChild[base] as number;
      es.firstChild[base] = i;
    } else if (head.baseOid !== undefined) {
      let kids = refChildren.get(head.baseOid);
      if (!kids) refChildren.set(head.baseOid, (kids = []));
      kids.push(i);
    } else {
      es.types[i] = head.typeCode;
    }
    const got = inflater.inflate(received, head.dataStart, bodyEnd, head.size);
    if (!got) throw invalid('an entry does not decompress to its recorded size');
    es.sizes[i] = head.size;
    if (isDelta) {
      // The result is paid for now, before any delta is applied: a few bytes of delta can
      // announce gigabytes.
      const sizes = readDeltaHeader(got.data);
      if (!sizes) throw invalid('a delta has an unreadable header');
      if (base >= 0 && sizes.baseSize !== es.sizes[base]) throw invalid('a delta does not fit its base');
      checkObjectSize("a delta's result", sizes.resultSize, maxObject);
      budget.take(sizes.resultSize);
      es.sizes[i] = sizes.resultSize;
    }
    pos = got.end;
    es.offsets[i] = start;
    es.crcs[i] = crc32(received, start, pos);
    es.data[i] = got.data;
    es.count = i + 1;
  }
  if (pos !== bodyEnd) throw invalid('data after the last object');

  const setOid = (i: number, type: ObjectType, content: Uint8Array): void => {
    objectId(type, content, es.oids, i * 20);
    es.done[i] = 1;
    if (refChildren.size > 0) es.hex[i] = toHex(es.oids, i * 20, i * 20 + 20);
  };
  const applyTo = (j: number, k: number, stack: number[]): void => {
    let out: Uint8Array;
    try {
      out = applyDelta(es.data[j] as Uint8Array, es.data[k] as Uint8Array, maxObject);
    } catch (e) {
      if (isKeynodeError(e, 'ErrorGitPackTooLarge')) throw e;
      throw invalid('a delta does not apply to its base', e);
    }
    const type = es.types[j] as number;
    es.types[k] = type;
    es.data[k] = out;
    setOid(k, TYPE_NAMES[type] as ObjectType, out);
    stack.push(k);
  };
  const resolveFrom = (root: number): void => {
    const stack = [root];
    while (stack.length > 0) {
      const j = stack.pop() as number;
      for (let k = es.firstChild[j] as number; k >= 0; k = es.nextSibling[k] as number) applyTo(j, k, stack);
      const hex = es.hex[j];
      if (hex !== undefined) {
        const kids = refChildren.get(hex);
        refChildren.delete(hex);
        if (kids) for (const k of kids) applyTo(j, k, stack);
      }
      // Its deltas are resolved; the content is not needed again.
      es.data[j] = undefined;
    }
  };

  for (let i = 0; i < es.count; i++) {
    const t = es.types[i] as number;
    if (t === UNRESOLVED || es.done[i]) continue;
    setOid(i, TYPE_NAMES[t] as ObjectType, es.data[i] as Uint8Array);
    resolveFrom(i);
  }

  // Ref-deltas still waiting name bases the pack left out: a thin pack's deltas against objects
  // we already hold. Append those bases to the pack so it stands on its own, as git does. A base
  // we do not hold may still be in the pack, as a delta on another thin base: it is passed over
  // until a round appends nothing more.
  const appendedParts: Uint8Array[] = [];
  let appendAt = bodyEnd;
  const append = (baseOid: string, base: GitObject): void => {
    // Our own object, already in memory, and its compressed copy that joins the pack.
    budget.take(ENTRY_OVERHEAD_BYTES + 2 * base.content.length);
    const body = deflate(base.content);
    const head = entryHeader(TYPE_CODES[base.type], base.content.length);
    const entry = new Uint8Array(head.length + body.length);
    entry.set(head);
    entry.set(body, head.length);
    if (es.count === es.offsets.length) es = grow(es);
    const i = es.count++;
    es.offsets[i] = appendAt;
    es.crcs[i] = crc32(entry);
    es.types[i] = TYPE_CODES[base.type];
    es.sizes[i] = base.content.length;
    es.data[i] = base.content;
    setOid(i, base.type, base.content);
    if (toHex(es.oids, i * 20, i * 20 + 20) !== baseOid) throw invalid(`our copy of ${baseOid} does not match its id`);
    appendedParts.push(entry);
    appendAt += entry.length;
    resolveFrom(i);
  };
  const notHere = new Set<string>();
  for (let appended = true; appended;) {
    appended = false;
    for (const baseOid of [...refChildren.keys()]) {
      if (!refChildren.has(baseOid) || notHere.has(baseOid)) continue;
      const base = opts.readBase ? await opts.readBase(baseOid) : undefined;
      if (base) append(baseOid, base);
      else notHere.add(baseOid);
      appended ||= base !== undefined;
    }
  }
  const missing = refChildren.keys().next();
  if (!missing.done) throw invalid(`a delta's base ${missing.value} is neither in the pack nor here`);
  for (let i = 0; i < es.count; i++) if (!es.done[i]) throw invalid('a delta could not be resolved');

  let pack = received;
  let checksum = received.subarray(bodyEnd);
  if (appendedParts.length > 0) {
    pack = new Uint8Array(appendAt + 20);
    pack.set(received.subarray(0, bodyEnd));
    let at = bodyEnd;
    for (const part of appendedParts) {
      pack.set(part, at);
      at += part.length;
    }
    new DataView(pack.buffer).setUint32(8, es.count);
    checksum = sha1(pack.subarray(0, appendAt));
    pack.set(checksum, appendAt);
  }
  const final = es;
  const idx = writeIdx({ count: es.count, oids: es.oids, offsets: es.offsets, crcs: es.crcs }, checksum);
  // git writes no pack with an object twice (its --strict index-pack refuses one), and a ref-delta
  // to its own id, resolved here through the twin, would be a loop for a reader that finds it.
  const twice = firstDuplicateId(idx);
  if (twice !== undefined) throw invalid(`the object ${twice} appears twice in it`);
  return {
    pack,
    idx,
    checksum: toHex(checksum),
    count: es.count,
    appended: appendedParts.length,
    inflatedBytes: budget.used,
    has: (oid) => {
      const want = fromHex(oid);
      for (let i = 0; i < final.count; i++) {
        let k = 0;
        while (k < 20 && final.oids[i * 20 + k] === want[k]) k++;
        if (k === 20) return true;
      }
      return false;
    },
  };
}

/** The entry starting at `offset` among the first `count` (offsets ascend), or -1. */
function entryAt(offsets: Float64Array, count: number, offset: number): number {
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

function grow(es: Entries): Entries {
  const n = new Entries(Math.max(16, es.offsets.length * 2));
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
