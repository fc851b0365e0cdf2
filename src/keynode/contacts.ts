// The gestalts calls that change who this keynode deals with, with what follows from each: the
// signaling server learns our contacts (who may see our presence and fill our mailbox first), and
// nicknames, the person's own names for their contacts, are kept here (nicknames.ts).
import type { CoreContext } from './context.js';
import type { Network } from './network.js';
import { readNicknames, writeNickname } from './nicknames.js';
import type { GestaltAction } from '../types.js';

export class Contacts {
  constructor(
    private readonly ctx: CoreContext,
    private readonly net: Network,
  ) {}

  async trust(nodeId: string): Promise<void> {
    await this.ctx.gestalts.trust(nodeId);
    // Trusting someone we once blocked lets their notifications in again.
    await this.ctx.notifications.requests.unblock(nodeId);
    this.changed();
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

  nicknames(): Promise<Record<string, string>> {
    return readNicknames(this.ctx.storage.kv);
  }

  async setNickname(nodeId: string, name: string): Promise<void> {
    await writeNickname(this.ctx.storage.kv, nodeId, name);
    this.ctx.events.emit('contacts', { nodeId });
  }

  private changed(): void {
    void this.net.refreshWatch().catch(() => undefined);
  }
}
