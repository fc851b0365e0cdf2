// One WebSocket connection: challenge, login, then the checked handling of every message. A bad
// message costs its sender an error reply and nothing else; no other connection is touched.
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import type { WebSocket, RawData } from 'ws';
import type { NodeId } from '../../protocol/node-id.js';
import type { Cluster, ClusterMember } from './cluster.js';
import { isUnavailable } from './errors.js';
import type { Limits } from './limits.js';
import { newNonce, verifyLogin } from './login.js';
import {
  ClientMessageSchema,
  clientMessageSchemas,
  closeCodes,
  describeIssues,
  jsonNestedDeeperThan,
  MAX_JSON_DEPTH,
  type ClientMessage,
  type MailboxItem,
  type ServerMessageOut,
  type WireErrorCode,
} from '../../protocol/signaling.js';
import type { Source } from './admission.js';
import { Outbound, type RelayBudget, type RelayRefusal, type Sender } from './outbound.js';
import { monotonicNow, TokenBucket, ViolationCounter } from './rate-limit.js';
import type { MailboxRefusal, MailboxStore } from './stores/index.js';

export interface ServerContext {
  limits: Limits;
  cluster: Cluster;
  relay: RelayBudget;
  mailbox: MailboxStore;
  /** Normalized URLs a login signature may name (see docs/protocol.md, origin binding). */
  publicUrls: readonly string[];
  /** The STUN/TURN servers for this keynode, with fresh TURN credentials when TURN is configured. */
  iceServers: (nodeId: NodeId) => RTCIceServer[];
  /** How often a logged-in keynode gets fresh ICE servers (TURN credentials expire); undefined: never. */
  iceRefreshMs: number | undefined;
  clock: () => number;
}

let connections = 0;

type Msg<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

const clientTypes = Object.keys(clientMessageSchemas).join(', ');

/** Why a put was refused: the wire code and the start of the sentence for the sender. */
function mailboxRefusal(reason: MailboxRefusal, to: NodeId, limits: Limits): { code: WireErrorCode; why: string } {
  const share = (items: number, bytes: number) => `${items} items or ${bytes} bytes`;
  switch (reason) {
    case 'count':
      return { code: 'mailbox-full', why: `The mailbox of ${to} is full (${limits.mailboxMaxItems} items)` };
    case 'bytes':
      return { code: 'mailbox-full', why: `The mailbox of ${to} would exceed ${limits.mailboxMaxBytes} bytes` };
    case 'sender':
      return {
        code: 'mailbox-quota',
        why: `You already have the most the mailbox of ${to} keeps from one sender (${share(limits.mailboxSenderItems, limits.mailboxSenderBytes)})`,
      };
    case 'source':
      return {
        code: 'mailbox-quota',
        why: `Keynodes at your network address that ${to} has not listed as contacts already have the most its mailbox keeps from one sender (${share(limits.mailboxSenderItems, limits.mailboxSenderBytes)})`,
      };
    case 'strangers':
      return {
        code: 'mailbox-quota',
        why: `The mailbox of ${to} keeps at most ${share(limits.mailboxStrangerItems, limits.mailboxStrangerBytes)} from keynodes it has not listed as contacts, and that share is full`,
      };
    case 'source-total':
      return {
        code: 'mailbox-quota',
        why: `Keynodes at your network address already have ${limits.mailboxSourceBytes} bytes waiting in mailboxes on this server, the most it keeps for one address`,
      };
    case 'strangers-total':
      return { code: 'mailbox-full', why: "The server's mailbox storage for senders their recipients have not listed as contacts is full" };
    case 'total':
      return { code: 'mailbox-full', why: "The server's mailbox storage is full" };
  }
}

/** Why a relay was refused, for the sender. */
const busy: Record<RelayRefusal, (to: NodeId) => string> = {
  sender: (to) => `Your messages to ${to} are piling up: it is not reading them as fast as you send.`,
  source: () => 'Messages from your network address are piling up at receivers that do not read them as fast.',
  total: () => 'The server holds too many undelivered messages right now.',
};

export class Session implements ClusterMember {
  nodeId: NodeId | undefined;
  readonly connId = (++connections).toString(36);
  /** Cleared by the heartbeat before each ping and set again by the pong. */
  alive = true;
  private nonce: string | undefined = newNonce();
  private closed = false;
  private readingPaused = false;
  private readonly out: Outbound;
  private readonly bucket: TokenBucket;
  private readonly violations: ViolationCounter;
  private readonly loginTimer: ReturnType<typeof setTimeout>;
  /** When the ICE servers (and their TURN credentials) were last handed out. */
  private iceIssuedAt = 0;
  /** Signals go out one after the other: routing one may wait for Redis, and order matters (an offer before its candidates). */
  private signals: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ServerContext,
    /** The source address this connection counts against (admission.ts). */
    readonly source: Source,
    /** When the login must be done by (monotonic ms), counted from TCP accept. */
    loginDeadline: number,
  ) {
    this.out = new Outbound(ws, ctx.limits, ctx.relay, () => this.close(closeCodes.slowConsumer, 'too slow: its own messages were piling up'));
    this.bucket = new TokenBucket(ctx.limits.ratePerSecond, ctx.limits.rateBurst);
    this.violations = new ViolationCounter(ctx.limits.maxRateViolations);
    this.loginTimer = setTimeout(
      () => {
        this.error('login-timeout', `No valid login within ${ctx.limits.loginTimeoutMs} ms of connecting; the connection is closed.`);
        this.close(closeCodes.loginTimeout, 'login timeout');
      },
      Math.max(0, loginDeadline - monotonicNow()),
    );
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.onClose());
    // ws reports protocol violations (bad UTF-8, oversized frames) here and then closes the socket.
    ws.on('error', () => this.onClose());
    this.out.own({ type: 'challenge', nonce: this.nonce! }, true);
  }

  /** A message from another keynode; refused (and then not sent) when that sender has too much waiting here. */
  relay(message: ServerMessageOut, from: Sender): RelayRefusal | undefined {
    return this.closed ? undefined : this.out.relay(message, from);
  }

  get gone(): boolean {
    return this.closed;
  }

  own(message: ServerMessageOut): void {
    if (!this.closed) this.out.own(message);
  }

  relayRefused(to: NodeId, reason: RelayRefusal, rid: number | undefined): void {
    if (!this.closed) this.error('receiver-busy', `${busy[reason](to)} This signal was dropped; try again later.`, rid);
  }

  unavailable(): void {
    if (this.closed) return;
    this.error('unavailable', 'The signaling server lost its store (Redis); reconnect in a moment. Nothing stored was lost.');
    this.close(closeCodes.unavailable, 'store unavailable');
  }

  /** Heartbeat: hands out fresh ICE servers before the TURN credentials of the last ones expire. */
  refreshIceServers(now: number): void {
    const every = this.ctx.iceRefreshMs;
    if (every === undefined || this.closed || this.nodeId === undefined || now - this.iceIssuedAt < every) return;
    this.iceIssuedAt = now;
    this.out.own({ type: 'ice-servers', iceServers: this.ctx.iceServers(this.nodeId) });
  }

  replaced(): void {
    this.error('replaced', 'Another connection logged in with this NodeId; this one is closed.');
    this.close(closeCodes.replaced, 'replaced by a newer login');
  }

  /** Heartbeat: drop the socket if the last ping went unanswered, else ping again. */
  heartbeat(): void {
    if (!this.alive) {
      this.closed = true;
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
  }

  private error(code: WireErrorCode, message: string, rid?: number): void {
    this.out.own(rid === undefined ? { type: 'error', code, message } : { type: 'error', code, message, rid }, true);
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.loginTimer);
    this.out.dropAll();
    this.ctx.cluster.leave(this);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const { limits } = this.ctx;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    this.chargeSource(bytes.length);
    const nodeOk = this.nodeId === undefined || this.ctx.cluster.nodeBucket(this.nodeId).take();
    if (!this.bucket.take() || !nodeOk) return this.throttled();
    if (isBinary) return this.error('binary-not-supported', 'Binary frames are not part of the signaling protocol; send JSON text.');
    if (bytes.length > limits.maxMessageBytes) {
      return this.error('too-large', `A message may be at most ${limits.maxMessageBytes} bytes; this one has ${bytes.length}.`);
    }
    const text = bytes.toString('utf8');
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      return this.error('too-deep', `A message may nest arrays and objects at most ${MAX_JSON_DEPTH} levels deep; this one nests deeper.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.error('bad-json', 'The message is not valid JSON.');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as { type?: unknown }).type !== 'string') {
      return this.error('invalid-message', 'A message must be a JSON object with a string "type" field.');
    }
    const raw = json as { type: string; rid?: unknown };
    const rid = typeof raw.rid === 'number' && Number.isSafeInteger(raw.rid) && raw.rid >= 0 ? raw.rid : undefined;
    if (!Object.hasOwn(clientMessageSchemas, raw.type)) {
      return this.error('unknown-type', `Unknown message type "${raw.type.slice(0, 40)}"; the types are ${clientTypes}.`, rid);
    }
    const parsed = v.safeParse(ClientMessageSchema, json);
    if (!parsed.success) return this.error('invalid-message', `Invalid "${raw.type}" message: ${describeIssues(parsed.issues)}`, rid);
    const message = parsed.output;
    if (message.type !== 'login' && this.nodeId === undefined) {
      return this.error('not-logged-in', 'Log in first: answer the challenge with a "login" message.', rid);
    }
    this.dispatch(message).catch((e: unknown) => {
      if (isUnavailable(e)) {
        this.error(
          'unavailable',
          `The server cannot reach its store (Redis) right now, so this "${message.type}" message was not handled; retry once reconnected.`,
          rid,
        );
      } else this.error('internal', `The server failed to handle this "${message.type}" message; please retry.`, rid);
    });
  }

  /**
   * Every byte read counts against the source's byte budget. In debt, the server stops reading this
   * socket until the debt is paid: the flood waits in the sender's own TCP buffers, costing the
   * server nothing, and other sources are read as before.
   */
  private chargeSource(bytes: number): void {
    const wait = this.source.bytes.spend(bytes);
    if (wait === 0 || this.readingPaused) return;
    this.readingPaused = true;
    this.ws.pause();
    setTimeout(() => {
      this.readingPaused = false;
      if (!this.closed) this.ws.resume();
    }, wait).unref();
  }

  private throttled(): void {
    const { exceeded, first } = this.violations.record();
    const { ratePerSecond, rateBurst } = this.ctx.limits;
    if (exceeded) {
      this.error('rate-limited', 'Too many messages after being told to slow down: the connection is closed.');
      this.close(closeCodes.rateLimited, 'rate limited');
    } else if (first) {
      this.error('rate-limited', `Too many messages: at most ${ratePerSecond} per second (bursts of ${rateBurst}); the rest are dropped.`);
    }
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'login':
        return this.login(message);
      case 'signal': {
        const sent = this.signals.then(() => this.signal(message));
        this.signals = sent.catch(() => undefined);
        return sent;
      }
      case 'watch':
        return this.watch(message);
      case 'mailbox.put':
        return this.mailboxPut(message);
      case 'mailbox.ack':
        await this.ctx.mailbox.ack(this.nodeId!, message.ids);
        return;
      case 'contacts':
        return this.setContacts(message);
    }
  }

  private async login(message: Msg<'login'>): Promise<void> {
    if (this.nodeId !== undefined) return this.error('already-logged-in', `This connection is already logged in as ${this.nodeId}.`);
    const nonce = this.nonce;
    // One attempt per challenge: a nonce that was tried once can never be tried again.
    this.nonce = undefined;
    if (nonce === undefined) {
      this.error('login-failed', 'Only one login attempt is allowed per connection; reconnect for a fresh challenge.');
      return this.close(closeCodes.loginFailed, 'login failed');
    }
    const ok = await verifyLogin(message.nodeId, nonce, message.signature, this.ctx.publicUrls);
    if (this.closed) return;
    if (!ok) {
      this.error('login-failed', "The login signature does not verify for this NodeId, this challenge and this server's URL; the connection is closed.");
      return this.close(closeCodes.loginFailed, 'login failed');
    }
    clearTimeout(this.loginTimer);
    if (!this.ctx.cluster.available) return this.unavailableAtLogin();
    this.nodeId = message.nodeId;
    // Until the welcome is out, messages for us wait, so the welcome is always the first reply.
    this.out.hold();
    let items: MailboxItem[];
    try {
      // The contacts it listed last time decide who hears that it is online, until it lists them again.
      const contacts = await this.ctx.mailbox.contacts(message.nodeId);
      if (this.closed) return;
      if (!(await this.ctx.cluster.join(this as Session & { nodeId: NodeId }, contacts))) return;
      items = await this.ctx.mailbox.list(message.nodeId);
    } catch (e) {
      if (isUnavailable(e)) return this.unavailableAtLogin();
      // Without a welcome the connection is of no use (and would hold relayed messages forever).
      this.error('internal', 'The server could not read your mailbox; please reconnect.');
      return this.close(closeCodes.internal, 'mailbox unavailable');
    }
    const iceServers = this.ctx.iceServers(message.nodeId);
    this.iceIssuedAt = this.ctx.clock();
    const [first, ...rest] = this.chunk(items, iceServers);
    this.out.own({ type: 'welcome', nodeId: message.nodeId, iceServers, mailbox: first ?? [] }, true);
    for (const items of rest) this.out.own({ type: 'mailbox', items }, true);
    this.out.release();
  }

  private unavailableAtLogin(): void {
    this.error(
      'unavailable',
      'The signaling server cannot reach its store (Redis) right now; it will take logins again once it is back. Reconnect in a moment.',
    );
    this.close(closeCodes.unavailable, 'store unavailable');
  }

  /** Splits mailbox items so every message stays under the message size limit. */
  private chunk(items: MailboxItem[], iceServers: RTCIceServer[]): MailboxItem[][] {
    const budget = this.ctx.limits.maxMessageBytes - 1024 - JSON.stringify(iceServers).length;
    const chunks: MailboxItem[][] = [];
    let current: MailboxItem[] = [];
    let size = 0;
    for (const item of items) {
      const itemSize = JSON.stringify(item).length + 1;
      if (current.length > 0 && size + itemSize > budget) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(item);
      size += itemSize;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  private async signal(message: Msg<'signal'>): Promise<void> {
    const self = this as Session & { nodeId: NodeId };
    // `from` is the authenticated NodeId of this connection, never anything the sender wrote.
    const delivery = await this.ctx.cluster.deliver(self, message.to, { type: 'signal', from: self.nodeId, data: message.data }, { rid: message.rid });
    if (delivery.status === 'offline') {
      return this.out.own({ type: 'peer-offline', nodeId: message.to, ...(message.rid === undefined ? {} : { rid: message.rid }) });
    }
    if (delivery.status === 'refused') return this.relayRefused(message.to, delivery.reason, message.rid);
    this.ctx.cluster.signalled(self, message.to);
  }

  private async watch(message: Msg<'watch'>): Promise<void> {
    const { maxWatch } = this.ctx.limits;
    if (message.nodeIds.length > maxWatch) {
      return this.error('too-many', `A connection may watch at most ${maxWatch} NodeIds; this asked for ${message.nodeIds.length}.`, message.rid);
    }
    // Each newly watched node's state now: online counts as coming online (the watcher wants to
    // retry towards it); offline, as having left (a connection the watcher just made to it may
    // already be dead). A node that has not introduced itself to the watcher reads as offline.
    // Only the new ones: a watcher that re-sends its set on every peer-online would otherwise loop.
    for (const { nodeId, online } of await this.ctx.cluster.watch(this, message.nodeIds)) {
      this.out.own({ type: online ? 'peer-online' : 'peer-offline', nodeId });
    }
  }

  private async setContacts(message: Msg<'contacts'>): Promise<void> {
    const { maxContacts } = this.ctx.limits;
    if (message.nodeIds.length > maxContacts) {
      return this.error('too-many', `A keynode may list at most ${maxContacts} contacts; this listed ${message.nodeIds.length}.`, message.rid);
    }
    this.ctx.cluster.setContacts(this as Session & { nodeId: NodeId }, message.nodeIds);
    await this.ctx.mailbox.setContacts(this.nodeId!, message.nodeIds, this.source.key);
  }

  private async mailboxPut(message: Msg<'mailbox.put'>): Promise<void> {
    const { limits } = this.ctx;
    const size = Buffer.byteLength(message.token, 'utf8');
    if (size > limits.maxTokenBytes) {
      return this.error('too-large', `A mailbox token may be at most ${limits.maxTokenBytes} bytes; this one has ${size}.`, message.rid);
    }
    const item: MailboxItem = { id: randomBytes(16).toString('base64url'), from: this.nodeId!, token: message.token, at: this.ctx.clock() };
    const stored = await this.ctx.mailbox.put(message.to, item, this.source.key);
    if (!stored.ok) {
      const { code, why } = mailboxRefusal(stored.reason, message.to, limits);
      return this.error(code, `${why}; nothing was stored. It empties as the recipient logs in and acknowledges, or as items expire.`, message.rid);
    }
    // A recipient with too much from us waiting gets it at its next login instead. `delivered`
    // says whether the recipient is online, so only a sender that may see its presence learns it.
    const delivered = await this.deliverNow(message.to, item).catch(() => false);
    this.out.own({ type: 'mailbox.stored', id: item.id, delivered, ...(message.rid === undefined ? {} : { rid: message.rid }) });
  }

  /** Hands a stored item to its recipient now if it is online; whether the sender may know it was. */
  private async deliverNow(to: NodeId, item: MailboxItem): Promise<boolean> {
    const delivery = await this.ctx.cluster.deliver(this as Session & { nodeId: NodeId }, to, { type: 'mailbox', items: [item] });
    return delivery.status === 'sent' && (await this.ctx.cluster.mayWatchOnline(this, to));
  }
}
