// Git's delta format (used by ofs-delta / ref-delta pack entries): apply a delta to a base, and
// make one. The maker is deliberately simple — copy the common prefix and suffix, insert the
// middle — because vault changes are tree entries and secrets replaced in place, for which that
// is already the minimal delta, and it costs no hashing.
import { KeynodeError } from '../errors.js';

function readVarint(d: Uint8Array, pos: { p: number }): number {
  let result = 0;
  let shift = 0;
  let c: number;
  do {
    c = d[pos.p++] as number;
    result += (c & 0x7f) * 2 ** shift;
    shift += 7;
  } while (c & 0x80);
  return result;
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  const pos = { p: 0 };
  const baseSize = readVarint(delta, pos);
  const size = readVarint(delta, pos);
  if (baseSize !== base.length) throw new KeynodeError('ErrorStorageCorrupt', 'A git delta does not fit its base object.');
  const out = new Uint8Array(size);
  let o = 0;
  let p = pos.p;
  while (p < delta.length) {
    const op = delta[p++] as number;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      if (op & 0x01) off |= delta[p++] as number;
      if (op & 0x02) off |= (delta[p++] as number) << 8;
      if (op & 0x04) off |= (delta[p++] as number) << 16;
      if (op & 0x08) off += (delta[p++] as number) * 0x1000000;
      if (op & 0x10) len |= delta[p++] as number;
      if (op & 0x20) len |= (delta[p++] as number) << 8;
      if (op & 0x40) len |= (delta[p++] as number) << 16;
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > size) throw new KeynodeError('ErrorStorageCorrupt', 'A git delta copies outside its base.');
      out.set(base.subarray(off, off + len), o);
      o += len;
    } else if (op > 0) {
      if (p + op > delta.length || o + op > size) throw new KeynodeError('ErrorStorageCorrupt', 'A git delta is truncated.');
      out.set(delta.subarray(p, p + op), o);
      o += op;
      p += op;
    } else {
      throw new KeynodeError('ErrorStorageCorrupt', 'A git delta has an invalid instruction.');
    }
  }
  if (o !== size) throw new KeynodeError('ErrorStorageCorrupt', 'A git delta produced the wrong size.');
  return out;
}

/** A byte writer sized up front: deltas of multi-megabyte secrets must not go through JS arrays. */
class Out {
  readonly buf: Uint8Array;
  n = 0;
  constructor(max: number) {
    this.buf = new Uint8Array(max);
  }
  byte(b: number): void {
    this.buf[this.n++] = b;
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  copy(off: number, len: number): void {
    while (len > 0) {
      const n = Math.min(len, 0xffff);
      const at = this.n++;
      let op = 0x80;
      for (let i = 0; i < 4; i++) {
        const b = Math.floor(off / 2 ** (8 * i)) & 0xff;
        if (b) {
          op |= 1 << i;
          this.byte(b);
        }
      }
      for (let i = 0; i < 2; i++) {
        const b = (n >> (8 * i)) & 0xff;
        if (b) {
          op |= 0x10 << i;
          this.byte(b);
        }
      }
      this.buf[at] = op;
      off += n;
      len -= n;
    }
  }
  insert(data: Uint8Array, from: number, to: number): void {
    for (let p = from; p < to; p += 127) {
      const n = Math.min(127, to - p);
      this.byte(n);
      this.buf.set(data.subarray(p, p + n), this.n);
      this.n += n;
    }
  }
}

/** A delta turning `base` into `target`; callers compare its size against the object's own. */
export function createDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  const max = Math.min(base.length, target.length);
  let prefix = 0;
  while (prefix < max && base[prefix] === target[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    base[base.length - 1 - suffix] === target[target.length - 1 - suffix]
  ) suffix++;
  // Copies shorter than a few bytes cost more than inserting the bytes.
  if (prefix < 8) prefix = 0;
  if (suffix < 8) suffix = 0;
  const middle = target.length - suffix - prefix;
  const copies = 2 * (Math.ceil(target.length / 0xffff) + 2);
  const out = new Out(20 + copies * 7 + middle + Math.ceil(middle / 127));
  out.varint(base.length);
  out.varint(target.length);
  if (prefix) out.copy(0, prefix);
  out.insert(target, prefix, target.length - suffix);
  if (suffix) out.copy(base.length - suffix, suffix);
  return out.buf.slice(0, out.n);
}
