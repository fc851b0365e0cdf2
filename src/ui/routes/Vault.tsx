// One vault: its secrets (searchable), history, sharing, import and export. A cloned vault is
// read-only and says so, offering Pull and Fork; an old version being viewed says so, with a way
// back to the latest. `?tab=export` opens the export tab (the backup reminder links there).
import type { ComponentType } from 'preact';
import { useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import type { LogEntry, VaultListItem } from '../../types.js';
import { ActionForm, submitting } from '../components/ActionForm/index.js';
import { ConfirmButton } from '../components/ConfirmButton/index.js';
import { EnvExport } from '../components/EnvExport/index.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { History } from '../components/History/index.js';
import { GenerateButton } from '../components/GenerateButton/index.js';
import { PullControl } from '../components/PullControl/index.js';
import { SecretSearch } from '../components/SecretSearch/index.js';
import { SecretTree } from '../components/SecretTree/index.js';
import { SharePanel } from '../components/SharePanel/index.js';
import { displayName, useNicknames } from '../contacts-store.js';
import { formatDate, shortId } from '../format.js';
import { useAction } from '../hooks/useAction.js';
import { useLazy } from '../hooks/useLazy.js';
import { useLoad } from '../hooks/useLoad.js';
import { Link, navigate, vaultPath } from '../router.js';

const TAB_LABELS = { secrets: 'Secrets', history: 'History', sharing: 'Sharing', import: 'Import', export: 'Export and back up' };
type Tab = keyof typeof TAB_LABELS;
const TABS = Object.keys(TAB_LABELS) as Tab[];

// The core keeps the checked-out version but has no call that reports it, so the UI remembers
// which one it asked for (per vault, in this browser).
const viewingKey = (vaultId: string): string => `keynode:viewing:${vaultId}`;
type Viewing = { commitId: string; timestamp: number };
function loadViewing(vaultId: string): Viewing | undefined {
  try {
    const raw = localStorage.getItem(viewingKey(vaultId));
    return raw === null ? undefined : (JSON.parse(raw) as Viewing);
  } catch {
    return undefined;
  }
}

export function Vault({ keynode, id }: { keynode: Keynode; id: string }) {
  const vaults = useLoad(keynode, () => keynode.vaults.list(), []);
  const vault = vaults.data?.find((v) => v.vaultId === id) ?? vaults.data?.find((v) => v.vaultName === id);
  if (vaults.error !== undefined) return <ErrorNote error={vaults.error} />;
  if (vaults.data === undefined) return <p class="muted">Loading…</p>;
  if (vault === undefined) {
    return (
      <section class="card">
        <h1 tabIndex={-1}>Vault not found</h1>
        <p>There is no vault “{id}” in this browser. It may have been deleted.</p>
        <Link href="/">Back to your vaults</Link>
      </section>
    );
  }
  return <VaultView key={vault.vaultId} keynode={keynode} vault={vault} />;
}

function VaultView({ keynode, vault }: { keynode: Keynode; vault: VaultListItem }) {
  const names = useNicknames();
  const [tab, setTab] = useState<Tab>(() => TABS.find((t) => t === new URLSearchParams(location.search).get('tab')) ?? 'secrets');
  const [viewing, setViewing] = useState(() => loadViewing(vault.vaultId));
  const [renaming, setRenaming] = useState<string | undefined>(undefined);
  const [forkName, setForkName] = useState<string | undefined>(undefined);
  const isClone = vault.remote !== undefined;
  const owner = vault.remote === undefined ? undefined : displayName(names, vault.remote.nodeId);
  const editable = !isClone && viewing === undefined;

  /** Checks out `v`, or the latest version when `v` is undefined. */
  const checkOut = async (v: Viewing | undefined): Promise<void> => {
    await keynode.vaults.version(vault.vaultId, v?.commitId ?? 'last');
    if (v === undefined) localStorage.removeItem(viewingKey(vault.vaultId));
    else localStorage.setItem(viewingKey(vault.vaultId), JSON.stringify(v));
    setViewing(v);
  };
  const view = useAction(async (entry: LogEntry, latest: boolean) => {
    await checkOut(latest ? undefined : { commitId: entry.commitId, timestamp: entry.timestamp });
    if (!latest) setTab('secrets');
  });
  const backToLatest = useAction(() => checkOut(undefined));
  const rename = useAction(async () => {
    await keynode.vaults.rename(vault.vaultId, (renaming ?? '').trim());
    setRenaming(undefined);
  });
  const remove = useAction(async () => {
    await keynode.vaults.delete(vault.vaultId);
    localStorage.removeItem(viewingKey(vault.vaultId));
    navigate('/');
  });
  const fork = useAction(async () => {
    const id = await keynode.vaults.fork(vault.vaultId, (forkName ?? '').trim());
    setForkName(undefined);
    navigate(vaultPath(id));
  });

  const tabs = TABS.filter((t) => (t !== 'sharing' || !isClone) && (t !== 'import' || editable));

  return (
    <>
      <p class="crumbs">
        <Link href="/">← All vaults</Link>
      </p>
      <div class="row spread">
        <h1 tabIndex={-1}>{vault.vaultName}</h1>
        <div class="row">
          <button type="button" onClick={() => setRenaming(vault.vaultName)}>
            Rename vault
          </button>
          <ConfirmButton
            label="Delete vault"
            title={`Delete the vault “${vault.vaultName}”?`}
            confirmLabel={`Delete “${vault.vaultName}”`}
            danger
            onConfirm={() => remove.run()}
          >
            <p>
              Every secret and the whole history of “{vault.vaultName}” are removed from this browser
              {isClone ? '' : ', and nobody can clone or pull it from you any more'}. This cannot be undone.
            </p>
          </ConfirmButton>
        </div>
      </div>
      {renaming !== undefined && (
        <NameForm
          class="card row"
          label={`New name for “${vault.vaultName}”`}
          value={renaming}
          onInput={setRenaming}
          submit="Save name"
          onSubmit={rename.run}
          onCancel={() => setRenaming(undefined)}
        />
      )}
      <ErrorNote error={rename.error ?? remove.error} />

      {isClone && (
        <section class="banner banner-info" aria-label="Read-only copy">
          <p>
            This is a read-only copy of “{vault.vaultName}” from <strong>{owner}</strong> <span class="mono small">({shortId(vault.remote!.nodeId, 12)})</span>.
            Pull to get their latest changes. To change secrets yourself, fork it into your own editable vault.
          </p>
          <PullControl keynode={keynode} vault={vault} ownerName={owner!} />
          {forkName === undefined ? (
            <button type="button" onClick={() => setForkName(`${vault.vaultName}-mine`)}>
              Fork into an editable copy
            </button>
          ) : (
            <NameForm
              class="row"
              label="Name of your copy"
              value={forkName}
              onInput={setForkName}
              submit="Fork"
              onSubmit={fork.run}
              onCancel={() => setForkName(undefined)}
            />
          )}
          <ErrorNote error={fork.error} />
        </section>
      )}

      {viewing !== undefined && (
        <section class="banner banner-warn" aria-label="Old version">
          <p>
            You are looking at an old version from {formatDate(viewing.timestamp)}. Secrets cannot be changed here.{' '}
            <button type="button" class="linkish" onClick={() => void backToLatest.run()}>
              Go back to latest
            </button>
          </p>
          <ErrorNote error={backToLatest.error} />
        </section>
      )}

      <nav class="tabs" aria-label="Vault sections">
        {tabs.map((key) => (
          <button key={key} type="button" aria-pressed={tab === key} onClick={() => setTab(key)}>
            {TAB_LABELS[key]}
          </button>
        ))}
      </nav>

      <section class="card" aria-label={tabs.includes(tab) ? TAB_LABELS[tab] : undefined}>
        {tab === 'secrets' && (
          <>
            <SecretSearch keynode={keynode} vault={vault.vaultId} editable={editable}>
              <SecretTree keynode={keynode} vault={vault.vaultId} editable={editable} />
            </SecretSearch>
            {editable && <AddSecret keynode={keynode} vault={vault.vaultId} />}
          </>
        )}
        {tab === 'history' && (
          <>
            <History keynode={keynode} vault={vault.vaultId} viewing={viewing?.commitId} onView={(entry, latest) => void view.run(entry, latest)} />
            <ErrorNote error={view.error} />
          </>
        )}
        {tab === 'sharing' && <SharePanel keynode={keynode} vault={vault.vaultId} vaultName={vault.vaultName} />}
        {tab === 'import' && editable && (
          <LazyPanel
            load={() => import('../components/ImportPanel/index.js').then((m) => m.ImportPanel)}
            keynode={keynode}
            vault={vault.vaultId}
            vaultName={vault.vaultName}
          />
        )}
        {tab === 'export' && (
          <>
            <EnvExport keynode={keynode} vault={vault.vaultId} />
            <LazyPanel
              load={() => import('../components/BackupPanel/index.js').then((m) => m.BackupPanel)}
              keynode={keynode}
              vault={vault.vaultId}
              vaultName={vault.vaultName}
            />
          </>
        )}
      </section>
    </>
  );
}

function AddSecret({ keynode, vault }: { keynode: Keynode; vault: string }) {
  const [path, setPath] = useState('');
  const [value, setValue] = useState('');
  const add = useAction(async () => {
    await keynode.secrets.add(vault, path.trim(), value);
    setPath('');
    setValue('');
  });
  return (
    <ActionForm class="stack add-secret" action={add} ready={path.trim() !== ''} label="Add secret">
      <h2>Add a secret</h2>
      <label>
        Path <span class="muted small">(use “/” for folders, e.g. db/password)</span>
        <input class="mono" value={path} required autocomplete="off" onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Secret value
        <textarea
          class="mono"
          rows={3}
          value={value}
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <GenerateButton onUse={setValue} />
    </ActionForm>
  );
}

/** Names a vault anew (renaming it, or the copy a fork makes). */
function NameForm(props: {
  class: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  submit: string;
  onSubmit: () => unknown;
  onCancel: () => void;
}) {
  return (
    <form class={props.class} onSubmit={submitting(props.onSubmit)}>
      <label class="grow">
        {props.label}
        <input autocomplete="off" value={props.value} required autoFocus onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary">
        {props.submit}
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

interface PanelProps {
  keynode: Keynode;
  vault: string;
  vaultName: string;
}

/** A panel of the vault screen whose code loads when its tab is first opened. */
function LazyPanel({ load, ...props }: { load: () => Promise<ComponentType<PanelProps>> } & PanelProps) {
  const { module: Panel, error } = useLazy(load, true);
  if (error !== undefined) return <ErrorNote error={error} />;
  return Panel === undefined ? <p class="muted">Loading…</p> : <Panel {...props} />;
}
