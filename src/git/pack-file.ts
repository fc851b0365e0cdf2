// Reads one packfile with its .idx (version 2): find an object by id, read and resolve entries
// (including ofs/ref deltas), and describe raw entries so a pack writer can copy them unchanged.
import { KeynodeError } from '../errors.js';
import { applyDelta } from './delta.js';
import { toHex } from './hex.js';
import type { GitObject, ObjectType } from './types.js';
import { inflate } from './zlib.js';

export const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPE_NAMES: Array<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

/** One entry as stored: where its compressed data starts and ends, and what it is a delta of. */
export interface RawEntry {
  offset: number;
  typeCode: number; // 1-4, or 6/7 for deltas
  size: number; // inflated size (of the delta for delta entries)
  dataStart: number;
  end: number;
  baseOffset?: number; // ofs-delta
  baseOid?: string; // ref-delta
}

function corrupt(what: string): KeynodeError {
  return new KeynodeError('ErrorStorageCorrupt', `A stored git pack is damaged (${what}).`);
}

export class PackFile {
  readonly byOid = new Map<string, number>();
  private readonly oidAtOffset = new Map<number, string>();
  private readonly ends = new Map<number, number>();

  constructor(
    readonly name: string,
    readonly pack: Uint8Array,
    idx: Uint8Array,
  ) {
    const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
    if (idx.length < 8 + 1024 || dv.getUint32(0) !== 0xff744f63 || dv.getUint32(4) !== 2) throw corrupt('index version');
    const n = dv.getUint32(8 + 255 * 4);
    const oidsAt = 8 + 1024;
    const offsAt = oidsAt + n * 24;
    const bigAt = offsAt + n * 4;
    const offsets: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let off = dv.getUint32(offsAt + i * 4);
      if (off & 0x80000000) {
        const j = off & 0x7fffffff;
        off = dv.getUint32(bigAt + j * 8) * 2 ** 32 + dv.getUint32(bigAt + j * 8 + 4);
      }
      const oid = toHex(idx, oidsAt + i * 20, oidsAt + i * 20 + 20);
      offsets[i] = off;
      this.byOid.set(oid, off);
      this.oidAtOffset.set(off, oid);
    }
    offsets.sort((a, b) => a - b);
    for (let i = 0; i < n; i++) this.ends.set(offsets[i] as number, i + 1 < n ? (offsets[i + 1] as number) : pack.length - 20);
  }

  oidAt(offset: number): string | undefined {
    return this.oidAtOffset.get(offset);
  }

  entry(offset: number): RawEntry {
    const p = this.pack;
    let pos = offset;
    let c = p[pos++];
    if (c === undefined) throw corrupt('offset past the end');
    const typeCode = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = p[pos++] as number;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const end = this.ends.get(offset);
    if (end === undefined) throw corrupt('entry not in index');
    const e: RawEntry = { offset, typeCode, size, dataStart: pos, end };
    if (typeCode === OFS_DELTA) {
      c = p[pos++] as number;
      let rel = c & 0x7f;
      while (c & 0x80) {
        c = p[pos++] as number;
        rel = (rel + 1) * 128 + (c & 0x7f);
      }
      e.baseOffset = offset - rel;
      e.dataStart = pos;
    } else if (typeCode === REF_DELTA) {
      e.baseOid = toHex(p, pos, pos + 20);
      e.dataStart = pos + 20;
    } else if (TYPE_NAMES[typeCode] === undefined) {
      throw corrupt('unknown entry type');
    }
    return e;
  }

  inflateEntry(e: RawEntry): Uint8Array {
    const data = inflate(this.pack.subarray(e.dataStart, e.end), e.size);
    if (data.length !== e.size) throw corrupt('entry size');
    return data;
  }

  /**
   * Resolves the object at `offset`. `external` reads a ref-delta base that lives elsewhere
   * (thin packs kept by isomorphic-git); `cache` holds resolved bases by offset.
   */
  async read(
    offset: number,
    external: (oid: string) => Promise<GitObject | undefined>,
    cache: Map<number, GitObject>,
  ): Promise<GitObject> {
    const hit = cache.get(offset);
    if (hit) return hit;
    const e = this.entry(offset);
    const data = this.inflateEntry(e);
    let obj: GitObject;
    if (e.typeCode === OFS_DELTA || e.typeCode === REF_DELTA) {
      let base: GitObject | undefined;
      if (e.baseOffset !== undefined) base = await this.read(e.baseOffset, external, cache);
      else {
        const at = this.byOid.get(e.baseOid as string);
        base = at !== undefined ? await this.read(at, external, cache) : await external(e.baseOid as string);
      }
      if (!base) throw corrupt('missing delta base');
      obj = { type: base.type, content: applyDelta(base.content, data) };
    } else {
      obj = { type: TYPE_NAMES[e.typeCode] as ObjectType, content: data };
    }
    // Keep trees and commits (read again and again by walks) and delta bases, not big blobs.
    if (obj.type !== 'blob' || obj.content.length < 65536) cache.set(offset, obj);
    return obj;
  }
}
