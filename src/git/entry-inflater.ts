// Inflates one pack entry in place inside the whole pack and reports where its zlib stream ends:
// a pack does not record entry lengths, so the next entry starts where this stream stopped. One
// zlib state is reset and reused for every entry (tens of thousands per clone), and the output
// buffer is sized from the entry header, so a stream that inflates to more or less is caught.
import { ZStream, Z_FINISH, Z_STREAM_END, zlibInflate, zlibInflateInit, zlibInflateReset } from 'pako';

export class EntryInflater {
  private readonly strm = new ZStream();

  constructor() {
    zlibInflateInit(this.strm);
  }

  /**
   * Inflates the stream starting at `bytes[start]` (ending before `limit`) into exactly `size`
   * bytes. Returns the data and the index just past the stream, or undefined when the stream is
   * damaged, truncated, or does not inflate to exactly `size` bytes.
   */
  inflate(bytes: Uint8Array, start: number, limit: number, size: number): { data: Uint8Array; end: number } | undefined {
    const s = this.strm;
    zlibInflateReset(s);
    s.input = bytes;
    s.next_in = start;
    s.avail_in = limit - start;
    const out = new Uint8Array(size);
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
