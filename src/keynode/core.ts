// The keynode's working parts, built once its identity is at hand (at start for a plaintext
// keynode, at the first unlock for an encrypted one) and kept until stop(): the domains on the
// keynode's storage, the network, and the pieces that combine them. Locking does not take them
// down — the storage refuses every read and write while locked, and the gate (gate.ts) keeps
// operations out — so the keynode stays online and peers are told it is locked.
import { ACL } from '../acl/acl.js';
import { GestaltGraph } from '../gestalts/gestalt-graph.js';
import { GestaltsManager } from '../gestalts/gestalts-manager.js';
import type { Identity } from '../keys/identity.js';
import { NotificationsManager } from '../notifications/notifications-manager.js';
import { SecretsManager } from '../secrets/secrets-manager.js';
import { Sigchain } from '../sigchain/sigchain.js';
import type { Storage } from '../storage/index.js';
import { silentLogger } from '../types.js';
import { VaultManager } from '../vaults/vault-manager.js';
import { ChainKeeper } from './chain-keeper.js';
import { Contacts } from './contacts.js';
import type { CoreContext } from './context.js';
import type { Events } from './events.js';
import type { Gate } from './gate.js';
import { Inbox } from './inbox.js';
import type { KeynodeParts } from './keynode.js';
import { Network } from './network.js';
import { Pairing } from './pairing.js';
import { PullQueue } from './pull-queue.js';
import { Remote } from './remote.js';
import { Sharing } from './sharing.js';
import { VaultChanges } from './vault-changes.js';
import { VaultTools } from './vault-tools.js';

/** The objects that answer API calls (api.ts, `via`); the lock is the keynode's own, from before its core. */
function apiServices(ctx: CoreContext, net: Network, remote: Remote, onProgress: KeynodeParts['onProgress']) {
  const { vaults, secrets, gestalts, notifications } = ctx;
  const pairing = new Pairing(ctx, remote, (nodeId) => ctx.events.emit('contacts', { nodeId }));
  return {
    vaults,
    secrets,
    gestalts,
    notifications,
    remote,
    net,
    sharing: new Sharing(ctx, () => net.flushSoon()),
    pulls: new PullQueue(ctx, net, remote),
    tools: new VaultTools(ctx, net, onProgress),
    pairing,
    contacts: new Contacts(ctx, net, pairing),
    inbox: new Inbox(ctx, net),
  };
}
export type CoreServices = ReturnType<typeof apiServices>;

export class Core {
  private constructor(
    readonly ctx: CoreContext,
    readonly net: Network,
    readonly services: CoreServices,
  ) {}

  static async start(parts: KeynodeParts, storage: Storage, identity: Identity, events: Events, gate: Gate): Promise<Core> {
    const clock = parts.clock ?? Date.now;
    const logger = parts.logger ?? silentLogger;
    const nodeId = identity.nodeId;
    const acl = new ACL();
    const graph = new GestaltGraph(acl);
    const sigchain = new Sigchain(storage.kv, identity, { clock });
    const gestalts = await GestaltsManager.create({ kv: storage.kv, identity, acl, graph, sigchain });
    const vaults = new VaultManager({
      storage,
      nodeId,
      clock,
      logger,
      onDeleteVault: (tx, vaultId) => acl.removeVault(tx, vaultId),
    });
    await vaults.start();
    const secrets = new SecretsManager(vaults, logger);
    const notifications = await NotificationsManager.create({ kv: storage.kv, identity, acl, gestalts: graph, clock, logger });
    const ctx: CoreContext = {
      nodeId,
      identity,
      storage,
      acl,
      graph,
      gestalts,
      vaults,
      secrets,
      notifications,
      events,
      changes: new VaultChanges(events),
      clock,
      logger,
      baseUrl: parts.baseUrl ?? 'http://127.0.0.1:5173/',
    };
    const net = new Network(ctx, { ...parts, gate });
    const remote = new Remote(ctx, net);
    new ChainKeeper(ctx, net, remote).start();
    return new Core(ctx, net, apiServices(ctx, net, remote, parts.onProgress));
  }

  /** Goes online and starts the background work (after the gate is open). */
  async goOnline(): Promise<void> {
    await this.net.start();
    this.resume();
  }

  /** Picks up background work: after start, and after every unlock. */
  resume(): void {
    this.net.flushSoon();
    this.services.pulls.runSoon();
  }

  /** Forgets decrypted data held in memory (the storage forgets its own). */
  forget(): void {
    this.ctx.vaults.dropCaches();
    this.services.tools.forget();
  }

  async stop(): Promise<void> {
    await this.net.stop();
    await this.ctx.vaults.stop();
  }
}
