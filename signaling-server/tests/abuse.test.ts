// Bad input and floods: every malformed, oversized, unknown or binary message gets a clear error,
// the offender's connection survives where sensible, and nobody else notices anything.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import type { Limits } from '../src/limits.js';
import { loggedIn, RawPeer } from './helpers.js';

let server: SignalingServer | undefined;
async function start(limits: Partial<Limits> = {}): Promise<string> {
  server = await startSignalingServer({ port: 0, limits });
  return server.url;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Two bystanders that prove the server still relays for everyone else. */
async function bystanders(url: string) {
  const a = await loggedIn(url);
  const b = await loggedIn(url);
  return {
    async stillRelay(n: number) {
      a.peer.send({ type: 'signal', to: b.id.nodeId, data: { n } });
      expect(await b.peer.next('signal')).toEqual({ type: 'signal', from: a.id.nodeId, data: { n } });
    },
  };
}

describe('signaling bad input', () => {
  it('answers each malformed message with a clear error and keeps every connection', async () => {
    const url = await start({ maxMessageBytes: 1024 });
    const others = await bystanders(url);
    const bad = await loggedIn(url);
    const cases: Array<[string | Buffer, string, RegExp]> = [
      ['{not json', 'bad-json', /not valid JSON/],
      ['[1,2]', 'invalid-message', /JSON object with a string "type"/],
      ['{"type":"teleport","rid":4}', 'unknown-type', /Unknown message type "teleport"; the types are login, signal/],
      ['{"type":"signal","to":"vnotanodeid","data":1}', 'invalid-message', /Field "to" must be a NodeId/],
      ['{"type":"signal","to":"' + bad.id.nodeId + '"}', 'invalid-message', /Field "data" is required/],
      ['{"type":"mailbox.put","to":"' + bad.id.nodeId + '","token":5}', 'invalid-message', /Field "token" must be string/],
      [JSON.stringify({ type: 'signal', to: bad.id.nodeId, data: 'x'.repeat(2000) }), 'too-large', /at most 1024 bytes; this one has \d+/],
      [Buffer.from([1, 2, 3]), 'binary-not-supported', /Binary frames/],
    ];
    for (const [payload, code, message] of cases) {
      bad.peer.ws.send(payload, { binary: Buffer.isBuffer(payload) });
      const error = await bad.peer.next('error');
      expect(error.code, String(payload)).toBe(code);
      expect(error.message).toMatch(message);
      expect(bad.peer.ws.readyState).toBe(WebSocket.OPEN);
    }
    expect((bad.peer.messages.find((m) => m.code === 'unknown-type') as { rid?: number }).rid).toBe(4);
    await others.stillRelay(1);
  });

  it('refuses a relayed signal nested too deep with too-deep, instead of failing to relay it', async () => {
    const url = await start();
    const others = await bystanders(url);
    const bad = await loggedIn(url);
    const target = await loggedIn(url);
    // 20,000 levels fit in 40 KB, under the size limit; JSON.stringify overflows the stack on them.
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    bad.peer.send(`{"type":"signal","to":"${target.id.nodeId}","rid":7,"data":${deep}}`);
    expect(await bad.peer.next('error')).toMatchObject({ code: 'too-deep', message: expect.stringMatching(/at most 32 levels deep/) });
    expect(bad.peer.ws.readyState).toBe(WebSocket.OPEN);
    // Brackets inside strings are text, not nesting; 32 real levels still go through.
    const fine = { s: '['.repeat(1000), d: JSON.parse('['.repeat(30) + ']'.repeat(30)) as unknown };
    bad.peer.send({ type: 'signal', to: target.id.nodeId, data: fine });
    expect(await target.peer.next('signal')).toEqual({ type: 'signal', from: bad.id.nodeId, data: fine });
    expect(target.peer.messages.filter((m) => m.type === 'signal')).toHaveLength(1);
    await others.stillRelay(6);
  });

  it('closes the socket on a frame far beyond the size limit, without disturbing others', async () => {
    const url = await start({ maxMessageBytes: 1024, hardMaxMessageBytes: 8192 });
    const others = await bystanders(url);
    const bad = await loggedIn(url);
    bad.peer.send('x'.repeat(10_000));
    expect((await bad.peer.closed).code).toBe(1009);
    await others.stillRelay(2);
  });

  it('throttles a flooding client, then disconnects it, while others keep relaying', async () => {
    const url = await start({ ratePerSecond: 10, rateBurst: 20, maxRateViolations: 100 });
    const others = await bystanders(url);
    const flood = await loggedIn(url);
    for (let i = 0; i < 1000; i++) flood.peer.send({ type: 'watch', nodeIds: [] });
    const warning = await flood.peer.next('error');
    expect(warning).toMatchObject({ code: 'rate-limited', message: expect.stringMatching(/at most 10 per second/) });
    expect(await flood.peer.next('error')).toMatchObject({ code: 'rate-limited', message: expect.stringMatching(/connection is closed/) });
    expect((await flood.peer.closed).code).toBe(4004);
    // Only one warning was sent, not one per dropped message.
    expect(flood.peer.messages.filter((m) => m.type === 'error')).toHaveLength(2);
    await others.stillRelay(3);
  });

  it('reads a source that floods bytes only as fast as its byte budget, and everyone else at once', async () => {
    const url = await start({ sourceBytesPerSecond: 20_000, sourceBytesBurst: 20_000, ratePerSecond: 1000, rateBurst: 1000 });
    const receiver = await loggedIn(url, undefined, { localAddress: '127.0.0.1' });
    const flood = await loggedIn(url, undefined, { localAddress: '127.0.0.2' });
    const bystander = await loggedIn(url, undefined, { localAddress: '127.0.0.3' });
    // 400 KB: at 20 KB/s the server needs about 19 s to read it all.
    for (let n = 0; n < 40; n++) flood.peer.send({ type: 'signal', to: receiver.id.nodeId, data: { n, pad: 'x'.repeat(10_000) } });
    bystander.peer.send({ type: 'signal', to: receiver.id.nodeId, data: 'from a bystander' });
    const seen = [await receiver.peer.next('signal')];
    while (seen.at(-1)!.from !== bystander.id.nodeId) seen.push(await receiver.peer.next('signal'));
    expect(seen.length).toBeLessThan(40);
    // Slowed down, not punished: the flooder is still connected.
    expect(flood.peer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("sheds a flooding sender's excess towards a receiver that does not read, and never drops the receiver", async () => {
    // Rates out of the way: this is about what piles up towards the receiver.
    const url = await start({
      ratePerSecond: 100_000,
      rateBurst: 100_000,
      nodeRatePerSecond: 100_000,
      nodeRateBurst: 100_000,
      sourceBytesPerSecond: 1e9,
      sourceBytesBurst: 1e9,
      relaySenderBytes: 256 * 1024,
      relaySourceBytes: 300 * 1024,
    });
    const victim = await loggedIn(url, undefined, { localAddress: '127.0.0.1' });
    const attacker = await loggedIn(url, undefined, { localAddress: '127.0.0.2' });
    const sidekick = await loggedIn(url, undefined, { localAddress: '127.0.0.2' });
    const friend = await loggedIn(url, undefined, { localAddress: '127.0.0.3' });
    victim.peer.ws.pause();

    /** Sends 60 KB signals at the victim until the server refuses one (or 2,000 went through). */
    const floodUntilRefused = async (from: typeof attacker) => {
      const pad = 'x'.repeat(60_000);
      for (let n = 0; n < 2000; n++) {
        from.peer.send({ type: 'signal', to: victim.id.nodeId, data: { n, pad }, rid: n });
        if (n % 20 === 19) {
          await new Promise((r) => setTimeout(r, 5));
          const refusal = from.peer.messages.find((m) => m.type === 'error');
          if (refusal !== undefined) return refusal;
        }
      }
      return undefined;
    };
    // Kernel buffers take several MB first; then the server holds at most 256 KiB from this sender.
    expect(await floodUntilRefused(attacker)).toMatchObject({
      code: 'receiver-busy',
      message: expect.stringMatching(/Your messages to v\w+ are piling up.*This signal was dropped/),
      rid: expect.any(Number),
    });
    // A fresh identity from the same address gets only what is left of its address's 300 KiB.
    expect(await floodUntilRefused(sidekick)).toMatchObject({ code: 'receiver-busy', message: expect.stringMatching(/from your network address/) });
    friend.peer.send({ type: 'signal', to: victim.id.nodeId, data: 'a real offer' });
    // Nobody's excess displaced the friend's signal; the victim reads its backlog and gets it.
    victim.peer.ws.resume();
    for (;;) {
      const signal = await victim.peer.next('signal', 30_000);
      if (signal.from === friend.id.nodeId) {
        expect(signal.data).toBe('a real offer');
        break;
      }
    }
    expect(victim.peer.ws.readyState).toBe(WebSocket.OPEN);
    expect(victim.peer.messages.filter((m) => m.type === 'error')).toEqual([]);
    // The attacker was refused, not disconnected, and can signal again now that the victim reads
    // (behind whatever of its flood the kernel buffers still took after the friend's signal).
    attacker.peer.send({ type: 'signal', to: victim.id.nodeId, data: 'later' });
    for (;;) if ((await victim.peer.next('signal', 30_000)).data === 'later') break;
  });

  it("an abusive client — every socket its address may hold, a flood, huge frames — does not stop others' relays", async () => {
    const url = await start({ maxConnectionsPerSource: 8 });
    const a = await loggedIn(url, undefined, { localAddress: '127.0.0.1' });
    const b = await loggedIn(url, undefined, { localAddress: '127.0.0.3' });
    const attempts = await Promise.all(Array.from({ length: 12 }, () => loggedIn(url, undefined, { localAddress: '127.0.0.2' }).catch(() => undefined)));
    const abusers = attempts.filter((c) => c !== undefined);
    expect(abusers).toHaveLength(8);
    const huge: Array<Promise<{ code: number }>> = [];
    const flood = JSON.stringify({ pad: 'x'.repeat(60_000) });
    for (const [i, conn] of abusers.entries()) {
      if (i % 2 === 0) {
        // Far over the 256 KiB frame limit: cut as soon as the header is read.
        conn.peer.send('x'.repeat(1024 * 1024));
        huge.push(conn.peer.closed);
      } else {
        for (let n = 0; n < 40; n++) conn.peer.send(`{"type":"signal","to":"${n % 2 ? a.id.nodeId : b.id.nodeId}","data":${flood}}`);
      }
    }
    for (let n = 0; n < 20; n++) {
      a.peer.send({ type: 'signal', to: b.id.nodeId, data: { n } });
      for (;;) if ((await b.peer.next('signal', 30_000)).from === a.id.nodeId) break;
      b.peer.send({ type: 'signal', to: a.id.nodeId, data: { n } });
      for (;;) if ((await a.peer.next('signal', 30_000)).from === b.id.nodeId) break;
    }
    expect((await Promise.all(huge)).map((c) => c.code)).toEqual([1009, 1009, 1009, 1009]);
    expect([a.peer.ws.readyState, b.peer.ws.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
  });

  it('keeps the per-NodeId budget across reconnects', async () => {
    const url = await start({ ratePerSecond: 1000, rateBurst: 1000, nodeRatePerSecond: 0.01, nodeRateBurst: 5 });
    const first = await loggedIn(url);
    for (let i = 0; i < 5; i++) first.peer.send({ type: 'watch', nodeIds: [] });
    first.peer.close();
    await first.peer.closed;
    const again = await loggedIn(url, first.id);
    again.peer.send({ type: 'watch', nodeIds: [] });
    expect(await again.peer.next('error')).toMatchObject({ code: 'rate-limited' });
  });

  it('refuses connections beyond the maximum with a clear error', async () => {
    const url = await start({ maxConnections: 2 });
    const others = await bystanders(url);
    const third = await RawPeer.open(url);
    expect(await third.next('error')).toMatchObject({ code: 'server-full', message: expect.stringMatching(/too many connections/) });
    expect((await third.closed).code).toBe(4005);
    await others.stillRelay(4);
  });

  it('drops a socket that stops answering pings', async () => {
    const url = await start({ heartbeatMs: 500 });
    const others = await bystanders(url);
    const dead = await RawPeer.open(url, { autoPong: false });
    const { code } = await dead.closed;
    expect(code).toBe(1006); // terminated: no close frame, as for a vanished peer
    await others.stillRelay(5);
  });
});
