// The receiving rules, in the order they run: parse and schema-check, verify the sender's signature,
// bind the sender to the authenticated peer (B8), check the destination, drop replays, drop blocked
// senders, then let this keynode's ACL decide between refusal, the requests list and the inbox.
// Verification happens before the transaction (IndexedDB commits a transaction that awaits
// anything else); everything after it is one transaction, so a token is stored once or not at all.
import { KeynodeError } from '../errors.js';
import type { NodeId, NotificationId } from '../ids/index.js';
import type { KV, Tx } from '../storage/kv.js';
import { isBlocked } from './blocked-senders.js';
import { rememberId } from './id-source.js';
import { addCapped, type ListStore } from './inbox-store.js';
import { verifyNotification } from './notification-token.js';
import { lookupSeen, recordSeen } from './seen-store.js';
import type { GestaltMembers, InboxRecord, NotificationPayload, ReceiveResult, SenderPermissions, Via } from './types.js';

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
}

export interface ReceiveOptions {
  via: Via;
  /** The NodeId the peer channel authenticated; required when `via` is 'peer'. */
  authenticatedPeer?: NodeId;
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
  return ctx.kv.write(async (tx) => {
    await checkDestination(ctx, tx, payload, opts.via);
    const seen = await lookupSeen(tx, payload.iss, payload.jti);
    if (seen !== undefined) return { result: { status: 'duplicate', id: seen.id } };
    let store: ListStore = 'inbox';
    // A link is exempt from the sender checks: the user chose to open it.
    if (opts.via !== 'link') {
      if (await isBlocked(tx, payload.iss)) return { result: { status: 'blocked' } };
      const perm = await ctx.acl.getNodePerm(tx, payload.iss);
      if (perm === undefined) {
        throw new KeynodeError(
          'ErrorNotificationsPermissionsNotFound',
          'The recipient does not know this keynode, so it refused the notification. Ask them to trust you first.',
          { data: { iss: payload.iss } },
        );
      }
      if (!perm.gestalt.includes('notify')) store = 'requests';
    }
    const item: InboxRecord = {
      id: ctx.nextId(),
      from: payload.iss,
      data: payload.data,
      isRead: false,
      iat: payload.iat,
      peerNotificationId: payload.jti,
      via: opts.via,
      receivedAt: ctx.clock(),
    };
    await addCapped(tx, store, item, store === 'inbox' ? ctx.inboxCap : ctx.requestsCap);
    await recordSeen(tx, payload.iss, payload.jti, { id: item.id }, ctx.seenCap);
    await rememberId(tx, item.id);
    return {
      result: { status: store === 'inbox' ? 'inbox' : 'request', id: item.id },
      stored: { store, item },
    };
  });
}

/** `sub` must be us; a link may also be addressed to another keynode of our own gestalt (SPEC §4.4). */
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
