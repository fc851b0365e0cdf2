// NotificationsManager: the notifications domain behind one object. Sending signs a token and queues
// it in the outbox (the caller's transaction, so a share is ACL + outbox in one); flushing hands due
// tokens to a delivery function and records the outcome; receiving applies the rules in receive.ts;
// the inbox, the requests list and share links are read and changed here.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { assertNodeId, assertNotificationId, type NodeId, type NotificationId } from '../ids/index.js';
import type { Signer } from '../keys/token.js';
import type { KV, Tx } from '../storage/kv.js';
import { silentLogger, type Logger, type NotificationData, type OutboxItem } from '../types.js';
import * as blocked from './blocked-senders.js';
import { loadIdGenerator, rememberId } from './id-source.js';
import { addCapped, clearItems, deleteItem, countUnread, getItem, listItems, readAndMark, removeItem, type ReadOptions } from './inbox-store.js';
import { parseNotification, signNotification } from './notification-token.js';
import { afterFailure, attemptable, listOutbox, removeOutbox, stateOf, toOutboxItem } from './outbox-store.js';
import { receiveToken, type ReceiveContext, type ReceiveOptions } from './receive.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { checkData } from './schema.js';
import { tokenFromLink } from './share-link.js';
import type { GestaltMembers, InboxRecord, NotificationEvent, OutboxRecord, ReceiveResult, SenderPermissions } from './types.js';

/** How old a waiting token may grow before it is signed again (see resignIfOld). */
export const RESIGN_AFTER_MS = 7 * 24 * 60 * 60_000;

export interface NotificationsManagerOptions {
  kv: KV;
  /** This keynode's identity: its NodeId and a signing function (the private key never leaves it). */
  identity: Signer;
  /** The receiver's ACL: the sender's permission record decides refusal, requests or inbox. */
  acl: SenderPermissions;
  /** Our own gestalt, so a share link addressed to another of our keynodes opens here too. */
  gestalts?: GestaltMembers;
  clock?: () => number;
  random?: (n: number) => Uint8Array;
  /** Inbox capacity; the oldest item is dropped to make room. Default 10,000 (as Polykey). */
  inboxCap?: number;
  /** Requests-list capacity, oldest dropped. Default 1,000: it holds senders the user has not approved. */
  requestsCap?: number;
  /** Accepted-token ids remembered for replay protection. Default 20,000. */
  seenCap?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
}

export interface FlushOptions {
  /** Hands a token to the recipient by the best path available; throws a KeynodeError on failure. */
  deliver: (to: NodeId, token: string) => Promise<void>;
  now?: number;
  /** Try every pending item to this node, due or not (it just came online). */
  only?: NodeId;
}

export interface FlushResult {
  delivered: NotificationId[];
  /** Not delivered yet: tried again later. */
  retrying: NotificationId[];
  /** Refused by the recipient: not tried again. */
  failed: NotificationId[];
}

/** What the manager works with: the receiving rules' context (but the pairing check), and what sending needs. */
interface Settings extends Omit<ReceiveContext, 'pairingPending'> {
  identity: Signer;
  retry: RetryPolicy;
  logger: Logger;
}

export class NotificationsManager {
  readonly nodeId: NodeId;
  private readonly listeners = new Set<(event: NotificationEvent) => void>();
  private pairingPending: ((nonce: string) => boolean) | undefined;
  private flushing: Promise<unknown> = Promise.resolve();

  readonly outbox = {
    read: (): Promise<OutboxItem[]> => this.kv.read(async (tx) => (await listOutbox(tx)).map(toOutboxItem)),
    /** The whole record, token included (to show it as a share link when delivery keeps failing). */
    get: async (id: string): Promise<OutboxRecord | undefined> => {
      const key = assertNotificationId(id);
      return this.kv.read((tx) => tx.get<OutboxRecord>('outbox', key));
    },
    remove: async (id: string): Promise<void> => {
      const key = assertNotificationId(id);
      await this.kv.write((tx) => removeOutbox(tx, key));
    },
    clear: (): Promise<void> =>
      this.kv.write(async (tx) => {
        for (const [key] of await tx.entries('outbox')) await tx.delete('outbox', key);
      }),
  };

  readonly requests = {
    /** Notifications from keynodes we know but have not allowed to `notify`, newest first. */
    read: (opts: Omit<ReadOptions, 'unread'> = {}): Promise<InboxRecord[]> => this.kv.read((tx) => listItems(tx, 'requests', opts)),
    /**
     * Lets the sender notify us from now on (`grantNotify`, from the composition root, sets the ACL)
     * and moves this request, and any other waiting from the same sender, into the inbox.
     */
    accept: async (id: string, grantNotify: (nodeId: NodeId) => Promise<void>): Promise<InboxRecord> => {
      const requestId = assertNotificationId(id);
      const request = await this.kv.read((tx) => getItem(tx, 'requests', requestId));
      await grantNotify(request.from);
      const moved = await this.kv.write(async (tx) => {
        const out: InboxRecord[] = [];
        for (const item of await listItems(tx, 'requests', { order: 'asc' })) {
          if (item.from !== request.from) continue;
          await deleteItem(tx, 'requests', item.id);
          await addCapped(tx, 'inbox', item, this.settings.inboxCap);
          out.push(item);
        }
        return out;
      });
      for (const item of moved) this.emit({ kind: 'inbox', item });
      return moved.find((m) => m.id === requestId) ?? request;
    },
    /** Removes this request and every other from its sender, and drops that sender's later tokens. */
    block: async (id: string): Promise<void> => {
      const requestId = assertNotificationId(id);
      await this.kv.write(async (tx) => {
        const request = await getItem(tx, 'requests', requestId);
        for (const item of await listItems(tx, 'requests')) {
          if (item.from === request.from) await deleteItem(tx, 'requests', item.id);
        }
        await blocked.block(tx, request.from, this.settings.clock());
      });
    },
    unblock: async (nodeId: string): Promise<void> => {
      const sender = assertNodeId(nodeId);
      await this.kv.write((tx) => blocked.unblock(tx, sender));
    },
    blocked: (): Promise<NodeId[]> => this.kv.read((tx) => blocked.listBlocked(tx)),
  };

  private constructor(private readonly settings: Settings) {
    this.nodeId = settings.nodeId;
  }

  static async create(opts: NotificationsManagerOptions): Promise<NotificationsManager> {
    const clock = opts.clock ?? Date.now;
    const positive = (n: number | undefined, fallback: number, what: string): number => {
      const value = n ?? fallback;
      if (!Number.isInteger(value) || value < 1) throw new KeynodeError('ErrorInvalidArgument', `The ${what} must be a whole number of at least 1.`);
      return value;
    };
    const ids = await loadIdGenerator(opts.kv, clock, opts.random);
    return new NotificationsManager({
      kv: opts.kv,
      nodeId: opts.identity.nodeId,
      identity: opts.identity,
      acl: opts.acl,
      gestalts: opts.gestalts,
      nextId: () => ids.next(),
      clock,
      inboxCap: positive(opts.inboxCap, 10_000, 'inbox capacity'),
      requestsCap: positive(opts.requestsCap, 1_000, 'requests capacity'),
      seenCap: positive(opts.seenCap, 20_000, 'replay memory size'),
      retry: { ...defaultRetryPolicy, ...opts.retry },
      logger: opts.logger ?? silentLogger,
    });
  }

  private get kv(): KV {
    return this.settings.kv;
  }

  // ---- sending ---------------------------------------------------------------------------------

  /** Signs a notification to `to` (outside any transaction); store it with putOutbox. */
  async createOutgoing(to: string, data: NotificationData): Promise<OutboxRecord> {
    const recipient = assertNodeId(to);
    const checked = checkData(data);
    if (typeof checked === 'string') {
      throw new KeynodeError('ErrorInvalidArgument', `This notification cannot be sent: ${checked}.`);
    }
    const id = this.settings.nextId();
    // The schema wants whole milliseconds; an injected clock may not give them.
    const now = Math.floor(this.settings.clock());
    const token = await signNotification({ typ: 'notification', iss: this.nodeId, sub: recipient, jti: id, iat: now, data: checked }, this.settings.identity);
    return { id, to: recipient, data: checked, token, attempts: 0, createdAt: now, nextAttemptAt: now };
  }

  /** Queues a signed record in the caller's transaction (a share writes the ACL and this together). */
  async putOutbox(tx: Tx, record: OutboxRecord): Promise<void> {
    await tx.put('outbox', record.id, record);
    await rememberId(tx, record.id);
  }

  /** Queues a `General` message; deliver it with flushOutbox. */
  async send(to: string, message: string): Promise<OutboxRecord> {
    const record = await this.createOutgoing(to, { type: 'General', message });
    await this.kv.write((tx) => this.putOutbox(tx, record));
    return record;
  }

  /**
   * Tries every due record (or every one not refused to `only`). Delivered → removed. A refusal by
   * the recipient (outbox-store.ts, recipientRefusals) → refused, never tried again by itself.
   * Anything else — offline, unreachable, the recipient's mailbox full, an error that is not even a
   * KeynodeError — → not delivered yet, tried again after the back-off, however many times it
   * takes. Refused records stay until the user removes them.
   */
  flushOutbox(opts: FlushOptions): Promise<FlushResult> {
    // One flush at a time, so two triggers (app open and peer online) never deliver a token twice.
    const run = this.flushing.then(() => this.flushOnce(opts));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(opts: FlushOptions): Promise<FlushResult> {
    const result: FlushResult = { delivered: [], retrying: [], failed: [] };
    const start = opts.now ?? this.settings.clock();
    const due = await this.kv.read((tx) => attemptable(tx, start, opts.only));
    for (const waiting of due) {
      const record = await this.resignIfOld(waiting, opts.now ?? this.settings.clock());
      if (record === undefined) continue;
      let outcome: KeynodeError | undefined;
      try {
        await opts.deliver(record.to, record.token);
      } catch (e) {
        outcome = isKeynodeError(e) ? e : new KeynodeError('ErrorNodeConnectionFailed', 'The notification could not be handed over.', { cause: e });
      }
      const now = opts.now ?? this.settings.clock();
      await this.kv.write(async (tx) => {
        // The user may have removed it while it was being delivered.
        const current = await tx.get<OutboxRecord>('outbox', record.id);
        if (current === undefined) return;
        if (outcome === undefined) {
          await tx.delete('outbox', record.id);
          result.delivered.push(record.id);
          return;
        }
        const updated = afterFailure(current, outcome, now, this.settings.retry);
        await tx.put('outbox', record.id, updated);
        (stateOf(updated) === 'refused' ? result.failed : result.retrying).push(record.id);
      });
      if (outcome !== undefined) {
        this.settings.logger.info('notification not delivered', { id: record.id, to: record.to, code: outcome.code });
      }
    }
    return result;
  }

  /**
   * A token waiting longer than RESIGN_AFTER_MS is signed again with the same `jti` and a fresh
   * `iat`, so it never grows too old for the recipient (receive.ts, MAX_TOKEN_AGE_MS) however long
   * the recipient stays away; the `jti` still lets it drop a copy it already has. Undefined when the
   * user removed the record meanwhile.
   */
  private async resignIfOld(record: OutboxRecord, now: number): Promise<OutboxRecord | undefined> {
    const { payload } = parseNotification(record.token);
    if (now - payload.iat < RESIGN_AFTER_MS) return record;
    const token = await signNotification({ ...payload, iat: Math.floor(now) }, this.settings.identity);
    return this.kv.write(async (tx) => {
      const current = await tx.get<OutboxRecord>('outbox', record.id);
      if (current === undefined) return undefined;
      const updated = { ...current, token };
      await tx.put('outbox', record.id, updated);
      return updated;
    });
  }

  /** When the earliest pending record falls due (ms), or undefined when nothing waits. */
  async nextDue(): Promise<number | undefined> {
    const pending = await this.kv.read(async (tx) => (await listOutbox(tx)).filter((r) => stateOf(r) !== 'refused'));
    return pending.length === 0 ? undefined : Math.min(...pending.map((r) => r.nextAttemptAt));
  }

  // ---- receiving -------------------------------------------------------------------------------

  /** Applies the receiving rules (receive.ts). A refusal throws; the sender sees that error. */
  async receive(tokenText: string, opts: ReceiveOptions): Promise<ReceiveResult> {
    const { result, stored } = await receiveToken({ ...this.settings, pairingPending: this.pairingPending }, tokenText, opts);
    if (stored !== undefined) this.emit({ kind: stored.store === 'inbox' ? 'inbox' : 'request', item: stored.item });
    return result;
  }

  /**
   * Opens a share link (whole URL, fragment or bare token): verified, checked, and stored — in the
   * inbox if the sender may notify us, else in the requests list, where the user accepts or blocks
   * it like any notification from a keynode not trusted yet. Opening the same link again stores
   * nothing and returns the id the first opening stored.
   */
  async openLink(urlOrToken: string): Promise<{ id: NotificationId; from: NodeId; data: NotificationData; status: 'inbox' | 'request' }> {
    const text = tokenFromLink(urlOrToken);
    const result = await this.receive(text, { via: 'link' }).catch((e: unknown) => {
      if (!isKeynodeError(e, 'ErrorNotificationsParse')) throw e;
      throw new KeynodeError('ErrorNotificationsParse', `This share link is damaged or incomplete: ${e.message} Copy the whole link again and retry.`, {
        cause: e,
      });
    });
    if (result.status === 'blocked') {
      // receive.ts never consults the block list for links; this guards that promise.
      throw new KeynodeError('ErrorInternal', 'A share link was dropped as if its sender were blocked.');
    }
    const { payload } = parseNotification(text);
    const status = result.status === 'duplicate' ? await this.whereIs(result.id) : result.status;
    return { id: result.id, from: payload.iss, data: payload.data, status };
  }

  /** Which list holds one of our items now (a request the user accepted has moved to the inbox). */
  private whereIs(id: NotificationId): Promise<'inbox' | 'request'> {
    return this.kv.read(async (tx) => ((await tx.get('requests', id)) === undefined ? 'inbox' : 'request'));
  }

  onNotification(listener: (event: NotificationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---- inbox -----------------------------------------------------------------------------------

  /** Newest first unless `order: 'asc'`. Returned items are marked read (persisted). */
  async read(opts: ReadOptions = {}): Promise<InboxRecord[]> {
    if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
      throw new KeynodeError('ErrorInvalidArgument', 'The limit must be a whole number, 0 or more.');
    }
    return this.kv.write((tx) => readAndMark(tx, opts));
  }

  unreadCount(): Promise<number> {
    return this.kv.read(countUnread);
  }

  /**
   * Lets a GestaltInvite from a keynode we do not know in (to the requests list) while it carries
   * the nonce of the pairing code we show: `isPending` answers that (src/keynode/pairing.ts).
   */
  takePairingInvites(isPending: (nonce: string) => boolean): void {
    this.pairingPending = isPending;
  }

  /** Removes an item from the inbox or the requests list, wherever it is (an invite a pairing acted on). */
  async discard(id: NotificationId): Promise<void> {
    await this.kv.write(async (tx) => {
      await deleteItem(tx, 'inbox', id);
      await deleteItem(tx, 'requests', id);
    });
  }

  async remove(id: string): Promise<void> {
    const key = assertNotificationId(id);
    await this.kv.write((tx) => removeItem(tx, 'inbox', key));
  }

  clear(): Promise<void> {
    return this.kv.write((tx) => clearItems(tx, 'inbox'));
  }

  private emit(event: NotificationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        // A listener's bug must not turn an accepted notification into a refusal for the sender.
        this.settings.logger.warn('notification listener threw', { error: String(e) });
      }
    }
  }
}
