// What the server has queued towards one socket, and on whose account. A receiver that reads slowly
// (or not at all) makes its senders wait, never the other way round: each sender may have only so
// many bytes waiting towards one receiver (by NodeId), all its relays together are bounded per
// source and server-wide, and past a bound the sender's message is refused (`receiver-busy`, told
// to the sender). Only what the receiver itself caused — its welcome and mailbox, answers to its
// requests — can get it closed as too slow. Bytes count until ws has handed them to the kernel.
import type { WebSocket } from 'ws';
import type { NodeId } from '../../protocol/node-id.js';
import type { Source } from './admission.js';
import type { Limits } from './limits.js';
import type { ServerMessageOut } from '../../protocol/signaling.js';

/** Which bound a refused relay would have crossed. */
export type RelayRefusal = 'sender' | 'source' | 'total';

/** Who a relayed message is charged to. */
export interface Sender {
  readonly nodeId: NodeId | undefined;
  readonly source: Source;
}

/** The relays waiting towards all receivers, per source and in total (one per server). */
export class RelayBudget {
  private total = 0;

  constructor(private readonly limits: Limits) {}

  /** Reserves `bytes` for `source`, or says which bound that would cross. */
  take(source: Source, bytes: number): RelayRefusal | undefined {
    if (source.relayBytes + bytes > this.limits.relaySourceBytes) return 'source';
    if (this.total + bytes > this.limits.relayTotalBytes) return 'total';
    source.relayBytes += bytes;
    this.total += bytes;
    return undefined;
  }

  give(source: Source, bytes: number): void {
    source.relayBytes -= bytes;
    this.total -= bytes;
  }
}

export class Outbound {
  private ownBytes = 0;
  private readonly fromSenders = new Map<NodeId | undefined, number>();
  /** Releases of messages not yet handed to the kernel, so a close can give their bytes back. */
  private readonly unwritten = new Set<() => void>();
  private held: Array<{ text: string; done: () => void }> | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: Limits,
    private readonly budget: RelayBudget,
    private readonly tooSlow: () => void,
  ) {}

  /** From now until `release()`, messages wait (except `now` ones): the welcome must be the first reply after login. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const { text, done } of held) this.write(text, done);
  }

  /** A message the receiver caused. `now` skips the hold (the challenge, errors, the welcome). */
  own(message: ServerMessageOut, now = false): void {
    if (this.ownBytes > this.limits.maxBufferedBytes) return this.tooSlow();
    const text = JSON.stringify(message);
    const size = Buffer.byteLength(text);
    this.ownBytes += size;
    this.queue(text, () => (this.ownBytes -= size), now);
  }

  /** A message from `from` (a signal, its presence, its mailbox item), unless `from` has too much waiting. */
  relay(message: ServerMessageOut, from: Sender): RelayRefusal | undefined {
    const text = JSON.stringify(message);
    const size = Buffer.byteLength(text);
    const queued = this.fromSenders.get(from.nodeId) ?? 0;
    if (queued + size > this.limits.relaySenderBytes) return 'sender';
    const refused = this.budget.take(from.source, size);
    if (refused !== undefined) return refused;
    this.fromSenders.set(from.nodeId, queued + size);
    this.queue(
      text,
      () => {
        const left = this.fromSenders.get(from.nodeId)! - size;
        if (left > 0) this.fromSenders.set(from.nodeId, left);
        else this.fromSenders.delete(from.nodeId);
        this.budget.give(from.source, size);
      },
      false,
    );
    return undefined;
  }

  /** The socket closed: whatever is still queued is dropped and its bytes given back. */
  dropAll(): void {
    this.held = undefined;
    for (const done of [...this.unwritten]) done();
  }

  private queue(text: string, release: () => void, now: boolean): void {
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      this.unwritten.delete(done);
      release();
    };
    this.unwritten.add(done);
    if (this.held !== undefined && !now) this.held.push({ text, done });
    else this.write(text, done);
  }

  private write(text: string, done: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return done();
    // Called once the bytes are with the kernel, or with an error when the socket died first.
    this.ws.send(text, () => done());
  }
}
