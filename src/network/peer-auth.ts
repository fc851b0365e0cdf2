// The peer handshake (docs/design.md §5, docs/protocol.md "Peer handshake"): proves that the peer holds
// the key of its NodeId AND that this very DTLS channel is the one it signed for. Each side signs
// a transcript of both NodeIds, both nonces and both DTLS fingerprints as it sees them, so a relay
// that terminates both sides (its own certificates in each SDP) cannot forward a valid signature.
import * as v from 'valibot';
import { KeynodeError } from '../errors.js';
import { isNodeId, randomBytes, type NodeId } from '../ids/index.js';
import { base64urlDecode, base64urlEncode, canonicalJSON, verify } from '../keys/crypto.js';
import type { ByteChannel } from './byte-channel.js';
import { utf8 } from '../utils/bytes.js';

export type PeerRole = 'initiator' | 'responder';

export interface AuthenticateOptions {
  channel: ByteChannel;
  /** Who we are, and how to sign with our node key (the key itself never comes here). */
  nodeId: NodeId;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  /** The side that created the WebRTC offer; orders the transcript. */
  role: PeerRole;
  /** When we dialled a specific node: any other NodeId is refused. */
  expectedNodeId?: NodeId;
  timeoutMs?: number;
}

const MAX_HANDSHAKE_MESSAGE = 4096;
const DOMAIN = 'keynode/peer-auth/v1';

const b64 = (max: number) => v.pipe(v.string(), v.maxLength(max), v.regex(/^[A-Za-z0-9_-]+$/));
const HandshakeMessage = v.variant('t', [
  v.strictObject({
    t: v.literal('hello'),
    v: v.literal(1),
    nodeId: v.pipe(
      v.string(),
      v.check((s) => isNodeId(s)),
    ),
    nonce: b64(43),
  }),
  v.strictObject({ t: v.literal('proof'), sig: b64(86) }),
  v.strictObject({ t: v.literal('ok') }),
  v.strictObject({ t: v.literal('error'), message: v.pipe(v.string(), v.maxLength(500)) }),
]);
type HandshakeMessage = v.InferOutput<typeof HandshakeMessage>;

/** The exact bytes both sides sign: the same for both, except the signer's role. */
export function handshakeTranscript(t: {
  signer: PeerRole;
  initiator: { nodeId: NodeId; nonce: string; fingerprint: string };
  responder: { nodeId: NodeId; nonce: string; fingerprint: string };
}): Uint8Array {
  return utf8.encode(canonicalJSON({ domain: DOMAIN, ...t }));
}

/**
 * Runs the handshake on a freshly opened channel and resolves with the peer's authenticated
 * NodeId. On any failure both sides end with ErrorNodeAuthenticationFailed: we tell the peer
 * (an error message), close the channel, and reject. Messages after the handshake stay queued on
 * the channel for the RPC layer.
 */
export async function authenticatePeer(options: AuthenticateOptions): Promise<NodeId> {
  const { channel, role } = options;
  const reader = new HandshakeReader(channel);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(authFailed('The peer did not complete the handshake in time.')), options.timeoutMs ?? 10_000);
  });
  try {
    return await Promise.race([run(options, reader), timeout]);
  } catch (e) {
    const error = e instanceof KeynodeError && e.code === 'ErrorNodeAuthenticationFailed' ? e : authFailed('The peer handshake failed.', e);
    if (!(error.data?.['fromPeer'] === true)) {
      // Best effort: the peer learns why, then the channel closes (close() lets it drain first).
      void channel.send(encode({ t: 'error', message: error.message })).catch(() => {});
    }
    channel.close();
    throw error;
  } finally {
    clearTimeout(timer);
    reader.stop();
  }

  async function run(o: AuthenticateOptions, r: HandshakeReader): Promise<NodeId> {
    const ourNonce = base64urlEncode(randomBytes(32));
    await channel.send(encode({ t: 'hello', v: 1, nodeId: o.nodeId, nonce: ourNonce }));
    const hello = await r.next('hello');
    const peerId = hello.nodeId as NodeId;
    if (o.expectedNodeId !== undefined && peerId !== o.expectedNodeId) {
      throw authFailed(`The peer is ${peerId}, not the node that was dialled (${o.expectedNodeId}).`);
    }
    if (peerId === o.nodeId) throw authFailed('The peer claims our own NodeId.');
    if (hello.nonce === ourNonce) throw authFailed('The peer echoed our nonce.');

    const us = { nodeId: o.nodeId, nonce: ourNonce, fingerprint: channel.localFingerprint };
    const them = { nodeId: peerId, nonce: hello.nonce, fingerprint: channel.remoteFingerprint };
    const sides = role === 'initiator' ? { initiator: us, responder: them } : { initiator: them, responder: us };
    const peerRole: PeerRole = role === 'initiator' ? 'responder' : 'initiator';

    const ourSig = await o.sign(handshakeTranscript({ signer: role, ...sides }));
    await channel.send(encode({ t: 'proof', sig: base64urlEncode(ourSig) }));
    const proof = await r.next('proof');
    // The peer signed the fingerprints IT sees; we check them against the ones WE see.
    const valid = await verify(peerId, handshakeTranscript({ signer: peerRole, ...sides }), base64urlDecode(proof.sig));
    if (!valid) {
      throw authFailed('The peer could not prove its NodeId for this channel (someone may be in the middle).');
    }
    await channel.send(encode({ t: 'ok' }));
    // Only when the peer accepted our proof too is the channel authenticated on both sides.
    await r.next('ok');
    return peerId;
  }
}

function authFailed(message: string, cause?: unknown): KeynodeError {
  return new KeynodeError('ErrorNodeAuthenticationFailed', message, cause === undefined ? {} : { cause });
}

function encode(m: HandshakeMessage): Uint8Array {
  return utf8.encode(JSON.stringify(m));
}

/** Reads handshake messages one at a time, leaving everything after the last one on the channel. */
class HandshakeReader {
  private readonly closeUnsub: () => void;
  private closedWith: KeynodeError | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly channel: ByteChannel) {
    this.closeUnsub = channel.onClose(() => {
      this.closedWith = authFailed('The connection closed during the peer handshake.');
      this.wake?.();
    });
  }

  async next<T extends HandshakeMessage['t']>(expected: T): Promise<Extract<HandshakeMessage, { t: T }>> {
    const raw = await this.readOne();
    let parsed: unknown;
    try {
      if (raw.byteLength > MAX_HANDSHAKE_MESSAGE) throw new Error('too long');
      parsed = JSON.parse(utf8.decode(raw));
    } catch (e) {
      throw authFailed('The peer sent a malformed handshake message.', e);
    }
    const result = v.safeParse(HandshakeMessage, parsed);
    if (!result.success) throw authFailed('The peer sent a malformed handshake message.');
    const m = result.output;
    if (m.t === 'error') {
      throw new KeynodeError('ErrorNodeAuthenticationFailed', `The peer refused the handshake: ${m.message}`, {
        data: { fromPeer: true },
      });
    }
    if (m.t !== expected) throw authFailed(`The peer sent "${m.t}" where "${expected}" was expected.`);
    return m as Extract<HandshakeMessage, { t: T }>;
  }

  stop(): void {
    this.closeUnsub();
    // A read still waiting (after a timeout) must not wait forever.
    this.closedWith ??= authFailed('The handshake was stopped.');
    this.wake?.();
  }

  private readOne(): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.closedWith !== undefined) {
        reject(this.closedWith);
        return;
      }
      const unsubscribe = this.channel.onMessage((data) => {
        unsubscribe();
        this.wake = undefined;
        resolve(data);
      });
      this.wake = () => {
        unsubscribe();
        reject(this.closedWith);
      };
    });
  }
}
