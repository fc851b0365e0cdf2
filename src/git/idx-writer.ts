// Writes a version-2 pack index (.idx), the format both `git` and isomorphic-git read: magic and
// version, a 256-entry fanout, the sorted object ids, a CRC-32 per entry, 4-byte offsets (with the
// high bit pointing into a table of 8-byte offsets for entries past 2 GiB), the pack's checksum,
// and the SHA-1 of everything before it.
import { sha1 } from './sha1.js';
import { toHex } from '../utils/bytes.js';

export interface IdxEntries {
  count: number;
  oids: Uint8Array; // count × 20 bytes, in pack order
  offsets: Float64Array; // entry start in the pack
  crcs: Uint32Array; // CRC-32 of the raw entry (header + compressed data)
}

const BIG = 0x80000000;

/** Entry positions ordered by object id (bytewise, as git sorts them). */
function sortedOrder(oids: Uint8Array, count: number): Uint32Array {
  // Sorting on the first 4 bytes as one number settles almost every comparison at once.
  const dv = new DataView(oids.buffer, oids.byteOffset, oids.byteLength);
  const heads = new Uint32Array(count);
  for (let i = 0; i < count; i++) heads[i] = dv.getUint32(i * 20);
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => {
    const ha = heads[a] as number;
    const hb = heads[b] as number;
    if (ha !== hb) return ha < hb ? -1 : 1;
    for (let k = 4; k < 20; k++) {
      const d = (oids[a * 20 + k] as number) - (oids[b * 20 + k] as number);
      if (d !== 0) return d;
    }
    return a - b;
  });
  return Uint32Array.from(order);
}

export function writeIdx(e: IdxEntries, packChecksum: Uint8Array): Uint8Array {
  const n = e.count;
  const order = sortedOrder(e.oids, n);
  let bigCount = 0;
  for (let i = 0; i < n; i++) if ((e.offsets[i] as number) >= BIG) bigCount++;
  const size = 8 + 1024 + n * 20 + n * 4 + n * 4 + bigCount * 8 + 20 + 20;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xff744f63);
  dv.setUint32(4, 2);
  const counts = new Uint32Array(256);
  for (let i = 0; i < n; i++) counts[e.oids[i * 20] as number] = (counts[e.oids[i * 20] as number] as number) + 1;
  let running = 0;
  for (let b = 0; b < 256; b++) {
    running += counts[b] as number;
    dv.setUint32(8 + b * 4, running);
  }
  const oidsAt = 8 + 1024;
  const crcAt = oidsAt + n * 20;
  const offAt = crcAt + n * 4;
  const bigAt = offAt + n * 4;
  let big = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r] as number;
    out.set(e.oids.subarray(i * 20, i * 20 + 20), oidsAt + r * 20);
    dv.setUint32(crcAt + r * 4, e.crcs[i] as number);
    const off = e.offsets[i] as number;
    if (off < BIG) dv.setUint32(offAt + r * 4, off);
    else {
      dv.setUint32(offAt + r * 4, (BIG | big) >>> 0);
      dv.setUint32(bigAt + big * 8, Math.floor(off / 2 ** 32));
      dv.setUint32(bigAt + big * 8 + 4, off >>> 0);
      big++;
    }
  }
  const sumAt = bigAt + bigCount * 8;
  out.set(packChecksum, sumAt);
  out.set(sha1(out.subarray(0, sumAt + 20)), sumAt + 20);
  return out;
}

/** The first object id an index lists twice (its ids are sorted, so twins are neighbours), if any. */
export function firstDuplicateId(idx: Uint8Array): string | undefined {
  const count = new DataView(idx.buffer, idx.byteOffset, idx.byteLength).getUint32(8 + 255 * 4);
  const at = 8 + 1024;
  for (let r = 1; r < count; r++) {
    let k = 0;
    while (k < 20 && idx[at + r * 20 + k] === idx[at + (r - 1) * 20 + k]) k++;
    if (k === 20) return toHex(idx, at + r * 20, at + r * 20 + 20);
  }
  return undefined;
}
