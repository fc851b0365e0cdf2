// The composition root: builds one keynode from injected platform pieces (storage, WebRTC, the
// WebSocket class, clock, logger) and exposes docs/api.md's surface as the API table (api.ts)
// declares it. Platform-neutral: the service worker, a page and Node all come through here;
// src/index.ts adds Node's defaults.
import { KeynodeError, isKeynodeError } from '../errors.js';
import type { RtcImpl } from '../network/byte-channel.js';
import type { Dialer } from '../network/dialer.js';
import type { WebSocketConstructor } from '../network/signaling-client.js';
import type { Storage } from '../storage/index.js';
import type { MigrationProgress } from '../storage/migrate.js';
import { SecureStorage, type MakeCipher } from '../storage/secure-storage.js';
import type { Gestalts, ImportReport, InboxItem, Logger, Notifications, Secrets, Vaults } from '../types.js';
import { API, buildApi, functionAt, methodOf, type ApiPath, type MethodSpec } from './api.js';
import { Events, type KeynodeEventName, type KeynodeEvents } from './events.js';
import { Gate } from './gate.js';
import { KeynodeLock, type LockState } from './lock.js';
import type { SignalingLike } from './network.js';
import type { QueuedPull } from './pull-queue.js';
import type { FindResult } from './secret-search.js';
import type { Progress, Transfer } from './transfers.js';
import type { ChangeSpec } from './vault-changes.js';
import type { ImportOptions } from './vault-tools.js';

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
   * The service worker's network, instead of a signaling URL and WebRTC here: signaling made
   * elsewhere (given the core's login signer) and the dialer whose channels come from the network
   * host tab (src/platform/network-host/). Both or neither.
   */
  bridged?: {
    signaling: (core: { signLogin: (bytes: Uint8Array) => Promise<Uint8Array> }) => SignalingLike;
    dialer: Dialer;
  };
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
    return keynode.withApi();
  } catch (e) {
    // A keynode that fails to start (a wrong passphrase, a damaged store) must not keep its
    // storage open: an open IndexedDB connection blocks deleting or upgrading that profile.
    if (keynode !== undefined) await keynode.stop().catch(() => undefined);
    else await parts.storage.close().catch(() => undefined);
    throw e;
  }
}

/** A keynode's state and lifecycle; its API methods are added from the table (api.ts) by withApi(). */
class KeynodeImpl {
  readonly lockCtl: KeynodeLock;
  private readonly events = new Events();
  private readonly gate = new Gate();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly storage: SecureStorage,
    parts: KeynodeParts,
  ) {
    this.lockCtl = new KeynodeLock(storage, parts, this.events, this.gate);
  }

  /** This keynode with the API's namespaces and lock methods, each answered by call(). */
  withApi(): KeynodeHost {
    return Object.assign(
      this,
      buildApi((name, args) => this.call(name, args)),
    );
  }

  /**
   * The lifecycle guard, for every API call: after stop() nothing runs; while locked (or before the
   * keynode exists) only the methods the table marks `whileLocked` do; the rest run inside the gate,
   * which lock() closes and waits for. A call that changes a vault is reported (vault-changes.ts).
   */
  private call(name: ApiPath, args: unknown[]): Promise<unknown> {
    if (this.stopping !== undefined) return Promise.reject(stoppedError());
    const spec: MethodSpec = API[name];
    if (spec.whileLocked === true) return (async () => this.invoke(name, args))();
    return this.gate.run(async () => {
      const core = this.lockCtl.core!;
      const run = async (): Promise<unknown> => this.invoke(name, args);
      try {
        return await (spec.changes === undefined ? run() : core.ctx.changes.around(spec.changes as ChangeSpec<unknown, unknown[]>, core.ctx.vaults, args, run));
      } catch (e) {
        // Started unlocked, then locked before the end (lock's grace ran out). With the gate
        // still open it is a peer's answer that it is locked: that is said as it came.
        if (isKeynodeError(e, 'ErrorKeynodeLocked') && !this.gate.isOpen) throw cutOff();
        throw e;
      }
    });
  }

  /** Calls the method that implements `name`. */
  private invoke(name: ApiPath, args: unknown[]): unknown {
    const via = API[name].via;
    const core = this.lockCtl.core;
    // Without a core (not created, or locked before the first unlock) the keynode is offline.
    const target = via === 'lock' ? this.lockCtl : (core?.services[via] ?? (via === 'net' ? offline : undefined));
    const fn = target === undefined ? undefined : functionAt(target, methodOf(name));
    if (fn === undefined) throw new KeynodeError('ErrorInternal', `The keynode has no ${name}.`);
    return fn(...args);
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

  sessionKey(): CryptoKey | undefined {
    return this.storage.session?.dataKey;
  }

  resume(dataKey: CryptoKey): Promise<boolean> {
    if (this.stopping !== undefined) return Promise.reject(stoppedError());
    return this.lockCtl.resume(dataKey);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.lockCtl.stop();
      await this.storage.close();
    })();
    return this.stopping;
  }
}

const offline = { status: () => ({ signaling: 'offline', peers: [] }) };

function cutOff(): KeynodeError {
  return new KeynodeError('ErrorKeynodeLocked', 'The keynode was locked before this finished, so it was not done; nothing half-done was kept.');
}

function stoppedError(): KeynodeError {
  return new KeynodeError('ErrorKeynodeStopped', 'This keynode has been stopped.');
}
