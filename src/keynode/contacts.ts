// The gestalts calls that change who this keynode deals with, with what follows from each (the
// signaling server learns our contacts: who may see our presence and fill our mailbox first), and
// nicknames: the names a person gives their contacts, kept by the core (so encrypted at rest with
// everything else) and never sent anywhere.
import { KeynodeError } from '../errors.js';
import { assertNodeId, type NodeId } from '../ids/index.js';
import type { GestaltAction } from '../types.js';
import type { CoreContext } from './context.js';
import type { Network } from './network.js';
import type { Pairing } from './pairing.js';

const NICKNAME = 'nick:';
const MAX_NICKNAME = 100;

export class Contacts {
  constructor(
    private readonly ctx: CoreContext,
    private readonly net: Network,
    private readonly pairing: Pairing,
  ) {}

  async trust(nodeId: string): Promise<void> {
    await this.ctx.gestalts.trust(nodeId);
    // Trusting someone we once blocked lets their notifications in again.
    await this.ctx.notifications.requests.unblock(nodeId);
    this.changed();
  }

  /** Takes the pairing code another keynode of ours shows: trusts it and invites it (pairing.ts). */
  pair(code: string): Promise<{ nodeId: NodeId }> {
    return this.pairing.pair(code, (nodeId) => this.trust(nodeId));
  }

  async untrust(nodeId: string): Promise<void> {
    await this.ctx.gestalts.untrust(nodeId);
    this.changed();
  }

  async allow(nodeId: string, action: GestaltAction): Promise<void> {
    await this.ctx.gestalts.allow(nodeId, action);
    this.changed();
  }

  async disallow(nodeId: string, action: GestaltAction): Promise<void> {
    await this.ctx.gestalts.disallow(nodeId, action);
    this.changed();
  }

  async unlink(nodeId: string): Promise<void> {
    await this.ctx.gestalts.unlink(nodeId);
    this.changed();
  }

  async nicknames(): Promise<Record<string, string>> {
    const rows = await this.ctx.storage.kv.read((tx) => tx.entries<string>('meta', { prefix: NICKNAME }));
    return Object.fromEntries(rows.map(([key, name]) => [key.slice(NICKNAME.length), name]));
  }

  /** Sets (or, with an empty name, removes) the nickname of `nodeId`. */
  async setNickname(nodeId: string, name: string): Promise<void> {
    const id = assertNodeId(nodeId);
    if (typeof name !== 'string') throw new KeynodeError('ErrorInvalidArgument', 'A nickname is text.');
    const trimmed = name.trim();
    if ([...trimmed].length > MAX_NICKNAME) throw new KeynodeError('ErrorInvalidArgument', `A nickname may be at most ${MAX_NICKNAME} characters.`);
    await this.ctx.storage.kv.write((tx) => (trimmed === '' ? tx.delete('meta', NICKNAME + id) : tx.put('meta', NICKNAME + id, trimmed)));
    this.ctx.events.emit('contacts', { nodeId });
  }

  private changed(): void {
    void this.net.refreshWatch().catch(() => undefined);
  }
}
