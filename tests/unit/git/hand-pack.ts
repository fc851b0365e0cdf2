// Hand-made packs and deltas for the tests that feed the indexer what no honest git writes:
// entries whose header says anything, deltas that announce any size, any object count.
import { sha1 } from '@noble/hashes/legacy.js';
import { deflate } from 'pako';
import { ofsBytes, writeEntryHeader } from '../../../src/git/pack-entry.js';
import { concatBytes } from '../../../src/utils/bytes.js';

export const BLOB = 3;
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

/** `body` followed by its SHA-1, as a pack ends. */
export function withTrailer(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 20);
  out.set(body);
  out.set(sha1(body), body.length);
  return out;
}

/** An entry whose header says `size` and whose zlib stream is `z` exactly as given. */
export function rawEntry(type: number, size: number, extra: Uint8Array, z: Uint8Array): Uint8Array {
  const head = new Uint8Array(10);
  const n = writeEntryHeader(type, size, head, 0);
  return concatBytes(head.subarray(0, n), extra, z);
}

/** An entry whose header says `size` and whose data is `data`, compressed. */
export function entry(type: number, size: number, extra: Uint8Array, data: Uint8Array): Uint8Array {
  return rawEntry(type, size, extra, deflate(data));
}

/** The 12-byte pack header claiming `count` objects. */
export function packHeader(count: number): Uint8Array {
  const header = new Uint8Array(12);
  header.set([0x50, 0x41, 0x43, 0x4b]);
  new DataView(header.buffer).setUint32(4, 2);
  new DataView(header.buffer).setUint32(8, count);
  return header;
}

/** A pack of `entries` after a header claiming `count` objects, with a matching trailer. */
export function handPack(entries: Uint8Array[], count = entries.length): Uint8Array {
  return withTrailer(concatBytes(packHeader(count), ...entries));
}

/** The distance an ofs-delta at `offset` records to reach a base at `baseOffset`. */
export function ofsTo(offset: number, baseOffset: number): Uint8Array {
  return ofsBytes(offset - baseOffset);
}

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * A delta of a `baseSize`-byte base announcing a `resultSize`-byte result, made of whole 64 KiB
 * copies from offset 0 (an instruction byte each: 0x80 means offset 0, length 0x10000), then one
 * copy of the rest. It really produces `resultSize` bytes when baseSize is at least 64 KiB.
 */
export function copyingDelta(baseSize: number, resultSize: number): Uint8Array {
  const ops: number[] = [];
  let left = resultSize;
  for (; left >= 0x10000; left -= 0x10000) ops.push(0x80);
  if (left > 0) ops.push(0x90 | (left > 0xff ? 0x20 : 0), left & 0xff, ...(left > 0xff ? [left >> 8] : []));
  return Uint8Array.from([...varint(baseSize), ...varint(resultSize), ...ops]);
}
