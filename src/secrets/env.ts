// Env export (Polykey-CLI `secrets env`, without running a process: a browser cannot): the secrets
// under the chosen paths become variables named by their basename, printed as dotenv or JSON, with
// Polykey-CLI's policies for names that are not valid variable names and for duplicate names.
import { KeynodeError } from '../errors.js';
import type { EnvOptions, Logger } from '../types.js';

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EnvSecret {
  path: string;
  content: Uint8Array;
}

/** Applies the name policies and returns name → value in first-seen order. */
export function collectEnv(secrets: EnvSecret[], opts: EnvOptions, logger: Logger): Map<string, string> {
  const invalid = opts.invalid ?? 'error';
  const duplicate = opts.duplicate ?? 'overwrite';
  const out = new Map<string, string>();
  const decoder = new TextDecoder();
  for (const { path, content } of secrets) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (!VARIABLE.test(name)) {
      if (invalid === 'error') {
        throw new KeynodeError('ErrorSecretsEnvInvalid', `The secret "${path}" cannot be an environment variable: "${name}" is not a valid variable name.`, {
          data: { path },
        });
      }
      if (invalid === 'warn') logger.warn('Skipped a secret whose name is not a valid variable name.', { path });
      continue;
    }
    if (out.has(name)) {
      if (duplicate === 'error') {
        throw new KeynodeError('ErrorSecretsEnvDuplicate', `The variable "${name}" comes from more than one secret (again at "${path}").`, {
          data: { path, name },
        });
      }
      if (duplicate === 'keep') continue;
      if (duplicate === 'warn') logger.warn('A later secret overwrote an environment variable of the same name.', { path, name });
    }
    out.set(name, decoder.decode(content));
  }
  return out;
}

/** Double-quoted dotenv values; backslash, quote, newline and carriage return are escaped. */
export function formatDotenv(vars: Map<string, string>): string {
  let text = '';
  for (const [name, value] of vars) {
    const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    text += `${name}="${escaped}"\n`;
  }
  return text;
}

export function formatJson(vars: Map<string, string>): string {
  return JSON.stringify(Object.fromEntries(vars), null, 2);
}
