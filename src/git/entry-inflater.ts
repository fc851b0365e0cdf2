// Inflates one pack entry in place inside the whole pack and reports where its zlib stream ends:
// a pack does not record entry lengths, so the next entry starts where this stream stopped. One
// zlib state is reset and reused for every entry (tens of thousands per clone), and the output
// buffer is sized from the entry header, so a stream that inflates to more or less is caught.
import { ZStream, Z_FINISH, Z_STREAM_END, zlibInflate, zlibInflateInit, zlibInflateReset } from 'pako';

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
   * (48k of them for a large vault) made allocation and garbage collection a fifth of indexing.
   */
  private alloc(size: number): Uint8Array<ArrayBuffer> {
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
   * damaged, truncated, or does not inflate to exactly `size` bytes.
   */
  inflate(bytes: Uint8Array, start: number, limit: number, size: number): { data: Uint8Array; end: number } | undefined {
    const s = this.strm;
    this.reset();
    s.input = bytes;
    s.next_in = start;
    s.avail_in = limit - start;
    const out = this.alloc(size);
    s.output = out;
    s.next_out = 0;
    s.avail_out = size;
    const ret = zlibInflate(s, Z_FINISH);
    const end = s.next_in;
    // Drop the references so a finished clone's pack can be collected.
    s.input = EMPTY;
    s.output = EMPTY;
    if (ret !== Z_STREAM_END || s.next_out !== size) return undefined;
    return { data: out, end };
  }
}

const EMPTY = new Uint8Array(0);
const SLAB = 1 << 20;
