// The shapes the notifications domain stores and exchanges, and the two narrow views it needs of
// the ACL and the gestalt graph (declared here so this domain does not depend on their classes).
import type { NodeId, NotificationId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';
import type { GestaltAction, InboxItem, NotificationData, OutboxItem } from '../types.js';

export type { NotificationData };

/** What the sender signs. `jti` is the sender's own NotificationId; `iat` is milliseconds. */
export interface NotificationPayload {
  typ: 'notification';
  iss: NodeId;
  sub: NodeId;
  jti: NotificationId;
  iat: number;
  data: NotificationData;
}

/** How a token reached us: a peer channel, the signaling server's mailbox, or a share link. */
export type Via = 'peer' | 'mailbox' | 'link';

/** An inbox or requests entry. `id` is our own id; `peerNotificationId` is the sender's `jti`. */
export interface InboxRecord extends InboxItem {
  id: NotificationId;
  from: NodeId;
  peerNotificationId: NotificationId;
  via: Via;
  receivedAt: number;
}

/** As stored: the state is worked out from `attempts`, `failed` and `lastError` (outbox-store.ts). */
export interface OutboxRecord extends Omit<OutboxItem, 'state'> {
  id: NotificationId;
  to: NodeId;
  /** The signed token's text form, ready to hand to any delivery path (peer, mailbox, link). */
  token: string;
  createdAt: number;
  nextAttemptAt: number;
}

/** Where an accepted token ended up; `duplicate` and `blocked` store nothing new. */
export type ReceiveResult = { status: 'inbox' | 'request'; id: NotificationId } | { status: 'duplicate'; id: NotificationId } | { status: 'blocked' };

export interface NotificationEvent {
  kind: 'inbox' | 'request';
  item: InboxRecord;
}

/** The receiver's permission record for a sender (src/acl), read inside our transaction. */
export interface SenderPermissions {
  getNodePerm(tx: Tx, nodeId: NodeId): Promise<{ gestalt: readonly GestaltAction[] } | undefined>;
}

/** The gestalt graph (src/gestalts): the members of a node's gestalt, read inside our transaction. */
export interface GestaltMembers {
  getGestalt(tx: Tx, nodeId: NodeId): Promise<readonly NodeId[] | undefined>;
}
