// Git's delta format (used by ofs-delta / ref-delta pack entries): apply a delta to a base, and
// make one. The maker is deliberately simple — copy the common prefix and suffix, insert the
// middle — because vault changes are tree entries and secrets replaced in place, for which that
// is already the minimal delta, and it costs no hashing.
import { KeynodeError } from '../errors.js';
import { DEFAULT_PACK_LIMITS, objectTooLarge } from './limits.js';

function corrupt(what: string): KeynodeError {
  return new KeynodeError('ErrorStorageCorrupt', `A git delta ${what}.`);
}

/** The two sizes a delta starts with, and where its instructions begin. */
export interface DeltaHeader {
  baseSize: number;
  resultSize: number;
  start: number;
}

/** Reads a size varint; undefined when it runs past the end or past what a double holds exactly. */
function readVarint(d: Uint8Array, pos: { p: number }): number | undefined {
  let result = 0;
  let shift = 0;
  let c: number;
  do {
    if (pos.p >= d.length || shift > 49) return undefined;
    c = d[pos.p++] as number;
    result += (c & 0x7f) * 2 ** shift;
    shift += 7;
  } while (c & 0x80);
  return result;
}

/**
 * The base and result sizes a delta announces, read without applying it: the indexer checks them
 * against the base and the budgets before any result is allocated. Undefined when unreadable.
 */
export function readDeltaHeader(delta: Uint8Array): DeltaHeader | undefined {
  const pos = { p: 0 };
  const baseSize = readVarint(delta, pos);
  const resultSize = readVarint(delta, pos);
  if (baseSize === undefined || resultSize === undefined) return undefined;
  return { baseSize, resultSize, start: pos.p };
}

/**
 * Applies `delta` to `base`. The result is allocated only after its announced size has been
 * checked against the base and against `maxResult`, so no input makes it allocate more than that;
 * every refusal is a KeynodeError (ErrorStorageCorrupt for a malformed delta, ErrorGitPackTooLarge
 * for one whose result is over the cap).
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  maxResult: number = DEFAULT_PACK_LIMITS.maxObjectBytes,
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const head = readDeltaHeader(delta);
  if (!head) throw corrupt('has an unreadable header');
  if (head.baseSize !== base.length) throw corrupt('does not fit its base object');
  const size = head.resultSize;
  if (size > maxResult) throw objectTooLarge("a delta's result", size, maxResult);
  const out = alloc(size);
  let o = 0;
  let p = head.start;
  while (p < delta.length) {
    const op = delta[p++] as number;
    if (op & 0x80) {
      // One byte follows for each of the seven low bits that is set.
      let need = 0;
      for (let b = op & 0x7f; b; b >>= 1) need += b & 1;
      if (p + need > delta.length) throw corrupt('is truncated');
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
      if (off + len > base.length || o + len > size) throw corrupt('copies outside its base');
      out.set(base.subarray(off, off + len), o);
      o += len;
    } else if (op > 0) {
      if (p + op > delta.length || o + op > size) throw corrupt('is truncated');
      out.set(delta.subarray(p, p + op), o);
      o += op;
      p += op;
    } else {
      throw corrupt('has an invalid instruction');
    }
  }
  if (o !== size) throw corrupt('produced the wrong size');
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
  while (suffix < max - prefix && base[base.length - 1 - suffix] === target[target.length - 1 - suffix]) suffix++;
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
