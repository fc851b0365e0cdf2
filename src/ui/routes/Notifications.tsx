// Notifications: the inbox (shared vaults with Clone, unshares, invitations to link browsers,
// messages), requests from keynodes not trusted to notify (accept or block), and what this keynode
// is still trying to deliver. Opening the screen marks the inbox read.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import type { InboxItem, NotificationData, OutboxItem } from '../../types.js';
import { Card } from '../components/Card/index.js';
import { ConfirmButton } from '../components/ConfirmButton/index.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { SharedVaultOffer } from '../components/SharedVaultOffer/index.js';
import { displayName, useNicknames } from '../contacts-store.js';
import { formatDate } from '../format.js';
import { useAction } from '../hooks/useAction.js';
import { useLoad } from '../hooks/useLoad.js';

export function Notifications({ keynode, onRead }: { keynode: Keynode; onRead: () => void }) {
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const inbox = useLoad(
    keynode,
    async () => {
      const unread = await keynode.notifications.read({ unread: true });
      if (unread.length > 0) setFresh((old) => new Set([...old, ...unread.map((i) => i.id)]));
      const all = await keynode.notifications.read({ order: 'desc' });
      onRead();
      return all;
    },
    [],
    ['notification'],
  );
  const requests = useLoad(keynode, () => keynode.notifications.requests.read(), [], ['notification']);
  const outbox = useLoad(keynode, () => keynode.notifications.outbox.read(), [], ['notification', 'network']);
  const clear = useAction(async () => {
    await keynode.notifications.clear();
    await inbox.reload();
  });

  return (
    <>
      <h1 tabIndex={-1}>Notifications</h1>
      <section class="card" aria-labelledby="inbox">
        <div class="row spread">
          <h2 id="inbox">Inbox</h2>
          {(inbox.data?.length ?? 0) > 0 && (
            <ConfirmButton label="Clear inbox" title="Remove every notification?" confirmLabel="Clear inbox" onConfirm={() => clear.run()}>
              <p>Vaults you cloned stay; only the notifications go.</p>
            </ConfirmButton>
          )}
        </div>
        <ErrorNote error={inbox.error ?? clear.error} />
        {inbox.data !== undefined && inbox.data.length === 0 && (
          <p class="muted">Nothing here. When someone shares a vault with you, it shows up here (they must be in your Contacts).</p>
        )}
        <ul class="plain notes">
          {inbox.data?.map((item) => (
            <InboxEntry key={item.id} keynode={keynode} item={item} isNew={fresh.has(item.id)} onRemoved={() => void inbox.reload()} />
          ))}
        </ul>
      </section>
      {(requests.data?.length ?? 0) > 0 && (
        <Requests keynode={keynode} items={requests.data!} onChange={() => void Promise.all([requests.reload(), inbox.reload()])} />
      )}
      {(outbox.data?.length ?? 0) > 0 && <Outbox keynode={keynode} items={outbox.data!} onChange={() => void outbox.reload()} />}
    </>
  );
}

function Describe({ data, from }: { data: NotificationData; from: string }) {
  switch (data.type) {
    case 'VaultShare':
      return (
        <p>
          <strong>{from}</strong> shared the vault <strong>“{data.vaultName}”</strong> with you. You can {data.actions.join(' and ')} it.
        </p>
      );
    case 'VaultUnshare':
      return (
        <p>
          <strong>{from}</strong> stopped sharing <strong>“{data.vaultName}”</strong>. Your copy stays, but you can no longer pull changes.
        </p>
      );
    case 'GestaltInvite':
      return (
        <p>
          <strong>{from}</strong> invites this browser to be linked with theirs as the same person. Only accept if both browsers are yours.
          {data.pairing !== undefined && ' It scanned a pairing code of this browser that was no longer valid (expired, used, or replaced by a newer one).'}
        </p>
      );
    case 'General':
      return (
        <p>
          <strong>{from}</strong> says: {data.message}
        </p>
      );
  }
}

function InboxEntry({ keynode, item, isNew, onRemoved }: { keynode: Keynode; item: InboxItem; isNew: boolean; onRemoved: () => void }) {
  const names = useNicknames();
  const from = displayName(names, item.from);
  const [linked, setLinked] = useState(false);
  const remove = useAction(async () => {
    await keynode.notifications.remove(item.id);
    onRemoved();
  });
  const claim = useAction(async () => {
    await keynode.gestalts.claim(item.from);
    setLinked(true);
  });
  return (
    <li class={isNew ? 'note new' : 'note'} data-testid="notification" data-type={item.data.type}>
      <div class="row spread">
        <span class="muted small">
          {isNew && <span class="tag">New</span>} {formatDate(item.iat)}
        </span>
        <button type="button" class="linkish" aria-label={`Remove this notification from ${from}`} onClick={() => void remove.run()}>
          Remove
        </button>
      </div>
      <Describe data={item.data} from={from} />
      {item.data.type === 'VaultShare' && <SharedVaultOffer keynode={keynode} owner={item.from} vaultId={item.data.vaultId} vaultName={item.data.vaultName} />}
      {item.data.type === 'GestaltInvite' &&
        (linked ? (
          <p class="ok">Linked.</p>
        ) : (
          <button type="button" class="primary" onClick={() => void claim.run()}>
            Link with {from}
          </button>
        ))}
      <ErrorNote error={remove.error ?? claim.error} />
    </li>
  );
}

function Requests({ keynode, items, onChange }: { keynode: Keynode; items: InboxItem[]; onChange: () => void }) {
  const names = useNicknames();
  const accept = useAction(async (id: string) => {
    await keynode.notifications.requests.accept(id);
    onChange();
  });
  const block = useAction(async (id: string) => {
    await keynode.notifications.requests.block(id);
    onChange();
  });
  return (
    <Card id="requests" title="Requests">
      <p class="muted">
        These keynodes are known but not allowed to notify you. Accept to trust them and move this to the inbox; block to hear nothing more from them.
      </p>
      <ul class="plain notes">
        {items.map((item) => {
          const from = displayName(names, item.from);
          return (
            <li key={item.id} class="note" data-testid="request">
              <Describe data={item.data} from={from} />
              <p class="mono small">{item.from}</p>
              <div class="row">
                <button type="button" class="primary" aria-label={`Accept request from ${from}`} onClick={() => void accept.run(item.id)}>
                  Accept
                </button>
                <button type="button" class="danger" aria-label={`Block ${from}`} onClick={() => void block.run(item.id)}>
                  Block
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      <ErrorNote error={accept.error ?? block.error} />
    </Card>
  );
}

/** When the next attempt runs, as a person reads it ("shortly" once the stored time has passed: the app runs it when it can). */
const retryAt = (ms: number | undefined): string => (ms === undefined || ms <= Date.now() ? 'shortly' : `at ${formatDate(ms)}`);

/** One line for an outbox item's state: never a silent failure (OutboxItem.state, src/types.ts). */
function OutboxStatus({ item, to }: { item: OutboxItem; to: string }) {
  switch (item.state) {
    case 'pending':
      return <span>sending…</span>;
    case 'not-delivered-yet':
      return (
        <span>
          <strong>not delivered yet</strong> — will retry {retryAt(item.nextAttemptAt)}, or as soon as {to} is online ({item.attempts}{' '}
          {item.attempts === 1 ? 'attempt' : 'attempts'} so far)
        </span>
      );
    case 'refused':
      return (
        <span>
          <strong>refused by {to}</strong> — keynode will not try again
        </span>
      );
  }
}

function Outbox({ keynode, items, onChange }: { keynode: Keynode; items: OutboxItem[]; onChange: () => void }) {
  const names = useNicknames();
  const remove = useAction(async (id: string) => {
    await keynode.notifications.outbox.remove(id);
    onChange();
  });
  return (
    <Card id="outbox" title="Waiting to be delivered">
      <p class="muted">
        keynode keeps trying while the recipient is offline, for as long as it takes. For a shared vault you can also send them the share link (Vault →
        Sharing).
      </p>
      <ul class="plain notes">
        {items.map((item) => {
          const to = displayName(names, item.to);
          const what =
            item.data.type === 'VaultShare' || item.data.type === 'VaultUnshare'
              ? `${item.data.type === 'VaultShare' ? 'Share' : 'Unshare'} of “${item.data.vaultName}”`
              : item.data.type === 'GestaltInvite'
                ? 'Invitation to link'
                : 'Message';
          return (
            <li key={item.id} class="note" data-testid="outbox-item" data-state={item.state}>
              <p>
                {what} to <strong>{to}</strong>: <OutboxStatus item={item} to={to} />
              </p>
              {item.lastError !== undefined && <p class="muted small">Last attempt: {item.lastError.message}</p>}
              <button
                type="button"
                aria-label={`${item.state === 'refused' ? 'Remove' : 'Stop trying to deliver'} ${what} to ${to}`}
                onClick={() => void remove.run(item.id)}
              >
                {item.state === 'refused' ? 'Remove' : 'Stop trying'}
              </button>
            </li>
          );
        })}
      </ul>
      <ErrorNote error={remove.error} />
    </Card>
  );
}
