// Pairing a person's keynodes by a code (docs/gestalts.md, "Pairing"). The keynode to be linked
// shows a signed pairing code (code()); the person's other keynode, which scans it, is the one that
// consents: pair() checks the code, trusts the keynode it names and sends it a GestaltInvite that
// carries the code's nonce. The shown keynode, finding that nonce pending, unexpired and unused,
// claims the inviter by itself, and says so on the screen that showed the code (status()), where a
// link nobody expected is undone at once.
// One code at a time, in memory only: a new code replaces the last, a code is taken once, and
// nothing survives a restart. An invite whose nonce does not match stays an ordinary notification.
import { KeynodeError } from '../errors.js';
import { MAX_PAIRING_TTL_MS, encodePairingCode, newPairingNonce, verifyPairingCode } from '../gestalts/pairing-code.js';
import type { NodeId } from '../ids/index.js';
import type { NotificationEvent } from '../notifications/types.js';
import type { PairingStatus } from '../types.js';
import type { CoreContext } from './context.js';
import type { Remote } from './remote.js';
import { bytesEqual, utf8 } from '../utils/bytes.js';

interface Pending {
  nonce: string;
  expiresAt: number;
}

export class Pairing {
  private pending: Pending | undefined;
  private outcome: Extract<PairingStatus, { nodeId: string }> | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly remote: Remote,
    /** Told whenever status() changes because of a peer (the screen showing the code reloads). */
    private readonly changed: (nodeId: NodeId) => void,
  ) {
    ctx.notifications.takePairingInvites((nonce) => this.matches(nonce));
    ctx.notifications.onNotification((e) => this.onNotification(e));
  }

  /** A new pairing code, valid for ten minutes; the one shown before is no longer taken. */
  async code(): Promise<{ code: string; expiresAt: number }> {
    const nonce = newPairingNonce();
    const signed = await encodePairingCode({ nonce, expiresAt: this.ctx.clock() + MAX_PAIRING_TTL_MS }, this.ctx.identity);
    this.pending = { nonce, expiresAt: signed.expiresAt };
    this.outcome = undefined;
    return signed;
  }

  /** The screen showing the code was closed: the code is no longer taken. */
  cancel(): void {
    this.pending = undefined;
    this.outcome = undefined;
  }

  status(): PairingStatus {
    if (this.outcome !== undefined) return structuredClone(this.outcome);
    if (this.pending === undefined) return { state: 'none' };
    if (this.pending.expiresAt <= this.ctx.clock()) return { state: 'expired', expiresAt: this.pending.expiresAt };
    return { state: 'waiting', expiresAt: this.pending.expiresAt };
  }

  /**
   * On the scanning keynode: checks the code (format, signature, expiry), trusts the keynode it names
   * and invites it with the code's nonce. `trust` is the facade's (it also lets that keynode's
   * notifications in again and tells the signaling server of the new contact).
   */
  async pair(code: string, trust: (nodeId: NodeId) => Promise<void>): Promise<{ nodeId: NodeId }> {
    const offer = await verifyPairingCode(code, this.ctx.clock());
    if (offer.nodeId === this.ctx.nodeId) {
      throw new KeynodeError(
        'ErrorGestaltsPairingCodeInvalid',
        'This is the pairing code of this keynode itself. Scan it with your other keynode, the one you want to link this one to.',
      );
    }
    await trust(offer.nodeId);
    await this.remote.invite(offer.nodeId, offer.nonce);
    return { nodeId: offer.nodeId };
  }

  private matches(nonce: string): boolean {
    const p = this.pending;
    return p !== undefined && p.expiresAt > this.ctx.clock() && bytesEqual(utf8.encode(p.nonce), utf8.encode(nonce));
  }

  private onNotification({ item }: NotificationEvent): void {
    if (item.data.type !== 'GestaltInvite' || item.data.pairing === undefined) return;
    // Checked and used up in the same turn, so two invites with the nonce cannot both be taken.
    if (!this.matches(item.data.pairing)) return;
    this.pending = undefined;
    this.outcome = { state: 'linking', nodeId: item.from };
    this.changed(item.from);
    void this.remote.claim(item.from).then(
      async () => {
        this.outcome = { state: 'linked', nodeId: item.from };
        // The invite has been acted on; left in the list it would offer a link that exists.
        await this.ctx.notifications.discard(item.id).catch(() => undefined);
        this.changed(item.from);
      },
      (e: unknown) => {
        // The invite stays in the list: the user can still link from it by hand.
        const error = e instanceof KeynodeError ? e : new KeynodeError('ErrorInternal', 'Linking failed.', { cause: e });
        this.ctx.logger.warn('a pairing invite arrived, but linking with its sender failed', { nodeId: item.from, code: error.code });
        this.outcome = { state: 'failed', nodeId: item.from, error: { code: error.code, message: error.message } };
        this.changed(item.from);
      },
    );
  }
}
