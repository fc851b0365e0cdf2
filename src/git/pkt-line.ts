// pkt-line framing of git's smart protocol: a 4-hex-digit length (which counts itself) then the
// payload; "0000" is a flush. The stream parser keeps partial lines across chunks because the
// channel may split a packet anywhere, even inside its length prefix.
import { KeynodeError } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEX = '0123456789abcdef';

/** Largest pkt-line git accepts (length prefix included). */
export const MAX_PKT_LINE = 65520;

export const FLUSH: Uint8Array = encoder.encode('0000');

export function encodePktLine(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const len = body.length + 4;
  if (len > MAX_PKT_LINE) throw new KeynodeError('ErrorGitProtocol', 'A git packet is too long to send.');
  const out = new Uint8Array(len);
  out[0] = HEX.charCodeAt((len >> 12) & 15);
  out[1] = HEX.charCodeAt((len >> 8) & 15);
  out[2] = HEX.charCodeAt((len >> 4) & 15);
  out[3] = HEX.charCodeAt(len & 15);
  out.set(body, 4);
  return out;
}

/** One parsed packet: the payload bytes, or 'flush' / 'delim' for the special lengths 0000 / 0001. */
export type Pkt = Uint8Array | 'flush' | 'delim';

function parseLength(buf: Uint8Array, at: number): number {
  let n = 0;
  for (let i = 0; i < 4; i++) {
    const c = buf[at + i] as number;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else throw new KeynodeError('ErrorGitProtocol', 'A git packet has an unreadable length prefix.');
    n = n * 16 + d;
  }
  if (n === 2 || n === 3) throw new KeynodeError('ErrorGitProtocol', 'A git packet has an impossible length.');
  return n;
}

/** Incremental parser: push chunks, take whole packets out; `end()` fails on a truncated packet. */
export class PktLineParser {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  push(chunk: Uint8Array): Pkt[] {
    if (this.pos < this.buf.length) {
      const rest = this.buf.subarray(this.pos);
      const merged = new Uint8Array(rest.length + chunk.length);
      merged.set(rest);
      merged.set(chunk, rest.length);
      this.buf = merged;
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    const out: Pkt[] = [];
    while (this.buf.length - this.pos >= 4) {
      const len = parseLength(this.buf, this.pos);
      if (len === 0) {
        out.push('flush');
        this.pos += 4;
      } else if (len === 1) {
        out.push('delim');
        this.pos += 4;
      } else {
        if (this.buf.length - this.pos < len) break;
        out.push(this.buf.slice(this.pos + 4, this.pos + len));
        this.pos += len;
      }
    }
    return out;
  }

  /** Bytes received but not yet part of a whole packet. */
  get pending(): number {
    return this.buf.length - this.pos;
  }

  end(): void {
    if (this.pending !== 0) throw new KeynodeError('ErrorGitProtocol', 'The git message ended in the middle of a packet.');
  }
}

/** Parses a complete message (an upload-pack request, an advertisement). */
export function parsePktLines(bytes: Uint8Array): Pkt[] {
  const p = new PktLineParser();
  const out = p.push(bytes);
  p.end();
  return out;
}

/** Streams packets out of an async iterable of chunks, however the chunks were cut. */
export async function* readPktLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Pkt> {
  const p = new PktLineParser();
  for await (const chunk of chunks) yield* p.push(chunk);
  p.end();
}

/** Payload as text without the conventional trailing newline. */
export function pktText(pkt: Uint8Array): string {
  const s = decoder.decode(pkt);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
