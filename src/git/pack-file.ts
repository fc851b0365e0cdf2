// Reads one packfile with its .idx (version 2): find an object by id, read and resolve entries
// (including ofs/ref deltas), and describe raw entries so a pack writer can copy them unchanged.
// Our packs were checked against the budgets when they arrived (pack-indexer.ts); reads are
// bounded by the per-object cap all the same, so a damaged or hand-placed pack cannot make the
// server allocate what a header claims.
import { KeynodeError } from '../errors.js';
import { applyDelta } from './delta.js';
import { EntryInflater } from './entry-inflater.js';
import { checkObjectSize } from './limits.js';
import { OFS_DELTA, REF_DELTA, TYPE_NAMES, readEntryHeader, type EntryHeader } from './pack-entry.js';
import type { GitObject, ObjectType } from './types.js';
import { fromHex, toHex } from '../utils/bytes.js';

/** One entry as stored: where its compressed data starts and ends, and what it is a delta of. */
export interface RawEntry extends EntryHeader {
  offset: number;
  /** Where the next entry (or the trailer) starts. */
  end: number;
}

function corrupt(what: string): KeynodeError {
  return new KeynodeError('ErrorStorageCorrupt', `A stored git pack is damaged (${what}).`);
}

export class PackFile {
  // The .idx stays as bytes and is binary-searched: building maps of every object id cost more
  // than a small fetch itself on a 48k-object vault.
  private readonly dv: DataView;
  private readonly count: number;
  private readonly oidsAt = 8 + 1024;
  private readonly offsAt: number;
  private readonly bigAt: number;
  private readonly sortedOffsets: Float64Array;
  private byOffset: Uint32Array | undefined;

  /**
   * `maxObjectBytes` caps every object and delta read; `inflater` is shared by the packs of one
   * store (its calls are synchronous).
   */
  constructor(
    readonly name: string,
    readonly pack: Uint8Array,
    private readonly idx: Uint8Array,
    private readonly maxObjectBytes: number,
    private readonly inflater: EntryInflater = new EntryInflater(),
  ) {
    this.dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
    if (idx.length < 8 + 1024 || this.dv.getUint32(0) !== 0xff744f63 || this.dv.getUint32(4) !== 2) throw corrupt('index version');
    this.count = this.dv.getUint32(8 + 255 * 4);
    this.offsAt = this.oidsAt + this.count * 24;
    this.bigAt = this.offsAt + this.count * 4;
    if (idx.length < this.bigAt + 40) throw corrupt('index size');
    this.sortedOffsets = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) this.sortedOffsets[i] = this.offsetAt(i);
    this.sortedOffsets.sort();
  }

  private offsetAt(i: number): number {
    const off = this.dv.getUint32(this.offsAt + i * 4);
    if (!(off & 0x80000000)) return off;
    const j = off & 0x7fffffff;
    return this.dv.getUint32(this.bigAt + j * 8) * 2 ** 32 + this.dv.getUint32(this.bigAt + j * 8 + 4);
  }

  /** Number of objects in the pack. */
  get size(): number {
    return this.count;
  }

  /** Position in the index of the id held as 20 bytes at `at` in `key`, or -1. */
  position(key: Uint8Array, at = 0): number {
    const first = key[at] as number;
    let lo = first === 0 ? 0 : this.dv.getUint32(8 + (first - 1) * 4);
    let hi = this.dv.getUint32(8 + first * 4);
    const idx = this.idx;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const row = this.oidsAt + mid * 20;
      let cmp = 0;
      for (let k = 0; k < 20 && cmp === 0; k++) cmp = (idx[row + k] as number) - (key[at + k] as number);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** Pack offset of `oid`, or undefined when this pack does not hold it. */
  find(oid: string): number | undefined {
    const i = this.position(fromHex(oid));
    return i < 0 ? undefined : this.offsetAt(i);
  }

  /** The id at position `i` of the index. */
  idAt(i: number): string {
    return toHex(this.idx, this.oidsAt + i * 20, this.oidsAt + i * 20 + 20);
  }

  oidAt(offset: number): string | undefined {
    if (!this.byOffset) {
      const order = Array.from({ length: this.count }, (_, i) => i);
      const offs = order.map((i) => this.offsetAt(i));
      order.sort((a, b) => (offs[a] as number) - (offs[b] as number));
      this.byOffset = Uint32Array.from(order);
    }
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const i = this.byOffset[mid] as number;
      const off = this.offsetAt(i);
      if (off === offset) return this.idAt(i);
      if (off < offset) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  private endOf(offset: number): number | undefined {
    const so = this.sortedOffsets;
    let lo = 0;
    let hi = so.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = so[mid] as number;
      if (v === offset) return mid + 1 < so.length ? (so[mid + 1] as number) : this.pack.length - 20;
      if (v < offset) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  entry(offset: number): RawEntry {
    const end = this.endOf(offset);
    if (end === undefined) throw corrupt('entry not in index');
    // Filled in place rather than spread into a new object: the pack writer asks for every
    // entry of a clone, and the spread was the costliest step of locating one.
    const e = readEntryHeader(this.pack, offset, end, corrupt) as RawEntry;
    e.offset = offset;
    e.end = end;
    return e;
  }

  inflateEntry(e: RawEntry): Uint8Array {
    checkObjectSize('a stored object', e.size, this.maxObjectBytes);
    const got = this.inflater.inflate(this.pack, e.dataStart, e.end, e.size);
    if (!got) throw corrupt('entry size');
    return got.data;
  }

  /**
   * Resolves the object at `offset`. `external` reads a ref-delta base that lives elsewhere
   * (thin packs kept by isomorphic-git); `cache` holds resolved bases by offset. The delta chain
   * is followed in a loop, not by recursion, and an entry met twice on it is damage: a ref-delta
   * can name its own id (when the pack holds that object twice), which recursed without end.
   */
  async read(offset: number, external: (oid: string) => Promise<GitObject | undefined>, cache: Map<number, GitObject>): Promise<GitObject> {
    const chain: RawEntry[] = [];
    const onChain = new Set<number>();
    let obj: GitObject | undefined;
    let at = offset;
    for (;;) {
      obj = cache.get(at);
      if (obj) break;
      if (onChain.has(at)) throw corrupt('a delta chain comes back to itself');
      onChain.add(at);
      const e = this.entry(at);
      if (e.typeCode !== OFS_DELTA && e.typeCode !== REF_DELTA) {
        obj = this.keep(cache, at, { type: TYPE_NAMES[e.typeCode] as ObjectType, content: this.inflateEntry(e) });
        break;
      }
      chain.push(e);
      const next = e.baseOffset ?? this.find(e.baseOid as string);
      if (next === undefined) {
        obj = await external(e.baseOid as string);
        if (!obj) throw corrupt('missing delta base');
        break;
      }
      at = next;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const e = chain[i] as RawEntry;
      obj = this.keep(cache, e.offset, {
        type: obj.type,
        content: applyDelta(obj.content, this.inflateEntry(e), this.maxObjectBytes, (n) => this.inflater.alloc(n)),
      });
    }
    return obj;
  }

  /** Keeps trees and commits (read again and again by walks) and delta bases, not big blobs. */
  private keep(cache: Map<number, GitObject>, offset: number, obj: GitObject): GitObject {
    if (obj.type !== 'blob' || obj.content.length < 65536) cache.set(offset, obj);
    return obj;
  }
}
