// Export a vault's secrets as environment variables (dotenv or JSON), ready to copy into a deploy
// tool. A secret's variable name is its file name; names that are not valid variable names are left out.
import { useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { useAction } from '../../hooks/useAction.js';
import { CLEAR_AFTER_S } from '../../hooks/useCopy.js';
import { CopyButton } from '../CopyButton/index.js';
import { ErrorNote } from '../ErrorNote/index.js';

export function EnvExport({ keynode, vault }: { keynode: Keynode; vault: string }) {
  const [format, setFormat] = useState<'dotenv' | 'json'>('dotenv');
  const [text, setText] = useState<string | undefined>(undefined);
  const build = useAction(async () => setText(await keynode.secrets.env(vault, undefined, { format, invalid: 'ignore', duplicate: 'overwrite' })));
  return (
    <div class="stack">
      <p class="muted">Each secret becomes a variable named after its file (db/password → password). Names that cannot be variables are skipped.</p>
      <fieldset class="row">
        <legend>Format</legend>
        {(['dotenv', 'json'] as const).map((f) => (
          <label key={f} class="inline">
            <input
              type="radio"
              name="env-format"
              value={f}
              checked={format === f}
              onChange={() => {
                setFormat(f);
                setText(undefined);
              }}
            />
            {f === 'dotenv' ? '.env file' : 'JSON'}
          </label>
        ))}
      </fieldset>
      <div class="row">
        <button type="button" class="primary" onClick={() => void build.run()}>
          Show export
        </button>
        {text !== undefined && <CopyButton text={text} label="Copy export" clearAfterS={CLEAR_AFTER_S} />}
      </div>
      {text !== undefined && (
        <pre class="secret-value" aria-label="Exported variables">
          {text === '' ? '(nothing to export)' : text}
        </pre>
      )}
      <ErrorNote error={build.error} />
    </div>
  );
}
