// `secrets edit`: the secret goes into a private temporary file ($XDG_RUNTIME_DIR, a per-user
// memory-backed folder where there is one; else the system's temporary folder, in a folder only
// its owner can open), $VISUAL or $EDITOR (else vi) edits it, and the file is removed whatever
// happens. The editor is run by sh, as git runs it, so EDITOR may carry arguments ("code --wait").
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runChild } from './child.js';

/** The content after the editor has run on it; throws if the editor fails. */
export async function editInEditor(content: Uint8Array, name: string): Promise<Uint8Array> {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const folder = await mkdtemp(path.join(process.env.XDG_RUNTIME_DIR || tmpdir(), 'keynode-edit-'));
  // The secret's own name, so the editor picks its syntax; anything odd in it is replaced.
  const file = path.join(folder, name.replace(/[^\w.-]/g, '_') || 'secret');
  try {
    await writeFile(file, content, { mode: 0o600 });
    const status = await runChild('sh', ['-c', `${editor} "$1"`, 'sh', file]);
    if (status !== 0) throw new Error(`The editor (${editor}) exited with status ${status}; the secret was not changed.`);
    return new Uint8Array(await readFile(file));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
