// Test helpers: real Ed25519 identities and a raw WebSocket peer that records every message, so
// tests can speak the protocol byte for byte (including the wrong bytes).
import WebSocket from 'ws';
import { encodeNodeId, randomBytes, type NodeId } from '../../src/ids/index.js';
import { base64urlEncode, keyPairFromSeed, sign } from '../../src/keys/crypto.js';
import { loginSignatureInput } from '../../protocol/signaling.js';

export interface Identity {
  nodeId: NodeId;
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

export async function makeIdentity(): Promise<Identity> {
  const pair = await keyPairFromSeed(randomBytes(32));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (bytes) => sign(pair.privateKey, bytes) };
}

// Server messages are checked field by field in the tests themselves.
export type Json = Record<string, unknown> & { type: string };

export class RawPeer {
  readonly messages: Json[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private seen = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly url: string,
  ) {
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? { type: '<binary>' } : (JSON.parse(data.toString()) as Json));
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<RawPeer> {
    const ws = new WebSocket(url, options);
    const peer = new RawPeer(ws, url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return peer;
  }

  /** The next message of the given type; messages of other types before it are skipped. */
  next(type: string, timeoutMs = 5000): Promise<Json> {
    return this.waitFor([type], timeoutMs);
  }

  /** The next message whose type is one of `types`; messages of other types before it are skipped. */
  async waitFor(types: string[], timeoutMs = 5000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.seen < this.messages.length) {
        const message = this.messages[this.seen++]!;
        if (types.includes(message.type)) return message;
      }
      if (Date.now() > deadline) throw new Error(`no ${types.join('/')} message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Answers the challenge as `identity`, signing for `signUrl` (default: the URL dialled). */
  async login(identity: Identity, signUrl = this.url, claimedNodeId: NodeId = identity.nodeId): Promise<Json> {
    const challenge = await this.next('challenge');
    const signature = await identity.sign(loginSignatureInput(challenge.nonce as string, signUrl));
    this.send({ type: 'login', nodeId: claimedNodeId, signature: base64urlEncode(signature) });
    return this.waitFor(['welcome', 'error']);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Dials expecting a refusal before the upgrade: the HTTP status, the X-Keynode-Error code and the
 * sentence; or `reset` when the server closed without an answer.
 */
export function refused(url: string, options?: WebSocket.ClientOptions): Promise<{ status: number; code: string; body: string } | 'reset'> {
  const ws = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the connection was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: String(res.headers['x-keynode-error']), body }));
      res.on('error', () => resolve('reset'));
    });
    ws.once('error', () => resolve('reset'));
  });
}

/** Proves nothing more is on its way to `peer` from before now: a round trip through the server (messages are handled in order). */
export async function settled(peer: RawPeer): Promise<void> {
  const nobody = (await makeIdentity()).nodeId;
  peer.send({ type: 'signal', to: nobody, data: 0, rid: 1 });
  for (;;) if ((await peer.next('peer-offline')).nodeId === nobody) return;
}

/** Lists `contacts` for `peer` and waits until the server has taken the list. */
export async function listContacts(peer: RawPeer, contacts: NodeId[]): Promise<void> {
  peer.send({ type: 'contacts', nodeIds: contacts });
  await settled(peer);
}

/** A logged-in raw peer. */
export async function loggedIn(url: string, identity?: Identity, options?: WebSocket.ClientOptions): Promise<{ peer: RawPeer; id: Identity; welcome: Json }> {
  const id = identity ?? (await makeIdentity());
  const peer = await RawPeer.open(url, options);
  const welcome = await peer.login(id);
  if (welcome.type !== 'welcome') throw new Error(`login failed: ${JSON.stringify(welcome)}`);
  return { peer, id, welcome };
}

/** One put and its answer: `mailbox.stored` or an error. */
export async function put(peer: RawPeer, to: NodeId, token: string): Promise<Json> {
  const rid = Math.floor(Math.random() * 1e9);
  peer.send({ type: 'mailbox.put', to, token, rid });
  for (;;) {
    const reply = await peer.waitFor(['mailbox.stored', 'error']);
    if (reply.rid === rid) return reply;
  }
}
