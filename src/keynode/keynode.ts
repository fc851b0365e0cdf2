// The composition root: builds one keynode from injected platform pieces (storage, WebRTC, the
// WebSocket class, clock, logger) and exposes docs/api.md's surface. Platform-neutral: the service worker,
// a page and Node all come through here; src/index.ts adds Node's defaults.
import { KeynodeError, isKeynodeError } from '../errors.js';
import type { RtcImpl } from '../network/byte-channel.js';
import type { WebSocketConstructor } from '../network/signaling-client.js';
import type { Storage } from '../storage/index.js';
import type { MigrationProgress } from '../storage/migrate.js';
import { SecureStorage, type MakeCipher } from '../storage/secure-storage.js';
import type { Gestalts, ImportReport, InboxItem, Logger, Notifications, Secrets, Vaults } from '../types.js';
import type { Core } from './core.js';
import { Events, type KeynodeEventName, type KeynodeEvents } from './events.js';
import { Gate } from './gate.js';
import { KeynodeLock, type LockState } from './lock.js';
import { readNicknames, writeNickname } from './nicknames.js';
import type { NetworkOptions } from './network.js';
import type { QueuedPull } from './pull-queue.js';
import type { FindResult } from './secret-search.js';
import type { Progress, Transfer } from './transfers.js';
import { VaultTools, type ImportOptions } from './vault-tools.js';

export interface KeynodeParts {
  storage: Storage;
  recoveryCode?: string;
  /** Unlocks (or, for a new keynode, sets) the key that encrypts everything stored. */
  passphrase?: string;
  /**
   * A persistent store (IndexedDB, { dir }) is never written in plaintext: without a passphrase
   * the keynode starts locked (or, when new, waits for one). 'memory' may stay plaintext.
   */
  requireEncryption?: boolean;
  /** Lock after this long without a user action (a new keynode's default; null = never). */
  autoLockMs?: number | null;
  /** Node's faster cipher on the same keys (src/platform/node-cipher.ts); WebCrypto otherwise. */
  makeCipher?: MakeCipher;
  /** How long lock() waits for running operations before it forgets the key anyway (default 10 s). */
  lockGraceMs?: number;
  /** Progress of encrypting a plaintext store in place (tests throw here to cut it off, as a crash would). */
  onMigrationProgress?: MigrationProgress;
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
  /** Clone and pull progress (docs/api.md createKeynode's `onProgress`). */
  onProgress?: (p: Progress) => void;
  /** Tuning for tests: how long to wait for a peer, and when to close an idle channel. */
  connectTimeoutMs?: number;
  idleMs?: number;
}

export interface Keynode {
  readonly nodeId: string;
  readonly recoveryCode?: string;
  readonly vaults: Vaults & KeynodeVaultsExtra;
  readonly secrets: Secrets & KeynodeSecretsExtra;
  readonly gestalts: Omit<Gestalts, 'list'> & {
    list(): Promise<Array<{ nodes: string[]; actions: Array<'notify' | 'scan' | 'claim'>; own: boolean }>>;
    /** Beyond the core API (docs/api.md): the person's own names for their contacts, by NodeId (kept here, encrypted, never sent). */
    nicknames(): Promise<Record<string, string>>;
    /** Sets a contact's nickname; '' removes it. */
    setNickname(nodeId: string, name: string): Promise<void>;
  };
  readonly notifications: Notifications & KeynodeNotificationsExtra;
  readonly network: {
    status(): Promise<{ signaling: 'connected' | 'connecting' | 'offline'; peers: string[] }>;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
  };
  on<K extends KeynodeEventName>(event: K, listener: (value: KeynodeEvents[K]) => void): () => void;
  stop(): Promise<void>;

  // Locking (docs/api.md "Locking (encryption at rest)"). A locked keynode answers only these, nodeId
  // and network.status; everything else is ErrorKeynodeLocked.
  /** Forgets the data key now (after the operations already running, waited for briefly). */
  lock(): Promise<void>;
  /** Unlocks; a new keynode is created with this passphrase, a plaintext one is encrypted with it. */
  unlock(passphrase: string): Promise<void>;
  /** Beyond the core API (docs/api.md), for a forgotten passphrase: unlocks with the recovery code and sets `newPassphrase`. */
  unlockWithRecoveryCode(recoveryCode: string, newPassphrase: string): Promise<void>;
  /** Rewraps the data key under `next`; `current` is '' for a keynode that has no passphrase yet. */
  setPassphrase(current: string, next: string): Promise<void>;
  lockState(): Promise<LockState>;
  setAutoLock(ms: number | null): Promise<void>;
  /** Beyond the core API (docs/api.md): the user did something, so the auto-lock countdown starts again. */
  noteActivity(): Promise<void>;
}

/** Beyond the core API (docs/api.md): pulls queued until the owner can be reached. */
export interface KeynodeVaultsExtra {
  /** Queues a pull (same options as pull) that runs by itself when the owner is reachable. */
  queuePull(vault: string, opts?: { nodeId?: string; pullVault?: string }): Promise<QueuedPull>;
  queuedPulls(): Promise<QueuedPull[]>;
  cancelQueuedPull(vault: string): Promise<void>;
  /** Clones and pulls in flight, with their progress (a page cannot be handed an onProgress callback). */
  transfers(): Promise<Transfer[]>;
  /** Cancels the clone or pull of `vault` (as named to it) unless it is already writing; false if there was none. */
  cancelTransfer(vault: string): Promise<boolean>;
  /** The vault's whole history, encrypted to `passphrase` (src/keynode/backup.ts has the format). */
  backup(vault: string, passphrase: string): Promise<Uint8Array>;
  /** Restores a backup as a new vault of this keynode → its VaultId. */
  restoreBackup(file: Uint8Array, passphrase: string, opts?: { name?: string }): Promise<string>;
  /** Own vaults that exist nowhere else: never fetched by anyone, changed since their last backup. */
  backupReminders(): Promise<Array<{ vaultId: string; vaultName: string; lastBackup?: number }>>;
}

/** Beyond the core API (docs/api.md): search by path, and importing other tools' exports. */
export interface KeynodeSecretsExtra {
  /** The secrets whose path holds every word of `query`, best first (at most `limit`, default 50). */
  find(vault: string, query: string, opts?: { limit?: number }): Promise<FindResult>;
  /** Imports a .env, JSON, Bitwarden or KeePass export (format detected unless given); one commit. */
  import(vault: string, text: string, opts?: ImportOptions): Promise<ImportReport>;
}

/** Beyond the core API (docs/api.md): the requests list (senders without `notify`) and the unread count. */
export interface KeynodeNotificationsExtra {
  unreadCount(): Promise<number>;
  requests: {
    read(): Promise<InboxItem[]>;
    accept(id: string): Promise<void>;
    block(id: string): Promise<void>;
  };
}

/** What the service worker needs beyond the API: the key tabs keep, and handing it back. */
export interface KeynodeHost extends Keynode {
  /** The unlocked data key (a non-extractable CryptoKey), for tabs to keep. */
  sessionKey(): CryptoKey | undefined;
  /** Unlocks with a data key a tab kept (the worker was restarted); false if it is not this keynode's. */
  resume(dataKey: CryptoKey): Promise<boolean>;
}

export async function createKeynodeFrom(parts: KeynodeParts): Promise<KeynodeHost> {
  let keynode: KeynodeImpl | undefined;
  try {
    const storage = await SecureStorage.open(parts.storage, parts.makeCipher);
    keynode = new KeynodeImpl(storage, parts);
    await keynode.lockCtl.init(parts.passphrase, parts.recoveryCode);
    return keynode;
  } catch (e) {
    // A keynode that fails to start (a wrong passphrase, a damaged store) must not keep its
    // storage open: an open IndexedDB connection blocks deleting or upgrading that profile.
    if (keynode !== undefined) await keynode.stop().catch(() => undefined);
    else await parts.storage.close().catch(() => undefined);
    throw e;
  }
}

const MUTATIONS = ['add', 'update', 'write', 'mkdir', 'rename', 'delete', 'batch'] as const;

class KeynodeImpl implements KeynodeHost {
  readonly vaults: Keynode['vaults'];
  readonly secrets: Keynode['secrets'];
  readonly gestalts: Keynode['gestalts'];
  readonly notifications: Keynode['notifications'];
  readonly network: Keynode['network'];
  readonly lockCtl: KeynodeLock;
  private readonly events = new Events();
  private readonly gate = new Gate();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly storage: SecureStorage,
    parts: KeynodeParts,
  ) {
    this.lockCtl = new KeynodeLock(storage, parts, this.events, this.gate);
    // Every call runs inside the gate: refused while locked (or not created yet), waited for by lock().
    const call =
      <A extends unknown[], R>(fn: (core: Core, ...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        if (this.stopping !== undefined) return Promise.reject(stoppedError());
        return this.gate.run(() =>
          fn(this.lockCtl.core!, ...args).catch((e: unknown) => {
            // Started unlocked, then locked before the end (lock's grace ran out). With the gate
            // still open it is a peer's answer that it is locked: that is said as it came.
            if (isKeynodeError(e, 'ErrorKeynodeLocked') && !this.gate.isOpen) throw cutOff();
            throw e;
          }),
        );
      };
    const changed = (vaultId: string, reason: string): void => this.events.emit('vault-changed', { vaultId, reason });
    // The signaling server learns our contacts (who may see our presence and fill our mailbox first).
    const contactsChanged = (c: Core): void => void c.net.refreshWatch().catch(() => undefined);
    const tools = new VaultTools(parts.onProgress);
    this.lockCtl.onCoreStarted((core) => tools.attach(core));
    this.events.on('lock', ({ locked }) => locked && tools.forget());

    this.vaults = {
      create: call(async (c, name) => {
        const id = await c.ctx.vaults.create(name);
        changed(id, 'create');
        return id;
      }),
      list: call((c) => c.ctx.vaults.list()),
      rename: call(async (c, vault, newName) => {
        const id = await c.ctx.vaults.resolve(vault);
        await c.ctx.vaults.rename(vault, newName);
        changed(id, 'rename');
      }),
      delete: call(async (c, vault) => {
        const id = await c.ctx.vaults.resolve(vault);
        await c.ctx.vaults.delete(vault);
        await tools.dropVault(c, id);
        changed(id, 'delete');
      }),
      log: call((c, vault, opts) => c.ctx.vaults.log(vault, opts)),
      version: call(async (c, vault, ref) => {
        const id = await c.ctx.vaults.resolve(vault);
        const result = await c.ctx.vaults.version(vault, ref);
        changed(id, 'version');
        return result;
      }),
      share: call((c, vault, nodeId) => c.sharing.share(vault, nodeId)),
      unshare: call((c, vault, nodeId) => c.sharing.unshare(vault, nodeId)),
      permissions: call((c, vault) => c.sharing.permissions(vault)),
      shareLink: call((c, vault, nodeId, opts) => c.sharing.shareLink(vault, nodeId, opts)),
      scan: call((c, nodeId) => c.remote.scan(nodeId)),
      clone: call((c, vault, nodeId) => tools.clone(c, vault, nodeId)),
      pull: call((c, vault, opts) => tools.pull(c, vault, opts)),
      fork: call(async (c, vault, newName) => {
        const id = await c.ctx.vaults.fork(vault, newName);
        changed(id, 'fork');
        return id;
      }),
      queuePull: call((c, vault, opts) => c.pulls.queue(vault, opts)),
      queuedPulls: call((c) => c.pulls.list()),
      cancelQueuedPull: call((c, vault) => c.pulls.cancel(vault)),
      pullLog: call((c, vault) => tools.pullLog(c, vault)),
      exposure: call((c, vault, nodeId) => tools.exposure(c, vault, nodeId)),
      transfers: call(async () => tools.transfers.list()),
      cancelTransfer: call(async (_c, vault) => tools.transfers.cancel(vault)),
      backup: call((c, vault, passphrase) => tools.backup(c, vault, passphrase)),
      restoreBackup: call(async (c, file, passphrase, opts) => {
        const id = await tools.restore(c, file, passphrase, opts);
        changed(id, 'restore');
        return id;
      }),
      backupReminders: call((c) => tools.backupReminders(c)),
    };

    const secrets = {} as Record<string, unknown>;
    for (const name of ['get', 'getText', 'stat', 'list', 'env'] as const) {
      secrets[name] = call((c, ...args: unknown[]) => (c.ctx.secrets[name] as (...a: unknown[]) => Promise<unknown>).apply(c.ctx.secrets, args));
    }
    for (const name of MUTATIONS) {
      secrets[name] = call(async (c, vault: unknown, ...rest: unknown[]) => {
        const result = await (c.ctx.secrets[name] as (...a: unknown[]) => Promise<unknown>).call(c.ctx.secrets, vault, ...rest);
        changed(await c.ctx.vaults.resolve(vault as string), name);
        return result;
      });
    }
    secrets.find = call((c, vault: string, query: string, opts?: { limit?: number }) => tools.find(c, vault, query, opts));
    secrets.import = call(async (c, vault: string, text: string, opts?: ImportOptions) => {
      const report = await tools.importSecrets(c, vault, text, opts);
      if (opts?.dryRun !== true && report.added.length + report.overwritten.length > 0) changed(await c.ctx.vaults.resolve(vault), 'import');
      return report;
    });
    this.secrets = secrets as unknown as Keynode['secrets'];

    this.gestalts = {
      trust: call(async (c, node) => {
        await c.ctx.gestalts.trust(node);
        // Trusting someone we once blocked lets their notifications in again.
        await c.ctx.notifications.requests.unblock(node);
        contactsChanged(c);
      }),
      untrust: call(async (c, n) => {
        await c.ctx.gestalts.untrust(n);
        contactsChanged(c);
      }),
      allow: call(async (c, n, a) => {
        await c.ctx.gestalts.allow(n, a);
        contactsChanged(c);
      }),
      disallow: call(async (c, n, a) => {
        await c.ctx.gestalts.disallow(n, a);
        contactsChanged(c);
      }),
      permissions: call((c, n) => c.ctx.gestalts.permissions(n)),
      get: call((c, n) => c.ctx.gestalts.get(n)),
      list: call((c) => c.ctx.gestalts.list()),
      invite: call((c, n) => c.remote.invite(n)),
      claim: call((c, n) => c.remote.claim(n)),
      discover: call((c, n) => c.remote.discover(n)),
      unlink: call(async (c, n) => {
        await c.ctx.gestalts.unlink(n);
        contactsChanged(c);
      }),
      pairingCode: call((c) => c.pairing.code()),
      pairingStatus: call(async (c) => c.pairing.status()),
      cancelPairing: call(async (c) => c.pairing.cancel()),
      pair: call(async (c, code) => {
        const paired = await c.pairing.pair(code, async (node) => {
          await c.ctx.gestalts.trust(node);
          await c.ctx.notifications.requests.unblock(node);
        });
        contactsChanged(c);
        return paired;
      }),
      nicknames: call((c) => readNicknames(c.ctx.storage.kv)),
      setNickname: call(async (c, n, name) => {
        await writeNickname(c.ctx.storage.kv, n, name);
        this.events.emit('contacts', { nodeId: n });
      }),
    };

    const plain = (item: InboxItem): InboxItem => ({ id: item.id, from: item.from, data: item.data, isRead: item.isRead, iat: item.iat });
    this.notifications = {
      send: call(async (c, to, message) => {
        if (to === c.ctx.nodeId) throw new KeynodeError('ErrorInvalidArgument', 'A keynode cannot send a notification to itself.');
        await c.ctx.notifications.send(to, message);
        c.net.flushSoon();
      }),
      read: call(async (c, opts) => (await c.ctx.notifications.read(opts)).map(plain)),
      remove: call((c, id) => c.ctx.notifications.remove(id)),
      clear: call((c) => c.ctx.notifications.clear()),
      outbox: {
        read: call((c) => c.ctx.notifications.outbox.read()),
        remove: call((c, id) => c.ctx.notifications.outbox.remove(id)),
        clear: call((c) => c.ctx.notifications.outbox.clear()),
      },
      openLink: call(async (c, url) => {
        const opened = await c.ctx.notifications.openLink(url);
        return { id: opened.id, from: opened.from, data: opened.data };
      }),
      unreadCount: call((c) => c.ctx.notifications.unreadCount()),
      requests: {
        read: call(async (c) => (await c.ctx.notifications.requests.read()).map(plain)),
        accept: call(async (c, id) => {
          await c.ctx.notifications.requests.accept(id, (sender) => c.ctx.gestalts.trust(sender));
        }),
        block: call((c, id) => c.ctx.notifications.requests.block(id)),
      },
    };
    this.lockCtl.onCoreStarted((core) => {
      core.ctx.notifications.onNotification((e) => this.events.emit('notification', { kind: e.kind, item: plain(e.item) }));
    });

    this.network = {
      // Answered while locked too: a locked keynode stays online, and the status pill says so.
      status: async () => {
        if (this.stopping !== undefined) throw stoppedError();
        return this.lockCtl.core?.net.status() ?? { signaling: 'offline', peers: [] };
      },
      connect: call((c) => c.net.connect()),
      disconnect: call((c) => c.net.disconnect()),
    };
  }

  get nodeId(): string {
    return this.lockCtl.nodeId;
  }

  get recoveryCode(): string | undefined {
    return this.lockCtl.recoveryCode;
  }

  on<K extends KeynodeEventName>(event: K, listener: (value: KeynodeEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  lock(): Promise<void> {
    return this.whileRunning(() => this.lockCtl.lock());
  }

  unlock(passphrase: string): Promise<void> {
    return this.whileRunning(() => this.lockCtl.unlock(passphrase));
  }

  unlockWithRecoveryCode(recoveryCode: string, newPassphrase: string): Promise<void> {
    return this.whileRunning(() => this.lockCtl.unlockWithRecoveryCode(recoveryCode, newPassphrase));
  }

  setPassphrase(current: string, next: string): Promise<void> {
    return this.whileRunning(() => this.lockCtl.setPassphrase(current, next));
  }

  lockState(): Promise<LockState> {
    return this.whileRunning(async () => this.lockCtl.state());
  }

  setAutoLock(ms: number | null): Promise<void> {
    return this.whileRunning(() => this.lockCtl.setAutoLock(ms));
  }

  noteActivity(): Promise<void> {
    return this.whileRunning(async () => this.lockCtl.noteActivity());
  }

  sessionKey(): CryptoKey | undefined {
    return this.storage.session?.dataKey;
  }

  resume(dataKey: CryptoKey): Promise<boolean> {
    return this.whileRunning(() => this.lockCtl.resume(dataKey));
  }

  private whileRunning<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopping !== undefined) return Promise.reject(stoppedError());
    return fn();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.lockCtl.stop();
      await this.storage.close();
    })();
    return this.stopping;
  }
}

function cutOff(): KeynodeError {
  return new KeynodeError('ErrorKeynodeLocked', 'The keynode was locked before this finished, so it was not done; nothing half-done was kept.');
}

function stoppedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeStopped', 'This keynode has been stopped.');
}
