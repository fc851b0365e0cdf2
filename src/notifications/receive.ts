// The receiving rules, in the order they run: parse and schema-check, verify the sender's signature,
// bind the sender to whoever handed the token over (the authenticated peer, B8; the mailbox's
// depositor), check the destination, drop replays and refuse a token refused before, bound its
// age, drop blocked senders, then let this keynode's ACL decide between refusal, the requests list
// and the inbox. A link the user opened is never refused for its sender: with no record or no
// `notify` for the sender it waits in the requests list like any untrusted notification. Nor is a
// GestaltInvite carrying the nonce of the pairing code this keynode shows right now: whoever sends
// it scanned that code, which the user put on the screen to be scanned (src/keynode/pairing.ts).
// Verification happens before the transaction (IndexedDB commits a transaction that awaits
// anything else); everything after it is one transaction, so a token is stored once or not at all,
// and a refusal that must be remembered is written in that same transaction before it is thrown.
import { KeynodeError, type ErrorCode } from '../errors.js';
import type { NodeId, NotificationId } from '../ids/index.js';
import type { KV, Tx } from '../storage/kv.js';
import { isBlocked } from './blocked-senders.js';
import { rememberId } from './id-source.js';
import { addCapped, type ListStore } from './inbox-store.js';
import { verifyNotification } from './notification-token.js';
import { lookupSeen, recordSeen } from './seen-store.js';
import type { GestaltMembers, InboxRecord, NotificationPayload, ReceiveResult, SenderPermissions, Via } from './types.js';

/**
 * How old a token may be when it arrives. A sender re-signs a waiting token once it is a week old
 * (notifications-manager.ts), and the signaling mailbox keeps items 7 days, so a token in transit is
 * at most two weeks old; a share link may wait in a chat or a mail a while longer.
 */
export const MAX_TOKEN_AGE_MS = 30 * 24 * 60 * 60_000;
/** How far ahead of our clock a token's `iat` may be: device clocks disagree by seconds, rarely minutes. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

export interface ReceiveContext {
  kv: KV;
  nodeId: NodeId;
  acl: SenderPermissions;
  gestalts: GestaltMembers | undefined;
  nextId(): NotificationId;
  clock(): number;
  inboxCap: number;
  requestsCap: number;
  seenCap: number;
  /** True while `nonce` is that of the pairing code this keynode shows (unexpired, unused). */
  pairingPending?(nonce: string): boolean;
}

export interface ReceiveOptions {
  via: Via;
  /** The NodeId the peer channel authenticated; required when `via` is 'peer'. */
  authenticatedPeer?: NodeId;
  /**
   * For 'mailbox': the NodeId the signaling server logged in as the one that stored the item. A
   * sender deposits only its own tokens, so a token stored by anyone else is somebody's copy.
   */
  depositedBy?: NodeId;
}

export interface Received {
  result: ReceiveResult;
  /** The new item, when one was stored (for the notification event). */
  stored?: { store: ListStore; item: InboxRecord };
}

export async function receiveToken(ctx: ReceiveContext, text: string, opts: ReceiveOptions): Promise<Received> {
  if (opts.via !== 'peer' && opts.via !== 'mailbox' && opts.via !== 'link') {
    throw new KeynodeError('ErrorInvalidArgument', 'A notification must say whether it came by peer, mailbox or link.');
  }
  if (opts.via === 'peer' && opts.authenticatedPeer === undefined) {
    throw new KeynodeError('ErrorInvalidArgument', 'A notification from a peer channel needs the NodeId that channel authenticated.');
  }
  const payload = await verifyNotification(text);
  if (opts.via === 'peer' && payload.iss !== opts.authenticatedPeer) {
    throw new KeynodeError(
      'ErrorNotificationsVerificationFailed',
      'The notification is signed by a different keynode than the one connected; a peer may only send its own notifications.',
      { data: { iss: payload.iss, peer: opts.authenticatedPeer } },
    );
  }
  if (opts.via === 'mailbox' && opts.depositedBy !== undefined && payload.iss !== opts.depositedBy) {
    throw new KeynodeError(
      'ErrorNotificationsVerificationFailed',
      'The notification was left in the mailbox by a different keynode than the one that signed it; only the sender may deliver its notifications.',
      { data: { iss: payload.iss, depositedBy: opts.depositedBy } },
    );
  }
  const outcome = await ctx.kv.write(async (tx): Promise<Received | KeynodeError> => {
    await checkDestination(ctx, tx, payload, opts.via);
    const seen = await lookupSeen(tx, payload.iss, payload.jti);
    if (seen?.refused !== undefined) return refusedBefore(payload, seen.refused);
    if (seen !== undefined) return { result: { status: 'duplicate', id: seen.id } };
    const now = ctx.clock();
    // Too old: any later copy is older still, so nothing needs remembering.
    if (payload.iat < now - MAX_TOKEN_AGE_MS) return expired(payload, opts.via);
    // Dated ahead of us: remembered, or the same copy would be taken once its time comes.
    if (payload.iat > now + MAX_CLOCK_SKEW_MS) return remember(ctx, tx, payload, clockSkew(payload, now));
    let store: ListStore = 'inbox';
    // A link is exempt from the block list and is never refused for its sender: the user chose to open it.
    if (opts.via !== 'link' && (await isBlocked(tx, payload.iss))) return { result: { status: 'blocked' } };
    const perm = await ctx.acl.getNodePerm(tx, payload.iss);
    const pairing = payload.data.type === 'GestaltInvite' && payload.data.pairing !== undefined && ctx.pairingPending?.(payload.data.pairing) === true;
    if (perm === undefined && opts.via !== 'link' && !pairing) {
      // Remembered: once the user trusts the sender, this copy must not be taken after all.
      return remember(ctx, tx, payload, permissionsNotFound(payload));
    }
    if (perm === undefined || !perm.gestalt.includes('notify')) store = 'requests';
    const item: InboxRecord = {
      id: ctx.nextId(),
      from: payload.iss,
      data: payload.data,
      isRead: false,
      iat: payload.iat,
      peerNotificationId: payload.jti,
      via: opts.via,
      receivedAt: now,
    };
    await addCapped(tx, store, item, store === 'inbox' ? ctx.inboxCap : ctx.requestsCap);
    await recordSeen(tx, payload.iss, payload.jti, { id: item.id }, ctx.seenCap);
    await rememberId(tx, item.id);
    return {
      result: { status: store === 'inbox' ? 'inbox' : 'request', id: item.id },
      stored: { store, item },
    };
  });
  if (outcome instanceof KeynodeError) throw outcome;
  return outcome;
}

/** Writes down that this token was refused (in the receiving transaction) and returns the refusal. */
async function remember(ctx: ReceiveContext, tx: Tx, payload: NotificationPayload, refusal: KeynodeError): Promise<KeynodeError> {
  const id = ctx.nextId();
  await recordSeen(tx, payload.iss, payload.jti, { id, refused: refusal.code }, ctx.seenCap);
  await rememberId(tx, id);
  return refusal;
}

function permissionsNotFound(payload: NotificationPayload): KeynodeError {
  return new KeynodeError(
    'ErrorNotificationsPermissionsNotFound',
    'The recipient does not know this keynode, so it refused the notification. Ask them to trust you first.',
    { data: { iss: payload.iss } },
  );
}

function refusedBefore(payload: NotificationPayload, code: ErrorCode): KeynodeError {
  return new KeynodeError(
    'ErrorNotificationsReplay',
    'This notification was refused when it first arrived, and a later copy of it is refused too; the sender can send a new one.',
    { data: { iss: payload.iss, jti: payload.jti, refused: code } },
  );
}

function expired(payload: NotificationPayload, via: Via): KeynodeError {
  const days = Math.round(MAX_TOKEN_AGE_MS / (24 * 60 * 60_000));
  return new KeynodeError(
    'ErrorNotificationsExpired',
    via === 'link'
      ? `This share link was made more than ${days} days ago and has expired; ask the sender for a new one.`
      : `The notification was signed more than ${days} days ago, too long ago to be taken; the sender can send a new one.`,
    { data: { iss: payload.iss, iat: payload.iat } },
  );
}

function clockSkew(payload: NotificationPayload, now: number): KeynodeError {
  const minutes = Math.ceil((payload.iat - now) / 60_000);
  return new KeynodeError(
    'ErrorNotificationsClockSkew',
    `The notification is dated ${minutes} minutes ahead of the recipient's clock; the two devices' clocks disagree. Check the date and time settings on both.`,
    { data: { iss: payload.iss, iat: payload.iat, now } },
  );
}

/** `sub` must be us; a link may also be addressed to another keynode of our own gestalt (docs/spec.md §4.4). */
async function checkDestination(ctx: ReceiveContext, tx: Tx, payload: NotificationPayload, via: Via): Promise<void> {
  if (payload.sub === ctx.nodeId) return;
  if (via === 'link' && ctx.gestalts !== undefined) {
    const ours = await ctx.gestalts.getGestalt(tx, ctx.nodeId);
    if (ours?.includes(payload.sub)) return;
  }
  throw new KeynodeError(
    'ErrorNotificationsInvalidDestination',
    via === 'link'
      ? 'This share link was made for a different keynode; ask the sender to share with this keynode.'
      : 'The notification is addressed to a different keynode.',
    { data: { sub: payload.sub, me: ctx.nodeId } },
  );
}
