// A hostile or broken peer on an authenticated channel (real WebRTC): garbage frames, unknown
// methods, oversized headers and streams, streams that never end, floods past the flow-control
// window, too many streams. Each is refused with its code; the connection keeps serving valid
// calls, or is closed when the abuse persists. Run inside `unshare -n`.
import { afterEach, describe, expect, it } from 'vitest';
import { KeynodeError, type ErrorCode } from '../../src/errors.js';
import type { ByteChannel } from '../../src/network/byte-channel.js';
import { authenticatePeer } from '../../src/network/peer-auth.js';
import { RpcPeer, STREAM_WINDOW, type RpcLimits } from '../../src/network/rpc.js';
import { decodeFrame, encodeFrame, type Frame } from '../../src/network/rpc-frames.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import { collect, identity, until, webrtcPair } from '../unit/network/harness.js';
import { utf8 } from '../../src/utils/bytes.js';

const open: ByteChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** Bob serves `handlers` over an authenticated channel; Alice holds the raw channel. */
/** A gitPack handler that never reads its body (until the call is aborted): only the flow-control window may ever be in flight. */
function neverReads(handlers: RpcHandlers): void {
  handlers.handle(
    'vaults.gitPack',
    async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      return {};
    },
    { maxRequestBytes: 100 * 1024 * 1024 },
  );
}

async function setup(limits: RpcLimits = {}) {
  const [alice, bob] = await Promise.all([identity(1), identity(2)]);
  const { a, b } = await webrtcPair();
  open.push(a, b);
  const [, aliceId] = await Promise.all([
    authenticatePeer({ channel: a, nodeId: alice.nodeId, sign: alice.sign, role: 'initiator' }),
    authenticatePeer({ channel: b, nodeId: bob.nodeId, sign: bob.sign, role: 'responder' }),
  ]);
  const handlers = new RpcHandlers();
  const calls: string[] = [];
  handlers.handleUnary('sigchain.get', async (ctx) => {
    calls.push('sigchain.get');
    return { served: true, to: ctx.remoteNodeId };
  });
  const server = new RpcPeer({ channel: b, remoteNodeId: aliceId, role: 'responder', handlers, ...limits });
  return { raw: rawClient(a), channel: a, server, handlers, calls, aliceId };
}

/** Speaks frames by hand, as a hostile peer would. */
function rawClient(channel: ByteChannel) {
  const frames: Frame[] = [];
  const unsubscribe = channel.onMessage((m) => frames.push(decodeFrame(m)));
  const errorOn = async (id: number): Promise<{ code: ErrorCode; message: string }> => {
    await until(() => frames.some((f) => f.kind === 'error' && f.id === id));
    const f = frames.find((x) => x.kind === 'error' && x.id === id) as Extract<Frame, { kind: 'error' }>;
    frames.splice(frames.indexOf(f), 1);
    return JSON.parse(utf8.decode(f.error)) as { code: ErrorCode; message: string };
  };
  return {
    frames,
    send: (f: Frame) => channel.send(encodeFrame(f)),
    bytes: (b: Uint8Array) => channel.send(b),
    errorOn,
    /** A complete valid unary call; resolves with the reply header. */
    async unary(id: number, method: string, header: unknown): Promise<unknown> {
      await channel.send(encodeFrame({ kind: 'open', id, method, header: utf8.encode(JSON.stringify(header)) }));
      await channel.send(encodeFrame({ kind: 'end', id }));
      await until(() => frames.some((f) => f.id === id && (f.kind === 'end' || f.kind === 'error')));
      const error = frames.find((f) => f.id === id && f.kind === 'error');
      if (error?.kind === 'error') throw KeynodeError.fromJSON(JSON.parse(utf8.decode(error.error)));
      const reply = frames.find((f) => f.id === id && f.kind === 'reply') as Extract<Frame, { kind: 'reply' }>;
      return JSON.parse(utf8.decode(reply.header));
    },
    /** Hands the channel to a real RpcPeer (Alice's side) from now on. */
    release: () => unsubscribe(),
  };
}

describe('peer RPC against a hostile peer', () => {
  it('answers garbage and malformed frames with ErrorRpcFrameInvalid and keeps serving', async () => {
    const { raw, calls } = await setup();
    await raw.bytes(Uint8Array.from([1, 2])); // shorter than a frame header
    expect((await raw.errorOn(0)).code).toBe('ErrorRpcFrameInvalid');
    await raw.bytes(Uint8Array.from([99, 0, 0, 0, 1, 7])); // unknown kind
    expect((await raw.errorOn(0)).code).toBe('ErrorRpcFrameInvalid');
    await raw.bytes(Uint8Array.from([1, 0, 0, 0, 3, 200, 0x61])); // method length past the end
    expect((await raw.errorOn(0)).code).toBe('ErrorRpcFrameInvalid');
    await raw.send({ kind: 'open', id: 5, method: 'sigchain.get', header: utf8.encode('{not json') });
    expect((await raw.errorOn(5)).code).toBe('ErrorRpcFrameInvalid');
    await raw.send({ kind: 'data', id: 77, data: Uint8Array.of(1) }); // a stream that never existed
    expect((await raw.errorOn(77)).code).toBe('ErrorRpcFrameInvalid');
    await raw.send({ kind: 'open', id: 6, method: 'sigchain.get', header: utf8.encode('null') }); // our own parity
    expect((await raw.errorOn(6)).code).toBe('ErrorRpcFrameInvalid');
    expect(calls).toEqual([]);
    await expect(raw.unary(7, 'sigchain.get', null)).resolves.toMatchObject({ served: true });
    expect(calls).toEqual(['sigchain.get']);
  });

  it('refuses unknown methods with ErrorRpcMethodUnknown and serves the next call', async () => {
    const { raw, channel } = await setup();
    raw.release();
    const alice = new RpcPeer({ channel, remoteNodeId: 'x' as never, role: 'initiator' });
    const e = await alice.callUnary('vaults.nope', {}).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ErrorRpcMethodUnknown' });
    await expect(alice.callUnary('sigchain.get', {})).resolves.toMatchObject({ served: true });
  });

  it('refuses oversized headers and request bodies over the method limit with ErrorRpcTooLarge', async () => {
    const { raw, channel, handlers } = await setup();
    let received = -1;
    handlers.handle(
      'notifications.send',
      async (_ctx, _header, body) => {
        received = (await collect(body)).length;
        return { header: 'stored' };
      },
      { maxRequestBytes: 10_000, maxHeaderBytes: 1000 },
    );
    raw.release();
    const alice = new RpcPeer({ channel, remoteNodeId: 'x' as never, role: 'initiator' });
    const headerTooBig = await alice.callUnary('notifications.send', 'x'.repeat(2000)).catch((x: unknown) => x);
    expect(headerTooBig).toMatchObject({ code: 'ErrorRpcTooLarge' });
    const tooBig = await alice.call('notifications.send', {}, new Uint8Array(50_000)).catch((x: unknown) => x);
    expect(tooBig).toMatchObject({ code: 'ErrorRpcTooLarge' });
    expect(received).toBe(-1);
    const ok = await alice.call('notifications.send', {}, new Uint8Array(9_000));
    expect(ok.header).toBe('stored');
    expect(received).toBe(9_000);
  });

  it('times out a stream that never ends with ErrorRpcTimeout, then serves the next call', async () => {
    const { channel, raw, handlers } = await setup({ idleTimeoutMs: 1000 });
    let aborted: unknown;
    handlers.handle('vaults.gitPack', async (ctx, _header, body) => {
      ctx.signal.addEventListener('abort', () => (aborted = ctx.signal.reason));
      await collect(body);
      return {};
    });
    raw.release();
    const alice = new RpcPeer({ channel, remoteNodeId: 'x' as never, role: 'initiator' });
    async function* endless() {
      yield Uint8Array.of(1, 2, 3);
      await new Promise(() => {}); // never ends
    }
    const e = await alice.call('vaults.gitPack', {}, endless()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ErrorRpcTimeout' });
    expect(aborted).toMatchObject({ code: 'ErrorRpcTimeout' });
    await expect(alice.callUnary('sigchain.get', null)).resolves.toMatchObject({ served: true });
  });

  it('bounds what a fast sender can make us buffer: the flow-control window', async () => {
    const { channel, raw, handlers } = await setup({ idleTimeoutMs: 1000 });
    neverReads(handlers);
    raw.release();
    const alice = new RpcPeer({ channel, remoteNodeId: 'x' as never, role: 'initiator' });
    let produced = 0;
    async function* flood() {
      for (let i = 0; i < 1000; i++) {
        produced += 65536;
        yield new Uint8Array(65536);
      }
    }
    const e = await alice.call('vaults.gitPack', {}, flood()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ErrorRpcTimeout' });
    expect(produced).toBeGreaterThan(STREAM_WINDOW / 2);
    expect(produced).toBeLessThanOrEqual(STREAM_WINDOW + 2 * 65536);
  });

  it('cuts off a hand-made sender that ignores the flow-control window', async () => {
    const { raw, handlers } = await setup();
    neverReads(handlers);
    await raw.send({ kind: 'open', id: 101, method: 'vaults.gitPack', header: utf8.encode('{}') });
    const chunk = new Uint8Array(60_000);
    for (let sent = 0; sent <= STREAM_WINDOW + chunk.length; sent += chunk.length) {
      await raw.send({ kind: 'data', id: 101, data: chunk });
    }
    expect((await raw.errorOn(101)).code).toBe('ErrorRpcFrameInvalid');
    await expect(raw.unary(103, 'sigchain.get', null)).resolves.toMatchObject({ served: true });
  });

  it('refuses streams beyond the concurrency limit', async () => {
    const { raw, handlers } = await setup({ maxConcurrentStreams: 3 });
    handlers.handle('vaults.gitPack', async (_ctx, _h, body) => {
      await collect(body);
      return {};
    });
    for (const id of [1, 3, 5]) await raw.send({ kind: 'open', id, method: 'vaults.gitPack', header: utf8.encode('{}') });
    await raw.send({ kind: 'open', id: 7, method: 'vaults.gitPack', header: utf8.encode('{}') });
    const refused = await raw.errorOn(7);
    expect(refused.code).toBe('ErrorRpcTooLarge');
    expect(refused.message).toMatch(/concurrent/);
    // Finishing one stream makes room again.
    await raw.send({ kind: 'end', id: 1 });
    await until(() => raw.frames.some((f) => f.id === 1 && f.kind === 'end'));
    await expect(raw.unary(9, 'sigchain.get', null)).resolves.toMatchObject({ served: true });
  });

  it('disconnects a peer that keeps sending garbage, without harm to the process', async () => {
    const { raw, channel, server } = await setup({ maxStrikes: 5 });
    let closed = false;
    channel.onClose(() => (closed = true));
    for (let i = 0; i < 20 && !channel.closed; i++) {
      await raw.bytes(Uint8Array.from([0xde, 0xad, i])).catch(() => undefined);
    }
    await until(() => closed && server.closed);
    await expect(server.callUnary('sigchain.get', null)).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
  });
});
