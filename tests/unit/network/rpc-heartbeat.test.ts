// The RPC heartbeat on an in-memory channel pair, with short intervals: an idle connection whose
// peer answers stays up; a peer that goes silent fails open calls with ErrorNodeConnectionFailed;
// pings are no progress for a stuck stream nor activity for the idle close; a ping flood is cut off.
import { describe, expect, it } from 'vitest';
import type { KeynodeError } from '../../../src/errors.js';
import type { NodeId } from '../../../src/ids/index.js';
import { RpcPeer } from '../../../src/network/rpc.js';
import { decodeFrame, encodeFrame } from '../../../src/network/rpc-frames.js';
import { RpcHandlers } from '../../../src/network/rpc-handlers.js';
import { memoryPair, until } from './harness.js';

const someone = 'v0000000000000000000000000000000000000000000000000000' as NodeId;
const fast = { heartbeatMs: 40, deadAfterMs: 160 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function failure(p: Promise<unknown>): Promise<KeynodeError> {
  try {
    await p;
  } catch (e) {
    return e as KeynodeError;
  }
  throw new Error('expected the call to fail');
}

describe('RPC heartbeat', () => {
  it('keeps an idle connection whose peer answers, and heartbeats are not activity', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    handlers.handleUnary('vaults.scan', async () => 'ok');
    const server = new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers, ...fast });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator', ...fast });
    const before = client.lastActivity;
    await sleep(5 * fast.deadAfterMs);
    expect(client.closed).toBe(false);
    expect(server.closed).toBe(false);
    // Idle for many heartbeats: the peer manager's idle close still sees no activity.
    expect(client.lastActivity).toBe(before);
    await expect(client.callUnary('vaults.scan', {})).resolves.toBe('ok');
  });

  it('fails an open call with ErrorNodeConnectionFailed once the peer goes silent', async () => {
    const { a, b } = memoryPair();
    // The other end reads frames but never answers anything, pings included: a dead path.
    b.onMessage(() => undefined);
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator', ...fast, idleTimeoutMs: 60_000 });
    const started = Date.now();
    const error = await failure(client.callUnary('vaults.scan', {}));
    expect(error.code).toBe('ErrorNodeConnectionFailed');
    expect(error.message).toMatch(/stopped answering/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(client.closed).toBe(true);
  });

  it('does not let pings keep a stuck stream alive: its no-progress timeout still fires', async () => {
    const { a, b } = memoryPair();
    const handlers = new RpcHandlers();
    // A handler that never answers and never reads: the stream makes no progress.
    handlers.handle('vaults.gitPack', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', handlers, ...fast, idleTimeoutMs: 300 });
    const client = new RpcPeer({ channel: a, remoteNodeId: someone, role: 'initiator', ...fast, idleTimeoutMs: 300 });
    const error = await failure(client.call('vaults.gitPack', {}));
    expect(error.code).toBe('ErrorRpcTimeout');
    // The connection itself is alive: heartbeats kept it so.
    expect(client.closed).toBe(false);
  });

  it('ignores a ping flood beyond its budget and closes the connection on the flooder', async () => {
    const { a, b } = memoryPair();
    new RpcPeer({ channel: b, remoteNodeId: someone, role: 'responder', heartbeatMs: 1000, deadAfterMs: 4000 });
    let pongs = 0;
    let errors = 0;
    a.onMessage((m) => {
      const frame = decodeFrame(m);
      if (frame.kind === 'pong') pongs += 1;
      if (frame.kind === 'error') errors += 1;
    });
    let closed = false;
    a.onClose(() => (closed = true));
    const ping = encodeFrame({ kind: 'ping', id: 0 });
    for (let i = 0; i < 40 && !closed; i++) {
      for (let j = 0; j < 50; j++) await a.send(ping).catch(() => undefined);
      await sleep(1);
    }
    await until(() => closed);
    // At most a handful of pongs per interval went back, however many pings came.
    expect(pongs).toBeLessThanOrEqual(4);
    expect(errors).toBeGreaterThan(0);
  });

  it('refuses a ping on a stream other than 0', () => {
    const bytes = encodeFrame({ kind: 'ping', id: 0 });
    bytes[4] = 1;
    expect(() => decodeFrame(bytes)).toThrow(/stream 0/);
  });
});
