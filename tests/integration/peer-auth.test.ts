// The peer handshake over real WebRTC: a man in the middle, an impostor, a wrong expected NodeId,
// garbage, silence and early RPC frames all end in ErrorNodeAuthenticationFailed, and no request
// is ever served on such a channel. Run inside `unshare -n`.
import { afterEach, describe, expect, it } from 'vitest';
import { isKeynodeError, type KeynodeError } from '../../src/errors.js';
import type { NodeId } from '../../src/ids/index.js';
import type { ByteChannel } from '../../src/network/byte-channel.js';
import { authenticatePeer } from '../../src/network/peer-auth.js';
import { RpcPeer } from '../../src/network/rpc.js';
import { encodeFrame } from '../../src/network/rpc-frames.js';
import { RpcHandlers } from '../../src/network/rpc-handlers.js';
import { identity, until, webrtcPair, type Identity } from '../unit/network/harness.js';
import { utf8 } from '../../src/utils/bytes.js';

const open: ByteChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function pair() {
  const p = await webrtcPair();
  open.push(p.a, p.b);
  return p;
}

/** The rejection of `promise`, which must be a KeynodeError. */
async function failure(promise: Promise<unknown>): Promise<KeynodeError> {
  const outcome = await promise.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.v)}`);
  if (!isKeynodeError(outcome.e)) throw outcome.e;
  return outcome.e;
}

/** Authenticates, then (only then) serves RPC: counts every handler run. */
function serveAfterAuth(channel: ByteChannel, me: Identity, role: 'initiator' | 'responder', expectedNodeId?: NodeId) {
  const served: string[] = [];
  const handlers = new RpcHandlers();
  handlers.handleUnary('vaults.scan', async () => {
    served.push('vaults.scan');
    return [];
  });
  const done = authenticatePeer({ channel, nodeId: me.nodeId, sign: me.sign, role, ...(expectedNodeId ? { expectedNodeId } : {}) }).then(
    (remoteNodeId) => new RpcPeer({ channel, remoteNodeId, role, handlers }),
  );
  return { done, served };
}

describe('peer handshake', () => {
  it('refuses a man in the middle that relays the handshake verbatim between two DTLS channels', async () => {
    const [alice, bob] = await Promise.all([identity(1), identity(2)]);
    // The relay terminates both sides with its own peer connections (its own certificates).
    const toAlice = await pair(); // toAlice.a: Alice's end, toAlice.b: the relay's end
    const toBob = await pair(); // toBob.a: the relay's end, toBob.b: Bob's end
    const relayed: number[] = [];
    const relayAlice = toAlice.b;
    const relayBob = toBob.a;
    relayAlice.onMessage((m) => {
      relayed.push(m.byteLength);
      void relayBob.send(m).catch(() => {});
    });
    relayBob.onMessage((m) => {
      relayed.push(m.byteLength);
      void relayAlice.send(m).catch(() => {});
    });
    expect(toAlice.a.remoteFingerprint).not.toBe(toBob.b.localFingerprint);

    const aliceSide = serveAfterAuth(toAlice.a, alice, 'initiator', bob.nodeId);
    const bobSide = serveAfterAuth(toBob.b, bob, 'responder');
    // Whatever the relay slips in after the handshake messages must never reach a handler.
    const inject = setInterval(() => {
      void relayBob.send(encodeFrame({ kind: 'open', id: 1, method: 'vaults.scan', header: utf8.encode('null') })).catch(() => {});
      void relayBob.send(encodeFrame({ kind: 'end', id: 1 })).catch(() => {});
    }, 20);
    try {
      const [aliceError, bobError] = await Promise.all([failure(aliceSide.done), failure(bobSide.done)]);
      expect(aliceError.code).toBe('ErrorNodeAuthenticationFailed');
      expect(bobError.code).toBe('ErrorNodeAuthenticationFailed');
      // Refused for the signature over the fingerprints, not for some incidental breakage.
      expect(`${aliceError.message} | ${bobError.message}`).toMatch(/could not prove its NodeId for this channel/);
    } finally {
      clearInterval(inject);
    }
    // The relay did forward the real handshake (hello and proof both ways) — and it was not enough.
    expect(relayed.length).toBeGreaterThanOrEqual(4);
    await until(() => toAlice.a.closed && toBob.b.closed);
    expect(aliceSide.served).toEqual([]);
    expect(bobSide.served).toEqual([]);
  });

  it('refuses an impostor whose key is not the NodeId it claims, on both sides', async () => {
    const [alice, bob, mallory] = await Promise.all([identity(1), identity(2), identity(3)]);
    const { a, b } = await pair();
    const aliceSide = serveAfterAuth(a, alice, 'initiator', bob.nodeId);
    // Mallory claims Bob's NodeId but can only sign with her own key.
    const impostor = authenticatePeer({ channel: b, nodeId: bob.nodeId, sign: mallory.sign, role: 'responder' });
    const [aliceError, malloryError] = await Promise.all([failure(aliceSide.done), failure(impostor)]);
    expect(aliceError.code).toBe('ErrorNodeAuthenticationFailed');
    expect(malloryError.code).toBe('ErrorNodeAuthenticationFailed');
    expect(aliceSide.served).toEqual([]);
  });

  it('refuses a genuine node that is not the one that was dialled', async () => {
    const [alice, bob, carol] = await Promise.all([identity(1), identity(2), identity(4)]);
    const { a, b } = await pair();
    const dialled = authenticatePeer({ channel: a, nodeId: alice.nodeId, sign: alice.sign, role: 'initiator', expectedNodeId: carol.nodeId });
    const answered = authenticatePeer({ channel: b, nodeId: bob.nodeId, sign: bob.sign, role: 'responder' });
    const [aliceError, bobError] = await Promise.all([failure(dialled), failure(answered)]);
    expect(aliceError.code).toBe('ErrorNodeAuthenticationFailed');
    expect(aliceError.message).toContain(bob.nodeId);
    expect(bobError.code).toBe('ErrorNodeAuthenticationFailed');
  });

  it('refuses garbage, an RPC frame sent before the handshake, and silence', async () => {
    const [alice, bob] = await Promise.all([identity(1), identity(2)]);
    const garbage = await pair();
    const garbageSide = serveAfterAuth(garbage.b, bob, 'responder');
    await garbage.a.send(Uint8Array.from([0xff, 0x00, 0x13, 0x37]));
    expect((await failure(garbageSide.done)).code).toBe('ErrorNodeAuthenticationFailed');

    const early = await pair();
    const earlySide = serveAfterAuth(early.b, bob, 'responder');
    await early.a.send(encodeFrame({ kind: 'open', id: 1, method: 'vaults.scan', header: utf8.encode('null') }));
    expect((await failure(earlySide.done)).code).toBe('ErrorNodeAuthenticationFailed');
    expect(earlySide.served).toEqual([]);

    const silent = await pair();
    const silence = authenticatePeer({ channel: silent.a, nodeId: alice.nodeId, sign: alice.sign, role: 'initiator', timeoutMs: 300 });
    const silenceError = await failure(silence);
    expect(silenceError.code).toBe('ErrorNodeAuthenticationFailed');
    expect(silenceError.message).toMatch(/in time/);
  });

  it('leaves the channel to the RPC layer: the first call right after the handshake is served', async () => {
    const [alice, bob] = await Promise.all([identity(1), identity(2)]);
    const { a, b } = await pair();
    const bobSide = serveAfterAuth(b, bob, 'responder');
    const aliceRemote = await authenticatePeer({ channel: a, nodeId: alice.nodeId, sign: alice.sign, role: 'initiator', expectedNodeId: bob.nodeId });
    // Alice calls at once, possibly before Bob's side has even created its RpcPeer.
    const rpc = new RpcPeer({ channel: a, remoteNodeId: aliceRemote, role: 'initiator' });
    await expect(rpc.callUnary('vaults.scan', null)).resolves.toEqual([]);
    await bobSide.done;
    expect(bobSide.served).toEqual(['vaults.scan']);
  });
});
