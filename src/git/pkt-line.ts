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

/**
 * Incremental parser: push chunks, take whole packets out; `end()` fails on a truncated packet.
 * Chunks are kept as they came and each byte is copied once, into its packet: a peer that sends
 * a 64 KiB packet one byte at a time costs 64 KiB of copying, not 64 KiB per byte.
 */
export class PktLineParser {
  private parts: Uint8Array[] = [];
  /** parts[first] is the oldest chunk still held; those before it are spent. */
  private first = 0;
  /** Bytes of parts[first] already consumed. */
  private at = 0;
  private held = 0;

  push(chunk: Uint8Array): Pkt[] {
    if (chunk.length > 0) {
      this.parts.push(chunk);
      this.held += chunk.length;
    }
    const out: Pkt[] = [];
    while (this.held >= 4) {
      const len = parseLength(this.take(4, true), 0);
      if (len === 0 || len === 1) {
        this.take(4, false);
        out.push(len === 0 ? 'flush' : 'delim');
        continue;
      }
      if (this.held < len) break;
      out.push(this.take(len, false).slice(4));
    }
    if (this.first > 64 && this.first * 2 > this.parts.length) {
      this.parts = this.parts.slice(this.first);
      this.first = 0;
    }
    return out;
  }

  /** The next `n` held bytes (n <= held), consumed unless `peek`; copied only when they span chunks. */
  private take(n: number, peek: boolean): Uint8Array {
    const head = this.parts[this.first] as Uint8Array;
    let bytes: Uint8Array;
    if (head.length - this.at >= n) bytes = head.subarray(this.at, this.at + n);
    else {
      bytes = new Uint8Array(n);
      let got = 0;
      for (let i = this.first, from = this.at; got < n; i++, from = 0) {
        const part = this.parts[i] as Uint8Array;
        const k = Math.min(n - got, part.length - from);
        bytes.set(part.subarray(from, from + k), got);
        got += k;
      }
    }
    if (!peek) this.skip(n);
    return bytes;
  }

  private skip(n: number): void {
    this.held -= n;
    while (n > 0) {
      const head = this.parts[this.first] as Uint8Array;
      const k = Math.min(n, head.length - this.at);
      n -= k;
      this.at += k;
      if (this.at === head.length) {
        this.first++;
        this.at = 0;
      }
    }
  }

  /** Bytes received but not yet part of a whole packet. */
  get pending(): number {
    return this.held;
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

/**
 * Text a peer sent for a person to read (an ERR line, a side-band error), made safe to show:
 * control characters become spaces and it is cut to 200 characters.
 */
export function peerText(bytes: Uint8Array | string): string {
  const text = typeof bytes === 'string' ? bytes : decoder.decode(bytes.subarray(0, 1024));
  let s = '';
  for (const ch of text.slice(0, 201)) {
    const c = ch.charCodeAt(0);
    s += c < 0x20 || (c >= 0x7f && c < 0xa0) ? ' ' : ch;
  }
  s = s.trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** A side-band channel-3 packet (the server's `error: …`) as the error our caller sees. */
export function sideBandError(pkt: Uint8Array): KeynodeError {
  const why = peerText(pkt.subarray(1)).replace(/^error:\s*/, '');
  return new KeynodeError('ErrorGitProtocol', `The other keynode could not send the vault: ${why}`);
}

/** Payload as text without the conventional trailing newline. */
export function pktText(pkt: Uint8Array): string {
  const s = decoder.decode(pkt);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
