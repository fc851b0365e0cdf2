// zlib compression for object storage and packs, in plain JS (pako) so the same code runs in
// browsers, service workers and Node; node:zlib is not available in a browser. Inflating is
// entry-inflater.ts's job: it never inflates more than the size it was given.
import { deflate as pakoDeflate } from 'pako';

/**
 * Compresses one pack entry. Level 1: most vault objects are small random secrets and trees of
 * hashes that barely compress, so higher levels cost time and save almost nothing (bench/git-pack.ts).
 */
export function deflate(data: Uint8Array): Uint8Array {
  return pakoDeflate(data, { level: 1 });
}
