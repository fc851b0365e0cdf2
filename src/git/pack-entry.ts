// The pack entry header, one codec for the pack reader (pack-file.ts), writer (pack-writer.ts)
// and indexer (pack-indexer.ts): the type and the inflated size as a little-endian varint, then,
// for an ofs-delta, how far back its base starts (git's offset encoding) and, for a ref-delta,
// its base's 20-byte id. The reader never reads past `end` and refuses sizes and offsets no
// pack can hold, so a header can only ever announce a number; checking it is the caller's job.
import type { KeynodeError } from '../errors.js';
import type { ObjectType } from './types.js';
import { toHex } from '../utils/bytes.js';

export const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const TYPE_NAMES: Array<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface EntryHeader {
  typeCode: number; // 1-4, or OFS_DELTA / REF_DELTA
  /** Inflated size announced by the header (of the delta itself for delta entries). */
  size: number;
  /** Where the zlib stream starts. */
  dataStart: number;
  /** ofs-delta: the base entry's offset (before this entry, never negative). */
  baseOffset?: number;
  /** ref-delta: the base's id. */
  baseOid?: string;
}

/**
 * Reads the header of the entry at `offset`; `fail(why)` makes the error to throw (packs from a
 * peer and packs on disk are refused with different codes).
 */
export function readEntryHeader(bytes: Uint8Array, offset: number, end: number, fail: (why: string) => KeynodeError): EntryHeader {
  let pos = offset;
  if (pos >= end) throw fail('an entry starts past the end');
  let c = bytes[pos++] as number;
  const typeCode = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    // 7 more bytes make 53 bits, all a double holds exactly; no pack comes near that.
    if (pos >= end || shift > 49) throw fail('bad entry header');
    c = bytes[pos++] as number;
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OFS_DELTA) {
    if (pos >= end) throw fail('bad delta header');
    c = bytes[pos++] as number;
    let rel = c & 0x7f;
    while (c & 0x80) {
      if (pos >= end || rel > 2 ** 45) throw fail('bad delta offset');
      c = bytes[pos++] as number;
      rel = (rel + 1) * 128 + (c & 0x7f);
    }
    if (rel === 0 || rel > offset) throw fail('a delta points outside the pack');
    return { typeCode, size, dataStart: pos, baseOffset: offset - rel };
  }
  if (typeCode === REF_DELTA) {
    if (pos + 20 > end) throw fail('bad delta header');
    return { typeCode, size, dataStart: pos + 20, baseOid: toHex(bytes, pos, pos + 20) };
  }
  if (TYPE_NAMES[typeCode] === undefined) throw fail(`unknown entry type ${typeCode}`);
  return { typeCode, size, dataStart: pos };
}

/** Writes an entry header into `out` at `at` (room for 10 bytes); returns the index after it. */
export function writeEntryHeader(typeCode: number, size: number, out: Uint8Array, at: number): number {
  let c = (typeCode << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out[at++] = c | 0x80;
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  out[at++] = c;
  return at;
}

/** An entry header as its own bytes. */
export function entryHeader(typeCode: number, size: number): Uint8Array {
  const buf = new Uint8Array(10);
  return buf.subarray(0, writeEntryHeader(typeCode, size, buf, 0));
}

/** The ofs-delta distance `rel` in git's offset encoding (big-endian, each continuation minus one). */
export function ofsBytes(rel: number): Uint8Array {
  const tmp: number[] = [rel & 0x7f];
  rel = Math.floor(rel / 128);
  while (rel > 0) {
    rel -= 1;
    tmp.unshift(0x80 | (rel & 0x7f));
    rel = Math.floor(rel / 128);
  }
  return Uint8Array.from(tmp);
}
