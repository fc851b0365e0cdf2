// The peer handshake against a hostile peer that speaks the protocol by hand: a small-order NodeId
// with the forged proof (R = identity, S = 0) that verified for any transcript, and a genuine key
// whose proof was made malleable. Each ends in ErrorNodeAuthenticationFailed on the honest side.
// The channel is the in-memory pair, so no WebRTC is needed.
import { afterEach, describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import type { NodeId } from '../../../src/ids/index.js';
import { base64urlEncode } from '../../../src/keys/crypto.js';
import type { ByteChannel } from '../../../src/network/byte-channel.js';
import { authenticatePeer, handshakeTranscript } from '../../../src/network/peer-auth.js';
import { forgedSignature, smallOrderEncodings, spellNodeId, withNonCanonicalS } from '../../utils/ed25519.js';
import { identity, memoryPair } from './harness.js';
import { utf8 } from '../../../src/utils/bytes.js';

const open: ByteChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

const send = (channel: ByteChannel, message: unknown) => channel.send(utf8.encode(JSON.stringify(message)));

/** The next message the honest side sends, parsed. */
function nextMessage(channel: ByteChannel): Promise<{ t: string; [k: string]: unknown }> {
  return new Promise((resolve) => {
    const off = channel.onMessage((data) => {
      off();
      resolve(JSON.parse(utf8.decode(data)) as { t: string });
    });
  });
}

/** "authenticated <NodeId>", or the refusal's code and message. */
async function outcomeOf(promise: Promise<NodeId>): Promise<string> {
  try {
    return `authenticated ${await promise}`;
  } catch (e) {
    if (!isKeynodeError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

/**
 * Bob (honest, responder) against a hand-written initiator that says `nodeId` in its hello and
 * answers Bob's proof with `proof(transcript)`.
 */
async function againstHandwritten(nodeId: NodeId, proof: (transcript: Uint8Array) => Promise<Uint8Array>): Promise<string> {
  const bob = await identity(2);
  const { a: attacker, b } = memoryPair();
  open.push(attacker, b);
  const honest = authenticatePeer({ channel: b, nodeId: bob.nodeId, sign: bob.sign, role: 'responder', timeoutMs: 5_000 });
  const nonce = base64urlEncode(new Uint8Array(32).fill(9));
  const bobHello = nextMessage(attacker);
  await send(attacker, { t: 'hello', v: 1, nodeId, nonce });
  const hello = await bobHello;
  if (hello.t === 'hello') {
    const transcript = handshakeTranscript({
      signer: 'initiator',
      initiator: { nodeId, nonce, fingerprint: attacker.localFingerprint },
      responder: { nodeId: bob.nodeId, nonce: hello['nonce'] as string, fingerprint: attacker.remoteFingerprint },
    });
    await send(attacker, { t: 'proof', sig: base64urlEncode(await proof(transcript)) });
    await send(attacker, { t: 'ok' });
  }
  return outcomeOf(honest);
}

describe('peer handshake with weak keys', () => {
  it('refuses a small-order NodeId with the forged proof, for every small-order encoding', async () => {
    for (const { name, bytes } of smallOrderEncodings) {
      const outcome = await againstHandwritten(spellNodeId(bytes), async () => forgedSignature());
      expect(outcome, name).toMatch(/^ErrorNodeAuthenticationFailed: /);
    }
  });

  it('refuses a genuine key whose proof has a non-canonical S (S + ℓ), and accepts the proof unaltered', async () => {
    const mallory = await identity(3);
    const malleated = await againstHandwritten(mallory.nodeId, async (t) => withNonCanonicalS(await mallory.sign(t)));
    expect(malleated).toMatch(/^ErrorNodeAuthenticationFailed: The peer could not prove its NodeId/);
    // The control: the hand-written initiator is otherwise right, so the S alone was refused.
    expect(await againstHandwritten(mallory.nodeId, (t) => mallory.sign(t))).toBe(`authenticated ${mallory.nodeId}`);
  });
});
