// Notifications (Polykey's `notifications` commands): the inbox, the outbox of those not yet
// delivered, and the requests list (notifications from keynodes not allowed to notify).
import type { InboxItem, NotificationData, OutboxItem } from '../../types.js';
import { change, countOption, type CommandDef, type OptionValues, withKeynode } from '../command.js';
import { table, when } from '../output.js';

const DATA =
  '{ "type": "VaultShare", "vaultId": string, "vaultName": string, "actions": ("clone" | "pull")[] } | ' +
  '{ "type": "VaultUnshare", "vaultId": string, "vaultName": string } | { "type": "GestaltInvite", "pairing"?: string } | { "type": "General", "message": string }';
const INBOX_ITEM = `{ "id": string, "from": string, "data": ${DATA}, "isRead": boolean, "iat": number }`;

function describe(data: NotificationData, from: string): string {
  switch (data.type) {
    case 'VaultShare':
      return `shared vault ${data.vaultName} (${data.actions.join(',')}): keynode vaults clone ${data.vaultId} ${from}`;
    case 'VaultUnshare':
      return `stopped sharing vault ${data.vaultName}`;
    case 'GestaltInvite':
      // An invite from a pairing code that was taken links by itself; one left here was not taken.
      return data.pairing === undefined
        ? `invites you to link keynodes: keynode gestalts claim ${from}`
        : `scanned a pairing code of yours (expired, used or replaced, so it did not link by itself); to link anyway: keynode gestalts claim ${from}`;
    case 'General':
      return data.message;
  }
}

function inboxTable(items: InboxItem[]): string {
  return table(items.map((n) => [n.id, when(n.iat), n.from, describe(n.data, n.from)]));
}

function outboxTable(items: OutboxItem[]): string {
  return table(items.map((n) => [n.id, n.to, n.failed ? 'failed' : `${n.attempts} tries`, describe(n.data, n.to)]));
}

function readOptions(options: OptionValues): { unread?: boolean; order?: 'asc' | 'desc'; limit?: number } {
  const order = options.order as 'asc' | 'desc' | undefined;
  return { unread: options.unread === true, order, limit: countOption(options, 'limit', ['notifications', 'read']) };
}

export const notificationCommands: CommandDef[] = [
  {
    path: ['notifications', 'read'],
    summary: 'the inbox, newest first (marks what it shows as read)',
    options: {
      unread: { type: 'boolean', description: 'only those not read yet' },
      order: { type: 'string', choices: ['asc', 'desc'], description: 'oldest (asc) or newest (desc, the default) first' },
      limit: { type: 'string', value: 'N', description: 'at most N' },
    },
    json: `[${INBOX_ITEM}, …]   (iat: milliseconds since 1970)`,
    run: ({ options }) => {
      const opts = readOptions(options);
      return async ({ kn }) => {
        const items = await kn.notifications.read(opts);
        return { json: items, human: inboxTable(items) };
      };
    },
  },
  change(['notifications', 'send'], 'NODE MESSAGE...', [2, Infinity], 'send NODE a message (kept in the outbox until delivered)', (kn, args) =>
    kn.notifications.send(args[0]!, args.slice(1).join(' ')),
  ),
  change(['notifications', 'remove'], 'ID', [1, 1], 'remove a notification from the inbox', (kn, args) => kn.notifications.remove(args[0]!)),
  change(['notifications', 'clear'], '', [0, 0], 'empty the inbox', (kn) => kn.notifications.clear()),
  {
    path: ['notifications', 'open'],
    usage: 'LINK',
    args: [1, 1],
    summary: 'open a share link (checks its signature, then keeps it in the inbox)',
    json: `{ "id": string, "from": string, "data": ${DATA} }`,
    run: withKeynode(async ({ kn }, args) => {
      const opened = await kn.notifications.openLink(args[0]!);
      return { json: opened, human: `${opened.from} ${describe(opened.data, opened.from)}` };
    }),
  },
  {
    path: ['notifications', 'outbox'],
    summary: 'notifications not delivered yet',
    json:
      `[{ "id": string, "to": string, "data": ${DATA}, "attempts": number, "nextAttemptAt"?: number, ` +
      '"lastError"?: { "code": string, "message": string }, "failed"?: boolean }, …]',
    run: withKeynode(async ({ kn }) => {
      const items = await kn.notifications.outbox.read();
      return { json: items, human: outboxTable(items) };
    }),
  },
  change(['notifications', 'outbox', 'remove'], 'ID', [1, 1], 'stop trying to deliver a notification', (kn, args) => kn.notifications.outbox.remove(args[0]!)),
  change(['notifications', 'outbox', 'clear'], '', [0, 0], 'empty the outbox', (kn) => kn.notifications.outbox.clear()),
  {
    path: ['notifications', 'requests'],
    summary: 'notifications from keynodes not allowed to notify this one, newest first',
    json: `[${INBOX_ITEM}, …]`,
    run: withKeynode(async ({ kn }) => {
      const items = await kn.notifications.requests.read();
      return { json: items, human: inboxTable(items) };
    }),
  },
  change(['notifications', 'requests', 'accept'], 'ID', [1, 1], "trust the request's sender; its requests move to the inbox", (kn, args) =>
    kn.notifications.requests.accept(args[0]!),
  ),
  change(['notifications', 'requests', 'block'], 'ID', [1, 1], "drop the sender's requests, and whatever it sends from now on", (kn, args) =>
    kn.notifications.requests.block(args[0]!),
  ),
];
