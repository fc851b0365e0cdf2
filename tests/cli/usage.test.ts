// How the command line is typed (issue 12): `--help` on every command shows that command's help and
// changes nothing — `vaults create --help` once made a vault named "help" — and an unknown option or
// a wrong number of arguments is a usage error (exit 64) that changes nothing either.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import type { CommandSpec } from '../../src/cli/command.js';
import { cli, jsonError, PASSPHRASE, root, snapshot, tempDir, type Run } from './helpers.js';

const dir = path.join(tempDir(), 'keynode');
const env = { KEYNODE_DIR: dir, KEYNODE_PASSPHRASE: PASSPHRASE };
let nodeId = '';

beforeAll(async () => {
  const made = await cli(['vaults', 'create', 'prod'], { env });
  expect(made.code).toBe(0);
  nodeId = /Created keynode (\S+)/.exec(made.stderr)![1]!;
  expect((await cli(['secrets', 'write', 'prod:db/password'], { env, input: 'hunter2' })).code).toBe(0);
});

/** Arguments that would do something real (delete the vault, the secret…) were it not for --help. */
function realArgs(spec: CommandSpec): string[] {
  const values: Record<string, string> = {
    NAME: 'help',
    VAULT: 'prod',
    NEWNAME: 'renamed',
    REF: 'last',
    NODE: nodeId,
    PULLVAULT: 'prod',
    'VAULT:PATH': 'prod:db/password',
    'VAULT:PATH...': 'prod:db/password',
    'VAULT[:DIR]': 'prod',
    'VAULT:FROM': 'prod:db/password',
    TO: 'moved',
    'VAULT[:PATH]...': 'prod:db',
    ID: 'v06h3use0og001qvitum22hfg7c',
    LINK: 'https://example.invalid/#x',
    CODE: 'keynode-pair:1:x',
    'MESSAGE...': 'hello',
    'notify|scan|claim': 'scan',
  };
  const words = spec.usage.split(' ').filter((w) => w !== '' && !w.startsWith('['));
  return words.map((w) => {
    expect(values, `a value for ${w} of '${spec.path.join(' ')}'`).toHaveProperty([w]);
    return values[w]!;
  });
}

/** Runs the argument lists two at a time (no keynode is opened, so they cannot disturb each other). */
async function runAll(lists: string[][]): Promise<Run[]> {
  const results: Run[] = [];
  for (let i = 0; i < lists.length; i += 2) results.push(...(await Promise.all(lists.slice(i, i + 2).map((args) => cli(args, { env })))));
  return results;
}

describe('command line: usage', () => {
  it("--help on every command prints that command's help, exits 0, and creates, changes or deletes nothing", async () => {
    const before = snapshot(dir);
    const named = (name: string): CommandSpec => commands.find((c) => c.path.join(' ') === name)!;
    const cases = commands.map((spec) => ({
      spec,
      args: [...spec.path, ...realArgs(spec), '--help', ...(spec.takesCommand ? ['--', 'node', '-e', 'process.exit(9)'] : [])],
    }));
    cases.push(
      { spec: named('vaults delete'), args: ['-h', 'vaults', 'delete', 'prod'] },
      { spec: named('secrets rm'), args: ['help', 'secrets', 'rm'] },
      { spec: named('secrets rm'), args: ['secrets', 'rm', 'prod', 'db/password', '-h'] },
    );
    const runs = await runAll(cases.map((c) => c.args));
    runs.forEach((run, i) => {
      const { spec, args } = cases[i]!;
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).toContain(`usage: keynode ${spec.path.join(' ')} ${spec.usage}`.trim());
      expect(run.stdout).toContain('--format json prints:');
    });
    expect(snapshot(dir)).toEqual(before);
    const left = await cli(['--format', 'json', 'vaults', 'list'], { env });
    expect(JSON.parse(left.stdout).map((v: { vaultName: string }) => v.vaultName)).toEqual(['prod']);
    expect((await cli(['secrets', 'cat', 'prod:db/password'], { env })).stdout).toBe('hunter2');
  }, 180_000);

  it('unknown options, unknown commands and wrong arguments exit 64, say why, and change nothing', async () => {
    const before = snapshot(dir);
    const cases: Array<[string[], RegExp]> = [
      [['vaults', 'create', 'x', '--bogus'], /Unknown option '--bogus'/],
      [['secrets', 'rm', 'prod:db/password', '--force'], /Unknown option '--force'/],
      [['vaults', 'create'], /'vaults create' needs NAME/],
      [['vaults', 'delete', 'prod', 'extra'], /'extra' is one too many/],
      [['vaults', 'bogus'], /unknown command 'vaults bogus'/],
      [['--format', 'yaml', 'vaults', 'list'], /--format must be one of human, json/],
      [['secrets', 'rm', 'prod'], /name the secret as VAULT:PATH/],
      [['secrets', 'cat', 'prod:db/password', 'password'], /'password' is not VAULT:PATH/],
      [['secrets', 'env', 'prod', '--'], /a command must follow --/],
    ];
    const runs = await runAll(cases.map(([args]) => args));
    runs.forEach((run, i) => {
      expect({ args: cases[i]![0], code: run.code, stdout: run.stdout }).toEqual({ args: cases[i]![0], code: 64, stdout: '' });
      expect(run.stderr).toMatch(cases[i]![1]);
      expect(run.stderr).toMatch(/Run 'keynode .*--help' for its usage/);
    });
    const json = await cli(['vaults', 'create', 'x', '--bogus', '--format', 'json'], { env });
    expect(json.code).toBe(64);
    expect(jsonError(json)).toMatchObject({ code: 'ErrorInvalidArgument', message: expect.stringMatching(/--bogus/) });
    // A group named without a command lists its commands, on stderr, as a usage error.
    const group = await cli(['vaults'], { env });
    expect(group.code).toBe(64);
    expect(group.stderr).toContain('vaults create NAME');
    expect(snapshot(dir)).toEqual(before);
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const [human, json] = await runAll([['--version'], ['--version', '--format', 'json']]);
    expect(human!.stdout).toBe(`${version}\n`);
    expect(JSON.parse(json!.stdout)).toEqual({ version });
  });
});
