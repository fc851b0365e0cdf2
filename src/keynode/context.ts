// Everything the composition root builds, handed to the pieces that combine domains (sharing, the
// peer service, remote vault operations, delivery).
import type { ACL } from '../acl/acl.js';
import type { GestaltGraph } from '../gestalts/gestalt-graph.js';
import type { GestaltsManager } from '../gestalts/gestalts-manager.js';
import type { NodeId } from '../ids/index.js';
import type { Identity } from '../keys/identity.js';
import type { NotificationsManager } from '../notifications/notifications-manager.js';
import type { SecretsManager } from '../secrets/secrets-manager.js';
import type { Storage } from '../storage/index.js';
import type { Logger } from '../types.js';
import type { VaultManager } from '../vaults/vault-manager.js';
import type { Events } from './events.js';
import type { VaultChanges } from './vault-changes.js';

export interface CoreContext {
  nodeId: NodeId;
  identity: Identity;
  storage: Storage;
  acl: ACL;
  graph: GestaltGraph;
  gestalts: GestaltsManager;
  vaults: VaultManager;
  secrets: SecretsManager;
  notifications: NotificationsManager;
  events: Events;
  /** Where every vault change is reported ('vault-changed'). */
  changes: VaultChanges;
  clock: () => number;
  logger: Logger;
  /** Where share links point (the app's URL). */
  baseUrl: string;
}
