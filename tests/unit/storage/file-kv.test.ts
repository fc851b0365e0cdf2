// The file log behind { dir } storage: crash safety (a torn last append), compaction, file modes.
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { KV } from '../../../src/storage/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keynode-filekv-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const open = async (dir: string): Promise<KV> => (await openNodeStorage({ dir }, 'unused')).kv;
const logFile = (dir: string) => path.join(dir, 'keynode.kvlog');
const get = (kv: KV, key: string) => kv.read((tx) => tx.get('vaults', key));
const set = (kv: KV, key: string, value: unknown) => kv.write((tx) => tx.put('vaults', key, value));

describe('file KV', () => {
  it('ignores a torn final line on reopen, keeps earlier transactions, and keeps later ones too', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    await set(kv, 'one', 1);
    await kv.write(async (tx) => {
      await tx.put('vaults', 'two', 2);
      await tx.put('acl', 'two', 'acl');
    });
    await kv.close();
    // A crash in the middle of appending the third transaction.
    await appendFile(logFile(dir), '[["vaults","three",3],["acl","thr');
    const reopened = await open(dir);
    expect(await get(reopened, 'one')).toBe(1);
    expect(await get(reopened, 'two')).toBe(2);
    expect(await reopened.read((tx) => tx.get('acl', 'two'))).toBe('acl');
    expect(await get(reopened, 'three')).toBeUndefined();
    // Work goes on after the crash, and survives the next restart.
    await set(reopened, 'four', 4);
    await reopened.close();
    const third = await open(dir);
    expect(await get(third, 'one')).toBe(1);
    expect(await get(third, 'four')).toBe(4);
    expect(await get(third, 'three')).toBeUndefined();
    await third.close();
  });

  it('a final line torn just before its newline is not counted either, and later writes survive', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    await set(kv, 'a', 1);
    await kv.close();
    await appendFile(logFile(dir), '[["vaults","b",2]]'); // complete JSON, but the newline never made it
    const again = await open(dir);
    await set(again, 'c', 3);
    await again.close();
    const last = await open(dir);
    expect(await get(last, 'a')).toBe(1);
    expect(await get(last, 'c')).toBe(3);
    await last.close();
  });

  it('a damaged line in the middle of the log is reported as ErrorStorageCorrupt, not silently dropped', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    await set(kv, 'a', 1);
    await kv.close();
    const text = await readFile(logFile(dir), 'utf8');
    await writeFile(logFile(dir), 'garbage\n' + text);
    const err = await open(dir).catch((e: unknown) => e);
    expect(isKeynodeError(err, 'ErrorStorageCorrupt'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/damaged|corrupt/i);
  });

  it('compacts a log over 8 MB and keeps every value, including bytes and deletions; the new log is 0600', async () => {
    const dir = await tempDir();
    // A leftover compaction file with a wide mode must not make the compacted log readable by others.
    await writeFile(logFile(dir) + '.tmp', 'stale', { mode: 0o644 });
    const kv = await open(dir);
    // Three 3 MB overwrites of one key plus small writes: about 9 MB of log for 3 MB of live data.
    for (let round = 0; round < 3; round++) {
      await set(kv, 'big', `${round}:`.padEnd(3 * 1024 * 1024, 'x'));
      for (let i = 0; i < 5; i++) await set(kv, `small${round * 5 + i}`, round * 5 + i);
    }
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    await kv.write(async (tx) => {
      await tx.put('keys', 'bytes', bytes);
      await tx.delete('vaults', 'small0');
    });
    const big = 'y'.repeat(3 * 1024 * 1024);
    await set(kv, 'big', big);
    const sizeAfter = (await stat(logFile(dir))).size;
    // 12 MB was appended in all; the log went over 8 MB on the third big write and was rewritten.
    expect(sizeAfter).toBeLessThan(8 * 1024 * 1024);
    expect((await stat(logFile(dir))).mode & 0o777).toBe(0o600);
    const before = await kv.read((tx) => tx.entries('vaults'));
    await kv.close();
    const again = await open(dir);
    const after = await again.read((tx) => tx.entries('vaults'));
    expect(after.length).toBe(before.length);
    expect(after).toEqual(before);
    expect(await get(again, 'small0')).toBeUndefined();
    expect(await get(again, 'small14')).toBe(14);
    expect(await get(again, 'big')).toBe(big);
    expect(await again.read((tx) => tx.get('keys', 'bytes'))).toEqual(bytes);
    // Writes after compaction are appended and survive too.
    await set(again, 'after', true);
    await again.close();
    const third = await open(dir);
    expect(await get(third, 'after')).toBe(true);
    expect(await get(third, 'big')).toBe(big);
    await third.close();
  });

  it('the log is readable by its owner only (0600), its folder 0700', async () => {
    const dir = path.join(await tempDir(), 'profile');
    const kv = await open(dir);
    await set(kv, 'a', 1);
    expect((await stat(logFile(dir))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await kv.close();
  });

  it('refuses to store a CryptoKey (it would be lost on restart) with a KeynodeError, and stores nothing', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    const key = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    expect(kv.persistsCryptoKeys).toBe(false);
    const err = await kv
      .write(async (tx) => {
        await tx.put('vaults', 'ok', 1);
        await tx.put('keys', 'k', { privateKey: key.privateKey });
      })
      .catch((e: unknown) => e);
    expect(isKeynodeError(err), String(err)).toBe(true);
    expect(await get(kv, 'ok')).toBeUndefined();
    await kv.close();
  });

  it('after close, transactions are refused with ErrorKeynodeStopped', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    await kv.close();
    const err = await get(kv, 'a').catch((e: unknown) => e);
    expect(isKeynodeError(err, 'ErrorKeynodeStopped')).toBe(true);
  });
});

describe('file KV values', () => {
  it('objects that look like its own tags, and __proto__ keys, read back unchanged after a restart', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    const tricky: unknown[] = [
      { $bytes: 'AAAA' },
      { $bytes: '***not base64***' },
      { $obj: { a: 1 } },
      { $obj: 'x' },
      { $bytes: 'AAAA', other: 1 },
      [{ $bytes: 'AQID' }, { $other: [{ $obj: { $bytes: 'x' } }] }],
      JSON.parse('{"__proto__":{"polluted":true},"ok":1}'),
      { nested: { $x: Uint8Array.from([1, 2]) } },
    ];
    await kv.write(async (tx) => {
      for (const [i, v] of tricky.entries()) await tx.put('inbox', `t${i}`, v);
    });
    await kv.close();
    const again = await open(dir);
    const back = await again.read((tx) => Promise.all(tricky.map((_, i) => tx.get('inbox', `t${i}`))));
    expect(back).toEqual(tricky);
    const proto = back[6] as Record<string, unknown>;
    expect(Object.keys(proto).sort()).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await again.close();
  });

  it('refuses values that would not read back the same after a restart, and stores nothing of that transaction', async () => {
    const dir = await tempDir();
    const kv = await open(dir);
    for (const bad of [
      NaN,
      Infinity,
      [1, undefined],
      new Date(0),
      new Map([[1, 2]]),
      new Set([1]),
      new Uint16Array(2),
      new ArrayBuffer(4),
      { when: new Date(0) },
      10n,
    ]) {
      const err = await kv
        .write(async (tx) => {
          await tx.put('vaults', 'ok', 1);
          await tx.put('vaults', 'bad', bad);
        })
        .catch((e: unknown) => e);
      expect(isKeynodeError(err, 'ErrorInternal'), String(bad)).toBe(true);
      expect((err as Error).message).toMatch(/restart/);
    }
    expect(await kv.read((tx) => tx.count('vaults'))).toBe(0);
    // undefined object properties are simply left out, as in JSON.
    await set(kv, 'u', { a: 1, b: undefined });
    await kv.close();
    const again = await open(dir);
    expect(await get(again, 'u')).toEqual({ a: 1 });
    await again.close();
  });
});
