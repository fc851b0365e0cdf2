// Run by pack-bombs.test.ts as a process of its own, so that its peak memory is what keynode's
// git code took for one crafted input and nothing else: indexes a pack file (`index <file>
// [limits JSON]`), reads one object from a repository (`read <gitdir> <oid>`), or only loads the
// modules (`baseline`). Prints the outcome and the peak RSS in bytes as one JSON line.
import * as fs from 'node:fs';
import { ObjectStore } from '../../../src/git/object-store.js';
import { indexPack } from '../../../src/git/pack-indexer.js';

const [mode, path, arg] = process.argv.slice(2);

async function run(): Promise<Record<string, unknown>> {
  if (mode === 'index') {
    const pack = new Uint8Array(fs.readFileSync(path as string));
    const ix = await indexPack(pack, arg ? { limits: JSON.parse(arg) as object } : {});
    return { ok: true, count: ix.count };
  }
  if (mode === 'read') {
    const obj = await (await ObjectStore.open({ fs, gitdir: path as string })).read(arg as string);
    return { ok: true, size: obj?.content.length };
  }
  return { ok: true };
}

let outcome: Record<string, unknown>;
try {
  outcome = await run();
} catch (e) {
  const err = e as { name?: unknown; code?: unknown; message?: unknown; data?: unknown };
  outcome = { ok: false, name: err.name, code: err.code, message: err.message, data: err.data };
}
process.stdout.write(`${JSON.stringify({ ...outcome, maxRSS: process.resourceUsage().maxRSS * 1024 })}\n`);
