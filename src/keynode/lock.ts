// Locking: the states a keynode's data can be in and the ways between them (docs/encryption.md).
//   new        nothing stored yet; the first unlock (or restore) creates the keynode, encrypted
//   plaintext  stored unencrypted: a 'memory' keynode without a passphrase (runs), or a store of an
//              earlier version (waits for its first passphrase, then is encrypted in place)
//   locked     encrypted, no key in memory: only what the API table (api.ts) marks whileLocked works
//   unlocked   encrypted, the data key in memory; the core runs
// The core (core.ts) is built at the first unlock and kept: locking closes the gate (gate.ts) and
// makes the storage forget its keys, so the keynode stays online and tells peers it is locked.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { encodeNodeId, randomBytes } from '../ids/index.js';
import { keyPairFromSeed } from '../keys/crypto.js';
import { loadOrCreateIdentity, seedFromRecoveryCode, wrappedIdentity, type Identity } from '../keys/identity.js';
import {
  createKeyring,
  kdfIsOutdated,
  openWithPassphrase,
  openWithRecovery,
  rewrapPassphrase,
  sessionFromDataKey,
  type KeyringRecord,
  type SessionKeys,
} from '../keys/keyring.js';
import { lockedError, type SecureStorage } from '../storage/secure-storage.js';
import { Mutex } from '../utils/lock.js';
import { Core } from './core.js';
import type { Events } from './events.js';
import type { Gate } from './gate.js';
import type { KeynodeParts } from './keynode.js';

export interface LockState {
  locked: boolean;
  autoLockMs: number | null;
  /** Whether what is stored is encrypted (false: a plaintext 'memory' keynode, or an earlier version's store). */
  encrypted: boolean;
  /** False until the keynode exists: its first unlock (or a restore) creates it. */
  created: boolean;
  /** A store of an earlier version that can be encrypted only with the recovery code (its key is a browser CryptoKey). */
  needsRecoveryCode: boolean;
  /** After several wrong passphrases: how long until the next try is taken. */
  retryAfterMs?: number;
}

/** How long lock() waits for running operations before it forgets the key anyway. */
const LOCK_GRACE_MS = 10_000;
const DEFAULT_AUTO_LOCK_MS = 15 * 60_000;
const MIN_AUTO_LOCK_MS = 1_000;
const MAX_AUTO_LOCK_MS = 7 * 24 * 3600_000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Wrong passphrases allowed before each further try must wait (doubling, up to the cap). */
const FREE_TRIES = 3;
const MAX_BACKOFF_MS = 30_000;

function noPassphrase(): KeynodeError {
  return new KeynodeError('ErrorInvalidArgument', 'This keynode has no passphrase yet, so it cannot be locked: set a passphrase first.');
}

/** Runs `fn`, then wipes `secret` (a seed) whatever happened. */
async function wiping<T>(secret: Uint8Array, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    secret.fill(0);
  }
}

export class KeynodeLock {
  core: Core | undefined;
  private identity: Identity | undefined;
  private readonly mutex = new Mutex();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private notBefore = 0;
  private created = false;
  private needsRecoveryCode = false;
  private stopped = false;
  private readonly clock: () => number;
  private readonly graceMs: number;

  constructor(
    private readonly storage: SecureStorage,
    private readonly parts: KeynodeParts,
    private readonly events: Events,
    private readonly gate: Gate,
  ) {
    this.clock = parts.clock ?? Date.now;
    this.graceMs = parts.lockGraceMs ?? LOCK_GRACE_MS;
  }

  get nodeId(): string {
    return this.identity?.nodeId ?? this.storage.keyring?.nodeId ?? '';
  }

  get recoveryCode(): string | undefined {
    return this.identity?.recoveryCode;
  }

  /** At start: unlock, create, or stay locked, as the store and the options say. */
  async init(passphrase: string | undefined, recoveryCode: string | undefined): Promise<void> {
    const s = this.storage;
    if (s.encrypted) {
      this.created = true;
      if (recoveryCode !== undefined) await this.assertOwnCode(recoveryCode);
      if (passphrase !== undefined) await this.unlock(passphrase);
      else if (recoveryCode !== undefined) await this.mutex.run(() => this.openWithSeed(seedFromRecoveryCode(recoveryCode)));
      return;
    }
    const plaintext = await s.hasPlaintext();
    if (plaintext) {
      this.created = true;
      const stored = await s.plaintextIdentity();
      this.needsRecoveryCode = stored !== undefined && stored.seed === undefined;
      // Without a passphrase (and not allowed to run plaintext): locked until its first passphrase.
    }
    if (passphrase !== undefined) await this.unlockWith(passphrase, recoveryCode);
    else if (!this.parts.requireEncryption) await this.mutex.run(() => this.startPlaintext(recoveryCode));
    else if (recoveryCode !== undefined && !plaintext)
      throw new KeynodeError('ErrorKeynodeLocked', 'A restored keynode needs a passphrase to encrypt what it stores.');
  }

  state(): LockState {
    const state: LockState = {
      locked: !this.gate.isOpen,
      autoLockMs: this.storage.keyring?.autoLockMs ?? null,
      encrypted: this.storage.encrypted,
      created: this.created,
      needsRecoveryCode: this.needsRecoveryCode,
    };
    const wait = this.notBefore - this.clock();
    if (wait > 0) state.retryAfterMs = wait;
    return state;
  }

  unlock(passphrase: string): Promise<void> {
    return this.unlockWith(passphrase, undefined);
  }

  private unlockWith(passphrase: string, recoveryCode: string | undefined): Promise<void> {
    return this.mutex.run(async () => {
      const s = this.storage;
      if (!s.encrypted) {
        const seed = recoveryCode === undefined ? undefined : seedFromRecoveryCode(recoveryCode);
        if (this.core === undefined && !(await s.hasPlaintext())) await this.create(passphrase, seed);
        else await this.encryptPlaintext(passphrase, seed);
        return;
      }
      if (s.unlocked) return;
      await this.opened(await this.attempt(() => openWithPassphrase(s.keyring!, passphrase)));
      // Parameters raised since this passphrase was set: rewrap now, while we have it.
      if (kdfIsOutdated(s.keyring!.kdf)) await s.saveKeyring(await rewrapPassphrase(s.keyring!, { passphrase }, passphrase));
    });
  }

  unlockWithRecoveryCode(recoveryCode: string, newPassphrase: string): Promise<void> {
    if (!this.storage.encrypted) return this.unlockWith(newPassphrase, recoveryCode);
    return this.mutex.run(async () => {
      const s = this.storage;
      const seed = seedFromRecoveryCode(recoveryCode);
      await wiping(seed, async () => {
        await s.saveKeyring(await rewrapPassphrase(s.keyring!, { seed }, newPassphrase));
        if (!s.unlocked) await this.openWithSeed(seed);
      });
      this.failures = 0;
      this.notBefore = 0;
    });
  }

  setPassphrase(current: string, next: string): Promise<void> {
    if (!this.storage.encrypted) return this.unlockWith(next, undefined);
    return this.mutex.run(async () => {
      const s = this.storage;
      if (!s.unlocked) throw lockedError();
      await this.attempt(async () => s.saveKeyring(await rewrapPassphrase(s.keyring!, { passphrase: current }, next)));
    });
  }

  lock(): Promise<void> {
    return this.mutex.run(async () => {
      if (!this.storage.encrypted) throw noPassphrase();
      if (!this.storage.unlocked) return;
      await this.gate.close(this.graceMs);
      this.forget();
      this.events.emit('lock', { locked: true, nodeId: this.nodeId });
    });
  }

  async setAutoLock(ms: number | null): Promise<void> {
    if (ms !== null && (!Number.isInteger(ms) || ms < MIN_AUTO_LOCK_MS || ms > MAX_AUTO_LOCK_MS)) {
      throw new KeynodeError('ErrorInvalidArgument', 'The auto-lock time must be between one second and seven days (or never).');
    }
    await this.mutex.run(async () => {
      const s = this.storage;
      if (!s.encrypted) throw noPassphrase();
      if (!s.unlocked) throw lockedError();
      await s.saveKeyring({ ...s.keyring!, autoLockMs: ms });
      this.arm();
    });
  }

  noteActivity(): void {
    if (this.gate.isOpen) this.arm();
  }

  /** A restarted service worker is handed the data key a tab kept. */
  resume(dataKey: CryptoKey): Promise<boolean> {
    return this.mutex.run(async () => {
      const s = this.storage;
      if (!s.encrypted || s.unlocked) return s.unlocked;
      const keys = await sessionFromDataKey(s.keyring!, dataKey);
      if (keys === undefined) return false;
      await this.opened(keys);
      return true;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // Refuse new work without waiting: stopping the network ends what peers are fetching, and the
    // vaults wait for their own writes (as before there was a gate).
    await this.gate.close(0);
    await this.core?.stop();
  }

  // ---- ways in ---------------------------------------------------------------------------------

  /** A new, encrypted keynode (from `seed` when restoring from a recovery code). */
  private async create(passphrase: string, seed: Uint8Array | undefined): Promise<void> {
    const restoring = seed !== undefined;
    const secret = seed ?? randomBytes(32);
    await wiping(secret, async () => {
      const nodeId = encodeNodeId((await keyPairFromSeed(secret)).publicKey);
      const { record, keys } = await createKeyring({ nodeId, passphrase, seed: secret, autoLockMs: this.defaultAutoLock() });
      const made = await wrappedIdentity(secret, keys.identity, !restoring);
      await this.storage.becomeEncrypted(record, keys, made.record);
      this.created = true;
      await this.startCore(made.identity);
    });
  }

  /** Encrypts a plaintext store in place (an earlier version's, or a running 'memory' keynode's). */
  private async encryptPlaintext(passphrase: string, seed: Uint8Array | undefined): Promise<void> {
    const s = this.storage;
    const stored = await s.plaintextIdentity();
    if (stored === undefined) throw new KeynodeError('ErrorStorageCorrupt', 'This keynode’s store has data but no identity: it is damaged.');
    const secret = stored.seed?.slice() ?? seed;
    if (secret === undefined) {
      throw new KeynodeError(
        'ErrorKeynodeLocked',
        'This keynode was stored unencrypted by an earlier version, and its key can be encrypted only with its recovery code: enter the recovery code with your new passphrase.',
      );
    }
    await wiping(secret, async () => {
      if (encodeNodeId((await keyPairFromSeed(secret)).publicKey) !== encodeNodeId(stored.publicKey)) {
        throw new KeynodeError('ErrorKeysRecoveryCodeInvalid', 'That recovery code does not belong to this keynode. Nothing was changed.');
      }
      const nodeId = encodeNodeId(stored.publicKey);
      const { record, keys } = await createKeyring({ nodeId, passphrase, seed: secret, autoLockMs: this.defaultAutoLock() });
      const made = await wrappedIdentity(secret, keys.identity, false);
      await this.gate.close(this.graceMs);
      await s.becomeEncrypted({ ...record, migrating: true }, keys, made.record);
      await s.encryptInPlace(this.parts.onMigrationProgress);
      this.needsRecoveryCode = false;
      if (this.core === undefined) {
        await this.startCore(made.identity);
      } else {
        this.core.forget();
        this.gate.open();
        this.core.resume();
        this.arm();
      }
    });
  }

  private async startPlaintext(recoveryCode: string | undefined): Promise<void> {
    this.created = true;
    await this.startCore(await loadOrCreateIdentity(this.storage.kv, recoveryCode === undefined ? {} : { recoveryCode }));
  }

  private async openWithSeed(seed: Uint8Array): Promise<void> {
    await wiping(seed, async () => this.opened(await openWithRecovery(this.storage.keyring!, seed)));
  }

  /** The keys are this keynode's: finish any interrupted encryption, then run. */
  private async opened(keys: SessionKeys): Promise<void> {
    const s = this.storage;
    s.unlock(keys);
    try {
      if (s.keyring!.migrating === true) await s.encryptInPlace(this.parts.onMigrationProgress);
      if (this.core === undefined) {
        await this.startCore(await s.identity());
        return;
      }
      // Undo whatever a lock cut off, as after a crash.
      await this.core.ctx.vaults.recover();
    } catch (e) {
      this.forget();
      throw e;
    }
    this.gate.open();
    this.core.resume();
    void this.core.net.announceUnlocked().catch(() => undefined);
    this.events.emit('lock', { locked: false, nodeId: this.nodeId });
    this.arm();
  }

  private async startCore(identity: Identity): Promise<void> {
    this.identity = identity;
    const core = await Core.start(this.parts, this.storage, identity, this.events, this.gate);
    this.core = core;
    this.gate.open();
    this.events.emit('lock', { locked: false, nodeId: this.nodeId });
    this.arm();
    await core.goOnline();
  }

  /** Closes the gate and forgets every key and decrypted thing held in memory. */
  private forget(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.storage.lock();
    this.core?.forget();
  }

  private async assertOwnCode(recoveryCode: string): Promise<void> {
    const seed = seedFromRecoveryCode(recoveryCode);
    await wiping(seed, async () => {
      if (encodeNodeId((await keyPairFromSeed(seed)).publicKey) !== this.storage.keyring!.nodeId) {
        throw new KeynodeError('ErrorInvalidArgument', 'This storage already holds a different keynode; restore the recovery code into a new, empty profile.');
      }
    });
  }

  // ---- timers and retries ----------------------------------------------------------------------

  private defaultAutoLock(): number | null {
    return this.parts.autoLockMs !== undefined ? this.parts.autoLockMs : this.parts.requireEncryption ? DEFAULT_AUTO_LOCK_MS : null;
  }

  /** (Re)starts the auto-lock countdown. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ms = this.storage.keyring?.autoLockMs ?? null;
    if (ms === null || this.stopped || !this.storage.unlocked) return;
    this.timer = setTimeout(() => void this.lock().catch(() => undefined), Math.min(ms, MAX_TIMER_MS));
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** One try of a passphrase (`check` opens with it): refused while backing off, and counted if wrong. */
  private async attempt<T>(check: () => Promise<T>): Promise<T> {
    const wait = this.notBefore - this.clock();
    if (wait > 0) {
      throw new KeynodeError('ErrorKeynodePassphraseInvalid', `Too many wrong passphrases: wait ${Math.ceil(wait / 1000)} s before trying again.`, {
        data: { retryAfterMs: wait },
      });
    }
    try {
      const result = await check();
      this.failures = 0;
      return result;
    } catch (e) {
      if (isKeynodeError(e, 'ErrorKeynodePassphraseInvalid') && ++this.failures >= FREE_TRIES) {
        this.notBefore = this.clock() + Math.min(1000 * 2 ** (this.failures - FREE_TRIES), MAX_BACKOFF_MS);
      }
      throw e;
    }
  }
}

export type { KeyringRecord };
