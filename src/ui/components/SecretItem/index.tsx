// One secret in the tree (or in search results, with its whole path): hidden until revealed, copied
// with a clearing countdown, and — in a vault this keynode may write — edited (with the password
// generator at hand), renamed or deleted in place.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { formatBytes } from '../../format.js';
import { useAction } from '../../hooks/useAction.js';
import { CLEAR_AFTER_S } from '../../hooks/useCopy.js';
import { submitting } from '../ActionForm/index.js';
import { ConfirmButton } from '../ConfirmButton/index.js';
import { CopyButton } from '../CopyButton/index.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { ValueEditor } from '../ValueEditor/index.js';

type Value = { text: string } | { binary: number };

async function readValue(keynode: Keynode, vault: string, path: string): Promise<Value> {
  const bytes = await keynode.secrets.get(vault, path);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { binary: bytes.length };
  }
}

export function SecretItem({
  keynode,
  vault,
  path,
  editable,
  showPath = false,
}: {
  keynode: Keynode;
  vault: string;
  path: string;
  editable: boolean;
  showPath?: boolean;
}) {
  const [value, setValue] = useState<Value | undefined>(undefined);
  const [mode, setMode] = useState<'view' | 'edit' | 'rename'>('view');
  const [draft, setDraft] = useState('');
  const name = showPath ? path : (path.split('/').pop() ?? path);

  const reveal = useAction(async () => setValue(value === undefined ? await readValue(keynode, vault, path) : undefined));
  const startEdit = useAction(async () => {
    const current = await readValue(keynode, vault, path);
    setDraft('text' in current ? current.text : '');
    setMode('edit');
  });
  const save = useAction(async () => {
    // Hidden before the write, so a Show pressed meanwhile is not undone when the save returns.
    setValue(undefined);
    await keynode.secrets.update(vault, path, draft);
    setMode('view');
  });
  const rename = useAction(async () => {
    await keynode.secrets.rename(vault, path, draft.trim());
    setMode('view');
  });
  const remove = useAction(() => keynode.secrets.delete(vault, path));

  return (
    <li class="secret">
      <div class="secret-row">
        <span class="secret-name mono" title={path}>
          {name}
        </span>
        <div class="row actions">
          <button
            type="button"
            aria-label={`${value === undefined ? 'Show' : 'Hide'} ${path}`}
            aria-pressed={value !== undefined}
            onClick={() => void reveal.run()}
          >
            {value === undefined ? 'Show' : 'Hide'}
          </button>
          <CopyButton label="Copy" ariaLabel={`Copy ${path}`} clearAfterS={CLEAR_AFTER_S} text={() => keynode.secrets.getText(vault, path)} />
          {editable && (
            <>
              <button type="button" aria-label={`Edit ${path}`} onClick={() => void startEdit.run()}>
                Edit
              </button>
              <button
                type="button"
                aria-label={`Rename ${path}`}
                onClick={() => {
                  setDraft(path);
                  setMode('rename');
                }}
              >
                Rename
              </button>
              <ConfirmButton
                label="Delete"
                ariaLabel={`Delete ${path}`}
                title={`Delete the secret “${path}”?`}
                confirmLabel={`Delete ${path}`}
                danger
                onConfirm={() => remove.run()}
              >
                <p>It disappears from the latest version. History keeps the old versions.</p>
              </ConfirmButton>
            </>
          )}
        </div>
      </div>
      {value !== undefined && (
        <pre class="secret-value" aria-label={`Value of ${path}`} data-testid={`value-${path}`}>
          {'text' in value ? value.text : `Binary secret (${formatBytes(value.binary)}) — it cannot be shown as text.`}
        </pre>
      )}
      {mode === 'edit' && (
        <ValueEditor
          path={path}
          value={draft}
          onInput={setDraft}
          onSave={() => void save.run()}
          onCancel={() => setMode('view')}
          busy={save.busy}
          saveLabel="Save"
        />
      )}
      {mode === 'rename' && (
        <form class="stack" onSubmit={submitting(rename.run)}>
          <label>
            New path for {path}
            <input autocomplete="off" class="mono" autoFocus value={draft} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
          </label>
          <div class="row">
            <button type="submit" class="primary" disabled={rename.busy}>
              Rename
            </button>
            <button type="button" onClick={() => setMode('view')}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={reveal.error ?? startEdit.error ?? save.error ?? rename.error ?? remove.error} />
    </li>
  );
}
