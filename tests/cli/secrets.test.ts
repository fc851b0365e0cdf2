// Secrets as a script uses them, through the real command line on one shared keynode folder:
// VAULT:PATH and the older two-argument form, several secrets at once, --format json parsed,
// `secrets env -- COMMAND` and `secrets edit`.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, cli, jsonError, PASSPHRASE, snapshot, tempDir } from './helpers.js';

const base = tempDir();
const dir = path.join(base, 'keynode');
const env = { KEYNODE_DIR: dir, KEYNODE_PASSPHRASE: PASSPHRASE };
async function json(args: string[]): Promise<unknown> {
  const run = await cli(['--format', 'json', ...args], { env });
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  const made = await cli(['--format', 'json', 'vaults', 'create', 'prod'], { env });
  expect(made.code).toBe(0);
  expect(JSON.parse(made.stdout)).toEqual({ vaultId: expect.any(String), vaultName: 'prod' });
});

describe('command line: secrets', () => {
  it('VAULT:PATH and VAULT PATH name the same secrets; cat prints several; stat; a missing one is a JSON error', async () => {
    expect(await cli(['secrets', 'write', 'prod:db/password'], { env, input: 'hunter2' })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['secrets', 'write', 'prod', 'db/user'], { env, input: 'admin' })).code).toBe(0);
    expect(await cli(['secrets', 'cat', 'prod:db/user', 'prod:db/password'], { env })).toEqual({ code: 0, stdout: 'adminhunter2', stderr: '' });
    expect(await json(['secrets', 'cat', 'prod', 'db/password', 'db/user'])).toEqual([
      { vault: 'prod', path: 'db/password', content: 'hunter2', encoding: 'utf8' },
      { vault: 'prod', path: 'db/user', content: 'admin', encoding: 'utf8' },
    ]);
    expect(await json(['secrets', 'stat', 'prod:db/password'])).toEqual({ type: 'file', size: 7 });
    const missing = await cli(['--format', 'json', 'secrets', 'cat', 'prod:db/nothing'], { env });
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(jsonError(missing)).toMatchObject({ code: 'ErrorSecretsSecretUndefined', message: expect.any(String) });
  });

  it('`secrets env VAULT:PATH -- node -e …` runs the command with the secrets as variables, not the passphrase, and exits with its status', async () => {
    // The command also runs keynode itself: DIR is released before it starts.
    const script = [
      'console.log(process.env.password, process.env.user, process.env.KEYNODE_PASSPHRASE);',
      `const nested = require('node:child_process').execFileSync(process.execPath, [${JSON.stringify(bin)}, 'secrets', 'cat', 'prod:db/user'],`,
      '  { env: { ...process.env, KEYNODE_PASSPHRASE: process.env.PASS } });',
      'console.log(String(nested)); process.exit(3);',
    ].join('\n');
    const run = await cli(['secrets', 'env', 'prod:db', '--', process.execPath, '-e', script], { env: { ...env, PASS: PASSPHRASE } });
    expect(run).toEqual({ code: 3, stdout: 'hunter2 admin undefined\nadmin\n', stderr: '' });
    expect(await json(['secrets', 'env', 'prod:db/password'])).toEqual({ password: 'hunter2' });
  });

  it('`secrets edit` opens $EDITOR and writes back a change, and nothing at all when there is none', async () => {
    const editor = path.join(base, 'editor.mjs');
    writeFileSync(editor, "import { appendFileSync } from 'node:fs'; appendFileSync(process.argv[2], '-rotated');\n");
    const edited = await cli(['--format', 'json', 'secrets', 'edit', 'prod:db/password'], { env: { ...env, EDITOR: `"${process.execPath}" "${editor}"` } });
    expect(edited).toEqual({ code: 0, stdout: '{"changed":true}\n', stderr: '' });
    const before = snapshot(dir);
    const untouched = await cli(['secrets', 'edit', 'prod:db/password'], { env: { ...env, EDITOR: 'true' } });
    expect(untouched).toEqual({ code: 0, stdout: '', stderr: 'No change, so nothing was written.\n' });
    expect(snapshot(dir)).toEqual(before);
    expect(await cli(['secrets', 'cat', 'prod:db/password'], { env })).toMatchObject({ stdout: 'hunter2-rotated' });
  });
});
