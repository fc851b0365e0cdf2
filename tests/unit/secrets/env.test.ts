// Env export (scenario 14, Polykey-CLI `secrets env` policies): variables named by basename, dotenv
// or JSON, invalid-name and duplicate-name policies, directories collected recursively.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManager } from '../../../src/secrets/secrets-manager.js';
import type { Logger } from '../../../src/types.js';
import { codeOf, openHarness, storageKinds, type Harness } from '../vaults/harness.js';

/** A dotenv reader for the double-quoted form we write (python-dotenv's escapes). */
function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (m === null) throw new Error(`not a dotenv line: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  return out;
}

describe.each(storageKinds)('env export on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
  });
  afterEach(async () => {
    await h.close();
  });

  it('secrets API_KEY and db/URL give {API_KEY, URL} for the vault root (scenario 14)', async () => {
    await h.secrets.add('v', 'API_KEY', 'k-123');
    await h.secrets.add('v', 'db/URL', 'postgres://u:p@h/db');
    expect(JSON.parse(await h.secrets.env('v', undefined, { format: 'json' }))).toEqual({ API_KEY: 'k-123', URL: 'postgres://u:p@h/db' });
    expect(parseDotenv(await h.secrets.env('v'))).toEqual({ API_KEY: 'k-123', URL: 'postgres://u:p@h/db' });
    expect(JSON.parse(await h.secrets.env('v', ['db'], { format: 'json' }))).toEqual({ URL: 'postgres://u:p@h/db' });
    expect(JSON.parse(await h.secrets.env('v', ['API_KEY'], { format: 'json' }))).toEqual({ API_KEY: 'k-123' });
    expect(await codeOf(h.secrets.env('v', ['missing']))).toBe('ErrorSecretsSecretUndefined');
  });

  it('dotenv quoting keeps newlines, quotes, backslashes and dollars exactly', async () => {
    const tricky = 'line1\nline2\r\n"quoted" \'single\' back\\slash $HOME `cmd` #hash = end\\n literal';
    await h.secrets.add('v', 'TRICKY', tricky);
    const text = await h.secrets.env('v');
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(parseDotenv(text)).toEqual({ TRICKY: tricky });
    expect(JSON.parse(await h.secrets.env('v', undefined, { format: 'json' }))).toEqual({ TRICKY: tricky });
  });

  it('invalid names: error (default), warn, ignore', async () => {
    await h.secrets.batch('v', [
      { op: 'add', path: 'GOOD', content: 'g' },
      { op: 'add', path: 'bad-name', content: 'b' },
      { op: 'add', path: 'd/1STARTS_WITH_DIGIT', content: 'b' },
    ]);
    expect(await codeOf(h.secrets.env('v'))).toBe('ErrorSecretsEnvInvalid');
    expect(await codeOf(h.secrets.env('v', undefined, { invalid: 'error' }))).toBe('ErrorSecretsEnvInvalid');
    expect(parseDotenv(await h.secrets.env('v', undefined, { invalid: 'ignore' }))).toEqual({ GOOD: 'g' });
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_m, d) => warnings.push(String(d?.path)) };
    const withLog = new SecretsManager(h.vm, logger);
    expect(parseDotenv(await withLog.env('v', undefined, { invalid: 'warn' }))).toEqual({ GOOD: 'g' });
    expect(warnings).toEqual(['bad-name', 'd/1STARTS_WITH_DIGIT']);
  });

  it('duplicate names: keep, overwrite (default), warn, error', async () => {
    await h.secrets.batch('v', [
      { op: 'add', path: 'a/TOKEN', content: 'first' },
      { op: 'add', path: 'b/TOKEN', content: 'second' },
    ]);
    const env = (duplicate?: 'keep' | 'overwrite' | 'warn' | 'error') => h.secrets.env('v', undefined, { format: 'json', ...(duplicate ? { duplicate } : {}) });
    expect(JSON.parse(await env('keep'))).toEqual({ TOKEN: 'first' });
    expect(JSON.parse(await env('overwrite'))).toEqual({ TOKEN: 'second' });
    expect(JSON.parse(await env())).toEqual({ TOKEN: 'second' });
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_m, d) => warnings.push(String(d?.name)) };
    expect(JSON.parse(await new SecretsManager(h.vm, logger).env('v', undefined, { format: 'json', duplicate: 'warn' }))).toEqual({ TOKEN: 'second' });
    expect(warnings).toEqual(['TOKEN']);
    expect(await codeOf(env('error'))).toBe('ErrorSecretsEnvDuplicate');
  });

  it('an empty vault exports nothing', async () => {
    expect(await h.secrets.env('v')).toBe('');
    expect(JSON.parse(await h.secrets.env('v', undefined, { format: 'json' }))).toEqual({});
  });
});
