// The composition root: builds one keynode from injected platform pieces (storage, WebRTC, the
// WebSocket class, clock, logger) and exposes API.md's surface. Platform-neutral: the service worker,
// a page and Node all come through here; src/index.ts adds Node's defaults.
import { ACL } from '../acl/acl.js';
import { KeynodeError } from '../errors.js';
import { GestaltGraph } from '../gestalts/gestalt-graph.js';
import { GestaltsManager } from '../gestalts/gestalts-manager.js';
import type { NodeId } from '../ids/index.js';
import { loadOrCreateIdentity } from '../keys/identity.js';
import type { RtcImpl } from '../network/byte-channel.js';
import type { WebSocketConstructor } from '../network/signaling-client.js';
import { NotificationsManager } from '../notifications/notifications-manager.js';
import { SecretsManager } from '../secrets/secrets-manager.js';
import { Sigchain } from '../sigchain/sigchain.js';
import type { Storage } from '../storage/index.js';
import {
  silentLogger,
  type Gestalts,
  type InboxItem,
  type Logger,
  type Notifications,
  type Secrets,
  type Vaults,
} from '../types.js';
import { VaultManager } from '../vaults/vault-manager.js';
import type { CoreContext } from './context.js';
import { Events, type KeynodeEventName, type KeynodeEvents } from './events.js';
import { Network, type NetworkOptions } from './network.js';
import { PullQueue, type QueuedPull } from './pull-queue.js';
import { Remote } from './remote.js';
import { Sharing } from './sharing.js';

export interface KeynodeParts {
  storage: Storage;
  recoveryCode?: string;
  signalingUrl?: string;
  rtc?: RtcImpl;
  iceServers?: RTCIceServer[];
  WebSocket?: WebSocketConstructor;
  clock?: () => number;
  logger?: Logger;
  /** The app's URL, for share links. */
  baseUrl?: string;
  /**
   * The service worker's network: signaling and peer channels come from the network host tab
   * (src/platform/network-host/) instead of a signaling URL and WebRTC here.
   */
  bridged?: NetworkOptions['bridged'];
  /** Tuning for tests: how long to wait for a peer, and when to close an idle channel. */
  connectTimeoutMs?: number;
  idleMs?: number;
}

export interface Keynode {
  readonly nodeId: string;
  readonly recoveryCode?: string;
  readonly vaults: Vaults & KeynodeVaultsExtra;
  readonly secrets: Secrets;
  readonly gestalts: Omit<Gestalts, 'list'> & { list(): Promise<Array<{ nodes: string[]; actions: Array<'notify' | 'scan' | 'claim'>; own: boolean }>> };
  readonly notifications: Notifications & KeynodeNotificationsExtra;
  readonly network: {
    status(): Promise<{ signaling: 'connected' | 'connecting' | 'offline'; peers: string[] }>;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
  };
  on<K extends KeynodeEventName>(event: K, listener: (value: KeynodeEvents[K]) => void): () => void;
  stop(): Promise<void>;
}

/** Beyond API.md: pulls queued until the owner can be reached. */
export interface KeynodeVaultsExtra {
  /** Queues a pull (same options as pull) that runs by itself when the owner is reachable. */
  queuePull(vault: string, opts?: { nodeId?: string; pullVault?: string }): Promise<QueuedPull>;
  queuedPulls(): Promise<QueuedPull[]>;
  cancelQueuedPull(vault: string): Promise<void>;
}

/** Beyond API.md: the requests list (senders without `notify`) and the unread count. */
export interface KeynodeNotificationsExtra {
  unreadCount(): Promise<number>;
  requests: {
    read(): Promise<InboxItem[]>;
    accept(id: string): Promise<void>;
    block(id: string): Promise<void>;
  };
}

const MUTATIONS = ['add', 'update', 'write', 'mkdir', 'rename', 'delete', 'batch'] as const;

export async function createKeynodeFrom(parts: KeynodeParts): Promise<Keynode> {
  try {
    return await startKeynode(parts);
  } catch (e) {
    // A keynode that fails to start (a bad recovery code, a damaged store) must not keep its
    // storage open: an open IndexedDB connection blocks deleting or upgrading that profile.
    await parts.storage.close().catch(() => undefined);
    throw e;
  }
}

async function startKeynode(parts: KeynodeParts): Promise<Keynode> {
  const { storage } = parts;
  const clock = parts.clock ?? Date.now;
  const logger = parts.logger ?? silentLogger;
  const identityOptions: { recoveryCode?: string } = {};
  if (parts.recoveryCode !== undefined) identityOptions.recoveryCode = parts.recoveryCode;
  const identity = await loadOrCreateIdentity(storage.kv, identityOptions);
  const nodeId: NodeId = identity.nodeId;
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
  const events = new Events();
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
    clock,
    logger,
    baseUrl: parts.baseUrl ?? 'http://127.0.0.1:5173/',
  };
  const networkOptions: ConstructorParameters<typeof Network>[1] = {};
  if (parts.signalingUrl !== undefined) networkOptions.signalingUrl = parts.signalingUrl;
  if (parts.rtc !== undefined) networkOptions.rtc = parts.rtc;
  if (parts.iceServers !== undefined) networkOptions.iceServers = parts.iceServers;
  if (parts.WebSocket !== undefined) networkOptions.WebSocket = parts.WebSocket;
  if (parts.connectTimeoutMs !== undefined) networkOptions.connectTimeoutMs = parts.connectTimeoutMs;
  if (parts.idleMs !== undefined) networkOptions.idleMs = parts.idleMs;
  if (parts.bridged !== undefined) networkOptions.bridged = parts.bridged;
  const network = new Network(ctx, networkOptions);
  const keynode = new KeynodeImpl(ctx, network, identity.recoveryCode);
  await network.start();
  network.flushSoon();
  return keynode;
}

class KeynodeImpl implements Keynode {
  readonly nodeId: string;
  readonly recoveryCode?: string;
  readonly vaults: Keynode['vaults'];
  readonly secrets: Secrets;
  readonly gestalts: Keynode['gestalts'];
  readonly notifications: Keynode['notifications'];
  readonly network: Keynode['network'];
  private stopping: Promise<void> | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly ctx: CoreContext,
    private readonly net: Network,
    recoveryCode: string | undefined,
  ) {
    this.nodeId = ctx.nodeId;
    if (recoveryCode !== undefined) this.recoveryCode = recoveryCode;
    const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
      if (this.stopping !== undefined) return Promise.reject(stoppedError());
      return fn(...args);
    };
    const sharing = new Sharing(ctx, () => net.flushSoon());
    const remote = new Remote(ctx, net);
    const pulls = new PullQueue(ctx, net, remote);
    const { vaults, events } = ctx;
    const changed = (vaultId: string, reason: string): void => events.emit('vault-changed', { vaultId, reason });

    this.vaults = {
      create: guard(async (name) => {
        const id = await vaults.create(name);
        changed(id, 'create');
        return id;
      }),
      list: guard(() => vaults.list()),
      rename: guard(async (vault, newName) => {
        const id = await vaults.resolve(vault);
        await vaults.rename(vault, newName);
        changed(id, 'rename');
      }),
      delete: guard(async (vault) => {
        const id = await vaults.resolve(vault);
        await vaults.delete(vault);
        changed(id, 'delete');
      }),
      log: guard((vault, opts) => vaults.log(vault, opts)),
      version: guard(async (vault, ref) => {
        const id = await vaults.resolve(vault);
        const result = await vaults.version(vault, ref);
        changed(id, 'version');
        return result;
      }),
      share: guard((vault, nodeId) => sharing.share(vault, nodeId)),
      unshare: guard((vault, nodeId) => sharing.unshare(vault, nodeId)),
      permissions: guard((vault) => sharing.permissions(vault)),
      shareLink: guard((vault, nodeId, opts) => sharing.shareLink(vault, nodeId, opts)),
      scan: guard((nodeId) => remote.scan(nodeId)),
      clone: guard((vault, nodeId) => remote.clone(vault, nodeId)),
      pull: guard((vault, opts) => remote.pull(vault, opts)),
      fork: guard(async (vault, newName) => {
        const id = await vaults.fork(vault, newName);
        changed(id, 'fork');
        return id;
      }),
      queuePull: guard((vault, opts) => pulls.queue(vault, opts)),
      queuedPulls: guard(() => pulls.list()),
      cancelQueuedPull: guard((vault) => pulls.cancel(vault)),
    };
    pulls.runSoon();

    const secrets = ctx.secrets;
    const wrapped = {} as Record<string, unknown>;
    for (const name of ['get', 'getText', 'stat', 'list', 'env'] as const) {
      wrapped[name] = guard((secrets[name] as (...a: unknown[]) => Promise<unknown>).bind(secrets));
    }
    for (const name of MUTATIONS) {
      const fn = (secrets[name] as (...a: unknown[]) => Promise<unknown>).bind(secrets);
      wrapped[name] = guard(async (vault: unknown, ...rest: unknown[]) => {
        const result = await fn(vault, ...rest);
        changed(await vaults.resolve(vault as string), name);
        return result;
      });
    }
    this.secrets = wrapped as unknown as Secrets;

    const g = ctx.gestalts;
    this.gestalts = {
      trust: guard(async (node) => {
        await g.trust(node);
        // Trusting someone we once blocked lets their notifications in again.
        await ctx.notifications.requests.unblock(node);
      }),
      untrust: guard((n) => g.untrust(n)),
      allow: guard((n, a) => g.allow(n, a)),
      disallow: guard((n, a) => g.disallow(n, a)),
      permissions: guard((n) => g.permissions(n)),
      get: guard((n) => g.get(n)),
      list: guard(() => g.list()),
      invite: guard((n) => remote.invite(n)),
      claim: guard((n) => remote.claim(n)),
      discover: guard((n) => remote.discover(n)),
    };

    const n = ctx.notifications;
    const plain = (item: InboxItem): InboxItem => ({ id: item.id, from: item.from, data: item.data, isRead: item.isRead, iat: item.iat });
    this.notifications = {
      send: guard(async (to, message) => {
        if (to === ctx.nodeId) throw new KeynodeError('ErrorInvalidArgument', 'A keynode cannot send a notification to itself.');
        await n.send(to, message);
        net.flushSoon();
      }),
      read: guard(async (opts) => (await n.read(opts)).map(plain)),
      remove: guard((id) => n.remove(id)),
      clear: guard(() => n.clear()),
      outbox: {
        read: guard(() => n.outbox.read()),
        remove: guard((id) => n.outbox.remove(id)),
        clear: guard(() => n.outbox.clear()),
      },
      openLink: guard(async (url) => {
        const opened = await n.openLink(url);
        return { id: opened.id, from: opened.from, data: opened.data };
      }),
      unreadCount: guard(() => n.unreadCount()),
      requests: {
        read: guard(async () => (await n.requests.read()).map(plain)),
        accept: guard(async (id) => {
          await n.requests.accept(id, (sender) => g.trust(sender));
        }),
        block: guard((id) => n.requests.block(id)),
      },
    };
    this.unsubscribe.push(n.onNotification((e) => ctx.events.emit('notification', { kind: e.kind, item: plain(e.item) })));

    this.network = {
      status: guard(async () => net.status()),
      connect: guard(() => net.connect()),
      disconnect: guard(() => net.disconnect()),
    };
  }

  on<K extends KeynodeEventName>(event: K, listener: (value: KeynodeEvents[K]) => void): () => void {
    return this.ctx.events.on(event, listener);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const u of this.unsubscribe) u();
      await this.net.stop();
      await this.ctx.vaults.stop();
      await this.ctx.storage.close();
    })();
    return this.stopping;
  }
}

function stoppedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeStopped', 'This keynode has been stopped.');
}
