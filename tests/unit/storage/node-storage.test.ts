// openNodeStorage: the Node storage choices ('memory' by name, { dir } on disk) and their files.
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import { isStorage } from '../../../src/storage/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keynode-nodestorage-'));
  dirs.push(dir);
  return dir;
}

describe('openNodeStorage', () => {
  it("'memory' keeps each name's data apart and gives it back when reopened under the same name", async () => {
    const name = `node-storage-${Math.random()}`;
    const a = await openNodeStorage('memory', name);
    const b = await openNodeStorage('memory', `${name}-other`);
    await a.kv.write((tx) => tx.put('meta', 'who', 'a'));
    expect(await b.kv.read((tx) => tx.get('meta', 'who'))).toBeUndefined();
    expect(a.vaultsRoot).toBe('/vaults');
    await a.close();
    const again = await openNodeStorage('memory', name);
    expect(await again.kv.read((tx) => tx.get('meta', 'who'))).toBe('a');
    await again.close();
    await b.close();
  });

  it('{ dir }: the kv log and vaults folder live in the folder, owner-only, and survive a restart', async () => {
    const dir = path.join(await tempDir(), 'profile');
    const s = await openNodeStorage({ dir }, 'ignored');
    expect(isStorage(s)).toBe(true);
    expect(s.vaultsRoot).toBe(path.join(dir, 'vaults'));
    expect((await stat(s.vaultsRoot)).mode & 0o777).toBe(0o700);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await s.kv.write((tx) => tx.put('meta', 'k', 1));
    await s.fs.promises.writeFile(path.join(s.vaultsRoot, 'probe'), 'x');
    await s.flush();
    await s.close();
    const again = await openNodeStorage({ dir: path.relative(process.cwd(), dir) }, 'ignored');
    expect(await again.kv.read((tx) => tx.get('meta', 'k'))).toBe(1);
    expect(String(await again.fs.promises.readFile(path.join(again.vaultsRoot, 'probe'), 'utf8'))).toBe('x');
    await again.close();
  });

  it('{ dir }: a log copied in with a wider mode is made owner-only when opened', async () => {
    const dir = await tempDir();
    const first = await openNodeStorage({ dir }, 'x');
    await first.kv.write((tx) => tx.put('keys', 'identity', { seed: new Uint8Array(32) }));
    await first.close();
    const log = path.join(dir, 'keynode.kvlog');
    await chmod(log, 0o644);
    const again = await openNodeStorage({ dir }, 'x');
    expect((await stat(log)).mode & 0o777).toBe(0o600);
    await again.close();
  });

  it('passes a ready Storage through unchanged', async () => {
    const s = await openNodeStorage('memory', `passthrough-${Math.random()}`);
    expect(await openNodeStorage(s, 'other')).toBe(s);
    await s.close();
  });
});
