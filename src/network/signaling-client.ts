// The keynode's connection to the signaling server (docs/protocol.md, "Signaling"): logs in by
// signing the server's challenge, stays logged in by reconnecting with back-off until closed, and
// turns the server's messages into typed events. Platform-neutral: a browser page passes nothing,
// Node passes the `ws` class. The private key never reaches this file, only a `sign` function.
import * as v from 'valibot';
import { KeynodeError, type ErrorCode } from '../errors.js';
import { assertNodeId, type NodeId } from '../ids/index.js';
import { base64urlEncode } from '../keys/crypto.js';
import { Emitter } from '../utils/emitter.js';
import {
  MAX_CONTACTS,
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  ServerMessageSchema,
  closeCodes,
  describeIssues,
  jsonNestedDeeperThan,
  loginSignatureInput,
  type MailboxItem,
  type ServerMessage,
} from '../../protocol/signaling.js';

export type { MailboxItem } from '../../protocol/signaling.js';

export type SignalingStatus = 'connected' | 'connecting' | 'offline';

export interface SignalingEvents {
  /** SDP/ICE from another keynode; `from` is the NodeId the server authenticated. */
  signal: { from: NodeId; data: unknown };
  /** A watched node went offline (or was offline when first watched). */
  'peer-offline': { nodeId: NodeId };
  /** A signal we sent was not delivered: its target is not connected. */
  undeliverable: { nodeId: NodeId };
  /** A watched node logged in (or was already online when watched). */
  'peer-online': { nodeId: NodeId };
  /** Mailbox tokens for us; ack them with ackMailbox once handled, or they come again at next login. */
  mailbox: { items: MailboxItem[] };
  status: SignalingStatus;
  /** Fresh ICE servers during a long login (TURN credentials expire); `iceServers` has them too. */
  'ice-servers': RTCIceServer[];
  /** Server errors not tied to a request, lost logins, unreadable messages. */
  error: KeynodeError;
}

/** The members of a WebSocket this client uses; the browser's WebSocket and `ws` both have them. */
interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** `globalThis.WebSocket` in a browser; the `ws` package's default export in Node. */
export type WebSocketConstructor = new (url: string) => unknown;

export interface SignalingLogger {
  debug?(message: string, data?: Record<string, unknown>): void;
  warn?(message: string, data?: Record<string, unknown>): void;
}

export interface SignalingClientOptions {
  /** The URL to dial, e.g. 'ws://127.0.0.1:8787'; it is also what the login signature names. */
  url: string;
  nodeId: NodeId;
  /** Signs with the keynode's Ed25519 key (the login challenge only). */
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  WebSocket?: WebSocketConstructor;
  /** Wall clock; used to tell a stable connection (back-off restarts) from one dropped at once. */
  clock?: () => number;
  logger?: SignalingLogger;
  /** Reconnect delays: doubling from initialMs up to maxMs, with jitter. Defaults 500 ms and 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
}

const OPEN = 1;
/** A connection that lasted this long counts as stable: the next reconnect starts from the shortest delay. */
const STABLE_MS = 10_000;
const CLOSE_WAIT_MS = 1000;

const wireToCode: Record<string, ErrorCode> = {
  'login-failed': 'ErrorSignalingLoginFailed',
  replaced: 'ErrorSignalingReplaced',
  'mailbox-full': 'ErrorSignalingMailboxFull',
  // The sender's share is used up rather than the whole mailbox: for the caller the same (keep it, retry later).
  'mailbox-quota': 'ErrorSignalingMailboxFull',
  'rate-limited': 'ErrorSignalingRateLimited',
  'receiver-busy': 'ErrorSignalingReceiverBusy',
  unavailable: 'ErrorSignalingUnavailable',
};

interface Pending {
  resolve(value: { id: string; delivered: boolean }): void;
  reject(error: KeynodeError): void;
}

/** The status, ICE servers and events of a signaling login: the client's own, or relayed by the network host (platform/network-host/bridge.ts). */
export class SignalingEventSource {
  protected readonly emitter = new Emitter<SignalingEvents>();
  protected currentStatus: SignalingStatus = 'offline';
  protected servers: RTCIceServer[] = [];

  get status(): SignalingStatus {
    return this.currentStatus;
  }

  /** The ICE servers the signaling server handed out at the last login (empty before). */
  get iceServers(): RTCIceServer[] {
    return this.servers;
  }

  on<K extends keyof SignalingEvents>(event: K, listener: (value: SignalingEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  protected setStatus(status: SignalingStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emitter.emit('status', status);
  }
}

export class SignalingClient extends SignalingEventSource {
  readonly url: string;
  readonly nodeId: NodeId;
  private readonly sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly clock: () => number;
  private readonly logger: SignalingLogger | undefined;
  private readonly backoff: { initialMs: number; maxMs: number };

  private socket: WebSocketLike | undefined;
  /** False until connect(), and again after close() or after being replaced by another login. */
  private running = false;
  private attempt = 0;
  private connectedAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastError: KeynodeError | undefined;
  private waiters: Array<{ resolve(): void; reject(e: KeynodeError): void }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private readonly watched = new Set<NodeId>();
  /** Undefined until setContacts(): a keynode that never lists contacts sends none. */
  private contactList: NodeId[] | undefined;
  private readonly unsentAcks = new Set<string>();

  constructor(opts: SignalingClientOptions) {
    super();
    try {
      this.url = new URL(opts.url).href;
    } catch {
      throw new KeynodeError('ErrorInvalidArgument', `The signaling URL "${opts.url}" is not a URL.`);
    }
    if (!/^wss?:$/.test(new URL(this.url).protocol)) {
      throw new KeynodeError('ErrorInvalidArgument', `The signaling URL "${opts.url}" must start with ws:// or wss://.`);
    }
    this.nodeId = assertNodeId(opts.nodeId);
    this.sign = opts.sign;
    const impl = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (impl === undefined) {
      throw new KeynodeError('ErrorInvalidArgument', 'This platform has no WebSocket; pass one (in Node, the "ws" package).');
    }
    this.WebSocketImpl = impl;
    this.clock = opts.clock ?? Date.now;
    this.logger = opts.logger;
    this.backoff = { initialMs: opts.backoff?.initialMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 };
  }

  /**
   * Starts (or hurries) the connection. Resolves once logged in; rejects with the first failure,
   * while reconnecting goes on in the background until close().
   */
  connect(): Promise<void> {
    this.running = true;
    if (this.currentStatus === 'connected') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.socket === undefined) {
      clearTimeout(this.retryTimer);
      this.dial();
    }
    return promise;
  }

  /** Logs out and stops reconnecting; safe to call twice. */
  async close(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.rejectPending(new KeynodeError('ErrorSignalingNotConnected', 'The signaling connection was closed.'));
    this.failWaiters(new KeynodeError('ErrorSignalingNotConnected', 'The signaling connection was closed before it logged in.'));
    this.setStatus('offline');
    if (socket !== undefined && socket.readyState <= OPEN) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS);
        socket.onclose = () => {
          clearTimeout(timer);
          resolve();
        };
        socket.close(1000, 'client closed');
      });
    }
  }

  /** Relays SDP/ICE to `to`; an `undeliverable` event follows if `to` is not connected. */
  sendSignal(to: NodeId, data: unknown): void {
    // The rid marks the server's peer-offline as an answer to this signal, not news of a watched node.
    this.send({ type: 'signal', to: assertNodeId(to), data, rid: this.nextRid++ });
  }

  /** Leaves an opaque signed token in `to`'s mailbox; resolves once the server stored it. */
  async putMailbox(to: NodeId, token: string): Promise<{ id: string; delivered: boolean }> {
    const rid = this.nextRid++;
    const stored = new Promise<{ id: string; delivered: boolean }>((resolve, reject) => this.pending.set(rid, { resolve, reject }));
    try {
      this.send({ type: 'mailbox.put', to: assertNodeId(to), token, rid });
    } catch (e) {
      this.pending.delete(rid);
      throw e;
    }
    return stored;
  }

  /**
   * Replaces the NodeIds this keynode accepts as contacts: only they (and nodes it has signalled)
   * learn when it comes online and leaves, and their mailbox puts to it come before strangers'.
   * The server learns the list. Kept across reconnects; sent only when it changed; at most
   * MAX_CONTACTS are sent.
   */
  setContacts(nodeIds: readonly NodeId[]): void {
    const list = [...new Set(nodeIds.map((id) => assertNodeId(id)))].sort().slice(0, MAX_CONTACTS);
    if (this.contactList !== undefined && list.join() === this.contactList.join()) return;
    this.contactList = list;
    if (this.currentStatus === 'connected') this.send({ type: 'contacts', nodeIds: list });
  }

  /** Adds NodeIds to watch; `peer-online` fires when one logs in. Kept across reconnects. */
  watch(nodeIds: readonly NodeId[]): void {
    for (const id of nodeIds) this.watched.add(assertNodeId(id));
    if (this.currentStatus === 'connected') this.send({ type: 'watch', nodeIds: [...this.watched] });
  }

  unwatch(nodeIds: readonly NodeId[]): void {
    for (const id of nodeIds) this.watched.delete(id);
    if (this.currentStatus === 'connected') this.send({ type: 'watch', nodeIds: [...this.watched] });
  }

  /** Tells the server these mailbox items are handled; sent at the next login if offline now. */
  ackMailbox(ids: readonly string[]): void {
    for (const id of ids) this.unsentAcks.add(id);
    if (this.currentStatus === 'connected') this.flushAcks();
  }

  // ---- internals -------------------------------------------------------------------------------

  private send(message: Record<string, unknown>): void {
    const socket = this.socket;
    if (this.currentStatus !== 'connected' || socket === undefined || socket.readyState !== OPEN) {
      throw new KeynodeError('ErrorSignalingNotConnected', 'Not connected to the signaling server; try again once it reconnects.');
    }
    // Refused here rather than by the server, so the caller learns it at once; a value nested deep
    // enough to overflow JSON.stringify's recursion counts the same.
    let text: string | undefined;
    try {
      text = JSON.stringify(message);
    } catch {
      // RangeError from a value too deep for the recursion: refused just below.
    }
    if (text === undefined || jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new KeynodeError('ErrorInvalidArgument', `A signaling message must be JSON nested at most ${MAX_JSON_DEPTH} levels deep.`);
    }
    const size = new TextEncoder().encode(text).length;
    if (size > MAX_MESSAGE_BYTES) {
      throw new KeynodeError('ErrorInvalidArgument', `A signaling message may be at most ${MAX_MESSAGE_BYTES} bytes; this one has ${size}.`);
    }
    socket.send(text);
  }

  private flushAcks(): void {
    const ids = [...this.unsentAcks];
    for (let i = 0; i < ids.length; i += 1000) this.send({ type: 'mailbox.ack', ids: ids.slice(i, i + 1000) });
    this.unsentAcks.clear();
  }

  private dial(): void {
    this.setStatus('connecting');
    this.lastError = undefined;
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(this.url) as WebSocketLike;
    } catch (e) {
      this.lastError = new KeynodeError('ErrorNodeConnectionFailed', `Cannot open a WebSocket to ${this.url}.`, { cause: e });
      this.afterClose();
      return;
    }
    this.socket = socket;
    socket.onerror = () => undefined; // a close event always follows and carries what we need
    socket.onmessage = (event) => {
      if (this.socket === socket) this.onMessage(socket, event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.onSocketClosed(event.code, event.reason);
    };
  }

  private onMessage(socket: WebSocketLike, data: unknown): void {
    let message: ServerMessage;
    try {
      if (typeof data !== 'string') throw new Error('The signaling server sent a binary frame.');
      if (jsonNestedDeeperThan(data, MAX_JSON_DEPTH)) {
        throw new Error(`The signaling server sent a message nested deeper than ${MAX_JSON_DEPTH} levels.`);
      }
      const parsed = v.safeParse(ServerMessageSchema, JSON.parse(data));
      if (!parsed.success) throw new Error(`The signaling server sent an invalid message: ${describeIssues(parsed.issues)}`);
      message = parsed.output;
    } catch (e) {
      const text = e instanceof SyntaxError ? 'The signaling server sent a message that is not JSON.' : (e as Error).message;
      this.emitter.emit('error', new KeynodeError('ErrorSignalingProtocol', text, { data: { url: this.url } }));
      return;
    }
    switch (message.type) {
      case 'challenge':
        void this.answerChallenge(socket, message.nonce);
        return;
      case 'welcome':
        return this.onWelcome(message);
      case 'ice-servers':
        this.servers = message.iceServers as RTCIceServer[];
        return this.emitter.emit('ice-servers', this.servers);
      case 'signal':
        return this.emitter.emit('signal', { from: message.from, data: message.data });
      case 'peer-offline':
        if (message.rid !== undefined) return this.emitter.emit('undeliverable', { nodeId: message.nodeId });
        return this.emitter.emit('peer-offline', { nodeId: message.nodeId });
      case 'peer-online':
        return this.emitter.emit('peer-online', { nodeId: message.nodeId });
      case 'mailbox':
        return this.emitter.emit('mailbox', { items: message.items });
      case 'mailbox.stored':
        return this.takePending(message.rid)?.resolve({ id: message.id, delivered: message.delivered });
      case 'error':
        return this.onServerError(message.code, message.message, message.rid);
    }
  }

  private async answerChallenge(socket: WebSocketLike, nonce: string): Promise<void> {
    let signature: Uint8Array;
    try {
      signature = await this.sign(loginSignatureInput(nonce, this.url));
    } catch (e) {
      this.lastError = new KeynodeError('ErrorSignalingLoginFailed', 'Could not sign the signaling login challenge.', { cause: e });
      socket.close(1000, 'cannot sign');
      return;
    }
    if (this.socket !== socket || socket.readyState !== OPEN) return;
    socket.send(JSON.stringify({ type: 'login', nodeId: this.nodeId, signature: base64urlEncode(signature) }));
  }

  private onWelcome(message: Extract<ServerMessage, { type: 'welcome' }>): void {
    if (message.nodeId !== this.nodeId) {
      this.emitter.emit('error', new KeynodeError('ErrorSignalingProtocol', 'The signaling server welcomed a different NodeId.'));
      this.socket?.close(1000, 'wrong welcome');
      return;
    }
    this.servers = message.iceServers as RTCIceServer[];
    this.connectedAt = this.clock();
    this.setStatus('connected');
    this.logger?.debug?.('signaling connected', { url: this.url });
    // Contacts first: those already watching us hear at once that we are online.
    if (this.contactList !== undefined) this.send({ type: 'contacts', nodeIds: this.contactList });
    if (this.watched.size > 0) this.send({ type: 'watch', nodeIds: [...this.watched] });
    if (this.unsentAcks.size > 0) this.flushAcks();
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    if (message.mailbox.length > 0) this.emitter.emit('mailbox', { items: message.mailbox });
  }

  private onServerError(wire: string, text: string, rid: number | undefined): void {
    const error = new KeynodeError(wireToCode[wire] ?? 'ErrorSignalingProtocol', text, { data: { code: wire, url: this.url } });
    const pending = this.takePending(rid);
    if (pending !== undefined) return pending.reject(error);
    // Errors that end the connection explain the close that follows.
    if (wire === 'login-failed' || wire === 'login-timeout' || wire === 'replaced' || wire === 'server-full') this.lastError = error;
    this.emitter.emit('error', error);
  }

  private onSocketClosed(code: number, reason: string): void {
    const wasConnected = this.currentStatus === 'connected';
    const error =
      this.lastError ??
      new KeynodeError(
        'ErrorNodeConnectionFailed',
        wasConnected
          ? `The connection to the signaling server at ${this.url} was lost (code ${code}${reason ? `: ${reason}` : ''}).`
          : `Could not connect to the signaling server at ${this.url} (code ${code}${reason ? `: ${reason}` : ''}).`,
        { data: { url: this.url, code } },
      );
    this.rejectPending(new KeynodeError('ErrorSignalingNotConnected', 'The signaling connection was lost before the server answered.'));
    // Another tab or device logged in as us: reconnecting would only push it off in turn.
    if (code === closeCodes.replaced) this.running = false;
    this.failWaiters(error);
    if (wasConnected && this.clock() - this.connectedAt >= STABLE_MS) this.attempt = 0;
    this.logger?.warn?.(error.message, { url: this.url });
    this.afterClose();
  }

  private afterClose(): void {
    this.setStatus('offline');
    if (!this.running) return;
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    // Jitter, so many keynodes do not all come back at the same instant after a server restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => {
      if (this.running && this.socket === undefined) this.dial();
    }, delay);
  }

  /** The putMailbox waiting for the answer to `rid`, no longer waiting. */
  private takePending(rid: number | undefined): Pending | undefined {
    const pending = rid === undefined ? undefined : this.pending.get(rid);
    if (rid !== undefined) this.pending.delete(rid);
    return pending;
  }

  private rejectPending(reason: KeynodeError): void {
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }

  private failWaiters(error: KeynodeError): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
