// zlib compression for object storage and packs, in plain JS (pako) so the same code runs in
// browsers, service workers and Node; node:zlib is not available in a browser. Inflating is
// entry-inflater.ts's job: it never inflates more than the size it was given.
import { ZStream, Z_FINISH, Z_STREAM_END, deflate as pakoDeflate, zlibDeflate, zlibDeflateInit, zlibDeflateReset } from 'pako';

/**
 * One deflate state, reset between objects: pako's deflate() sets up a fresh one each call
 * (window, hash chains and buffers, ~300 kB), which made allocating and collecting them most of
 * the time to pack a vault of loose objects. Calls are synchronous, so one state serves all.
 */
let strm: ZStream | undefined;

/**
 * Compresses one pack entry. Level 1: most vault objects are small random secrets and trees of
 * hashes that barely compress, so higher levels cost time and save almost nothing (bench/git-pack.ts).
 */
export function deflate(data: Uint8Array): Uint8Array {
  if (strm === undefined) {
    strm = new ZStream();
    zlibDeflateInit(strm, 1);
  } else zlibDeflateReset(strm);
  // More than deflate can ever need: stored blocks add 5 bytes per 16 KiB, zlib's wrapper 6.
  const out = new Uint8Array(data.length + (data.length >> 10) + 64);
  strm.input = data;
  strm.next_in = 0;
  strm.avail_in = data.length;
  strm.output = out;
  strm.next_out = 0;
  strm.avail_out = out.length;
  if (zlibDeflate(strm, Z_FINISH) !== Z_STREAM_END) {
    strm = undefined;
    return pakoDeflate(data, { level: 1 });
  }
  return out.subarray(0, strm.next_out);
}
