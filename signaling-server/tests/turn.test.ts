// TURN credentials in coturn's use-auth-secret scheme: each keynode gets its own, in the welcome,
// and fresh ones before they expire for as long as it stays logged in.
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { SignalingClient } from '../../src/network/signaling-client.js';
import { SignalingServerError, startSignalingServer, type SignalingServer } from '../src/index.js';
import { loggedIn, makeIdentity } from './helpers.js';

let server: SignalingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const secret = 'shared-with-coturn';
const hmac = (username: string): string => createHmac('sha1', secret).update(username).digest('base64');

describe('TURN credentials', () => {
  it('hands each keynode its own credentials, after the static ICE servers, valid for ttlS', async () => {
    const now = 1_800_000_000_000;
    server = await startSignalingServer({
      iceServers: [{ urls: 'stun:stun.example.org' }],
      turn: { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], secret, ttlS: 3600 },
      clock: () => now,
    });
    const alice = await loggedIn(server.url);
    const bob = await loggedIn(server.url);
    const [stun, turn] = alice.welcome.iceServers as RTCIceServer[];
    expect(stun).toEqual({ urls: 'stun:stun.example.org' });
    expect(turn).toEqual({
      urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
      username: `${now / 1000 + 3600}:${alice.id.nodeId}`,
      credential: hmac(`${now / 1000 + 3600}:${alice.id.nodeId}`),
    });
    const bobTurn = (bob.welcome.iceServers as RTCIceServer[])[1]!;
    expect(bobTurn.username).toBe(`${now / 1000 + 3600}:${bob.id.nodeId}`);
    expect(bobTurn.credential).not.toBe(turn!.credential);
  });

  it('sends fresh credentials to a long-lived login before the old ones expire, and the client uses them', async () => {
    let now = 1_800_000_000_000;
    server = await startSignalingServer({ turn: { urls: ['turn:127.0.0.1:3478'], secret, ttlS: 60 }, clock: () => now, limits: { heartbeatMs: 100 } });
    const id = await makeIdentity();
    const client = new SignalingClient({ url: server.url, nodeId: id.nodeId, sign: id.sign, WebSocket });
    try {
      await client.connect();
      const first = client.iceServers[0]!;
      expect(first.username).toBe(`${now / 1000 + 60}:${id.nodeId}`);
      const refreshed = new Promise<RTCIceServer[]>((resolve) => client.on('ice-servers', resolve));
      // Half the lifetime later the server hands out new ones, well before the first expire.
      now += 30_000;
      const [fresh] = await refreshed;
      expect(fresh!.username).toBe(`${now / 1000 + 60}:${id.nodeId}`);
      expect(fresh!.credential).toBe(hmac(fresh!.username!));
      expect(client.iceServers[0]).toEqual(fresh);
    } finally {
      await client.close();
    }
  });

  it('refuses TURN options it cannot use', async () => {
    const refused = startSignalingServer({ turn: { urls: ['http://turn.example.org'], secret } });
    await expect(refused).rejects.toBeInstanceOf(SignalingServerError);
    await expect(refused).rejects.toMatchObject({ code: 'ErrorInvalidArgument', message: expect.stringContaining('turn.urls') });
    await expect(startSignalingServer({ turn: { urls: ['turn:turn.example.org'], secret: '' } })).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    await expect(startSignalingServer({ turn: { urls: ['turn:turn.example.org'], secret, ttlS: 0.5 } })).rejects.toMatchObject({
      code: 'ErrorInvalidArgument',
    });
  });
});
