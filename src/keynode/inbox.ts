// The notifications calls that need more than the notifications manager: items handed out carry
// only the API's fields (the stored record keeps how and when it arrived), sending wakes the
// outbox, and accepting a request trusts its sender.
import { KeynodeError } from '../errors.js';
import type { InboxItem, NotificationData } from '../types.js';
import type { CoreContext } from './context.js';
import type { Network } from './network.js';

export function plain(item: InboxItem): InboxItem {
  return { id: item.id, from: item.from, data: item.data, isRead: item.isRead, iat: item.iat };
}

export class Inbox {
  readonly requests = {
    read: async (): Promise<InboxItem[]> => (await this.ctx.notifications.requests.read()).map(plain),
    accept: async (id: string): Promise<void> => {
      await this.ctx.notifications.requests.accept(id, (sender) => this.ctx.gestalts.trust(sender));
    },
  };

  constructor(
    private readonly ctx: CoreContext,
    private readonly net: Network,
  ) {
    ctx.notifications.onNotification((e) => ctx.events.emit('notification', { kind: e.kind, item: plain(e.item) }));
  }

  async send(to: string, message: string): Promise<void> {
    if (to === this.ctx.nodeId) throw new KeynodeError('ErrorInvalidArgument', 'A keynode cannot send a notification to itself.');
    await this.ctx.notifications.send(to, message);
    this.net.flushSoon();
  }

  async read(opts?: { unread?: boolean; order?: 'asc' | 'desc'; limit?: number }): Promise<InboxItem[]> {
    return (await this.ctx.notifications.read(opts)).map(plain);
  }

  async openLink(urlOrToken: string): Promise<{ id: string; from: string; data: NotificationData }> {
    const opened = await this.ctx.notifications.openLink(urlOrToken);
    return { id: opened.id, from: opened.from, data: opened.data };
  }
}
