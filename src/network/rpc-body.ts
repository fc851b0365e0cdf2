// The receiving half of one RPC stream: an async iterable over body chunks with bounded
// buffering. The sender may only have `window` unread bytes in flight (credit frames grant more
// as the reader consumes), so a fast sender cannot fill our memory; exceeding it is a protocol
// violation reported to the owner.
import type { KeynodeError } from '../errors.js';

export interface InboundBodyHooks {
  /** The reader consumed `bytes`: time to grant the sender more credit. */
  consumed(bytes: number): void;
  /** The reader stopped early (break / return): tell the sender to stop. */
  cancelled(): void;
}

export class InboundBody implements AsyncIterableIterator<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private received = 0;
  private ended = false;
  private error: KeynodeError | undefined;
  private waiter: (() => void) | undefined;
  private iterated = false;

  constructor(
    private readonly hooks: InboundBodyHooks,
    private readonly window: number,
    private readonly limit: number,
  ) {}

  get done(): boolean {
    return this.ended || this.error !== undefined;
  }

  /** Returns 'overflow' (more than granted) or 'too-large' (over the limit) instead of queueing. */
  push(chunk: Uint8Array): 'ok' | 'overflow' | 'too-large' {
    if (this.done) return 'ok';
    if (this.buffered + chunk.byteLength > this.window) return 'overflow';
    if (this.received + chunk.byteLength > this.limit) return 'too-large';
    this.received += chunk.byteLength;
    this.buffered += chunk.byteLength;
    this.chunks.push(chunk);
    this.wakeUp();
    return 'ok';
  }

  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  fail(error: KeynodeError): void {
    if (this.done) return;
    this.error = error;
    this.chunks.length = 0;
    this.buffered = 0;
    this.wakeUp();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    if (this.iterated) throw new Error('An RPC body can be read only once.');
    this.iterated = true;
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.buffered -= chunk.byteLength;
        this.hooks.consumed(chunk.byteLength);
        return { value: chunk, done: false };
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.done) {
      this.ended = true;
      this.chunks.length = 0;
      this.buffered = 0;
      this.hooks.cancelled();
    }
    return { value: undefined, done: true };
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
