// The peer RPC over an authenticated channel (docs/protocol.md "Peer RPC"): many request/response
// streams multiplexed on one channel, each with a JSON header and an optional byte body, flow
// controlled per stream. A peer that sends garbage gets errors back, and is disconnected if it
// keeps on; nothing it sends can crash us or make us buffer without bound.
import { KeynodeError, type ErrorCode } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import { closedError, CloseSignal, type ByteChannel } from './byte-channel.js';
import type { PeerRole } from './peer-auth.js';
import { InboundBody } from './rpc-body.js';
import { Heartbeat } from './rpc-heartbeat.js';
import { decodeFrame, encodeFrame, invalid, isMethodName, MAX_DATA_PAYLOAD, type Frame } from './rpc-frames.js';
import { RpcHandlers, type RpcContext, type RpcHandler, type RpcResult } from './rpc-handlers.js';
import { utf8 } from '../utils/bytes.js';

/** Unread body bytes a sender may have in flight per stream before it must wait for credit. */
export const STREAM_WINDOW = 1024 * 1024;
// Credit is granted back in slices, not per chunk, to keep credit frames few.
const CREDIT_SLICE = STREAM_WINDOW / 4;

export interface RpcLimits {
  /** Streams the peer may have open towards us at once. */
  maxConcurrentStreams?: number;
  /** A stream with no progress either way for this long fails with ErrorRpcTimeout. */
  idleTimeoutMs?: number;
  /** Protocol violations tolerated before the connection is closed. */
  maxStrikes?: number;
  /** Ping after this long without hearing from the peer (rpc-heartbeat.ts); 0 turns heartbeats off. */
  heartbeatMs?: number;
  /** The connection is declared dead after this long without any frame from the peer. */
  deadAfterMs?: number;
}

/** Heartbeat defaults: a dead path is noticed 4–4.5 s after it went silent, within 5 s. */
export const HEARTBEAT_MS = 1500;
export const DEAD_AFTER_MS = 4000;

export interface RpcPeerOptions extends RpcLimits {
  channel: ByteChannel;
  remoteNodeId: NodeId;
  /** Our handshake role: the initiator numbers its streams odd, the responder even. */
  role: PeerRole;
  handlers?: RpcHandlers;
  /** Time source for `lastActivity` (ms since the epoch). */
  clock?: () => number;
}

export interface CallOptions {
  /** Largest response body accepted; more is ErrorRpcTooLarge. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface CallResult {
  header: unknown;
  body: AsyncIterable<Uint8Array>;
}

type Body = AsyncIterable<Uint8Array> | Uint8Array;

interface Stream {
  id: number;
  inbound: InboundBody;
  inDone: boolean;
  outDone: boolean;
  credit: number;
  creditWaiter: (() => void) | undefined;
  ungranted: number;
  controller: AbortController;
  reply: { resolve: (header: unknown) => void; reject: (e: KeynodeError) => void } | undefined;
  idle: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;

export class RpcPeer {
  readonly remoteNodeId: NodeId;
  readonly handlers: RpcHandlers;
  private readonly channel: ByteChannel;
  private readonly streams = new Map<number, Stream>();
  private readonly closeSignal = new CloseSignal();
  private readonly maxConcurrent: number;
  private readonly idleMs: number;
  private readonly maxStrikes: number;
  private nextId: number;
  private lastRemoteId = 0;
  private remoteOpen = 0;
  private strikes = 0;
  private readonly clock: () => number;
  private lastActive: number;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly heartbeat: Heartbeat | undefined;

  constructor(options: RpcPeerOptions) {
    this.channel = options.channel;
    this.remoteNodeId = options.remoteNodeId;
    this.handlers = options.handlers ?? new RpcHandlers();
    this.maxConcurrent = options.maxConcurrentStreams ?? 32;
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    this.maxStrikes = options.maxStrikes ?? 8;
    this.nextId = options.role === 'initiator' ? 1 : 2;
    this.clock = options.clock ?? Date.now;
    this.lastActive = this.clock();
    const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    if (heartbeatMs > 0) {
      this.heartbeat = new Heartbeat({
        intervalMs: heartbeatMs,
        deadAfterMs: Math.max(options.deadAfterMs ?? DEAD_AFTER_MS, 2 * heartbeatMs),
        // Straight to the channel: a heartbeat is not activity (see lastActivity).
        send: (kind) => void this.channel.send(encodeFrame({ kind, id: 0 })).catch(() => {}),
        dead: (silentMs) => this.presumeDead(silentMs),
        abuse: () => this.strike(0, invalid('The peer sends pings faster than any heartbeat needs.')),
      });
    }
    this.unsubscribe.push(
      this.channel.onClose((error) => this.shutdown(error)),
      this.channel.onMessage((bytes) => this.receive(bytes)),
    );
  }

  get closed(): boolean {
    return this.closeSignal.closed;
  }

  /** Streams open right now, either way. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** When a frame last went either way (ms since the epoch); heartbeats do not count. */
  get lastActivity(): number {
    return this.lastActive;
  }

  onClose(cb: (error?: KeynodeError) => void): () => void {
    return this.closeSignal.subscribe(cb);
  }

  close(): void {
    this.channel.close();
  }

  /** JSON in, JSON out. */
  async callUnary(method: string, request: unknown, options: CallOptions = {}): Promise<unknown> {
    const { header, body } = await this.call(method, request, undefined, { ...options, maxResponseBytes: 0 });
    for await (const _ of body) {
      // A unary response has no body; maxResponseBytes 0 turns any into ErrorRpcTooLarge.
    }
    return header;
  }

  async call(method: string, header: unknown, body?: Body, options: CallOptions = {}): Promise<CallResult> {
    if (this.closed) throw closedError();
    if (options.signal?.aborted === true) throw new KeynodeError('ErrorRpcStreamClosed', 'The call was cancelled.');
    if (!isMethodName(method)) throw new KeynodeError('ErrorInvalidArgument', `"${method}" is not a valid RPC method name.`);
    let headerBytes: Uint8Array;
    try {
      headerBytes = utf8.encode(JSON.stringify(header ?? null));
    } catch (e) {
      throw new KeynodeError('ErrorInvalidArgument', 'The request header cannot be written as JSON.', { cause: e });
    }
    // The callee applies its per-method limit; here only what fits in one open frame.
    if (1 + method.length + headerBytes.length > MAX_DATA_PAYLOAD) {
      throw new KeynodeError(
        'ErrorRpcTooLarge',
        `The request header is ${headerBytes.length} bytes; one RPC frame holds at most ${MAX_DATA_PAYLOAD - 1 - method.length}.`,
      );
    }
    const id = this.nextId;
    this.nextId += 2;
    const stream = this.openStream(id, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    const replied = new Promise<unknown>((resolve, reject) => (stream.reply = { resolve, reject }));
    const abort = (): void => this.failStream(stream, new KeynodeError('ErrorRpcStreamClosed', 'The call was cancelled.'), true);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      try {
        await this.send({ kind: 'open', id, method, header: headerBytes });
      } catch (e) {
        this.failStream(stream, closedError(), false);
        throw e;
      }
      void this.sendBody(stream, body);
      const replyHeader = await replied;
      return { header: replyHeader, body: stream.inbound };
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  // ---- inbound frames ------------------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    try {
      this.receiveUnguarded(bytes);
    } catch (e) {
      // A bug of ours must not become a crash inside the transport's event handler.
      this.strike(0, new KeynodeError('ErrorInternal', 'An RPC frame could not be handled.', { cause: e }));
    }
  }

  private receiveUnguarded(bytes: Uint8Array): void {
    // Any bytes at all, even a malformed frame, prove the path to the peer still works.
    this.heartbeat?.heard();
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      this.lastActive = this.clock();
      this.strike(0, e as KeynodeError);
      return;
    }
    if (frame.kind === 'ping' || frame.kind === 'pong') {
      // Liveness only: no stream is touched and the connection does not count as active.
      this.heartbeat?.received(frame.kind);
      return;
    }
    this.lastActive = this.clock();
    if (frame.kind === 'open') {
      this.receiveOpen(frame);
      return;
    }
    if (frame.id === 0) {
      // A connection-level error from the peer: nothing to answer (answering could loop).
      if (frame.kind !== 'error') this.strike(0, invalid('Only error frames may use stream 0.'));
      return;
    }
    const stream = this.streams.get(frame.id);
    if (stream === undefined) {
      // Never answer an error with an error: two confused peers would echo forever.
      if (frame.kind === 'error') return;
      // Frames for a stream that already finished are normal (they crossed our error or cancel);
      // frames for a stream that never existed are not.
      if (!this.isPastStream(frame.id)) this.strike(frame.id, invalid(`No RPC stream ${frame.id} is open.`));
      return;
    }
    this.touch(stream);
    switch (frame.kind) {
      case 'reply': {
        if (stream.reply === undefined) return this.strike(frame.id, invalid('A reply came for a stream that has one.'));
        const reply = stream.reply;
        stream.reply = undefined;
        const parsed = parseJSON(frame.header);
        if (parsed === undefined) return this.abuseStream(stream, invalid('The response header is not JSON.'));
        reply.resolve(parsed.value);
        return;
      }
      case 'data': {
        if (stream.inDone) return;
        const pushed = stream.inbound.push(frame.data);
        if (pushed === 'overflow') return this.abuseStream(stream, invalid('The peer sent more than its flow-control window.'));
        if (pushed === 'too-large') {
          return this.failStream(stream, new KeynodeError('ErrorRpcTooLarge', 'The stream is larger than this method allows.'), true);
        }
        return;
      }
      case 'end':
        stream.inDone = true;
        stream.inbound.end();
        this.maybeFinish(stream);
        return;
      case 'error':
        // What the peer sent as an error; a malformed one still becomes a KeynodeError.
        this.failStream(stream, KeynodeError.fromJSON(parseJSON(frame.error)?.value), false);
        return;
      case 'cancel':
        // The peer wants no more of what we send on this stream.
        stream.outDone = true;
        stream.controller.abort();
        stream.creditWaiter?.();
        this.maybeFinish(stream);
        return;
      case 'credit':
        stream.credit += frame.bytes;
        if (stream.credit > 16 * STREAM_WINDOW) return this.abuseStream(stream, invalid('The peer granted absurd credit.'));
        stream.creditWaiter?.();
        return;
    }
  }

  private receiveOpen(frame: Extract<Frame, { kind: 'open' }>): void {
    const { id } = frame;
    const remoteParity = this.nextId % 2 === 1 ? 0 : 1;
    if (id === 0 || id % 2 !== remoteParity || id <= this.lastRemoteId) {
      // Answered on that id, so a confused caller fails at once instead of waiting for a reply.
      const existing = this.streams.get(id);
      if (existing !== undefined) this.failStream(existing, invalid(`Stream id ${id} is already open.`), false);
      this.strike(id, invalid(`Stream id ${id} is not a new stream id of the peer.`));
      return;
    }
    this.lastRemoteId = id;
    const registered = this.handlers.get(frame.method);
    if (registered === undefined) {
      this.sendError(id, new KeynodeError('ErrorRpcMethodUnknown', `This keynode has no RPC method "${frame.method}".`));
      return;
    }
    if (this.remoteOpen >= this.maxConcurrent) {
      this.sendError(
        id,
        new KeynodeError('ErrorRpcTooLarge', `Too many concurrent RPC streams (at most ${this.maxConcurrent}).`, { data: { limit: 'streams' } }),
      );
      return;
    }
    if (frame.header.length > registered.maxHeaderBytes) {
      this.sendError(
        id,
        new KeynodeError('ErrorRpcTooLarge', `The request header is ${frame.header.length} bytes; "${frame.method}" allows ${registered.maxHeaderBytes}.`),
      );
      return;
    }
    const header = parseJSON(frame.header);
    if (header === undefined) {
      this.strike(id, invalid('The request header is not JSON.'));
      return;
    }
    const stream = this.openStream(id, registered.maxRequestBytes);
    this.remoteOpen += 1;
    void this.serve(stream, registered.handler, header.value);
  }

  private isPastStream(id: number): boolean {
    const localParity = this.nextId % 2;
    return id % 2 === localParity ? id < this.nextId : id <= this.lastRemoteId;
  }

  // ---- serving -------------------------------------------------------------------------------

  private async serve(stream: Stream, handler: RpcHandler, header: unknown): Promise<void> {
    // Nothing a handler does (throw, return junk, unserialisable headers) may escape: this runs
    // detached, and an unhandled rejection would take the whole keynode down.
    try {
      await this.serveUnguarded(stream, handler, header);
    } catch (e) {
      this.failStream(stream, toSendable(e), true);
    }
  }

  private async serveUnguarded(stream: Stream, handler: RpcHandler, header: unknown): Promise<void> {
    const ctx: RpcContext = { remoteNodeId: this.remoteNodeId, signal: stream.controller.signal };
    let result: RpcResult | undefined;
    try {
      result = await handler(ctx, header, stream.inbound);
    } catch (e) {
      if (!stream.outDone) this.failStream(stream, toSendable(e), true);
      return;
    }
    if (stream.outDone) return;
    if (!stream.inDone) {
      // The handler answered without reading the whole request: the rest is not wanted.
      stream.inDone = true;
      void this.send({ kind: 'cancel', id: stream.id }).catch(() => {});
      stream.inbound.end();
    }
    const replyHeader = utf8.encode(JSON.stringify(result?.header ?? null));
    if (replyHeader.length > MAX_DATA_PAYLOAD) {
      this.failStream(stream, new KeynodeError('ErrorRpcTooLarge', 'The response header is too large.'), true);
      return;
    }
    try {
      await this.send({ kind: 'reply', id: stream.id, header: replyHeader });
    } catch {
      return;
    }
    await this.sendBody(stream, result?.body);
  }

  // ---- outbound bodies -----------------------------------------------------------------------

  /** Sends body chunks within the peer's credit, then `end`; failures fail the stream. */
  private async sendBody(stream: Stream, body: Body | undefined): Promise<void> {
    try {
      if (body !== undefined) {
        const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = body instanceof Uint8Array ? [body] : body;
        for await (const chunk of chunks) {
          if (!(chunk instanceof Uint8Array)) throw new KeynodeError('ErrorInternal', 'An RPC body yielded something that is not bytes.');
          for (let o = 0; o < chunk.byteLength; o += MAX_DATA_PAYLOAD) {
            const piece = chunk.subarray(o, o + MAX_DATA_PAYLOAD);
            while (stream.credit < piece.byteLength && !stream.outDone) {
              await new Promise<void>((resolve) => (stream.creditWaiter = resolve));
              stream.creditWaiter = undefined;
            }
            if (stream.outDone) return;
            stream.credit -= piece.byteLength;
            await this.send({ kind: 'data', id: stream.id, data: piece });
            this.touch(stream);
          }
          if (stream.outDone) return;
        }
      }
      if (stream.outDone) return;
      stream.outDone = true;
      await this.send({ kind: 'end', id: stream.id });
      this.maybeFinish(stream);
    } catch (e) {
      this.failStream(stream, toSendable(e), true);
    }
  }

  // ---- stream bookkeeping --------------------------------------------------------------------

  private openStream(id: number, limit: number): Stream {
    const stream: Stream = {
      id,
      inDone: false,
      outDone: false,
      credit: STREAM_WINDOW,
      creditWaiter: undefined,
      ungranted: 0,
      controller: new AbortController(),
      reply: undefined,
      idle: undefined,
      inbound: new InboundBody(
        {
          consumed: (n) => this.consumed(stream, n),
          cancelled: () => {
            if (stream.inDone) return;
            stream.inDone = true;
            void this.send({ kind: 'cancel', id }).catch(() => {});
            this.maybeFinish(stream);
          },
        },
        STREAM_WINDOW,
        limit,
      ),
    };
    this.streams.set(id, stream);
    this.touch(stream);
    return stream;
  }

  private consumed(stream: Stream, n: number): void {
    this.touch(stream);
    stream.ungranted += n;
    if (stream.ungranted >= CREDIT_SLICE && !stream.inDone) {
      const bytes = stream.ungranted;
      stream.ungranted = 0;
      void this.send({ kind: 'credit', id: stream.id, bytes }).catch(() => {});
    }
  }

  private touch(stream: Stream): void {
    clearTimeout(stream.idle);
    if (!this.streams.has(stream.id)) return;
    stream.idle = setTimeout(() => {
      this.failStream(stream, new KeynodeError('ErrorRpcTimeout', `The RPC stream made no progress for ${this.idleMs} ms.`), true);
    }, this.idleMs);
  }

  private maybeFinish(stream: Stream): void {
    if (stream.inDone && stream.outDone && stream.reply === undefined) this.forget(stream);
  }

  private forget(stream: Stream): void {
    if (!this.streams.delete(stream.id)) return;
    clearTimeout(stream.idle);
    if (stream.id % 2 !== this.nextId % 2) this.remoteOpen -= 1;
  }

  /** Ends a stream both ways with `error`; `tell` sends it to the peer as well. */
  private failStream(stream: Stream, error: KeynodeError, tell: boolean): void {
    if (!this.streams.has(stream.id)) return;
    this.forget(stream);
    stream.inDone = true;
    stream.outDone = true;
    stream.inbound.fail(error);
    stream.reply?.reject(error);
    stream.reply = undefined;
    stream.controller.abort(error);
    stream.creditWaiter?.();
    if (tell) this.sendError(stream.id, error);
  }

  /** A protocol violation on a known stream: fail it and count a strike. */
  private abuseStream(stream: Stream, error: KeynodeError): void {
    this.failStream(stream, error, false);
    this.strike(stream.id, error);
  }

  private strike(id: number, error: KeynodeError): void {
    this.strikes += 1;
    this.sendError(id, error);
    if (this.strikes >= this.maxStrikes) {
      this.sendError(0, new KeynodeError('ErrorRpcFrameInvalid', 'Too many malformed RPC frames; closing the connection.'));
      this.channel.close();
    }
  }

  private sendError(id: number, error: KeynodeError): void {
    const bare = (): Uint8Array => utf8.encode(JSON.stringify({ code: error.code, message: error.message.slice(0, 1000) }));
    let bytes: Uint8Array;
    try {
      bytes = utf8.encode(JSON.stringify({ code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) }));
    } catch {
      bytes = bare(); // data that is not JSON (a cycle, a BigInt) is left out rather than crash us
    }
    if (bytes.length > MAX_DATA_PAYLOAD) bytes = bare();
    void this.send({ kind: 'error', id, error: bytes }).catch(() => {});
  }

  private send(frame: Frame): Promise<void> {
    this.lastActive = this.clock();
    return this.channel.send(encodeFrame(frame));
  }

  /**
   * The peer has sent nothing, not even a pong, for `silentMs`: the path is gone even though the
   * channel never closed. Every open call fails at once with ErrorNodeConnectionFailed (none is
   * retried here: a request may have had effects; callers such as pull decide), and the channel is
   * closed so the peer manager dials afresh next time.
   */
  private presumeDead(silentMs: number): void {
    const reason = new KeynodeError(
      'ErrorNodeConnectionFailed',
      `The peer stopped answering (nothing heard for ${(silentMs / 1000).toFixed(1)} s); the connection is presumed dead.`,
      { data: { silentMs } },
    );
    this.shutdown(reason, reason);
    this.channel.close();
  }

  private shutdown(error?: KeynodeError, reason?: KeynodeError): void {
    if (this.closeSignal.closed) return;
    this.heartbeat?.stop();
    reason ??= new KeynodeError('ErrorNodeConnectionFailed', 'The connection to the peer closed.', error === undefined ? {} : { cause: error });
    for (const stream of [...this.streams.values()]) this.failStream(stream, reason, false);
    for (const u of this.unsubscribe) u();
    this.closeSignal.fire(error);
  }
}

function parseJSON(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(utf8.decode(bytes)) as unknown };
  } catch {
    return undefined;
  }
}

/** Our failure as the peer may see it: KeynodeErrors as they are, anything else without details. */
function toSendable(e: unknown): KeynodeError {
  if (e instanceof KeynodeError) return e;
  return new KeynodeError('ErrorInternal' satisfies ErrorCode, 'The peer failed while handling an RPC stream.');
}
