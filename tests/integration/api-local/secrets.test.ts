// Secrets scenarios 11–14 (docs/polykey.md §10) and the VaultOps behaviour at the API level: add
// versus write, update, recursive and multi-path delete, rename, stat, list, mkdir, env in dotenv and
// JSON with the invalid and duplicate policies, binary and 5 MB secrets, and refused paths.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { Keynodes, codeOf, recordingLogger } from './helpers.js';

const keynodes = new Keynodes();
let k: Keynode;
const logger = recordingLogger();
beforeEach(async () => {
  logger.warnings.length = 0;
  k = await keynodes.memory('secrets', { logger });
  await k.vaults.create('v');
});
afterEach(() => keynodes.stopAll());

const commits = async (): Promise<number> => (await k.vaults.log('v')).length;
const lastMessage = async (): Promise<string[]> => (await k.vaults.log('v', { limit: 1 }))[0]!.message.split('\n').sort();

describe('secrets', () => {
  it('add versus write: add on an existing secret fails, write overwrites with a "modified" commit (scenario 11)', async () => {
    await k.secrets.add('v', 'a', 'one');
    expect(await lastMessage()).toEqual(['a added']);
    const n = await commits();
    expect(await codeOf(k.secrets.add('v', 'a', 'two'))).toBe('ErrorSecretsSecretDefined');
    expect(await k.secrets.getText('v', 'a')).toBe('one');
    expect(await commits()).toBe(n);
    await k.secrets.write('v', 'a', 'two');
    expect(await k.secrets.getText('v', 'a')).toBe('two');
    expect(await lastMessage()).toEqual(['a modified']);
    await k.secrets.write('v', 'fresh', 'new');
    expect(await lastMessage()).toEqual(['fresh added']);
  });

  it('updating a secret that does not exist should fail; update changes existing content', async () => {
    expect(await codeOf(k.secrets.update('v', 'missing', 'x'))).toBe('ErrorSecretsSecretUndefined');
    await k.secrets.add('v', 'dir/a', '1');
    await k.secrets.update('v', 'dir/a', '2');
    expect(await k.secrets.getText('v', 'dir/a')).toBe('2');
    expect(await lastMessage()).toEqual(['dir/a modified']);
  });

  it('add a secret creating directory; list, stat and hidden secrets', async () => {
    await k.secrets.add('v', 'dir/sub/a', 'abc');
    await k.secrets.add('v', '.hidden', 'h');
    expect(await k.secrets.list('v')).toEqual(
      expect.arrayContaining([
        { path: '.hidden', type: 'file' },
        { path: 'dir', type: 'directory' },
      ]),
    );
    expect(await k.secrets.list('v')).toHaveLength(2);
    expect((await k.secrets.list('v', 'dir/sub')).map((e) => e.path)).toEqual(['dir/sub/a']);
    expect(await k.secrets.stat('v', 'dir/sub/a')).toEqual({ type: 'file', size: 3 });
    expect((await k.secrets.stat('v', 'dir')).type).toBe('directory');
    expect(await k.secrets.getText('v', '.hidden')).toBe('h');
    expect(await codeOf(k.secrets.get('v', 'dir'))).toBe('ErrorSecretsIsDirectory');
    expect(await codeOf(k.secrets.stat('v', 'nope'))).toBe('ErrorSecretsSecretUndefined');
    expect(await codeOf(k.secrets.add('v', 'dir/sub/a/below', 'x'))).toBe('ErrorSecretsIsSecret');
  });

  it('recursive delete: a non-empty directory needs recursive, then goes in one commit (scenario 12)', async () => {
    await k.secrets.batch('v', [
      { op: 'add', path: 'd/x', content: '1' },
      { op: 'add', path: 'd/e/y', content: '2' },
    ]);
    const n = await commits();
    expect(await codeOf(k.secrets.delete('v', 'd'))).toBe('ErrorVaultsRecursive');
    expect(await commits()).toBe(n);
    expect(await k.secrets.getText('v', 'd/x')).toBe('1');
    await k.secrets.delete('v', 'd', { recursive: true });
    expect(await commits()).toBe(n + 1);
    expect(await lastMessage()).toEqual(['d/e/y deleted', 'd/x deleted']);
    expect(await k.secrets.list('v')).toEqual([]);
  });

  it('multi-path delete: three secrets, one commit recording all three (scenario 13)', async () => {
    await k.secrets.batch(
      'v',
      ['a', 'b', 'c', 'keep'].map((p) => ({ op: 'add' as const, path: p, content: p })),
    );
    const n = await commits();
    await k.secrets.delete('v', ['a', 'b', 'c']);
    expect(await commits()).toBe(n + 1);
    expect(await lastMessage()).toEqual(['a deleted', 'b deleted', 'c deleted']);
    expect(await k.secrets.list('v')).toEqual([{ path: 'keep', type: 'file' }]);
    // One missing path fails the whole delete and removes nothing.
    await k.secrets.add('v', 'x', 'x');
    const m = await commits();
    expect(await codeOf(k.secrets.delete('v', ['x', 'missing']))).toBe('ErrorSecretsSecretUndefined');
    expect(await commits()).toBe(m);
    expect(await k.secrets.getText('v', 'x')).toBe('x');
  });

  it('renaming a secret; renaming a secret that does not exist should fail', async () => {
    await k.secrets.add('v', 'a', 'content');
    await k.secrets.rename('v', 'a', 'dir/b');
    expect(await codeOf(k.secrets.get('v', 'a'))).toBe('ErrorSecretsSecretUndefined');
    expect(await k.secrets.getText('v', 'dir/b')).toBe('content');
    expect(await codeOf(k.secrets.rename('v', 'a', 'c'))).toBe('ErrorSecretsSecretUndefined');
  });

  it('mkdir: creating directories fails without recursive; creating an existing secret should fail', async () => {
    const n = await commits();
    expect(await codeOf(k.secrets.mkdir('v', 'p/q'))).toBe('ErrorSecretsDirectoryUndefined');
    // mkdir alone makes no commit: git keeps no empty directories.
    await k.secrets.mkdir('v', 'p/q', { recursive: true });
    expect(await commits()).toBe(n);
    await k.secrets.batch('v', [
      { op: 'mkdir', path: 'new' },
      { op: 'add', path: 'new/s', content: 'x' },
    ]);
    expect(await commits()).toBe(n + 1);
    expect((await k.secrets.stat('v', 'new')).type).toBe('directory');
    await k.secrets.add('v', 'file', 'x');
    // A file is in the way: the wrong kind at that path.
    expect(await codeOf(k.secrets.mkdir('v', 'file'))).toBe('ErrorSecretsIsSecret');
    expect(await codeOf(k.secrets.mkdir('v', 'new'))).toBe('ErrorSecretsSecretDefined');
    expect(await codeOf(k.secrets.mkdir('v', 'file/x', { recursive: true }))).toBe('ErrorSecretsIsSecret');
  });

  it('binary secrets round-trip byte for byte', async () => {
    const bytes = new Uint8Array(256 * 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
    await k.secrets.write('v', 'bin', bytes);
    expect(await k.secrets.get('v', 'bin')).toEqual(bytes);
    expect((await k.secrets.stat('v', 'bin')).size).toBe(bytes.length);
    // Invalid UTF-8 is kept as bytes too.
    const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28]);
    await k.secrets.write('v', 'raw', invalidUtf8);
    expect(await k.secrets.get('v', 'raw')).toEqual(invalidUtf8);
  });

  it('a 5 MB secret round-trips exactly', async () => {
    const big = new Uint8Array(5 * 1024 * 1024);
    // Pseudo-random bytes (so compression cannot hide a truncation).
    let x = 0x12345678;
    for (let i = 0; i < big.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      big[i] = x & 0xff;
    }
    await k.secrets.write('v', 'big', big);
    const back = await k.secrets.get('v', 'big');
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0);
    expect((await k.secrets.stat('v', 'big')).size).toBe(big.length);
  });

  it('malformed paths are refused with ErrorSecretsPathInvalid and change nothing', async () => {
    await k.secrets.add('v', 'a/b', 'content');
    const log = await k.vaults.log('v');
    const bad = ['', '/abs', 'a//b', 'a/', '..', '../x', 'a/../b', '.', './a', '.git', '.git/config', 'a/.git/HEAD', 'nul\0byte', 'x'.repeat(4097)];
    for (const p of bad) {
      // One call at a time: a call made before the one ahead of it is awaited would reject unheard.
      for (const call of [
        () => k.secrets.add('v', p, 'x'),
        () => k.secrets.write('v', p, 'x'),
        () => k.secrets.update('v', p, 'x'),
        () => k.secrets.get('v', p),
        () => k.secrets.stat('v', p),
        () => k.secrets.mkdir('v', p, { recursive: true }),
        () => k.secrets.rename('v', 'a/b', p),
        () => k.secrets.delete('v', ['a/b', p], { recursive: true }),
        () =>
          k.secrets.batch('v', [
            { op: 'write', path: 'ok', content: '1' },
            { op: 'write', path: p, content: '2' },
          ]),
      ]) {
        expect(await codeOf(call())).toBe('ErrorSecretsPathInvalid');
      }
    }
    expect(await k.vaults.log('v')).toEqual(log);
    expect(await k.secrets.list('v')).toEqual([{ path: 'a', type: 'directory' }]);
    expect(await k.secrets.getText('v', 'a/b')).toBe('content');
    // A 4,096-byte path is still allowed.
    await k.secrets.write('v', 'y'.repeat(4096), 'edge');
  });

  it('secret calls on an unknown vault fail with ErrorVaultsVaultUndefined', async () => {
    expect(await codeOf(k.secrets.add('nope', 'a', 'x'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(k.secrets.get('nope', 'a'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(k.secrets.list('nope'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(k.secrets.env('nope'))).toBe('ErrorVaultsVaultUndefined');
  });
});

describe('env export (scenario 14)', () => {
  beforeEach(async () => {
    await k.secrets.batch('v', [
      { op: 'add', path: 'API_KEY', content: 'k1' },
      { op: 'add', path: 'db/URL', content: 'postgres://x' },
    ]);
  });

  it('API_KEY and db/URL become {API_KEY, URL} in dotenv and JSON', async () => {
    const dotenv = await k.secrets.env('v');
    expect(dotenv.trim().split('\n').sort()).toEqual(['API_KEY="k1"', 'URL="postgres://x"']);
    expect(JSON.parse(await k.secrets.env('v', undefined, { format: 'json' }))).toEqual({ API_KEY: 'k1', URL: 'postgres://x' });
    expect(JSON.parse(await k.secrets.env('v', ['db'], { format: 'json' }))).toEqual({ URL: 'postgres://x' });
  });

  it('dotenv escapes quotes and newlines', async () => {
    await k.secrets.add('v', 'MULTI', 'line1\nline "2"');
    expect(await k.secrets.env('v', ['MULTI'])).toBe('MULTI="line1\\nline \\"2\\""\n');
  });

  it('invalid names: error (default), warn, ignore', async () => {
    await k.secrets.add('v', 'bad-name', 'x');
    expect(await codeOf(k.secrets.env('v'))).toBe('ErrorSecretsEnvInvalid');
    expect(await codeOf(k.secrets.env('v', undefined, { invalid: 'error' }))).toBe('ErrorSecretsEnvInvalid');
    const ignored = JSON.parse(await k.secrets.env('v', undefined, { format: 'json', invalid: 'ignore' }));
    expect(ignored).toEqual({ API_KEY: 'k1', URL: 'postgres://x' });
    expect(logger.warnings).toEqual([]);
    const warned = JSON.parse(await k.secrets.env('v', undefined, { format: 'json', invalid: 'warn' }));
    expect(warned).toEqual({ API_KEY: 'k1', URL: 'postgres://x' });
    expect(logger.warnings).toHaveLength(1);
  });

  it('duplicate names: keep, overwrite, warn, error', async () => {
    await k.secrets.add('v', 'other/URL', 'mysql://y');
    const env = (duplicate: 'keep' | 'overwrite' | 'warn' | 'error'): Promise<string> => k.secrets.env('v', ['db', 'other'], { format: 'json', duplicate });
    expect(JSON.parse(await env('keep'))).toEqual({ URL: 'postgres://x' });
    expect(JSON.parse(await env('overwrite'))).toEqual({ URL: 'mysql://y' });
    expect(logger.warnings).toEqual([]);
    expect(JSON.parse(await env('warn'))).toEqual({ URL: 'mysql://y' });
    expect(logger.warnings).toHaveLength(1);
    expect(await codeOf(env('error'))).toBe('ErrorSecretsEnvDuplicate');
  });
});
