// The command line and the passphrase, run as a real child process: a { dir } keynode is made and
// opened with KEYNODE_PASSPHRASE (or a hidden prompt on a terminal — never an argument), a wrong
// or missing passphrase is a clear refusal that changes nothing, and `passphrase` changes it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as run, tempDir } from './helpers.js';

const dir = tempDir();
const cli = (args: string[], env: Record<string, string> = {}): ReturnType<typeof run> => run(['--dir', dir, ...args], { env });

describe('command line: the passphrase', () => {
  it('creates the keynode with KEYNODE_PASSPHRASE, shows the recovery code once, and opens it again with it', async () => {
    const made = await cli(['vaults', 'create', 'prod'], { KEYNODE_PASSPHRASE: 'first cli passphrase' });
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/Recovery code \(shown once, keep it safe\):\n(\w+ ){23}\w+/);
    const listed = await cli(['--format', 'json', 'vaults', 'list'], { KEYNODE_PASSPHRASE: 'first cli passphrase' });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((v: { vaultName: string }) => v.vaultName)).toEqual(['prod']);
    expect(listed.stderr).not.toMatch(/Recovery code/);
    // Encrypted on disk: the vault's name is not in the store.
    expect(readFileSync(path.join(dir, 'keynode.kvlog'), 'utf8')).not.toContain('prod');
  });

  it('refuses a wrong passphrase (exit 64) and a missing one off a terminal, with the reason, changing nothing', async () => {
    const before = readFileSync(path.join(dir, 'keynode.kvlog'));
    const wrong = await cli(['vaults', 'list'], { KEYNODE_PASSPHRASE: 'not the passphrase' });
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toMatch(/^ErrorKeynodePassphraseInvalid: That passphrase is not right/m);
    const missing = await cli(['vaults', 'list']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ErrorKeynodeLocked: .*set KEYNODE_PASSPHRASE, or run the command on a terminal/m);
    expect(readFileSync(path.join(dir, 'keynode.kvlog'))).toEqual(before);
  });

  it('`passphrase` changes it: the old one stops working, the new one opens', async () => {
    const changed = await cli(['passphrase'], { KEYNODE_PASSPHRASE: 'first cli passphrase', KEYNODE_NEW_PASSPHRASE: 'second cli passphrase' });
    expect(changed.code).toBe(0);
    expect((await cli(['id'], { KEYNODE_PASSPHRASE: 'first cli passphrase' })).code).toBe(64);
    const state = await cli(['--format', 'json', 'lock-state'], { KEYNODE_PASSPHRASE: 'second cli passphrase' });
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout)).toMatchObject({ locked: false, encrypted: true, autoLockMs: null });
  });
});
