// The notifications domain's public surface, for the composition root and the tests.
export { NotificationsManager } from './notifications-manager.js';
export type { FlushOptions, FlushResult, NotificationsManagerOptions } from './notifications-manager.js';
export type { ReceiveOptions } from './receive.js';
export type { ReadOptions } from './inbox-store.js';
export { buildShareLink, tokenFromLink } from './share-link.js';
export { parseNotification, signNotification, verifyNotification } from './notification-token.js';
export { maxMessageChars, maxTokenBytes, maxVaultNameBytes, notificationDataSchema, notificationPayloadSchema } from './schema.js';
export { defaultRetryPolicy, retryDelay, type RetryPolicy } from './retry-policy.js';
export type { GestaltMembers, InboxRecord, NotificationEvent, NotificationPayload, OutboxRecord, ReceiveResult, SenderPermissions, Via } from './types.js';
