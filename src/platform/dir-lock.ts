// One process at a time per { dir } keynode. The file store (src/storage/file-kv.ts) keeps the whole
// database in memory and appends to a log, so two processes writing one folder would each lose the
// other's writes: `keynode serve` and a command run beside it, or two scripts at once.
//
// The lock is the file DIR/keynode.lock holding its holder's pid, host and start time. It is taken
// by hard-linking a finished temporary file into place (atomic, and never seen half-written). A lock
// whose holder is gone (a crash, a kill -9) is broken: its pid is dead on this host. Breaking is done
// under a second, short-lived lock (keynode.lock.break) and only if the lock still holds what was
// judged stale, so two processes breaking at once cannot remove a lock that a third has just taken.
// Inside one process the lock is shared: storages of the same folder opened together count
// references (tests reopen a folder to act out a crash), and the file goes with the last of them.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { KeynodeError } from '../errors.js';

export const LOCK_FILE = 'keynode.lock';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

interface Held {
  refs: number;
  taken: Promise<string>;
}

const held = new Map<string, Held>();
const ATTEMPTS = 20;

/** Locks the keynode folder `dir` for this process; the function returned releases it (idempotent). */
export async function lockDir(dir: string): Promise<() => void> {
  const file = path.join(path.resolve(dir), LOCK_FILE);
  let entry = held.get(file);
  if (entry === undefined) {
    const fresh: Held = { refs: 0, taken: acquire(file) };
    held.set(file, fresh);
    fresh.taken.catch(() => {
      if (held.get(file) === fresh) held.delete(file);
    });
    entry = fresh;
  }
  const mine = await entry.taken;
  entry.refs++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--entry.refs > 0) return;
    held.delete(file);
    // Synchronous, so a folder closed and at once reopened in this process never finds its own lock.
    if (readText(file) === mine) rmSync(file, { force: true });
  };
}

async function acquire(file: string): Promise<string> {
  const mine = thisProcess();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await placeFile(file, mine)) return mine;
    const seen = readText(file);
    if (seen === undefined) continue; // released meanwhile
    const holder = parseHolder(seen);
    if (holder !== undefined && isAlive(holder)) throw inUse(file, holder);
    await breakStale(file, seen);
    await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
  }
  throw inUse(file, parseHolder(readText(file) ?? ''));
}

function thisProcess(): string {
  return `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies LockHolder)}\n`;
}

/** Creates `file` holding `content`, complete, or returns false if it exists. */
async function placeFile(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await fsp.writeFile(temp, content, { mode: 0o600 });
  try {
    await fsp.link(temp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

/** Removes the lock if it still holds `seen` (judged stale), under the break lock. */
async function breakStale(file: string, seen: string): Promise<void> {
  const guard = `${file}.break`;
  if (!(await placeFile(guard, thisProcess()))) {
    // Another process is breaking it (a matter of milliseconds), unless it died doing so.
    const breaker = parseHolder(readText(guard) ?? '');
    if (breaker === undefined || !isAlive(breaker)) rmSync(guard, { force: true });
    return;
  }
  try {
    if (readText(file) === seen) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.since === 'string') return h as LockHolder;
  } catch {
    // unreadable: not a lock anyone can be holding
  }
  return undefined;
}

/** Whether the holder may still run: a pid on another host cannot be checked, so it counts as alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(file: string, holder: LockHolder | undefined): KeynodeError {
  const who =
    holder === undefined ? 'another process' : `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (since ${holder.since})`;
  return new KeynodeError(
    'ErrorStorageInUse',
    `The keynode in ${path.dirname(file)} is in use by ${who} — \`keynode serve\` or another command. ` +
      `Try again when it has finished. If no keynode is running there, remove ${file}.`,
    { data: { inUse: true, lockFile: file, ...(holder ?? {}) } },
  );
}
