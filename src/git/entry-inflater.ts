// Inflates one pack entry in place inside the whole pack and reports where its zlib stream ends:
// a pack does not record entry lengths, so the next entry starts where this stream stopped. One
// zlib state is reset and reused for every entry (tens of thousands per clone), and the output
// buffer is sized from the entry header, so a stream that inflates to more or less is caught —
// and no stream is ever inflated past the size it was given: a zlib bomb stops at that size.
// Callers check the size against the budgets (limits.ts) before calling.
import { ZStream, Z_BUF_ERROR, Z_FINISH, Z_STREAM_END, zlibInflate, zlibInflateInit, zlibInflateReset } from 'pako';

/**
 * Deflate's best ratio is 1032:1 (a 258-byte match in two bits), so a stream of n bytes can
 * never inflate to more than this; a header that claims more is a lie found before allocating.
 */
export function mayInflateTo(compressedBytes: number, size: number): boolean {
  return size <= 1032 * compressedBytes + 1032;
}

/** The parts of pako's inflate state that a reset touches (see reset() below). */
interface InflateState {
  mode: number;
  wrap: number;
  wsize: number;
  whave: number;
  wnext: number;
  total: number;
  last: number;
  havedict: number;
  flags: number;
  dmax: number;
  head: unknown;
  hold: number;
  bits: number;
  lencode: Int32Array;
  lendyn: Int32Array;
  distcode: Int32Array;
  distdyn: Int32Array;
  sane: number;
  back: number;
}

/** An inflated stream and the index just past it. */
export interface Inflated {
  data: Uint8Array;
  end: number;
}

/** What inflate answers when a stream runs past the bytes that have arrived so far. */
export const MORE = Symbol('more');

export class EntryInflater {
  private readonly strm = new ZStream();
  private readonly headMode: number;
  private readonly lendyn: Int32Array | undefined;
  private readonly distdyn: Int32Array | undefined;

  constructor() {
    zlibInflateInit(this.strm);
    zlibInflateReset(this.strm);
    const st = this.strm.state as Partial<InflateState> | undefined;
    this.headMode = st?.mode ?? -1;
    this.lendyn = st?.lendyn instanceof Int32Array ? st.lendyn : undefined;
    this.distdyn = st?.distdyn instanceof Int32Array ? st.distdyn : undefined;
  }

  private slab: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  private slabAt = 0;

  /**
   * Output space. Small objects are carved out of shared 1 MiB slabs: one ArrayBuffer per entry
   * (48k of them for a large vault) made allocation and garbage collection a fifth of indexing,
   * and of a clone's walk of the trees. A slab lives while any object in it is kept (an object
   * store keeps what it read until its cache is cleared), and nothing carved from one may be
   * transferred: readers that hand bytes on copy them first (objects.ts readBlob).
   */
  alloc(size: number): Uint8Array<ArrayBuffer> {
    if (size > SLAB / 16) return new Uint8Array(size);
    if (this.slabAt + size > this.slab.length) {
      this.slab = new Uint8Array(SLAB);
      this.slabAt = 0;
    }
    const out = this.slab.subarray(this.slabAt, this.slabAt + size);
    this.slabAt += size;
    return out;
  }

  /**
   * pako's inflateReset allocates two fresh code tables (5.7 kB) on every call, which made
   * allocation and GC the largest cost of indexing 48k small entries. zlib's own reset keeps
   * them, and inflate rebuilds them before each use, so reset the same fields but keep them.
   */
  private reset(): void {
    const s = this.strm;
    const st = s.state as InflateState;
    if (!this.lendyn || !this.distdyn || this.headMode < 0) {
      zlibInflateReset(s);
      return;
    }
    st.wsize = 0;
    st.whave = 0;
    st.wnext = 0;
    s.total_in = 0;
    s.total_out = 0;
    st.total = 0;
    s.msg = '';
    if (st.wrap) s.adler = st.wrap & 1;
    st.mode = this.headMode;
    st.last = 0;
    st.havedict = 0;
    st.flags = -1;
    st.dmax = 32768;
    st.head = null;
    st.hold = 0;
    st.bits = 0;
    st.lencode = st.lendyn = this.lendyn;
    st.distcode = st.distdyn = this.distdyn;
    st.sane = 1;
    st.back = -1;
  }

  /**
   * Inflates the stream starting at `bytes[start]` (ending before `limit`) into exactly `size`
   * bytes. Returns the data and the index just past the stream, or undefined when the stream is
   * damaged, truncated, or does not inflate to exactly `size` bytes. With `more` (a pack still
   * arriving, `limit` being where its bytes stop for now), a stream that is cut short answers
   * MORE instead, keeping nothing, so the caller can try again once more bytes are there.
   */
  inflate(bytes: Uint8Array, start: number, limit: number, size: number): Inflated | undefined;
  inflate(bytes: Uint8Array, start: number, limit: number, size: number, more: boolean): Inflated | undefined | typeof MORE;
  inflate(bytes: Uint8Array, start: number, limit: number, size: number, more = false): Inflated | undefined | typeof MORE {
    if (!mayInflateTo(limit - start, size)) return more ? MORE : undefined;
    this.begin(bytes, start, limit);
    const [slab, slabAt] = [this.slab, this.slabAt];
    // Room past the end: pako decodes byte by byte (not in its fast loop) while fewer than 258
    // bytes of output space are left, which for the many small objects was most of each one.
    // The stream must still end at exactly `size`, so the room only ever holds a lie's excess.
    const room = this.alloc(size + FAST_ROOM);
    if (size + FAST_ROOM <= SLAB / 16) this.slabAt -= FAST_ROOM;
    const out = room.subarray(0, size);
    const ret = this.run(room, 0);
    // Out of input before the stream's end: cut short, not damaged (the output may be full and
    // only the stream's checksum missing). Output full with input left is a stream too long.
    if (more && ret === Z_BUF_ERROR && this.strm.avail_in === 0) {
      this.finish(ret, out, -1);
      if (this.slab === slab) this.slabAt = slabAt;
      return MORE;
    }
    return this.finish(ret, out, size);
  }

  /**
   * Inflates a stream whose first bytes say how long it is (a loose object: "blob 12\0…"). The
   * first `peek` bytes are inflated, `sizeOf` reads the total size from them (and throws when it
   * will not have it); only then is the output allocated — exactly that size, never more — and
   * the stream must end there. Undefined when it is damaged or of another length.
   */
  inflateSized(
    bytes: Uint8Array,
    start: number,
    limit: number,
    peek: number,
    sizeOf: (prefix: Uint8Array) => number,
  ): { data: Uint8Array; end: number } | undefined {
    this.begin(bytes, start, limit);
    const head = new Uint8Array(peek);
    let ret = this.run(head, 0);
    const got = this.strm.next_out;
    let size: number;
    try {
      size = sizeOf(head.subarray(0, got));
    } catch (e) {
      this.finish(ret, head, -1);
      throw e;
    }
    if (got > size || !mayInflateTo(limit - start, size)) return this.finish(ret, head, -1);
    if (ret === Z_STREAM_END) return this.finish(ret, head.subarray(0, got), size);
    const out = new Uint8Array(size);
    out.set(head.subarray(0, got));
    ret = this.run(out, got);
    return this.finish(ret, out, size);
  }

  private begin(bytes: Uint8Array, start: number, limit: number): void {
    const s = this.strm;
    this.reset();
    s.input = bytes;
    s.next_in = start;
    s.avail_in = limit - start;
  }

  private run(out: Uint8Array<ArrayBuffer>, at: number): number {
    const s = this.strm;
    s.output = out;
    s.next_out = at;
    s.avail_out = out.length - at;
    return zlibInflate(s, Z_FINISH);
  }

  private finish(ret: number, out: Uint8Array, size: number): { data: Uint8Array; end: number } | undefined {
    const s = this.strm;
    const end = s.next_in;
    const produced = s.next_out;
    // Drop the references so a finished clone's pack can be collected.
    s.input = EMPTY;
    s.output = EMPTY;
    if (ret !== Z_STREAM_END || produced !== size) return undefined;
    return { data: out, end };
  }
}

const EMPTY = new Uint8Array(0);
const SLAB = 1 << 20;
/** Output space pako's fast loop needs (zlib's inflate_fast: one 258-byte match). */
const FAST_ROOM = 258;
