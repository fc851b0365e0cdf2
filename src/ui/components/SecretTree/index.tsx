// The secrets of a vault as a tree: folders open and close (each loads its own level when opened),
// secrets are SecretItems. Follows the version being viewed, and every change made anywhere.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { SecretItem } from '../SecretItem/index.js';

interface Props {
  keynode: Keynode;
  vault: string;
  editable: boolean;
}

function Level({ keynode, vault, editable, dir }: Props & { dir?: string }) {
  const entries = useLoad(keynode, () => keynode.secrets.list(vault, dir), [vault, dir]);
  if (entries.error !== undefined) return <ErrorNote error={entries.error} />;
  if (entries.data === undefined) return <p class="muted">Loading…</p>;
  if (entries.data.length === 0) return dir === undefined ? <p class="muted">No secrets yet.</p> : null;
  const sorted = [...entries.data].sort((a, b) => (a.type === b.type ? a.path.localeCompare(b.path) : a.type === 'directory' ? -1 : 1));
  return (
    <ul class={dir === undefined ? 'tree' : 'tree nested'}>
      {sorted.map((e) =>
        e.type === 'directory' ? (
          <Folder key={e.path} keynode={keynode} vault={vault} editable={editable} path={e.path} />
        ) : (
          <SecretItem key={e.path} keynode={keynode} vault={vault} path={e.path} editable={editable} />
        ),
      )}
    </ul>
  );
}

function Folder({ path, ...props }: Props & { path: string }) {
  const [open, setOpen] = useState(false);
  const name = path.split('/').pop() ?? path;
  return (
    <li class="folder">
      <button type="button" class="folder-toggle" aria-expanded={open} aria-label={`Folder ${path}/`} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> {name}/
      </button>
      {open && <Level {...props} dir={path} />}
    </li>
  );
}

export const SecretTree = (props: Props) => <Level {...props} />;
