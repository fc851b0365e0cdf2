// The signaling server's limits and their defaults (docs/protocol.md lists them). Each bounds one
// resource a client could otherwise exhaust: memory, CPU for signature checks, or other clients' share.
import { SignalingServerError } from './errors.js';
import { MAX_CONTACTS, MAX_MESSAGE_BYTES } from '../../protocol/signaling.js';

export interface Limits {
  /** Largest text message handled; a larger one gets `too-large` and the connection stays. */
  maxMessageBytes: number;
  /** Frames beyond this are not even read: the socket is closed with 1009 (ws `maxPayload`). */
  hardMaxMessageBytes: number;
  /** Logged-in or logging-in WebSockets; also capped by the socket budget (server.ts, fd-budget.ts). */
  maxConnections: number;
  /**
   * TCP connections from one source address (an IPv6 /64) at once, counted from accept, before any
   * upgrade or login, so half-open sockets count too.
   */
  maxConnectionsPerSource: number;
  /** New TCP connections one source may open (token bucket: per second, burst); logins cost a signature check. */
  sourceConnectsPerSecond: number;
  sourceConnectBurst: number;
  /**
   * Time from TCP accept to a completed login. A socket that has not even upgraded by then is
   * destroyed; one that upgraded gets `login-timeout`.
   */
  loginTimeoutMs: number;
  /** Ping interval; a socket that has not answered the previous ping by the next one is dropped. */
  heartbeatMs: number;
  /** Token bucket per connection (messages per second, burst). */
  ratePerSecond: number;
  rateBurst: number;
  /** Token bucket per NodeId, kept across reconnects so reconnecting does not refill it. */
  nodeRatePerSecond: number;
  nodeRateBurst: number;
  /**
   * Bytes one source may send per second (token bucket, all its sockets together). Beyond it the
   * server stops reading that source's sockets for a while: its flood waits in its own TCP buffers.
   */
  sourceBytesPerSecond: number;
  sourceBytesBurst: number;
  /** Messages dropped for rate within 10 s after which the connection is closed. */
  maxRateViolations: number;
  /** Most NodeIds one connection may watch. */
  maxWatch: number;
  /** Bytes of its own (welcome, mailbox, answers) queued towards one socket beyond which it is closed as too slow. */
  maxBufferedBytes: number;
  /** Bytes one sender's relayed messages may have queued towards one receiver; beyond, `receiver-busy` to the sender. */
  relaySenderBytes: number;
  /** Bytes one source's relayed messages may have queued towards all receivers together. */
  relaySourceBytes: number;
  /** Bytes of relayed messages queued server-wide. */
  relayTotalBytes: number;
  /** Most NodeIds one keynode may list as contacts. */
  maxContacts: number;
  /** NodeIds of contact lists remembered for one source (its lists are evicted oldest first beyond). */
  contactsSourceIds: number;
  /** NodeIds of contact lists remembered in all (oldest lists evicted beyond). */
  contactsTotalIds: number;
  maxTokenBytes: number;
  /** One recipient's mailbox. */
  mailboxMaxItems: number;
  mailboxMaxBytes: number;
  /** One sender's items in one recipient's mailbox; strangers at one address share one such quota. */
  mailboxSenderItems: number;
  mailboxSenderBytes: number;
  /** All strangers' items (senders the recipient has not listed as contacts) in one recipient's mailbox. */
  mailboxStrangerItems: number;
  mailboxStrangerBytes: number;
  /** Also how long a contact list is remembered after it was last sent. */
  mailboxTtlMs: number;
  /** One source's items in all mailboxes, so a handful of addresses cannot take the server's budget. */
  mailboxSourceBytes: number;
  /** Strangers' items in all mailboxes; the rest is kept for contacts. */
  mailboxStrangerTotalBytes: number;
  /** All mailboxes together, so random recipients cannot fill the server's memory. */
  mailboxTotalBytes: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  hardMaxMessageBytes: 256 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerSource: 64,
  sourceConnectsPerSecond: 10,
  sourceConnectBurst: 64,
  loginTimeoutMs: 5_000,
  heartbeatMs: 30_000,
  ratePerSecond: 50,
  rateBurst: 100,
  nodeRatePerSecond: 100,
  nodeRateBurst: 200,
  sourceBytesPerSecond: 1024 * 1024,
  sourceBytesBurst: 4 * 1024 * 1024,
  maxRateViolations: 50,
  maxWatch: 1000,
  maxBufferedBytes: 1024 * 1024,
  relaySenderBytes: 256 * 1024,
  relaySourceBytes: 4 * 1024 * 1024,
  relayTotalBytes: 256 * 1024 * 1024,
  maxContacts: MAX_CONTACTS,
  contactsSourceIds: 64_000,
  contactsTotalIds: 500_000,
  // A sealed notification (src/notifications/sealed-item.ts): the largest, a 16 KiB token padded
  // and sealed, is 21,916 characters of base64url.
  maxTokenBytes: 22 * 1024,
  mailboxMaxItems: 100,
  mailboxMaxBytes: 256 * 1024,
  mailboxSenderItems: 10,
  mailboxSenderBytes: 64 * 1024,
  mailboxStrangerItems: 50,
  mailboxStrangerBytes: 128 * 1024,
  mailboxTtlMs: 7 * 24 * 60 * 60 * 1000,
  mailboxSourceBytes: 2 * 1024 * 1024,
  mailboxStrangerTotalBytes: 48 * 1024 * 1024,
  mailboxTotalBytes: 64 * 1024 * 1024,
});

export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  const limits = { ...defaultLimits, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0)) {
      throw new SignalingServerError('ErrorInvalidArgument', `Signaling limit "${key}" must be a positive number.`);
    }
  }
  limits.hardMaxMessageBytes = Math.max(limits.hardMaxMessageBytes, limits.maxMessageBytes);
  return limits;
}
