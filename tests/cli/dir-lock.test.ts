// The lock that lets one process at a time use a { dir } keynode (src/platform/dir-lock.ts): a lock
// whose holder runs refuses, one whose holder is gone is broken, and one process shares its own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../src/errors.js';
import { LOCK_FILE, lockDir } from '../../src/platform/dir-lock.js';

const root = mkdtempSync(path.join(tmpdir(), 'keynode-dirlock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshDir(holder?: object | string): string {
  const dir = path.join(root, String(n++));
  mkdirSync(dir);
  if (holder !== undefined) writeFileSync(path.join(dir, LOCK_FILE), typeof holder === 'string' ? holder : `${JSON.stringify(holder)}\n`);
  return dir;
}
const lockOf = (dir: string): unknown => JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
const since = new Date().toISOString();

async function refusal(dir: string): Promise<unknown> {
  try {
    (await lockDir(dir))();
  } catch (e) {
    return e;
  }
  throw new Error('the lock was taken');
}

describe('dir-lock', () => {
  it('refuses while another running process holds the folder, saying which, and leaves its lock alone', async () => {
    const other = spawn('sleep', ['30']);
    try {
      const dir = freshDir({ pid: other.pid, host: hostname(), since });
      const e = await refusal(dir);
      expect(isKeynodeError(e, 'ErrorStorageInUse')).toBe(true);
      expect((e as { data: unknown }).data).toMatchObject({ inUse: true, pid: other.pid });
      expect((e as Error).message).toMatch(new RegExp(`in use by process ${other.pid} .*Try again`));
      expect(lockOf(dir)).toMatchObject({ pid: other.pid });
    } finally {
      other.kill();
    }
  });

  it('counts a lock from another host as held (its pid cannot be checked from here)', async () => {
    const dir = freshDir({ pid: 1, host: `not-${hostname()}`, since });
    expect((await refusal(dir)) as Error).toMatchObject({ data: { inUse: true } });
  });

  it('breaks a lock whose process is gone, or that cannot be read, and releases its own', async () => {
    const gone = spawnSync('true').pid;
    for (const stale of [{ pid: gone, host: hostname(), since }, '{"pid":']) {
      const dir = freshDir(stale);
      const release = await lockDir(dir);
      expect(lockOf(dir)).toMatchObject({ pid: process.pid, host: hostname() });
      release();
      release();
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    }
  });

  it('is shared within one process: the file goes with the last holder', async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([lockDir(dir), lockDir(dir)]);
    a();
    expect(lockOf(dir)).toMatchObject({ pid: process.pid });
    b();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    (await lockDir(dir))();
  });
});
