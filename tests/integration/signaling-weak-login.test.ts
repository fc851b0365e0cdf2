// Signaling login with a small-order NodeId: the forged signature (R = identity, S = 0) that used to
// log anyone in as such a NodeId is refused, by the server's message schema and by its verifier
// (signaling-server/src/login.ts verifies with src/keys/crypto.ts), and nobody else is disturbed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64urlEncode } from '../../src/keys/crypto.js';
import { startSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { verifyLogin } from '../../signaling-server/src/login.js';
import { loggedIn, RawPeer } from '../../signaling-server/tests/helpers.js';
import { forgedSignature, smallOrderEncodings, spellNodeId } from '../utils/ed25519.js';

let server: SignalingServer;
beforeEach(async () => {
  server = await startSignalingServer({ port: 0 });
});
afterEach(() => server.close());

describe('signaling login with weak keys', () => {
  it('the login verifier refuses the forgery for every small-order NodeId', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      const ok = await verifyLogin(spellNodeId(bytes), 'A'.repeat(43), base64urlEncode(forgedSignature()), [server.url + '/']);
      expect(ok, name).toBe(false);
    }
  });

  it('a login as a small-order NodeId is never welcomed, and a genuine keynode still logs in', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      const peer = await RawPeer.open(server.url);
      await peer.next('challenge');
      peer.send({ type: 'login', nodeId: spellNodeId(bytes), signature: base64urlEncode(forgedSignature()) });
      const answer = await peer.waitFor(['welcome', 'error']);
      expect(answer.type, name).toBe('error');
      expect(['invalid-message', 'login-failed'], name).toContain(answer.code);
      peer.close();
    }
    const { peer } = await loggedIn(server.url);
    peer.close();
  });
});
