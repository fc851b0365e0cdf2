// pkt-line framing: what goes out is what git expects, and packets survive any chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePktLine, FLUSH, PktLineParser, parsePktLines, readPktLines } from '../../../src/git/index.js';
import { peerText, sideBandError } from '../../../src/git/pkt-line.js';

const text = (b: Uint8Array | string): string => (typeof b === 'string' ? b : new TextDecoder().decode(b));

describe('pkt-line', () => {
  it('encodes the length prefix in lowercase hex, counting itself', () => {
    expect(text(encodePktLine('want abc\n'))).toBe('000dwant abc\n');
    expect(text(encodePktLine(''))).toBe('0004');
    expect(text(FLUSH)).toBe('0000');
  });

  it('parses whole messages with flush and delimiter packets', () => {
    const msg = new TextEncoder().encode('0009done\n00000001000ahello\n');
    const pkts = parsePktLines(msg).map((p) => (typeof p === 'string' ? p : text(p)));
    expect(pkts).toEqual(['done\n', 'flush', 'delim', 'hello\n']);
  });

  it('keeps a length prefix split across chunks', async () => {
    const whole = new TextEncoder().encode('000ahello\n0000');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield whole.subarray(0, 2); // half of the length prefix
      yield whole.subarray(2, 7);
      yield whole.subarray(7);
    }
    const got: string[] = [];
    for await (const p of readPktLines(chunks())) got.push(typeof p === 'string' ? p : text(p));
    expect(got).toEqual(['hello\n', 'flush']);
  });

  it('gives the same packets however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (payloads, cuts) => {
        const parts = payloads.flatMap((p) => [encodePktLine(p)]);
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          all.set(p, o);
          o += p.length;
        }
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const parser = new PktLineParser();
        const got: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...points, all.length]) {
          for (const p of parser.push(all.subarray(prev, c))) if (typeof p !== 'string') got.push(p);
          prev = c;
        }
        parser.end();
        expect(got.map((g) => Array.from(g))).toEqual(payloads.map((p) => Array.from(p)));
      }),
    );
  });

  it('refuses bad prefixes and truncated packets with ErrorGitProtocol', () => {
    expect(() => parsePktLines(new TextEncoder().encode('zz12hello'))).toThrow(expect.objectContaining({ code: 'ErrorGitProtocol' }));
    expect(() => parsePktLines(new TextEncoder().encode('0003'))).toThrow(expect.objectContaining({ code: 'ErrorGitProtocol' }));
    expect(() => parsePktLines(new TextEncoder().encode('0010short'))).toThrow(expect.objectContaining({ code: 'ErrorGitProtocol' }));
    expect(() => encodePktLine(new Uint8Array(70000))).toThrow(expect.objectContaining({ code: 'ErrorGitProtocol' }));
  });

  it('a 64 KiB packet sent one byte at a time arrives whole, with the next packet behind it', () => {
    const payload = new Uint8Array(65_000).map((_, i) => i & 0xff);
    const all = new Uint8Array([...encodePktLine(payload), ...encodePktLine('next\n'), ...FLUSH]);
    const parser = new PktLineParser();
    const got: Array<Uint8Array | string> = [];
    for (let i = 0; i < all.length; i++) got.push(...parser.push(all.subarray(i, i + 1)));
    parser.end();
    expect(got.length).toBe(3);
    expect(Buffer.compare(got[0] as Uint8Array, payload)).toBe(0);
    expect(text(got[1] as Uint8Array)).toBe('next\n');
    expect(got[2]).toBe('flush');
  });

  it('text a peer sent is shown without control characters and cut to 200 characters', () => {
    expect(peerText('access\u0000denied\r\n\u001b[31m')).toBe('access denied   [31m');
    expect(peerText('x'.repeat(70_000))).toBe(`${'x'.repeat(200)}…`);
    expect(peerText(new TextEncoder().encode('\u0085fine\n'))).toBe('fine');
    const err = sideBandError(new TextEncoder().encode('\u0003error: the vault is\u0007 busy\n'));
    expect(err).toMatchObject({ code: 'ErrorGitProtocol', message: 'The other keynode could not send the vault: the vault is  busy' });
  });
});
