// RpcPeer on an in-memory channel pair (the transport seam): what a real data channel would never
// deliver from our own sender but a hostile one could (messages over 64 KiB), and cancellation.
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../../src/errors.js';
import type { NodeId } from '../../../src/ids/index.js';
import { RpcPeer } from '../../../src/network/rpc.js';
import { decodeFrame, type Frame } from '../../../src/network/rpc-frames.js';
import { RpcHandlers } from '../../../src/network/rpc-handlers.js';
import { memoryPair, until } from './harness.js';
import { utf8 } from '../../../src/utils/bytes.js';

const someone = 'v0000000000000000000000000000000000000000000000000000' as NodeId;

describe('RpcPeer', () => {
  it('answers a message over 64 KiB with ErrorRpcTooLarge and keeps serving', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    handlers.handleUnary('sigchain.get', async () => 'chain');
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers });
    const frames: Frame[] = [];
    const stop = a.onMessage((m) => frames.push(decodeFrame(m)));
    await a.send(new Uint8Array(100 * 1024).fill(3));
    await until(() => frames.length > 0);
    expect(frames[0]).toMatchObject({ kind: 'error', id: 0 });
    expect(JSON.parse(utf8.decode((frames[0] as Extract<Frame, { kind: 'error' }>).error))).toMatchObject({ code: 'ErrorRpcTooLarge' });
    stop();
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator' });
    await expect(client.callUnary('sigchain.get', null)).resolves.toBe('chain');
  });

  it('aborts the handler when the caller stops reading the response', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    let aborted = false;
    handlers.handle('vaults.gitPack', async (ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      async function* forever() {
        while (!ctx.signal.aborted) yield new Uint8Array(1000);
      }
      return { body: forever() };
    });
    const server = new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator' });
    const { body } = await client.call('vaults.gitPack', {});
    let n = 0;
    for await (const _ of body) if (++n === 5) break;
    await until(() => aborted && server.activeStreams === 0 && client.activeStreams === 0);
  });

  it('turns a handler crash into ErrorInternal for the caller, without its details', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    handlers.handleUnary('gestalts.claim', async () => {
      throw new TypeError('secret internals');
    });
    handlers.handleUnary('vaults.scan', async () => {
      throw new KeynodeError('ErrorVaultsPermissionDenied', 'You may not scan these vaults.', { data: { vault: 'z1' } });
    });
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator' });
    const e = await client.callUnary('gestalts.claim', null).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ErrorInternal' });
    expect(String((e as Error).message)).not.toContain('secret internals');
    // A KeynodeError crosses as it is: code, message and data.
    await expect(client.callUnary('vaults.scan', null)).rejects.toMatchObject({
      code: 'ErrorVaultsPermissionDenied',
      message: 'You may not scan these vaults.',
      data: { vault: 'z1' },
    });
  });

  it('fails pending calls with ErrorNodeConnectionFailed when the channel closes', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    handlers.handleUnary('sigchain.get', () => new Promise(() => {}));
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator' });
    const pending = client.callUnary('sigchain.get', null);
    await until(() => client.activeStreams === 1);
    b.close();
    await expect(pending).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
    await expect(client.callUnary('sigchain.get', null)).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
  });

  it('survives handlers that return nothing, unserialisable headers or errors with cyclic data', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    handlers.handle('vaults.gitInfo', async () => undefined as never);
    handlers.handleUnary('vaults.scan', async () => ({ n: 1n }));
    handlers.handleUnary('gestalts.claim', async () => {
      const data: Record<string, unknown> = {};
      data.self = data;
      throw new KeynodeError('ErrorGestaltsInvalidAction', 'No such claim.', { data });
    });
    handlers.handleUnary('sigchain.get', async () => 'still here');
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator' });
    await expect(client.call('vaults.gitInfo', {})).resolves.toMatchObject({ header: null });
    await expect(client.callUnary('vaults.scan', null)).rejects.toMatchObject({ code: 'ErrorInternal' });
    await expect(client.callUnary('gestalts.claim', null)).rejects.toMatchObject({ code: 'ErrorGestaltsInvalidAction', message: 'No such claim.' });
    await expect(client.callUnary('sigchain.get', { big: 1n })).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    await expect(client.callUnary('sigchain.get', null)).resolves.toBe('still here');
  });
});
