// zlib for object storage and packs, in plain JS (pako) so the same code runs in browsers,
// service workers and Node; node:zlib is not available in a browser.
import { deflate as pakoDeflate, inflate as pakoInflate } from 'pako';
import { KeynodeError } from '../errors.js';

/** `size`, when known (pack entries record it), sizes pako's output buffer: most objects are tiny. */
export function inflate(data: Uint8Array, size?: number): Uint8Array {
  try {
    return size === undefined ? pakoInflate(data) : pakoInflate(data, { chunkSize: Math.min(Math.max(size, 64), 65536) });
  } catch (e) {
    throw new KeynodeError('ErrorStorageCorrupt', 'A stored git object could not be decompressed.', { cause: e });
  }
}

/**
 * Compresses one pack entry. Level 1: most vault objects are small random secrets and trees of
 * hashes that barely compress, so higher levels cost time and save almost nothing (bench/git-pack.ts).
 */
export function deflate(data: Uint8Array): Uint8Array {
  return pakoDeflate(data, { level: 1 });
}
