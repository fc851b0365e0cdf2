// SignalingClient against a real signaling server on 127.0.0.1: login, relay, presence, mailbox,
// errors as KeynodeErrors, and reconnecting on its own after the server restarts.
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../../signaling-server/src/index.js';
import type { Limits } from '../../../signaling-server/src/limits.js';
import { makeIdentity, type Identity } from '../../../signaling-server/tests/helpers.js';
import { SignalingClient, type SignalingEvents } from '../../../src/network/signaling-client.js';

const servers: SignalingServer[] = [];
const clients: SignalingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: { port?: number; limits?: Partial<Limits> } = {}): Promise<SignalingServer> {
  const s = await startSignalingServer({ port: 0, iceServers: [{ urls: 'stun:127.0.0.1:3478' }], ...opts });
  servers.push(s);
  return s;
}

function client(url: string, id: Identity, sign = id.sign): SignalingClient {
  const c = new SignalingClient({ url, nodeId: id.nodeId, sign, WebSocket, backoff: { initialMs: 20, maxMs: 100 } });
  clients.push(c);
  return c;
}

function once<K extends keyof SignalingEvents>(c: SignalingClient, event: K, match: (v: SignalingEvents[K]) => boolean = () => true) {
  return new Promise<SignalingEvents[K]>((resolve) => {
    const off = c.on(event, (value) => {
      if (!match(value)) return;
      off();
      resolve(value);
    });
  });
}

describe('SignalingClient', () => {
  it('logs in, reports its status and hands out the ICE servers', async () => {
    const s = await server();
    const c = client(s.url, await makeIdentity());
    const statuses: string[] = [];
    c.on('status', (st) => statuses.push(st));
    expect(c.status).toBe('offline');
    await c.connect();
    expect(c.status).toBe('connected');
    expect(c.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    await c.close();
    await c.close();
    expect(statuses).toEqual(['connecting', 'connected', 'offline']);
  });

  it('relays signals between two clients with the sender authenticated by the server', async () => {
    const s = await server();
    const [alice, bob] = [await makeIdentity(), await makeIdentity()];
    const a = client(s.url, alice);
    const b = client(s.url, bob);
    await Promise.all([a.connect(), b.connect()]);
    const got = once(b, 'signal');
    a.sendSignal(bob.nodeId, { sdp: 'offer' });
    expect(await got).toEqual({ from: alice.nodeId, data: { sdp: 'offer' } });
    const offline = once(a, 'undeliverable');
    const nobody = await makeIdentity();
    a.sendSignal(nobody.nodeId, {});
    expect(await offline).toEqual({ nodeId: nobody.nodeId });
    expect(() => a.sendSignal(bob.nodeId, 'é'.repeat(40_000))).toThrow(expect.objectContaining({ code: 'ErrorInvalidArgument' }));
  });

  it('puts mail for an offline node, which receives it at login and acks it away', async () => {
    const s = await server();
    const [alice, bob] = [await makeIdentity(), await makeIdentity()];
    const a = client(s.url, alice);
    await a.connect();
    expect(await a.putMailbox(bob.nodeId, 'signed-notification')).toMatchObject({ delivered: false });

    const b = client(s.url, bob);
    const mail = once(b, 'mailbox');
    await b.connect();
    const { items } = await mail;
    expect(items).toMatchObject([{ from: alice.nodeId, token: 'signed-notification' }]);
    b.ackMailbox(items.map((i) => i.id));
    await b.close();

    const again = client(s.url, bob);
    let redelivered = false;
    again.on('mailbox', () => (redelivered = true));
    // The ack went out before the close frame on the same socket, so the server had it before this login.
    await again.connect();
    expect(redelivered).toBe(false);
  });

  it('rejects a put into a full mailbox with ErrorSignalingMailboxFull', async () => {
    const s = await server({ limits: { mailboxMaxItems: 1 } });
    const a = client(s.url, await makeIdentity());
    const bob = await makeIdentity();
    await a.connect();
    await a.putMailbox(bob.nodeId, 'one');
    await expect(a.putMailbox(bob.nodeId, 'two')).rejects.toMatchObject({ code: 'ErrorSignalingMailboxFull' });
  });

  it('tells a watcher when a watched node that lists it as a contact comes online', async () => {
    const s = await server();
    const [alice, bob, carol] = [await makeIdentity(), await makeIdentity(), await makeIdentity()];
    const a = client(s.url, alice);
    const c = client(s.url, carol);
    await Promise.all([a.connect(), c.connect()]);
    const online = once(a, 'peer-online');
    const strangerSees = once(c, 'peer-offline');
    a.watch([bob.nodeId]);
    c.watch([bob.nodeId]);
    await strangerSees;
    const b = client(s.url, bob);
    b.setContacts([alice.nodeId]);
    await b.connect();
    expect(await online).toEqual({ nodeId: bob.nodeId });
    // Carol, not a contact, heard nothing: Bob reads as offline to her.
    const nothing: unknown[] = [];
    c.on('peer-online', (e) => nothing.push(e));
    const probe = once(c, 'undeliverable');
    c.sendSignal((await makeIdentity()).nodeId, 0);
    await probe;
    expect(nothing).toEqual([]);
  });

  it('refuses messages nested too deep, both ways, and stays connected', async () => {
    // A server that welcomes anyone and then relays a signal nested 20,000 levels deep.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ type: 'challenge', nonce: 'n'.repeat(43) }));
      ws.on('message', (data) => {
        const { nodeId } = JSON.parse(data.toString()) as { nodeId: string };
        ws.send(JSON.stringify({ type: 'welcome', nodeId, iceServers: [], mailbox: [] }));
        ws.send(`{"type":"signal","from":"${nodeId}","data":${deep}}`);
        ws.send(JSON.stringify({ type: 'signal', from: nodeId, data: 'after' }));
      });
    });
    try {
      const id = await makeIdentity();
      const c = client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, id);
      const refused = once(c, 'error');
      const after = once(c, 'signal');
      await c.connect();
      expect(await refused).toMatchObject({ code: 'ErrorSignalingProtocol', message: expect.stringMatching(/nested deeper than 32 levels/) });
      expect(await after).toEqual({ from: id.nodeId, data: 'after' });
      // Outgoing: refused before it is sent, whether or not JSON.stringify could cope with it.
      let tooDeep: unknown = 0;
      for (let i = 0; i < 40; i++) tooDeep = [tooDeep];
      expect(() => c.sendSignal(id.nodeId, tooDeep)).toThrow(expect.objectContaining({ code: 'ErrorInvalidArgument' }));
      let overflowing: unknown = 0;
      for (let i = 0; i < 100_000; i++) overflowing = [overflowing];
      expect(() => c.sendSignal(id.nodeId, overflowing)).toThrow(expect.objectContaining({ code: 'ErrorInvalidArgument' }));
      expect(c.status).toBe('connected');
    } finally {
      await Promise.all(clients.splice(0).map((x) => x.close()));
      await new Promise((r) => wss.close(r));
    }
  });

  it('fails connect() with ErrorSignalingLoginFailed when the signature is wrong', async () => {
    const s = await server();
    const [alice, mallory] = [await makeIdentity(), await makeIdentity()];
    const c = client(s.url, alice, mallory.sign);
    await expect(c.connect()).rejects.toMatchObject({ code: 'ErrorSignalingLoginFailed' });
  });

  it('fails connect() clearly when no server listens, and throws when sending while offline', async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    const c = client(url, await makeIdentity());
    await expect(c.connect()).rejects.toMatchObject({ code: 'ErrorNodeConnectionFailed', message: expect.stringMatching(/Could not connect/) });
    expect(() => c.sendSignal(c.nodeId, {})).toThrow(expect.objectContaining({ code: 'ErrorSignalingNotConnected' }));
  });

  it('stops when another login of the same NodeId replaces it', async () => {
    const s = await server();
    const id = await makeIdentity();
    const first = client(s.url, id);
    await first.connect();
    const replaced = once(first, 'error', (e) => e.code === 'ErrorSignalingReplaced');
    const offline = once(first, 'status', (st) => st === 'offline');
    await client(s.url, id).connect();
    await replaced;
    await offline;
    // It does not fight back: no reconnect is scheduled.
    await new Promise((r) => setTimeout(r, 150));
    expect(first.status).toBe('offline');
  });

  it('reconnects by itself after the server restarts, re-sending its contacts and watch list', async () => {
    const s = await server();
    const port = Number(new URL(s.url).port);
    const [alice, bob] = [await makeIdentity(), await makeIdentity()];
    const a = client(s.url, alice);
    a.setContacts([bob.nodeId]);
    await a.connect();
    a.watch([bob.nodeId]);
    const lost = once(a, 'status', (st) => st === 'offline');
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    await lost;

    const back = once(a, 'status', (st) => st === 'connected');
    await server({ port });
    await back;
    const online = once(a, 'peer-online');
    const b = client(`ws://127.0.0.1:${port}`, bob);
    b.setContacts([alice.nodeId]);
    await b.connect();
    expect(await online).toEqual({ nodeId: bob.nodeId });
    // Alice re-sent her contacts too: Bob may see her presence on the new server.
    const aliceSeen = once(b, 'peer-online');
    b.watch([alice.nodeId]);
    expect(await aliceSeen).toEqual({ nodeId: alice.nodeId });
  });
});
