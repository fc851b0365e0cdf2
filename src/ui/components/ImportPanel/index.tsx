// Import into this vault (loaded when its tab opens): a .env, JSON, Bitwarden or KeePass export,
// chosen as a file or pasted. "Preview" asks the keynode what it would do (a dry run), listing what
// will be added or replaced and what will be skipped and why; "Import" then writes it as one change.
// The text stays in this browser, and is dropped from the page once imported.
import { useId, useState } from 'preact/hooks';
import type { ImportFormat } from '../../../keynode/importers.js';
import type { Keynode } from '../../../keynode/keynode.js';
import type { ImportReport } from '../../../types.js';
import { useAction } from '../../hooks/useAction.js';
import { ErrorNote } from '../ErrorNote/index.js';

const FORMATS: Array<[ImportFormat | 'auto', string]> = [
  ['auto', 'Recognise it'],
  ['dotenv', '.env file (NAME=value)'],
  ['json', 'JSON (names and values; objects become folders)'],
  ['bitwarden-csv', 'Bitwarden export (.csv)'],
  ['bitwarden-json', 'Bitwarden export (.json, unencrypted)'],
  ['keepass-csv', 'KeePassXC or KeePass export (.csv)'],
];
const FORMAT_NAMES: Record<string, string> = {
  dotenv: 'a .env file',
  json: 'JSON',
  'bitwarden-csv': 'a Bitwarden CSV export',
  'bitwarden-json': 'a Bitwarden JSON export',
  'keepass-csv': 'a KeePass CSV export',
};
const LISTED = 200;

export function ImportPanel({ keynode, vault }: { keynode: Keynode; vault: string }) {
  const id = useId();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | undefined>(undefined);
  const [format, setFormat] = useState<ImportFormat | 'auto'>('auto');
  const [into, setInto] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [preview, setPreview] = useState<ImportReport | undefined>(undefined);
  const [done, setDone] = useState<ImportReport | undefined>(undefined);
  const options = { format, into: into.trim(), existing: overwrite ? ('overwrite' as const) : ('skip' as const) };

  // What was previewed or imported no longer matches once the text or a choice changes.
  const changed = (): void => {
    setPreview(undefined);
    setDone(undefined);
  };
  const edit = <T,>(set: (value: T) => void, value: T): void => {
    set(value);
    changed();
  };
  const check = useAction(async () => setPreview(await keynode.secrets.import(vault, text, { ...options, dryRun: true })));
  const apply = useAction(async () => {
    const report = await keynode.secrets.import(vault, text, options);
    setDone(report);
    setPreview(undefined);
    setText('');
    setFileName(undefined);
  });

  return (
    <div class="stack" data-testid="import-panel">
      <p class="muted">
        Bring secrets in from a <strong>.env</strong> file, <strong>JSON</strong>, or a <strong>Bitwarden</strong> or <strong>KeePass</strong> export. The file
        is read here, in this browser; nothing is sent anywhere.
      </p>
      <div class="field">
        <label for={`${id}-file`}>Choose a file</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".env,.txt,.json,.csv,text/plain,application/json,text/csv"
          onChange={async (e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file === undefined) return;
            setText(await file.text());
            setFileName(file.name);
            changed();
          }}
        />
      </div>
      <label>
        Or paste it here
        <textarea
          class="mono"
          rows={6}
          autocomplete="off"
          spellcheck={false}
          value={text}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            setFileName(undefined);
            changed();
          }}
        />
      </label>
      {fileName !== undefined && <p class="small">Read from {fileName}.</p>}
      <div class="row">
        <label class="grow">
          What it is
          <select value={format} onChange={(e) => edit(setFormat, (e.target as HTMLSelectElement).value as ImportFormat | 'auto')}>
            {FORMATS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Into the folder <span class="muted small">(optional)</span>
          <input
            class="mono"
            autocomplete="off"
            placeholder="e.g. imported"
            value={into}
            onInput={(e) => edit(setInto, (e.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      <label class="inline">
        <input type="checkbox" checked={overwrite} onChange={(e) => edit(setOverwrite, (e.target as HTMLInputElement).checked)} />
        Replace secrets that already exist (otherwise they are skipped)
      </label>
      <div class="row">
        <button type="button" disabled={text.trim() === '' || check.busy} onClick={() => void check.run()}>
          Preview
        </button>
        {preview !== undefined && (
          <button
            type="button"
            class="primary"
            disabled={apply.busy || preview.added.length + preview.overwritten.length === 0}
            onClick={() => void apply.run()}
          >
            {apply.busy
              ? 'Importing…'
              : `Import ${preview.added.length + preview.overwritten.length} ${preview.added.length + preview.overwritten.length === 1 ? 'secret' : 'secrets'}`}
          </button>
        )}
      </div>
      <ErrorNote error={check.error ?? apply.error} />
      {preview !== undefined && <Report report={preview} planned />}
      {done !== undefined && <Report report={done} planned={false} />}
    </div>
  );
}

function Report({ report, planned }: { report: ImportReport; planned: boolean }) {
  const writes = [...report.added.map((p) => [p, 'new'] as const), ...report.overwritten.map((p) => [p, 'replaces the existing value'] as const)];
  return (
    <section class="card inset" aria-label={planned ? 'Import preview' : 'Import result'} data-testid={planned ? 'import-preview' : 'import-result'}>
      <p role="status">
        {planned ? `Read as ${FORMAT_NAMES[report.format] ?? report.format}. ` : ''}
        {planned
          ? `${report.added.length} to add, ${report.overwritten.length} to replace, ${report.skipped.length} skipped.`
          : `Imported ${report.added.length + report.overwritten.length} (${report.added.length} new, ${report.overwritten.length} replaced); ${report.skipped.length} skipped.`}
      </p>
      {planned && writes.length > 0 && (
        <details open={writes.length <= 20}>
          <summary>What will be written</summary>
          <ul class="plain small mono">
            {writes.slice(0, LISTED).map(([path, note]) => (
              <li key={path}>
                {path} <span class="muted">— {note}</span>
              </li>
            ))}
            {writes.length > LISTED && <li class="muted">…and {writes.length - LISTED} more</li>}
          </ul>
        </details>
      )}
      {report.skipped.length > 0 && (
        <>
          <h3>Skipped</h3>
          <table class="skipped">
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {report.skipped.slice(0, LISTED).map((s, i) => (
                <tr key={i}>
                  <td class="mono">{s.entry}</td>
                  <td>{s.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.skipped.length > LISTED && <p class="muted small">…and {report.skipped.length - LISTED} more.</p>}
        </>
      )}
    </section>
  );
}
