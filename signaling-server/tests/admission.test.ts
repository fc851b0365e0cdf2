// Admission: one source cannot hold every connection slot — its sockets are counted from accept,
// half-open ones included, and limited per source address (or per X-Forwarded-For address behind
// trusted proxies) — sockets that never log in are cut at the deadline, and the socket budget
// comes from the process's file-descriptor limit.
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FD_FALLBACK, FD_RESERVE, parseFdLimit, readFdLimit } from '../src/fd-budget.js';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../src/index.js';
import { forwardedAddress, sourceKey } from '../src/source-address.js';
import { loggedIn, RawPeer, refused } from './helpers.js';

const servers: SignalingServer[] = [];
const sockets: Socket[] = [];
async function start(opts: SignalingServerOptions): Promise<SignalingServer> {
  const server = await startSignalingServer({ port: 0, ...opts });
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A TCP connection that never upgrades, optionally with the start of a request. */
async function halfOpen(server: SignalingServer, first?: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port: server.port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (first !== undefined) socket.write(first);
  return { socket, closed };
}

const from = (localAddress: string) => ({ localAddress });

describe('signaling admission', () => {
  it('stops one source at its connection limit while another source still logs in and relays', async () => {
    const server = await start({ limits: { maxConnectionsPerSource: 3 } });
    const mine = await Promise.all([1, 2, 3].map(() => loggedIn(server.url, undefined, from('127.0.0.1'))));
    expect(await refused(server.url, from('127.0.0.1'))).toEqual({
      status: 429,
      code: 'too-many-connections',
      body: expect.stringMatching(/already has 3 connections open to this server/),
    });
    const other = await loggedIn(server.url, undefined, from('127.0.0.2'));
    other.peer.send({ type: 'signal', to: mine[0]!.id.nodeId, data: 'hello' });
    expect(await mine[0]!.peer.next('signal')).toMatchObject({ from: other.id.nodeId, data: 'hello' });
    // A slot that closes is free again.
    mine[1]!.peer.close();
    await mine[1]!.peer.closed;
    await loggedIn(server.url, undefined, from('127.0.0.1'));
  });

  it('counts half-open sockets (no upgrade, or half a request) against their source', async () => {
    const server = await start({ limits: { maxConnectionsPerSource: 2, loginTimeoutMs: 60_000 } });
    await halfOpen(server);
    await halfOpen(server, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await refused(server.url, from('127.0.0.1'))).toMatchObject({ status: 429, code: 'too-many-connections' });
    await loggedIn(server.url, undefined, from('127.0.0.2'));
  });

  it('closes sockets that do not upgrade or log in by the deadline, freeing their slots', async () => {
    const server = await start({ limits: { maxConnectionsPerSource: 2, loginTimeoutMs: 300 } });
    const silent = await halfOpen(server);
    const partial = await halfOpen(server, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    await Promise.all([silent.closed, partial.closed]);
    // Their slots are free again; and a socket that upgraded but never logs in is told why.
    await loggedIn(server.url);
    const idle = await RawPeer.open(server.url);
    expect(await idle.next('error')).toMatchObject({ code: 'login-timeout', message: expect.stringMatching(/within 300 ms of connecting/) });
    expect((await idle.closed).code).toBe(4003);
  });

  it('limits how fast one source opens connections, and explains only the first refusal', async () => {
    const server = await start({ limits: { sourceConnectsPerSecond: 0.001, sourceConnectBurst: 2 } });
    await loggedIn(server.url, undefined, from('127.0.0.1'));
    await loggedIn(server.url, undefined, from('127.0.0.1'));
    expect(await refused(server.url, from('127.0.0.1'))).toMatchObject({
      status: 429,
      code: 'too-many-connections',
      body: expect.stringMatching(/opens connections too fast \(at most 0.001 per second\)/),
    });
    // Knocking again is cut without an answer, which costs the server least.
    expect(await refused(server.url, from('127.0.0.1'))).toBe('reset');
    await loggedIn(server.url, undefined, from('127.0.0.2'));
  });

  it('counts the X-Forwarded-For address only behind trusted proxies', async () => {
    const proxied = await start({ trustedProxies: 1, limits: { maxConnectionsPerSource: 2 } });
    const xff = (value: string) => ({ headers: { 'X-Forwarded-For': value } });
    await loggedIn(proxied.url, undefined, xff('203.0.113.5'));
    await loggedIn(proxied.url, undefined, xff('203.0.113.5'));
    expect(await refused(proxied.url, xff('203.0.113.5'))).toMatchObject({ status: 429, code: 'too-many-connections' });
    // What the client wrote itself (left of what the proxy appended) does not count: this is
    // 203.0.113.5 again, refused again, and now without an answer.
    expect(await refused(proxied.url, xff('198.51.100.1, 203.0.113.5'))).toBe('reset');
    await loggedIn(proxied.url, undefined, xff('203.0.113.5, 203.0.113.9'));

    const direct = await start({ limits: { maxConnectionsPerSource: 2 } });
    await loggedIn(direct.url, undefined, xff('203.0.113.1'));
    await loggedIn(direct.url, undefined, xff('203.0.113.2'));
    expect(await refused(direct.url, xff('203.0.113.3'))).toMatchObject({ status: 429, code: 'too-many-connections' });
  });

  it('derives the socket budget from the file-descriptor limit and refuses beyond it', async () => {
    // The limit this process really has, as the shell it starts reports it.
    const shell = Number(execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim());
    expect(readFdLimit()).toBe(shell);
    const defaults = await start({});
    expect(defaults.capacity).toEqual({ fileDescriptors: shell, sockets: shell - FD_RESERVE, connections: Math.min(10_000, shell - FD_RESERVE) });

    const small = await start({ fileDescriptorLimit: FD_RESERVE + 3 });
    expect(small.capacity).toMatchObject({ sockets: 3, connections: 3 });
    const held = [await halfOpen(small), await halfOpen(small), await halfOpen(small)];
    expect(await refused(small.url, from('127.0.0.2'))).toMatchObject({
      status: 503,
      code: 'server-full',
      body: expect.stringMatching(/no room for more connections/),
    });
    held[0]!.socket.destroy();
    // The server notices the close on its own schedule; the slot is then free.
    for (;;) {
      const attempt = await loggedIn(small.url, undefined, from('127.0.0.3')).catch(() => undefined);
      if (attempt !== undefined) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('reads the limit from /proc/self/limits text, with a low fallback', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63704                63704                processes ',
      'Max open files            4096                 524288               files     ',
    ].join('\n');
    expect(parseFdLimit(text)).toBe(4096);
    expect(parseFdLimit(text.replace('4096 ', 'unlimited '))).toBe(Infinity);
    expect(parseFdLimit('nothing here')).toBeUndefined();
    expect(readFdLimit('/nonexistent/limits')).toBe(FD_FALLBACK);
  });

  it('keys sources by address, IPv6 by its /64, and picks the proxy-recorded X-Forwarded-For entry', () => {
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('[2001:db8:1:2::9]:443')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('192.0.2.7:5555')).toBe('192.0.2.7');
    expect(sourceKey(undefined)).toBe('unknown');
    expect(forwardedAddress('1.1.1.1, 2.2.2.2, 3.3.3.3', 1)).toBe('3.3.3.3');
    expect(forwardedAddress(['1.1.1.1', '2.2.2.2, 3.3.3.3'], 2)).toBe('2.2.2.2');
    expect(forwardedAddress('3.3.3.3', 2)).toBe('3.3.3.3');
    expect(forwardedAddress(undefined, 1)).toBeUndefined();
  });
});
