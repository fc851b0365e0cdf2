// Two keynodes over real WebRTC (@roamhq/wrtc, loopback): they authenticate each other, call each
// other's methods both ways, and move a 10 MB stream byte-exact. Run inside `unshare -n`.
import { afterEach, describe, expect, it } from 'vitest';
import { authenticatePeer } from '../../src/network/peer-auth.js';
import { openPeerConnection } from '../../src/network/peer-connection.js';
import { RpcPeer } from '../../src/network/rpc.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import type { ByteChannel } from '../../src/network/byte-channel.js';
import { collect, identity, rtc, until, webrtcPair } from '../unit/network/harness.js';

const open: ByteChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function connectedPair() {
  const [alice, bob] = await Promise.all([identity(1), identity(2)]);
  const started = performance.now();
  const { a, b } = await webrtcPair();
  open.push(a, b);
  const channelMs = performance.now() - started;
  const [bobSeenByAlice, aliceSeenByBob] = await Promise.all([
    authenticatePeer({ channel: a, nodeId: alice.nodeId, sign: alice.sign, role: 'initiator', expectedNodeId: bob.nodeId }),
    authenticatePeer({ channel: b, nodeId: bob.nodeId, sign: bob.sign, role: 'responder' }),
  ]);
  const totalMs = performance.now() - started;
  const aliceHandlers = new RpcHandlers();
  const bobHandlers = new RpcHandlers();
  const rpcA = new RpcPeer({ channel: a, remoteNodeId: bobSeenByAlice, role: 'initiator', handlers: aliceHandlers });
  const rpcB = new RpcPeer({ channel: b, remoteNodeId: aliceSeenByBob, role: 'responder', handlers: bobHandlers });
  return { alice, bob, bobSeenByAlice, aliceSeenByBob, rpcA, rpcB, aliceHandlers, bobHandlers, channelMs, totalMs, a, b };
}

const sameBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0;

describe('peer connection, handshake and RPC over real WebRTC', () => {
  it('authenticates both sides with their real NodeIds', async () => {
    const p = await connectedPair();
    expect(p.bobSeenByAlice).toBe(p.bob.nodeId);
    expect(p.aliceSeenByBob).toBe(p.alice.nodeId);
    // Each side's local fingerprint is what the other sees as remote: one direct DTLS channel.
    expect(p.a.localFingerprint).toBe(p.b.remoteFingerprint);
    expect(p.b.localFingerprint).toBe(p.a.remoteFingerprint);
    expect(p.a.localFingerprint).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    console.warn(`[measure] channel open ${p.channelMs.toFixed(0)} ms, authenticated ${p.totalMs.toFixed(0)} ms`);
  });

  it('serves unary calls both ways, and handlers see who is calling', async () => {
    const p = await connectedPair();
    p.bobHandlers.handleUnary('sigchain.get', async (ctx, req) => ({ caller: ctx.remoteNodeId, echo: req }));
    p.aliceHandlers.handleUnary('vaults.scan', async (ctx) => ({ caller: ctx.remoteNodeId, vaults: ['a', 'b'] }));
    await expect(p.rpcA.callUnary('sigchain.get', { from: 3 })).resolves.toEqual({ caller: p.alice.nodeId, echo: { from: 3 } });
    await expect(p.rpcB.callUnary('vaults.scan', null)).resolves.toEqual({ caller: p.bob.nodeId, vaults: ['a', 'b'] });
  });

  it('streams request and response bodies both ways, many calls at once', async () => {
    const p = await connectedPair();
    // Echo the request body back reversed in chunk order's bytes: proves both directions carry data.
    const echo = async (_ctx: unknown, header: unknown, body: AsyncIterable<Uint8Array>) => {
      const bytes = await collect(body);
      return { header: { got: bytes.length, header }, body: bytes.slice().reverse() };
    };
    p.bobHandlers.handle('vaults.gitPack', echo);
    p.aliceHandlers.handle('vaults.gitPack', echo);
    const payload = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
    const calls = [0, 1, 2, 3].map(async (i) => {
      const rpc = i % 2 === 0 ? p.rpcA : p.rpcB;
      const sent = payload(100_000 + i * 70_000, i);
      async function* chunks() {
        for (let o = 0; o < sent.length; o += 30_000) yield sent.subarray(o, o + 30_000);
      }
      const res = await rpc.call('vaults.gitPack', { i }, chunks());
      expect(res.header).toEqual({ got: sent.length, header: { i } });
      expect(sameBytes(await collect(res.body), sent.slice().reverse())).toBe(true);
    });
    await Promise.all(calls);
    expect(p.rpcA.activeStreams).toBe(0);
    expect(p.rpcB.activeStreams).toBe(0);
  });

  it('moves a 10 MB response byte-exact in messages of at most 64 KiB', async () => {
    const p = await connectedPair();
    const size = 10 * 1024 * 1024;
    const data = new Uint8Array(size);
    crypto.getRandomValues(data.subarray(0, 65536));
    for (let o = 65536; o < size; o += 65536) data.set(data.subarray(0, 65536), o);
    data[size - 1] = 0x5a;
    let largest = 0;
    // The RPC layer owns the channel; wrapping Bob's send lets us see every message it puts on the wire.
    const send = p.b.send.bind(p.b);
    p.b.send = (m) => {
      largest = Math.max(largest, m.byteLength);
      return send(m);
    };
    p.bobHandlers.handle('vaults.gitPack', async () => ({ header: { size }, body: data }));
    const started = performance.now();
    const res = await p.rpcA.call('vaults.gitPack', {});
    const got = await collect(res.body);
    const seconds = (performance.now() - started) / 1000;
    expect(got.length).toBe(size);
    expect(sameBytes(got, data)).toBe(true);
    expect(largest).toBeLessThanOrEqual(64 * 1024);
    console.warn(`[measure] 10 MiB stream in ${(seconds * 1000).toFixed(0)} ms = ${(size / 1e6 / seconds).toFixed(1)} MB/s`);
  });

  it('fails with ErrorNodeConnectionFailed when no channel opens, on malformed signals, and when destroyed early', async () => {
    const unanswered = openPeerConnection({ initiator: true, rtc, iceServers: [], sendSignal: () => {}, timeoutMs: 200 });
    await expect(unanswered.ready).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed', message: expect.stringMatching(/in time/) });

    const garbled = openPeerConnection({ initiator: false, rtc, iceServers: [], sendSignal: () => {} });
    garbled.signal({ type: 'offer', sdp: 'v=0\r\n' }); // no fingerprint: nothing to bind the handshake to
    await expect(garbled.ready).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
    const junk = openPeerConnection({ initiator: false, rtc, iceServers: [], sendSignal: () => {} });
    junk.signal('not a signal');
    await expect(junk.ready).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });

    const early = openPeerConnection({ initiator: true, rtc, iceServers: [], sendSignal: () => {} });
    early.destroy();
    early.destroy();
    await expect(early.ready).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
  });

  it('tells the other side when one side tears down, and refuses sends after that', async () => {
    const { a, b, pcA } = await webrtcPair();
    let bClosed = false;
    b.onClose(() => (bClosed = true));
    pcA.destroy();
    pcA.destroy();
    await until(() => bClosed);
    expect(a.closed).toBe(true);
    await expect(a.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
    await expect(b.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed' });
  });
});
