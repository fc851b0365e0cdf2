// From argv to a command: the command's words come first (after any global option), `--help` on any
// command shows that command's help and runs nothing, an unknown option or a wrong number of
// arguments is a usage error — all decided before the keynode is opened, so none of them can change
// anything. Options are read by node:util parseArgs; what follows `--` is never read as options.
import { parseArgs } from 'node:util';
import { UsageError, type Action, type CommandSpec, type OptionSpec, type OptionValues } from './command.js';
import { table } from './output.js';

export const globalOptions: Record<string, OptionSpec> = {
  dir: { type: 'string', value: 'DIR', description: "the keynode's folder (default: $KEYNODE_DIR, else ~/.keynode)" },
  signaling: { type: 'string', value: 'URL', description: 'log in to this signaling server to reach peers (default: $KEYNODE_SIGNALING)' },
  format: { type: 'string', choices: ['human', 'json'], description: 'what to print: human (the default) or json, stable for scripts' },
  wait: { type: 'string', value: 'SECONDS', description: 'if another keynode process is using DIR, wait up to this long for it (default 0)' },
  help: { type: 'boolean', short: 'h', description: "show a command's help; nothing is run" },
  version: { type: 'boolean', description: "print keynode's version" },
};

export interface Globals {
  dir: string | undefined;
  signalingUrl: string | undefined;
  format: 'human' | 'json';
  waitMs: number;
}

export type Invocation =
  { kind: 'help'; text: string; exitCode: 0 | 64 } | { kind: 'version' } | { kind: 'command'; spec: CommandSpec; action: Action; globals: Globals };

type ParseConfig = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function config(specs: Record<string, OptionSpec>): ParseConfig {
  const out: ParseConfig = {};
  for (const [name, o] of Object.entries(specs)) out[name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  return out;
}

/** What comes before `--` (options and arguments) and after it (a command and its own arguments). */
function splitAtDashes(argv: string[]): { head: string[]; tail: string[] | undefined } {
  const cut = argv.indexOf('--');
  return cut === -1 ? { head: argv, tail: undefined } : { head: argv.slice(0, cut), tail: argv.slice(cut + 1) };
}

/** The --format asked for, read leniently: a usage error is printed in the format the caller wanted. */
export function formatOf(argv: string[]): 'human' | 'json' {
  const { head } = splitAtDashes(argv);
  const asked = head.some((a, i) => a === '--format=json' || (a === '--format' && head[i + 1] === 'json'));
  return asked ? 'json' : 'human';
}

export function parseCommandLine(argv: string[], commands: readonly CommandSpec[]): Invocation {
  const { head, tail } = splitAtDashes(argv);

  // First pass, lenient: find the command's words among the positionals.
  const { tokens } = parseArgs({ args: head, options: config(globalOptions), strict: false, allowPositionals: true, tokens: true });
  const positionals = tokens.filter((t) => t.kind === 'positional');
  const wantsHelp = tokens.some((t) => t.kind === 'option' && t.name === 'help');
  const words = positionals.map((t) => t.value);
  if (words[0] === 'help') return { kind: 'help', text: helpFor(words.slice(1), commands), exitCode: 0 };
  if (!wantsHelp && tokens.some((t) => t.kind === 'option' && t.name === 'version')) return { kind: 'version' };
  const spec = longestMatch(words, commands);
  if (spec === undefined) {
    // No command named: the help of what was named (everything, or a group such as `vaults`).
    if (wantsHelp || words.length === 0 || (words.length === 1 && isGroup(words, commands))) {
      return { kind: 'help', text: helpFor(words, commands), exitCode: wantsHelp ? 0 : 64 };
    }
    const group = isGroup(words.slice(0, 1), commands) ? words.slice(0, 1) : [];
    throw new UsageError(`unknown command '${words.slice(0, group.length + 1).join(' ')}'.`, group);
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(spec), exitCode: 0 };

  // Second pass, strict: the command's own options and the global ones, anywhere after its words.
  const wordIndexes = new Set(positionals.slice(0, spec.path.length).map((t) => t.index));
  const rest = head.filter((_, i) => !wordIndexes.has(i));
  let parsed: { values: OptionValues; positionals: string[] };
  const options = { ...globalOptions, ...spec.options };
  try {
    parsed = parseArgs({ args: rest, options: config(options), strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    throw new UsageError(String((e as Error).message).replace(/\. To specify a positional argument.*$/s, '.'), spec.path);
  }
  for (const [name, o] of Object.entries(options)) {
    const value = parsed.values[name];
    if (o.choices !== undefined && typeof value === 'string' && !o.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}.`, spec.path);
    }
  }
  const args = spec.takesCommand ? parsed.positionals : [...parsed.positionals, ...(tail ?? [])];
  const [min, max] = spec.args;
  if (args.length < min) throw new UsageError(`'${spec.path.join(' ')}' needs ${spec.usage}.`, spec.path);
  if (args.length > max)
    throw new UsageError(`'${spec.path.join(' ')}' takes ${max === 0 ? 'no arguments' : spec.usage}; '${args[max]}' is one too many.`, spec.path);
  if (spec.takesCommand && tail !== undefined && tail.length === 0) throw new UsageError('a command must follow --.', spec.path);
  const globals = globalsOf(parsed.values, spec);
  return { kind: 'command', spec, action: spec.run({ args, options: parsed.values, rest: spec.takesCommand ? tail : undefined }), globals };
}

function globalsOf(values: OptionValues, spec: CommandSpec): Globals {
  const wait = values.wait === undefined ? 0 : Number(values.wait);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError('--wait takes a number of seconds.', spec.path);
  return {
    dir: values.dir as string | undefined,
    signalingUrl: values.signaling as string | undefined,
    format: values.format === 'json' ? 'json' : 'human',
    waitMs: wait * 1000,
  };
}

function longestMatch(words: string[], commands: readonly CommandSpec[]): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const c of commands) {
    if (c.path.length <= words.length && c.path.every((w, i) => words[i] === w) && c.path.length > (best?.path.length ?? 0)) best = c;
  }
  return best;
}

function isGroup(words: string[], commands: readonly CommandSpec[]): boolean {
  return commands.some((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
}

// ---- help ---------------------------------------------------------------------------------------

function optionLine(name: string, o: OptionSpec): string[] {
  const value = o.choices?.join('|') ?? o.value;
  const flag = `${o.short === undefined ? '' : `-${o.short}, `}--${name}${value === undefined ? '' : ` ${value}`}`;
  return [flag, o.description];
}

function columns(rows: string[][]): string {
  return table(rows).replace(/^/gm, '  ');
}

function synopsis(spec: CommandSpec): string {
  return ['keynode', ...spec.path, spec.usage, spec.takesCommand ? '[-- COMMAND [ARG...]]' : ''].filter((s) => s !== '').join(' ');
}

export function commandHelp(spec: CommandSpec): string {
  const parts = [`usage: ${synopsis(spec)}`, '', spec.summary];
  if (spec.details !== undefined) parts.push('', spec.details);
  if (spec.options !== undefined) parts.push('', 'options:', columns(Object.entries(spec.options).map(([n, o]) => optionLine(n, o))));
  parts.push(
    '',
    `global options: ${Object.entries(globalOptions)
      .map(([n, o]) => optionLine(n, o)[0])
      .join(', ')} (see keynode --help)`,
  );
  parts.push('', `--format json prints: ${spec.json}`);
  return parts.join('\n');
}

const ABOUT = `Everything the keynode keeps in DIR is encrypted with its passphrase: typed at a hidden prompt on a
terminal, or taken from KEYNODE_PASSPHRASE (KEYNODE_NEW_PASSPHRASE for a new one), never from the
arguments. One process at a time may use DIR; another is refused (exit 75) unless it --wait's.

A secret is named VAULT:PATH (or VAULT PATH, two arguments).
Exit codes: 0 ok; 64 usage (nothing was changed); 75 try again (a peer could not be reached, or
DIR is in use); 77 permission denied; 1 other errors. secrets env -- COMMAND exits with COMMAND's.`;

/** The help of the command `words` name, or the list of the commands they begin (all for none). */
function helpFor(words: string[], commands: readonly CommandSpec[]): string {
  const exact = longestMatch(words, commands);
  if (exact !== undefined && exact.path.length === words.length) return commandHelp(exact);
  const shown = commands.filter((c) => words.every((w, i) => c.path[i] === w));
  if (shown.length === 0) throw new UsageError(`unknown command '${words.join(' ')}'.`);
  const list = columns(shown.map((c) => [[...c.path, c.usage].filter((s) => s !== '').join(' '), c.summary]));
  const head = `usage: keynode [options] ${[...words, 'COMMAND [ARG...]'].join(' ')}`;
  const parts = [head, '', 'commands:', list, '', 'options:', columns(Object.entries(globalOptions).map(([n, o]) => optionLine(n, o)))];
  if (words.length === 0) parts.push('', ABOUT);
  parts.push('', "'keynode COMMAND --help' shows a command's arguments, options and JSON output.");
  return parts.join('\n');
}
