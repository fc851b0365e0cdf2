// Naming secrets on the command line as Polykey does, VAULT:PATH, while the older two-argument form
// VAULT PATH keeps working. A vault's name cannot contain ':' (ErrorVaultsNameInvalid), so the first
// ':' always ends the vault's name; a path may contain more.
import { UsageError } from './command.js';

export interface SecretRef {
  vault: string;
  /** '' for the vault's root. */
  path: string;
}

/** `VAULT` or `VAULT:PATH`. */
export function parseRef(arg: string): SecretRef {
  const colon = arg.indexOf(':');
  return colon === -1 ? { vault: arg, path: '' } : { vault: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/**
 * Secrets named as `VAULT:PATH...` (each in any vault), or as `VAULT PATH...` (all in one vault):
 * the first argument tells which.
 */
export function parseRefs(args: string[], command: readonly string[]): SecretRef[] {
  const [first, ...more] = args as [string, ...string[]];
  if (!first.includes(':')) {
    if (more.length === 0) throw new UsageError(`name the secret as VAULT:PATH (or VAULT PATH), not just '${first}'.`, command);
    return more.map((path) => ({ vault: first, path }));
  }
  return args.map((arg) => {
    if (!arg.includes(':')) throw new UsageError(`'${arg}' is not VAULT:PATH; name every secret that way, or give VAULT once, then the paths.`, command);
    return parseRef(arg);
  });
}

/** Exactly one secret: `VAULT:PATH` or `VAULT PATH`. */
export function parseOneRef(args: string[], command: readonly string[]): SecretRef {
  const refs = parseRefs(args, command);
  if (refs.length !== 1) throw new UsageError('name one secret.', command);
  return refs[0]!;
}
