// The bytes of a pack as they arrive from a peer: one growable buffer (the indexer parses it in
// place and the whole pack is stored as received), refusing to pass its byte bound.
import { KeynodeError } from '../errors.js';

export class PackBuffer {
  private buf: Uint8Array = new Uint8Array(1 << 16);
  length = 0;

  constructor(private readonly max: number) {}

  /** A buffer holding `whole` as it is (no copy), which takes no more bytes. */
  static of(whole: Uint8Array): PackBuffer {
    const b = new PackBuffer(whole.length);
    b.buf = whole;
    b.length = whole.length;
    return b;
  }

  push(data: Uint8Array): void {
    const need = this.length + data.length;
    if (need > this.max) {
      throw new KeynodeError('ErrorGitPackTooLarge', `The vault data is too large: the pack passed the ${this.max}-byte limit for one transfer.`, {
        data: { limit: 'packBytes', max: this.max },
      });
    }
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), this.max));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(data, this.length);
    this.length = need;
  }

  /** The bytes so far: a view that a later push may leave behind (it can move them). */
  bytes(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.subarray(0, this.length);
  }
}
