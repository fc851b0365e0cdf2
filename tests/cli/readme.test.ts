// The README's command-line example is run as written, by bash, with `keynode` on the PATH as a
// global install puts it (a link to the bin entry): each line ending in `# → TEXT` must print TEXT.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, cliEnv, root, tempDir } from './helpers.js';

const MARKER = '<!-- tests/cli/readme.test.ts runs this block';

function exampleBlock(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf(MARKER));
  const block = /```sh\n([\s\S]*?)```/.exec(after);
  expect(readme.includes(MARKER) && block !== null, 'the marked example block in README.md').toBe(true);
  return block![1]!.trimEnd().split('\n');
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The block as a script: a line with `# → TEXT` fails the script, saying what it printed, unless it printed TEXT. */
function checked(lines: string[]): string {
  return lines
    .map((line, i) => {
      const at = line.indexOf('# → ');
      if (at === -1) return line;
      const command = line.slice(0, at).trim();
      const expected = line.slice(at + 4).trim();
      return `out=$(${command}); [ "$out" = ${quote(expected)} ] || { echo "README example line ${i + 1} printed: $out" >&2; exit 1; }`;
    })
    .join('\n');
}

describe('command line: the README', () => {
  it('its example runs and prints what it says', () => {
    const lines = exampleBlock();
    expect(lines.filter((l) => l.includes('# → ')).length).toBeGreaterThan(4);
    const base = tempDir();
    const onPath = path.join(base, 'bin');
    mkdirSync(onPath);
    symlinkSync(bin, path.join(onPath, 'keynode'));
    const env = cliEnv({ KEYNODE_DIR: path.join(base, 'keynode'), PATH: `${onPath}:${path.dirname(process.execPath)}:${process.env.PATH}` });
    const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', checked(lines)], { cwd: base, env, encoding: 'utf8' });
    expect(run.stderr.split('\n').filter((l) => l.startsWith('README example'))).toEqual([]);
    expect(run.status, run.stderr).toBe(0);
  });
});
