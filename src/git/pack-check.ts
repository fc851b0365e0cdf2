// Watches an upload-pack response as it streams to isomorphic-git: passes every byte through
// unchanged, checks the pack's SHA-1 trailer, and turns a server's side-band error (channel 3)
// into a KeynodeError. isomorphic-git indexes a damaged pack without complaint and skips the
// objects it cannot resolve, so this is where a corrupted transfer gets noticed.
import { sha1 } from '@noble/hashes/legacy.js';
import { KeynodeError } from '../errors.js';
import { bytesEqual } from '../keys/crypto.js';
import { PktLineParser, sideBandError } from './pkt-line.js';

export async function* checkPackResponse(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const parser = new PktLineParser();
  const hash = sha1.create();
  let tail = new Uint8Array(0); // the last 20 pack bytes seen, which may be the trailer
  let packBytes = 0;
  for await (const chunk of chunks) {
    for (const pkt of parser.push(chunk)) {
      if (typeof pkt === 'string' || pkt.length === 0) continue;
      const band = pkt[0];
      if (band === 1) {
        const data = pkt.subarray(1);
        packBytes += data.length;
        const all = new Uint8Array(tail.length + data.length);
        all.set(tail);
        all.set(data, tail.length);
        const cut = Math.max(0, all.length - 20);
        hash.update(all.subarray(0, cut));
        tail = all.slice(cut);
      } else if (band === 3) throw sideBandError(pkt);
    }
    yield chunk;
  }
  if (parser.pending !== 0) throw new KeynodeError('ErrorGitPackInvalid', 'The vault data stopped in the middle of a packet.');
  if (packBytes === 0) return;
  if (packBytes < 32 || !bytesEqual(hash.digest(), tail)) {
    throw new KeynodeError('ErrorGitPackInvalid', 'The vault data arrived damaged (its checksum does not match).');
  }
}
