// Reading other tools' exports as secrets (secrets.import): a .env file, JSON (an object of values,
// nested objects as folders; or Bitwarden's unencrypted JSON export), and the CSV exports of
// Bitwarden, KeePassXC and KeePass 2. A password-manager entry becomes a folder named after it, one
// secret per field (password, username, url, totp, notes, custom fields), so `secrets env` and the
// tree read naturally. What cannot be imported is reported with the reason, never dropped silently.
import { isKeynodeError, KeynodeError } from '../errors.js';
import { parsePath } from '../secrets/paths.js';
import type { ImportReport } from '../types.js';

export type ImportFormat = 'dotenv' | 'json' | 'bitwarden-json' | 'bitwarden-csv' | 'keepass-csv';

export interface ImportEntry {
  path: string;
  content: string;
}

/** What was not imported, and why; `entry` is where it was in the file: a line, a key or an entry's name. */
export type Skipped = ImportReport['skipped'][number];

export interface Parsed {
  format: ImportFormat;
  entries: ImportEntry[];
  skipped: Skipped[];
}

const MAX_TEXT = 16 * 1024 * 1024;

/** Parses `text` (format detected unless given); every entry's path is checked and under `into`. */
export function parseImport(text: unknown, format: ImportFormat | 'auto' = 'auto', into = ''): Parsed {
  if (typeof text !== 'string' || text.length > MAX_TEXT) throw new KeynodeError('ErrorInvalidArgument', 'An import is text of at most 16 MB.');
  const prefix = into === '' ? [] : parsePath(into);
  const chosen = format === 'auto' ? detect(text) : format;
  const raw = readers[chosen](text.replace(/^\uFEFF/, ''));
  const out: Parsed = { format: chosen, entries: [], skipped: raw.skipped };
  const files = new Set<string>();
  const folders = new Set<string>();
  for (const { parts, content, entry } of raw.entries) {
    let path: string;
    try {
      path = parsePath([...prefix, ...parts].join('/')).join('/');
    } catch (e) {
      out.skipped.push({ entry, reason: isKeynodeError(e) ? e.message : 'its name cannot be a secret path' });
      continue;
    }
    const ancestors = ancestorsOf(path);
    if (files.has(path) || folders.has(path) || ancestors.some((a) => files.has(a))) {
      out.skipped.push({ entry, reason: `"${path}" is already taken by an earlier entry of this import` });
      continue;
    }
    files.add(path);
    for (const a of ancestors) folders.add(a);
    out.entries.push({ path, content });
  }
  return out;
}

/** The folders on the way to a secret: "a/b/c" → ["a", "a/b"]. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

interface RawEntry {
  parts: string[];
  content: string;
  entry: string;
}
type Reader = (text: string) => { entries: RawEntry[]; skipped: Skipped[] };

function detect(text: string): ImportFormat {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{') || start.startsWith('[')) {
    try {
      const value = JSON.parse(start) as { items?: unknown; encrypted?: unknown };
      return Array.isArray(value.items) && 'encrypted' in value ? 'bitwarden-json' : 'json';
    } catch {
      return 'json';
    }
  }
  const header = start.split(/\r?\n/, 1)[0]!.toLowerCase();
  if (header.includes('login_password')) return 'bitwarden-csv';
  if (header.includes('password') && (header.includes('title') || header.includes('account'))) return 'keepass-csv';
  return 'dotenv';
}

// ---- .env --------------------------------------------------------------------------------------

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };

const readDotenv: Reader = (text) => {
  const lines = text.split(/\r?\n/);
  let entries: RawEntry[] = [];
  const skipped: Skipped[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const at = `line ${i + 1}`;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, '').trim();
    if (eq < 0 || !ENV_KEY.test(key)) {
      skipped.push({ entry: at, reason: eq < 0 ? 'it is not KEY=value' : `"${key.slice(0, 40)}" is not a variable name` });
      continue;
    }
    let rest = line.slice(eq + 1).trimStart();
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines, up to its closing quote.
      let body = rest.slice(1);
      let close = closingQuote(body, quote);
      while (close < 0 && i + 1 < lines.length) {
        body += `\n${lines[++i]!}`;
        close = closingQuote(body, quote);
      }
      if (close < 0) {
        skipped.push({ entry: at, reason: `the value of ${key} has no closing quote` });
        continue;
      }
      const inner = body.slice(0, close);
      value = quote === '"' ? inner.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m) : inner;
    } else {
      const comment = rest.search(/\s#/);
      if (comment >= 0) rest = rest.slice(0, comment);
      value = rest.trim();
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      // As shells and dotenv loaders do: the last one counts.
      skipped.push({ entry: `line ${earlier}`, reason: `${key} is set again further down; the later value is imported` });
      entries = entries.filter((e) => e.parts[0] !== key);
    }
    seen.set(key, i + 1);
    entries.push({ parts: [key], content: value, entry: at });
  }
  return { entries, skipped };
};

function closingQuote(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (quote === '"' && body[j] === '\\') j++;
    else if (body[j] === quote) return j;
  }
  return -1;
}

// ---- JSON --------------------------------------------------------------------------------------

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KeynodeError('ErrorInvalidArgument', `The file is not valid JSON (${e instanceof Error ? e.message : 'unreadable'}).`);
  }
}

const readJson: Reader = (text) => {
  const root = parseJson(text);
  const entries: RawEntry[] = [];
  const skipped: Skipped[] = [];
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    return { entries, skipped: [{ entry: 'the whole file', reason: 'it is not a JSON object of names and values' }] };
  }
  const walk = (value: unknown, parts: string[]): void => {
    const entry = parts.join('/');
    if (typeof value === 'string') entries.push({ parts, content: value, entry });
    else if (typeof value === 'number' || typeof value === 'boolean') entries.push({ parts, content: String(value), entry });
    else if (Array.isArray(value)) skipped.push({ entry, reason: 'it is a list, not a value' });
    else if (value === null) skipped.push({ entry, reason: 'it has no value (null)' });
    else for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, [...parts, ...k.split('/')]);
  };
  walk(root, []);
  return { entries, skipped };
};

// ---- password managers -------------------------------------------------------------------------

interface Item {
  folder: string[];
  name: string;
  fields: Array<[string, string]>;
  entry: string;
}

/** One folder per item (named after it, made unique), one secret per non-empty field. */
function fromItems(items: Item[], skipped: Skipped[]): RawEntry[] {
  const entries: RawEntry[] = [];
  const used = new Set<string>();
  for (const item of items) {
    const fields = item.fields.filter(([, v]) => v !== '');
    if (fields.length === 0) {
      skipped.push({ entry: item.entry, reason: 'it has nothing in it' });
      continue;
    }
    // "/" inside a name would make folders the entry never had.
    const base = item.name.trim().replace(/\//g, '-') || 'untitled';
    let name = base;
    for (let n = 2; used.has([...item.folder, name].join('/')); n++) name = `${base} (${n})`;
    used.add([...item.folder, name].join('/'));
    const fieldNames = new Set<string>();
    for (const [field, value] of fields) {
      let f = field.replace(/\//g, '-');
      for (let n = 2; fieldNames.has(f); n++) f = `${field.replace(/\//g, '-')} (${n})`;
      fieldNames.add(f);
      entries.push({ parts: [...item.folder, name, f], content: value, entry: item.entry });
    }
  }
  return entries;
}

type Value = string | null | undefined;

/** The fields every password manager has, in the order they become secrets (absent ones empty). */
function loginFields(password: Value, username: Value, url: Value, totp: Value, notes: Value): Array<[string, string]> {
  return [
    ['password', password ?? ''],
    ['username', username ?? ''],
    ['url', url ?? ''],
    ['totp', totp ?? ''],
    ['notes', notes ?? ''],
  ];
}

const folderParts = (folder: string): string[] =>
  folder
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p !== '');

/** Bitwarden's "name: value" lines of custom fields. */
function customFields(text: string): Array<[string, string]> {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const colon = l.indexOf(': ');
      return colon < 0 ? ['field', l] : [l.slice(0, colon).trim() || 'field', l.slice(colon + 2)];
    });
}

const readBitwardenCsv: Reader = (text) => {
  const { rows, skipped } = csvRecords(text);
  const items: Item[] = [];
  for (const { row, entry } of rows) {
    const type = row.type ?? 'login';
    const name = row.name ?? '';
    if (type !== 'login' && type !== 'note') {
      skipped.push({ entry: `${entry} (${name})`, reason: `Bitwarden ${type} items are not imported` });
      continue;
    }
    items.push({
      folder: folderParts(row.folder ?? ''),
      name,
      entry: `${entry} (${name})`,
      fields: [...loginFields(row.login_password, row.login_username, row.login_uri, row.login_totp, row.notes), ...customFields(row.fields ?? '')],
    });
  }
  return { entries: fromItems(items, skipped), skipped };
};

const readBitwardenJson: Reader = (text) => {
  const root = parseJson(text) as { encrypted?: unknown; folders?: Array<{ id: string; name: string }>; items?: unknown[] };
  const skipped: Skipped[] = [];
  if (root.encrypted === true) {
    return { entries: [], skipped: [{ entry: 'the whole file', reason: 'it is an encrypted Bitwarden export: export it again as unencrypted JSON' }] };
  }
  const folders = new Map((root.folders ?? []).map((f) => [f.id, f.name]));
  const items: Item[] = [];
  for (const [i, raw] of (root.items ?? []).entries()) {
    const it = raw as {
      type?: number;
      name?: string;
      folderId?: string | null;
      notes?: string | null;
      login?: { username?: string | null; password?: string | null; totp?: string | null; uris?: Array<{ uri?: string | null }> };
      fields?: Array<{ name?: string | null; value?: string | null }>;
    };
    const name = typeof it.name === 'string' ? it.name : '';
    const entry = `item ${i + 1} (${name})`;
    // 1 login, 2 secure note; cards (3) and identities (4) have no place as secrets.
    if (it.type !== 1 && it.type !== 2) {
      skipped.push({ entry, reason: `Bitwarden ${it.type === 3 ? 'card' : it.type === 4 ? 'identity' : 'unknown'} items are not imported` });
      continue;
    }
    items.push({
      folder: folderParts(folders.get(it.folderId ?? '') ?? ''),
      name,
      entry,
      fields: [
        ...loginFields(it.login?.password, it.login?.username, it.login?.uris?.[0]?.uri, it.login?.totp, it.notes),
        ...(it.fields ?? []).map((f): [string, string] => [f.name || 'field', f.value ?? '']),
      ],
    });
  }
  return { entries: fromItems(items, skipped), skipped };
};

const readKeepassCsv: Reader = (text) => {
  const { rows, skipped } = csvRecords(text);
  // KeePassXC names every group from its root ("Root/Email"): the root is left out.
  const groups = rows.map(({ row }) => folderParts(row.group ?? ''));
  const root = groups[0]?.[0];
  const sharedRoot = root !== undefined && groups.every((g) => g[0] === root);
  const items: Item[] = rows.map(({ row, entry }, i) => {
    const name = row.title ?? row.account ?? '';
    return {
      folder: sharedRoot ? groups[i]!.slice(1) : groups[i]!,
      name,
      entry: `${entry} (${name})`,
      fields: loginFields(row.password, row.username ?? row['login name'], row.url ?? row['web site'], row.totp, row.notes ?? row.comments),
    };
  });
  return { entries: fromItems(items, skipped), skipped };
};

const readers: Record<ImportFormat, Reader> = {
  dotenv: readDotenv,
  json: readJson,
  'bitwarden-json': readBitwardenJson,
  'bitwarden-csv': readBitwardenCsv,
  'keepass-csv': readKeepassCsv,
};

// ---- CSV (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes) ----------------

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f !== ''));
}

/** The rows after the header, keyed by lower-case column name. */
function csvRecords(text: string): { rows: Array<{ row: Record<string, string>; entry: string }>; skipped: Skipped[] } {
  const [header, ...rest] = csvRows(text);
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const skipped: Skipped[] = [];
  const rows: Array<{ row: Record<string, string>; entry: string }> = [];
  rest.forEach((cells, i) => {
    const entry = `row ${i + 2}`;
    if (cells.length !== names.length) {
      skipped.push({ entry, reason: `it has ${cells.length} columns where the header has ${names.length}` });
      return;
    }
    rows.push({ row: Object.fromEntries(names.map((n, j) => [n, cells[j]!])), entry });
  });
  return { rows, skipped };
}
