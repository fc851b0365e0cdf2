// What a command of the command line is: its words, arguments, options and JSON shape (from which
// the help is written), and the function that runs it against an unlocked keynode.
import type { Keynode } from '../index.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How the value is shown in the help, e.g. 'N'. */
  value?: string;
  choices?: readonly string[];
  description: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** A command as typed, its arguments checked against the command's description. */
export interface Input {
  args: string[];
  options: OptionValues;
  /** What followed `--`, for a command that takes one (`secrets env`). */
  rest: string[] | undefined;
}

/** What an action runs with: the keynode, opened and unlocked. */
export interface Context {
  kn: Keynode;
  dir: string;
  signalingUrl: string | undefined;
  /** Prints an outcome at once, in the format asked for (`serve`, once online). */
  print(outcome: Outcome): void;
}

export type Action = (ctx: Context) => Promise<Outcome>;

/** What a command printed: `json` for --format json, `human` otherwise (bytes are written as they are). */
export interface Outcome {
  json: unknown;
  human: string | Uint8Array;
  /** The process's exit status when it is not 0 (`secrets env -- COMMAND` exits with the command's). */
  exitCode?: number;
}

export interface CommandSpec {
  path: readonly string[];
  /** The positional arguments as shown in the help, e.g. 'VAULT NEWNAME'. */
  usage: string;
  args: readonly [min: number, max: number];
  summary: string;
  details?: string;
  options?: Record<string, OptionSpec>;
  /** Whether `-- COMMAND [ARG...]` may follow. */
  takesCommand?: boolean;
  /** The shape printed by --format json (documentation: shown by --help). */
  json: string;
  /** How the keynode is opened: 'restore' makes it from a recovery code in an empty folder. */
  opens?: 'unlocked' | 'restore';
  needsSignaling?: boolean;
  /**
   * Reads the input — throwing UsageError for anything a command cannot mean, before the keynode is
   * opened, so that such a mistake changes nothing — and returns what to do with the keynode.
   */
  run(input: Input): Action;
}

/** A command as its file describes it: one that takes no arguments leaves out `usage` and `args`. */
export type CommandDef = Omit<CommandSpec, 'usage' | 'args'> & Partial<Pick<CommandSpec, 'usage' | 'args'>>;

/** A mistake in how the command was typed: exit 64, and nothing was touched. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point to. */
    readonly helpPath: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A command that only changes something, given its arguments as typed. */
export function change(
  path: readonly string[],
  usage: string,
  args: readonly [number, number],
  summary: string,
  act: (kn: Keynode, args: string[]) => Promise<void>,
): CommandSpec {
  return {
    path,
    usage,
    args,
    summary,
    json: '{}',
    run: withKeynode(({ kn }, args) => done(act(kn, args))),
  };
}

/** The run of a command with nothing to check before the keynode is opened: `act` gets the context and the arguments. */
export function withKeynode(act: (ctx: Context, args: string[]) => Promise<Outcome>): CommandSpec['run'] {
  return (input) => (ctx) => act(ctx, input.args);
}

/** The outcome of a command that only changes something: nothing to show, `{}` in JSON. */
export async function done(change: Promise<void>): Promise<Outcome> {
  await change;
  return { json: {}, human: '' };
}

/** The value of a --limit-like option: a whole number above zero. */
export function countOption(options: OptionValues, name: string, command: readonly string[]): number | undefined {
  const value = options[name];
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} takes a whole number above zero.`, command);
  return n;
}
