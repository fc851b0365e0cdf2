// Login by signed challenge: only a fresh signature, by the NodeId's own key, naming this server's
// URL, logs a keynode in; a second login of the same NodeId pushes the first one off.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../tests/utils/services.js';
import { startSignalingServer, type SignalingServer } from '../src/index.js';
import { base64urlEncode } from '../../src/keys/crypto.js';
import { loginSignatureInput } from '../../protocol/signaling.js';
import { loggedIn, makeIdentity, RawPeer } from './helpers.js';

let server: SignalingServer;
beforeEach(async () => {
  server = await startSignalingServer({ port: 0, iceServers: [{ urls: 'stun:stun.example.org:3478' }] });
});
afterEach(() => server.close());

describe('signaling login', () => {
  it('sends a 32-byte challenge and welcomes a valid login with the ICE servers', async () => {
    const id = await makeIdentity();
    const peer = await RawPeer.open(server.url);
    const challenge = await peer.next('challenge');
    expect(challenge.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const sig = await id.sign(loginSignatureInput(challenge.nonce as string, server.url));
    peer.send({ type: 'login', nodeId: id.nodeId, signature: base64urlEncode(sig) });
    const welcome = await peer.next('welcome');
    expect(welcome).toEqual({ type: 'welcome', nodeId: id.nodeId, iceServers: [{ urls: 'stun:stun.example.org:3478' }], mailbox: [] });
    peer.close();
  });

  it('accepts the URL with or without the trailing slash, and localhost for a loopback server', async () => {
    const id = await makeIdentity();
    const a = await RawPeer.open(server.url);
    expect((await a.login(id, server.url + '/')).type).toBe('welcome');
    const port = new URL(server.url).port;
    const b = await RawPeer.open(`ws://localhost:${port}`);
    expect((await b.login(id)).type).toBe('welcome');
    b.close();
  });

  it('refuses a bad signature and closes the connection', async () => {
    const id = await makeIdentity();
    const peer = await RawPeer.open(server.url);
    await peer.next('challenge');
    peer.send({ type: 'login', nodeId: id.nodeId, signature: base64urlEncode(new Uint8Array(64).fill(7)) });
    const error = await peer.next('error');
    expect(error.code).toBe('login-failed');
    expect(error.message).toMatch(/signature does not verify/);
    expect((await peer.closed).code).toBe(4002);
  });

  it('refuses a valid signature spelled non-canonically (stray low bits in the last character)', async () => {
    const id = await makeIdentity();
    const peer = await RawPeer.open(server.url);
    const challenge = await peer.next('challenge');
    const signature = base64urlEncode(await id.sign(loginSignatureInput(challenge.nonce as string, server.url)));
    // 64 bytes fill 2 bits of the 86th character; its other 4 bits must be zero, so the next letter
    // spells the same bytes with a stray bit, which a lenient decoder would let through.
    const respelled = signature.slice(0, -1) + String.fromCharCode(signature.charCodeAt(85) + 1);
    peer.send({ type: 'login', nodeId: id.nodeId, signature: respelled });
    expect(await peer.next('error')).toMatchObject({ code: 'login-failed' });
    expect((await peer.closed).code).toBe(4002);
  });

  it('refuses a signature made by another key than the NodeId claims', async () => {
    const [alice, mallory] = [await makeIdentity(), await makeIdentity()];
    const peer = await RawPeer.open(server.url);
    const error = await peer.login(mallory, server.url, alice.nodeId);
    expect(error).toMatchObject({ type: 'error', code: 'login-failed' });
  });

  it('refuses a replayed signature: each connection has its own challenge', async () => {
    const id = await makeIdentity();
    const first = await RawPeer.open(server.url);
    const challenge = await first.next('challenge');
    const signature = base64urlEncode(await id.sign(loginSignatureInput(challenge.nonce as string, server.url)));
    first.send({ type: 'login', nodeId: id.nodeId, signature });
    await first.next('welcome');

    const attacker = await RawPeer.open(server.url);
    await attacker.next('challenge');
    attacker.send({ type: 'login', nodeId: id.nodeId, signature });
    expect(await attacker.next('error')).toMatchObject({ code: 'login-failed' });
    // The honest connection is untouched.
    expect(first.ws.readyState).toBe(first.ws.OPEN);
  });

  it('refuses a signature that names another server URL (a relayed challenge)', async () => {
    const id = await makeIdentity();
    const peer = await RawPeer.open(server.url);
    expect(await peer.login(id, 'wss://evil.example.org/')).toMatchObject({ type: 'error', code: 'login-failed' });
    const other = await startSignalingServer({ port: 0 });
    try {
      const peer2 = await RawPeer.open(server.url);
      expect(await peer2.login(id, other.url)).toMatchObject({ type: 'error', code: 'login-failed' });
    } finally {
      await other.close();
    }
  });

  it('checks against the configured public URL when one is given', async () => {
    const proxied = await startSignalingServer({ port: 0, publicUrl: 'wss://signal.example.org' });
    try {
      expect(proxied.url).toBe('wss://signal.example.org');
      const id = await makeIdentity();
      const direct = `ws://127.0.0.1:${proxied.port}`;
      expect(await (await RawPeer.open(direct)).login(id, 'wss://signal.example.org/')).toMatchObject({ type: 'welcome' });
      // Behind the proxy, the address the socket happens to reach is not a name the server answers to.
      expect(await (await RawPeer.open(direct)).login(id, direct)).toMatchObject({ type: 'error', code: 'login-failed' });
    } finally {
      await proxied.close();
    }
  });

  it('allows one login attempt per connection and rejects other messages before login', async () => {
    const id = await makeIdentity();
    const peer = await RawPeer.open(server.url);
    await peer.next('challenge');
    peer.send({ type: 'watch', nodeIds: [], rid: 3 });
    expect(await peer.next('error')).toMatchObject({ code: 'not-logged-in', rid: 3 });
    const { peer: logged } = await loggedIn(server.url, id);
    logged.send({ type: 'login', nodeId: id.nodeId, signature: 'A'.repeat(86) });
    expect(await logged.next('error')).toMatchObject({ code: 'already-logged-in' });
    expect(logged.ws.readyState).toBe(logged.ws.OPEN);
  });

  it('closes a connection that does not log in within the login timeout', async () => {
    const quick = await startSignalingServer({ port: 0, limits: { loginTimeoutMs: 50 } });
    try {
      const peer = await RawPeer.open(quick.url);
      expect(await peer.next('error')).toMatchObject({ code: 'login-timeout' });
      expect((await peer.closed).code).toBe(4003);
    } finally {
      await quick.close();
    }
  });

  it('lets a second login of the same NodeId replace the first', async () => {
    const id = await makeIdentity();
    const { peer: first } = await loggedIn(server.url, id);
    const { peer: second } = await loggedIn(server.url, id);
    expect(await first.next('error')).toMatchObject({ code: 'replaced' });
    expect((await first.closed).code).toBe(4001);
    // Signals for the NodeId now reach the new connection.
    const { peer: other } = await loggedIn(server.url);
    other.send({ type: 'signal', to: id.nodeId, data: { n: 1 } });
    expect(await second.next('signal')).toMatchObject({ data: { n: 1 } });
  });

  it('refuses to start when its Redis cannot be reached, naming it without the password', async () => {
    const port = await freePort();
    const error = await startSignalingServer({ redisUrl: `redis://:hunter2@127.0.0.1:${port}` }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error).toMatchObject({ code: 'ErrorSignalingUnavailable', message: expect.stringContaining(`cannot reach Redis at redis://127.0.0.1:${port}`) });
    expect(error!.message).not.toContain('hunter2');
  });
});
