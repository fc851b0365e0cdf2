// Writes a packfile for a list of objects, fast: entries already compressed in our packs are
// copied byte for byte (their deltas too, when the base travels in the same pack), trees and
// blobs the client has an older version of become small ref-deltas against it (thin packs), and
// only the rest is inflated and re-deflated. isomorphic-git's packObjects re-reads and
// re-compresses every object one by one (~70 s for 38k objects, docs/measurements.md §9.4).
import { sha1Hasher } from './sha1.js';
import { createDelta } from './delta.js';
import type { ObjectStore, PackedLocation } from './object-store.js';
import type { GitObject } from './types.js';
import type { PackFile } from './pack-file.js';
import { OFS_DELTA, REF_DELTA, TYPE_CODES, entryHeader, ofsBytes } from './pack-entry.js';
import { deflate } from './zlib.js';
import { fromHex } from '../utils/bytes.js';

export interface PackWriteOptions {
  /** The client accepts ofs-delta entries (otherwise reused deltas are written as ref-deltas). */
  ofsDelta: boolean;
  /** The client accepts deltas against objects it has but the pack does not carry. */
  thin: boolean;
  /** Size of the chunks yielded (the side-band payload size). */
  chunkSize: number;
}

/** An object to pack: its id and, for a thin pack, an older version the client has (PackItem fits). */
export interface PackTarget {
  oid: string;
  clientBase?: string;
}

/**
 * How many loose objects are read ahead of the one being written: 4 overlapped the reads as well
 * as 8 did (bench/git-pack.ts "all loose"), and bounds what is held to 4 objects at the per-object cap.
 */
const READ_AHEAD = 4;

export interface PackStats {
  objects: number;
  reused: number;
  thinDeltas: number;
  bytes: number;
}

/** Streams a pack of `items` in chunks of `chunkSize` bytes (the last one shorter). */
export async function* writePack(
  store: ObjectStore,
  items: PackTarget[],
  opts: PackWriteOptions,
  stats: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 },
): AsyncGenerator<Uint8Array> {
  const hash = sha1Hasher();
  let chunk = new Uint8Array(opts.chunkSize);
  let fill = 0;
  let total = 0;
  const ready: Uint8Array[] = [];
  const write = (bytes: Uint8Array): void => {
    let p = 0;
    total += bytes.length;
    while (p < bytes.length) {
      const n = Math.min(bytes.length - p, chunk.length - fill);
      chunk.set(bytes.subarray(p, p + n), fill);
      fill += n;
      p += n;
      if (fill === chunk.length) {
        hash.update(chunk);
        ready.push(chunk);
        chunk = new Uint8Array(opts.chunkSize);
        fill = 0;
      }
    }
  };
  // Stored entries are copied in runs: consecutive entries of one pack go out as one piece, and a
  // pack whose every entry is sent is copied whole instead of entry by entry.
  let run: { bytes: Uint8Array; start: number; end: number } | undefined;
  const flushRun = (): void => {
    if (run) write(run.bytes.subarray(run.start, run.end));
    run = undefined;
  };
  const copy = (bytes: Uint8Array, start: number, end: number): void => {
    if (run && run.bytes === bytes && run.end === start && run.end - run.start < opts.chunkSize) run.end = end;
    else {
      flushRun();
      run = { bytes, start, end };
    }
  };
  const put = (bytes: Uint8Array): void => {
    flushRun();
    write(bytes);
  };
  /** Where the next entry starts in the pack being written. */
  const position = (): number => total + (run ? run.end - run.start : 0);

  // Objects in our packs go in their stored order, so a reused delta's base is always written
  // before it; loose objects (a vault's own recent writes) go first.
  const packOrder = new Map(store.packs.map((p, i) => [p, i]));
  const ordered: Array<{ item: PackTarget; loc?: PackedLocation; at: number }> = items.map((item) => {
    const loc = store.locate(item.oid);
    // One number to sort by: the pack's place, then the offset in it (packs stay far below 2^40 bytes).
    return { item, loc, at: loc ? ((packOrder.get(loc.pack) as number) + 1) * 2 ** 40 + loc.entry.offset : 0 };
  });
  ordered.sort((a, b) => a.at - b.at);

  const header = new Uint8Array(12);
  header.set([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2]);
  new DataView(header.buffer).setUint32(8, ordered.length);
  put(header);

  const written = new Map<string, number>();
  // Where each copied pack entry went, by its offset in its pack: an ofs-delta finds its base
  // here without turning the base's offset back into an id.
  const writtenFrom = new Map<PackFile, Map<number, number>>(store.packs.map((p) => [p, new Map()]));
  // Loose objects are files, read a few ahead so their reads overlap: one at a time, the writer
  // spent most of a pack of loose objects waiting on the file system.
  const ahead = new Map<number, Promise<GitObject>>();
  const readAhead = (from: number): void => {
    for (let j = from; j < Math.min(from + READ_AHEAD, ordered.length); j++) {
      const next = ordered[j] as (typeof ordered)[number];
      if (next.loc !== undefined || ahead.has(j) || (opts.thin && next.item.clientBase !== undefined)) continue;
      const read = store.mustRead(next.item.oid);
      read.catch(() => undefined); // awaited in its turn; until then it must not count as unhandled
      ahead.set(j, read);
    }
  };
  for (const [i, { item, loc }] of ordered.entries()) {
    const at = position();
    const thin = opts.thin && item.clientBase !== undefined && (await writeThin(item, item.clientBase));
    if (loc === undefined && !thin) readAhead(i);
    const prefetched = ahead.get(i);
    ahead.delete(i);
    if (!thin && !(loc && reuse(loc, at))) writeWhole(await (prefetched ?? store.mustRead(item.oid)));
    written.set(item.oid, at);
    if (loc) writtenFrom.get(loc.pack)?.set(loc.entry.offset, at);
    stats.objects++;
    while (ready.length > 0) yield ready.shift() as Uint8Array;
  }
  flushRun();
  while (ready.length > 0) yield ready.shift() as Uint8Array;
  const last = chunk.subarray(0, fill);
  hash.update(last);
  const trailer = hash.digest();
  stats.bytes = total + 20;
  // The pack's last bytes: whatever is left of the current chunk plus the SHA-1 trailer.
  const tail = new Uint8Array(fill + 20);
  tail.set(last);
  tail.set(trailer, fill);
  for (let p = 0; p < tail.length; p += opts.chunkSize) yield tail.slice(p, p + opts.chunkSize);

  async function writeThin(item: PackTarget, clientBase: string): Promise<boolean> {
    const [obj, base] = await Promise.all([store.read(item.oid), store.read(clientBase)]);
    if (!obj || !base || base.type !== obj.type || obj.content.length < 64) return false;
    const delta = createDelta(base.content, obj.content);
    if (delta.length * 2 > obj.content.length) return false;
    put(entryHeader(REF_DELTA, delta.length));
    put(fromHex(clientBase));
    put(deflate(delta));
    stats.thinDeltas++;
    return true;
  }

  function reuse({ pack, entry }: PackedLocation, at: number): boolean {
    const whole = entry.typeCode !== OFS_DELTA && entry.typeCode !== REF_DELTA;
    const baseAt = whole ? undefined : entry.baseOid !== undefined ? written.get(entry.baseOid) : writtenFrom.get(pack)?.get(entry.baseOffset as number);
    if (!whole && baseAt === undefined) return false;
    // A whole object, or an ofs-delta whose base is as far back as where it is stored: as stored.
    if (whole || (opts.ofsDelta && entry.baseOffset !== undefined && at - (baseAt as number) === entry.offset - entry.baseOffset)) {
      copy(pack.pack, entry.offset, entry.end);
      stats.reused++;
      return true;
    }
    if (opts.ofsDelta) {
      put(entryHeader(OFS_DELTA, entry.size));
      put(ofsBytes(at - (baseAt as number)));
    } else {
      const baseOid = entry.baseOid ?? pack.oidAt(entry.baseOffset as number);
      if (baseOid === undefined) return false;
      put(entryHeader(REF_DELTA, entry.size));
      put(fromHex(baseOid));
    }
    put(pack.pack.subarray(entry.dataStart, entry.end));
    stats.reused++;
    return true;
  }

  function writeWhole(obj: GitObject): void {
    put(entryHeader(TYPE_CODES[obj.type], obj.content.length));
    put(deflate(obj.content));
  }
}
