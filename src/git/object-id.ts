// Git object ids (SHA-1 of "<type> <size>\0" + content) computed in one synchronous pass with
// no allocation per object: indexing a 48k-object clone hashes 48k mostly tiny objects, and a
// general-purpose hasher's per-call setup (buffers, views, header concatenation) cost more than
// the hashing itself.
const W = new Int32Array(80);
const KEEP = 1 << 20;
let scratch = new Uint8Array(4096);

/** Writes the 20-byte id of a `type` object with `content` into `out` at `at`. */
export function objectId(type: string, content: Uint8Array, out: Uint8Array, at: number): void {
  const header = `${type} ${content.length}\0`;
  const total = header.length + content.length;
  const padded = (((total + 8) >>> 6) + 1) << 6;
  let buf = scratch;
  if (padded > buf.length) {
    buf = new Uint8Array(padded);
    if (padded <= KEEP) scratch = buf;
  }
  for (let i = 0; i < header.length; i++) buf[i] = header.charCodeAt(i);
  buf.set(content, header.length);
  buf[total] = 0x80;
  buf.fill(0, total + 1, padded - 8);
  const hi = Math.floor(total / 2 ** 29);
  const lo = (total << 3) >>> 0;
  buf[padded - 8] = hi >>> 24;
  buf[padded - 7] = hi >>> 16;
  buf[padded - 6] = hi >>> 8;
  buf[padded - 5] = hi;
  buf[padded - 4] = lo >>> 24;
  buf[padded - 3] = lo >>> 16;
  buf[padded - 2] = lo >>> 8;
  buf[padded - 1] = lo;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let p = 0; p < padded; p += 64) {
    for (let t = 0; t < 16; t++) {
      const i = p + t * 4;
      W[t] = ((buf[i] as number) << 24) | ((buf[i + 1] as number) << 16) | ((buf[i + 2] as number) << 8) | (buf[i + 3] as number);
    }
    for (let t = 16; t < 80; t++) {
      const x = (W[t - 3] as number) ^ (W[t - 8] as number) ^ (W[t - 14] as number) ^ (W[t - 16] as number);
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const tmp = (((a << 5) | (a >>> 27)) + f + e + k + (W[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = tmp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  for (const h of [h0, h1, h2, h3, h4]) {
    out[at++] = h >>> 24;
    out[at++] = h >>> 16;
    out[at++] = h >>> 8;
    out[at++] = h;
  }
}

const OID_RE = /^[0-9a-f]{40}$/;
export function isOid(s: string): boolean {
  return OID_RE.test(s);
}
