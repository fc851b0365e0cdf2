// A vault's history, newest first: who changed what and when, and a way to look at any version.
import type { Keynode } from '../../../keynode/keynode.js';
import type { LogEntry } from '../../../types.js';
import { displayName, useNicknames } from '../../contacts-store.js';
import { formatDate, shortId } from '../../format.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ErrorNote } from '../ErrorNote/index.js';

export function History({
  keynode,
  vault,
  viewing,
  onView,
}: {
  keynode: Keynode;
  vault: string;
  viewing: string | undefined;
  onView: (entry: LogEntry, latest: boolean) => void;
}) {
  const log = useLoad(keynode, () => keynode.vaults.log(vault, { limit: 100 }), [vault]);
  const names = useNicknames();
  if (log.error !== undefined) return <ErrorNote error={log.error} />;
  if (log.data === undefined) return <p class="muted">Loading…</p>;
  const who = (author: string): string => (author === keynode.nodeId ? 'you' : displayName(names, author));
  return (
    <ol class="history">
      {log.data.map((entry, i) => {
        const [title, ...rest] = entry.message.split('\n');
        const details = rest.filter((l) => l.trim() !== '' && !/^vault[- ]?id/i.test(l));
        const isViewed = viewing === undefined ? i === 0 : viewing === entry.commitId;
        return (
          <li key={entry.commitId} class={isViewed ? 'viewed' : undefined}>
            <div>
              <strong>{title}</strong>
              {details.length > 0 && <span class="muted"> — {details.join(', ')}</span>}
            </div>
            <div class="muted small">
              {formatDate(entry.timestamp)} by {who(entry.author)} · <span class="mono">{shortId(entry.commitId, 8)}</span>
            </div>
            {isViewed ? (
              <span class="tag">{i === 0 ? 'Latest (shown)' : 'Shown now'}</span>
            ) : (
              <button
                type="button"
                aria-label={`View this version from ${formatDate(entry.timestamp)} (${shortId(entry.commitId, 8)})`}
                onClick={() => onView(entry, i === 0)}
              >
                View this version
              </button>
            )}
          </li>
        );
      })}
    </ol>
  );
}
