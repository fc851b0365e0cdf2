// The hidden prompts on a real terminal: the command runs on a pseudo-terminal made by util-linux's
// `script`, and the test types only after the prompt appeared, as a person would. What the terminal
// shows must never contain the passphrase (the prompt turns echo off), and what was typed must work:
// a new keynode's passphrase asked twice (a mismatch is asked again), then an existing keynode
// opened with it, and a wrong one refused with exit 64.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, cliEnv, tempDir } from './helpers.js';

const dir = path.join(tempDir(), 'keynode');
const PASSPHRASE = 'typed at the terminal';

/** Runs `keynode ARGS` on a pseudo-terminal; each time the screen ends with a prompt of `answers`, types its answer. */
function onTerminal(args: string[], answers: Array<[RegExp, string]>): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, bin, '--dir', dir, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: cliEnv() });
  let screen = '';
  let answered = 0;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    screen += s;
    const next = answers[answered];
    if (next !== undefined && next[0].test(screen.slice(screen.lastIndexOf('\n') + 1))) {
      answered++;
      child.stdin.write(`${next[1]}\r`);
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, screen })));
}

describe('command line: the passphrase typed on a terminal', () => {
  it('asks a new keynode’s passphrase twice, again after a mismatch, and never shows it', async () => {
    const made = await onTerminal(
      ['vaults', 'create', 'prod'],
      [
        [/New passphrase \(at least 8 characters\): $/, PASSPHRASE],
        [/Type it again: $/, 'something else'],
        [/New passphrase \(at least 8 characters\): $/, PASSPHRASE],
        [/Type it again: $/, PASSPHRASE],
      ],
    );
    expect(made.code).toBe(0);
    expect(made.screen).toContain('The two passphrases are not the same; try again.');
    expect(made.screen).toMatch(/Created keynode v\w+/);
    expect(made.screen).not.toContain(PASSPHRASE);
    expect(made.screen).not.toContain('something else');
  });

  it('opens the keynode with the passphrase typed at the prompt, and refuses a wrong one', async () => {
    const listed = await onTerminal(['vaults', 'list'], [[/Passphrase: $/, PASSPHRASE]]);
    expect(listed.code).toBe(0);
    expect(listed.screen).toMatch(/^prod\s+z\w+/m);
    expect(listed.screen).not.toContain(PASSPHRASE);

    const wrong = await onTerminal(['vaults', 'list'], [[/Passphrase: $/, 'not the passphrase']]);
    expect(wrong.code).toBe(64);
    expect(wrong.screen).toMatch(/ErrorKeynodePassphraseInvalid: That passphrase is not right/);
    expect(wrong.screen).not.toContain('not the passphrase');
  });
});
