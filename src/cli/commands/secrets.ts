// Secrets (Polykey's `secrets` commands), named VAULT:PATH or VAULT PATH (secret-ref.ts); `env`
// runs a command with secrets as its environment, `edit` opens one in $EDITOR.
import * as path from 'node:path';
import { isKeynodeError } from '../../errors.js';
import type { Keynode } from '../../index.js';
import { formatDotenv } from '../../secrets/env.js';
import type { EnvOptions } from '../../types.js';
import { runChild } from '../child.js';
import { done, UsageError, type CommandDef, type OptionValues } from '../command.js';
import { editInEditor } from '../editor.js';
import { parseOneRef, parseRef, parseRefs, type SecretRef } from '../secret-ref.js';
import { readStdin } from '../stdin.js';

/** Content as text when it is UTF-8, else base64. */
function shown(content: Uint8Array): { content: string; encoding: 'utf8' | 'base64' } {
  try {
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(content), encoding: 'utf8' };
  } catch {
    return { content: Buffer.from(content).toString('base64'), encoding: 'base64' };
  }
}

/** Paths by vault, in the order named; undefined for all of the vault. */
type VaultPaths = Map<string, string[] | undefined>;

function byVault(refs: SecretRef[]): VaultPaths {
  const groups: VaultPaths = new Map();
  for (const { vault, path: p } of refs) {
    const paths = groups.has(vault) ? groups.get(vault) : [];
    groups.set(vault, paths === undefined || p === '' ? undefined : [...paths, p]);
  }
  return groups;
}

/** The variables `env` gives: each vault's secrets under the paths named, a later vault winning a name. */
async function envVars(kn: Keynode, groups: VaultPaths, options: OptionValues): Promise<Map<string, string>> {
  const opts: EnvOptions = { format: 'json' };
  if (typeof options.invalid === 'string') opts.invalid = options.invalid as EnvOptions['invalid'];
  if (typeof options.duplicate === 'string') opts.duplicate = options.duplicate as EnvOptions['duplicate'];
  const vars = new Map<string, string>();
  for (const [vault, paths] of groups) {
    for (const [name, value] of Object.entries(JSON.parse(await kn.secrets.env(vault, paths, opts)) as Record<string, string>)) vars.set(name, value);
  }
  return vars;
}

async function deleteAll(kn: Keynode, groups: VaultPaths, recursive: boolean): Promise<void> {
  for (const [vault, paths] of groups) await kn.secrets.delete(vault, paths!, { recursive });
}

/** What the command runs with: the caller's environment, less what unlocks the keynode, plus the secrets. */
function childEnv(vars: Map<string, string>): NodeJS.ProcessEnv {
  const { KEYNODE_PASSPHRASE: _, KEYNODE_NEW_PASSPHRASE: __, KEYNODE_RECOVERY_CODE: ___, ...env } = process.env;
  return { ...env, ...Object.fromEntries(vars) };
}

export const secretCommands: CommandDef[] = [
  {
    path: ['secrets', 'ls'],
    usage: 'VAULT[:DIR]',
    args: [1, 2],
    summary: 'list one folder of a vault (the root by default); folders end in /',
    json: '[{ "path": string, "type": "file" | "directory" }, …]   (paths from the vault root)',
    run: ({ args }) => {
      const ref = args.length === 1 ? parseRef(args[0]!) : parseOneRef(args, ['secrets', 'ls']);
      return async ({ kn }) => {
        const entries = await kn.secrets.list(ref.vault, ref.path === '' ? undefined : ref.path);
        return { json: entries, human: entries.map((e) => (e.type === 'directory' ? `${e.path}/` : e.path)).join('\n') };
      };
    },
  },
  {
    path: ['secrets', 'cat'],
    usage: 'VAULT:PATH...',
    args: [1, Infinity],
    summary: "print secrets' contents, one after another (or: VAULT PATH...)",
    json: '[{ "vault": string, "path": string, "content": string, "encoding": "utf8" | "base64" }, …]',
    run: ({ args }) => {
      const refs = parseRefs(args, ['secrets', 'cat']);
      return async ({ kn }) => {
        const contents: Uint8Array[] = [];
        for (const ref of refs) contents.push(await kn.secrets.get(ref.vault, ref.path));
        return { json: refs.map((ref, i) => ({ ...ref, ...shown(contents[i]!) })), human: Buffer.concat(contents) };
      };
    },
  },
  {
    path: ['secrets', 'write'],
    usage: 'VAULT:PATH',
    args: [1, 2],
    summary: 'write a secret (made, or replaced) from stdin',
    json: '{}',
    run: ({ args }) => {
      const ref = parseOneRef(args, ['secrets', 'write']);
      return async ({ kn }) => {
        if (process.stdin.isTTY) console.error('Type the secret, then Ctrl-D on a line of its own.');
        return done(kn.secrets.write(ref.vault, ref.path, await readStdin()));
      };
    },
  },
  {
    path: ['secrets', 'edit'],
    usage: 'VAULT:PATH',
    args: [1, 2],
    summary: 'edit a secret (or make one) in $VISUAL or $EDITOR; written back only if changed',
    json: '{ "changed": boolean }',
    run: ({ args }) => {
      const ref = parseOneRef(args, ['secrets', 'edit']);
      return async ({ kn }) => {
        let before: Uint8Array = new Uint8Array();
        try {
          before = await kn.secrets.get(ref.vault, ref.path);
        } catch (e) {
          if (!isKeynodeError(e, 'ErrorSecretsSecretUndefined')) throw e;
        }
        const after = await editInEditor(before, path.posix.basename(ref.path));
        const changed = !Buffer.from(after).equals(before);
        if (changed) await kn.secrets.write(ref.vault, ref.path, after);
        else console.error('No change, so nothing was written.');
        return { json: { changed }, human: '' };
      };
    },
  },
  {
    path: ['secrets', 'stat'],
    usage: 'VAULT:PATH',
    args: [1, 2],
    summary: 'whether a path is a secret or a folder, and its size',
    json: '{ "type": "file" | "directory", "size": number }',
    run: ({ args }) => {
      const ref = parseOneRef(args, ['secrets', 'stat']);
      return async ({ kn }) => {
        const stat = await kn.secrets.stat(ref.vault, ref.path);
        return { json: stat, human: stat.type === 'file' ? `file, ${stat.size} bytes` : 'directory' };
      };
    },
  },
  {
    path: ['secrets', 'rm'],
    usage: 'VAULT:PATH...',
    args: [1, Infinity],
    summary: 'delete secrets (or: VAULT PATH...); one commit per vault',
    options: { recursive: { type: 'boolean', short: 'r', description: 'delete folders and what they hold' } },
    json: '{}',
    run: ({ args, options }) => {
      const groups = byVault(parseRefs(args, ['secrets', 'rm']));
      for (const [vault, paths] of groups) {
        if (paths === undefined) throw new UsageError(`name what to delete in ${vault} (VAULT:PATH); 'vaults delete' deletes a vault.`, ['secrets', 'rm']);
      }
      return ({ kn }) => done(deleteAll(kn, groups, options.recursive === true));
    },
  },
  {
    path: ['secrets', 'mkdir'],
    usage: 'VAULT:PATH',
    args: [1, 2],
    summary: 'make a folder (and its parents)',
    json: '{}',
    run: ({ args }) => {
      const ref = parseOneRef(args, ['secrets', 'mkdir']);
      return ({ kn }) => done(kn.secrets.mkdir(ref.vault, ref.path, { recursive: true }));
    },
  },
  {
    path: ['secrets', 'mv'],
    usage: 'VAULT:FROM TO',
    args: [2, 3],
    summary: 'rename or move a secret or folder within its vault (or: VAULT FROM TO)',
    json: '{}',
    run: ({ args }) => {
      const twoArgs = args.length === 2;
      if (twoArgs !== args[0]!.includes(':')) throw new UsageError('name the secret as VAULT:FROM TO (or VAULT FROM TO).', ['secrets', 'mv']);
      const from = twoArgs ? parseRef(args[0]!) : { vault: args[0]!, path: args[1]! };
      return ({ kn }) => done(kn.secrets.rename(from.vault, from.path, args[args.length - 1]!));
    },
  },
  {
    path: ['secrets', 'env'],
    usage: 'VAULT[:PATH]...',
    args: [1, Infinity],
    takesCommand: true,
    summary: 'run COMMAND with secrets as environment variables, or print them (dotenv)',
    details:
      'Each secret under the paths named (a whole vault if no path) becomes a variable named after its file\n' +
      'name; a later vault wins a name two vaults give. With -- COMMAND, DIR is released before COMMAND runs,\n' +
      "COMMAND does not get KEYNODE_PASSPHRASE, and keynode exits with COMMAND's status.",
    options: {
      invalid: { type: 'string', choices: ['error', 'warn', 'ignore'], description: 'a secret whose name is not a variable name (default error)' },
      duplicate: {
        type: 'string',
        choices: ['keep', 'overwrite', 'warn', 'error'],
        description: 'two secrets of one vault giving one name (default overwrite)',
      },
      json: { type: 'boolean', description: 'print them as JSON (what --format json prints; kept from earlier versions)' },
    },
    json: '{ "NAME": "value", … }; with -- COMMAND nothing (COMMAND prints what it prints)',
    run: ({ args, options, rest }) => {
      const groups = byVault(args.map(parseRef));
      return async ({ kn }) => {
        const vars = await envVars(kn, groups, options);
        const json = Object.fromEntries(vars);
        if (rest === undefined) return { json, human: options.json === true ? JSON.stringify(json) : formatDotenv(vars) };
        await kn.stop();
        return { json: undefined, human: '', exitCode: await runChild(rest[0]!, rest.slice(1), childEnv(vars)) };
      };
    },
  },
];
