// What the command line prints. stdout carries only a command's result — its human form, or with
// --format json one line of JSON (the shapes each command's --help shows) — so scripts can read it;
// messages, warnings and errors go to stderr, an error as {"error":{code,message,data?}} in JSON.
import { isKeynodeError } from '../errors.js';
import type { Logger } from '../types.js';
import { UsageError, type Outcome } from './command.js';

export type Format = 'human' | 'json';

export function printOutcome(format: Format, outcome: Outcome): void {
  if (format === 'json') {
    if (outcome.json !== undefined) process.stdout.write(`${JSON.stringify(outcome.json)}\n`);
    return;
  }
  const { human } = outcome;
  if (typeof human !== 'string') process.stdout.write(human);
  else if (human !== '') process.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
}

/** sysexits.h: EX_USAGE, EX_TEMPFAIL, EX_NOPERM. */
export const EXIT_USAGE = 64;
export const EXIT_TRY_AGAIN = 75;
export const EXIT_DENIED = 77;

export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT_USAGE;
  if (!isKeynodeError(e)) return 1;
  if (e.code === 'ErrorNodeConnectionFailed' || e.code === 'ErrorStorageInUse') return EXIT_TRY_AGAIN;
  if (e.code === 'ErrorVaultsPermissionDenied' || e.code === 'ErrorNodePermissionDenied') return EXIT_DENIED;
  if (e.code.endsWith('Invalid') || e.code === 'ErrorInvalidArgument') return EXIT_USAGE;
  return 1;
}

/** Prints a failure on stderr and returns the exit status it calls for. */
export function printError(format: Format, e: unknown): number {
  const code = exitCodeOf(e);
  if (format === 'json') {
    const error = isKeynodeError(e)
      ? { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) }
      : { code: e instanceof UsageError ? 'ErrorInvalidArgument' : 'ErrorInternal', message: e instanceof Error ? e.message : String(e) };
    process.stderr.write(`${JSON.stringify({ error })}\n`);
  } else if (e instanceof UsageError) {
    process.stderr.write(`keynode: ${e.message}\nRun 'keynode ${[...e.helpPath, '--help'].join(' ')}' for its usage.\n`);
  } else {
    process.stderr.write(`${isKeynodeError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
  }
  return code;
}

/**
 * The keynode's warnings (a skipped secret, a signaling error, a repaired vault) on stderr, until
 * `mute`: background work cut short by the command's end has nothing to tell the user.
 */
export function stderrLogger(): Logger & { mute(): void } {
  let muted = false;
  const say =
    (kind: string) =>
    (message: string, data?: Record<string, unknown>): void => {
      if (!muted) console.error(`keynode: ${kind}: ${message}${data === undefined ? '' : ` ${JSON.stringify(data)}`}`);
    };
  return { debug() {}, info() {}, warn: say('warning'), error: say('error'), mute: () => (muted = true) };
}

/** Rows as aligned columns (the last column is not padded). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function when(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
