// Vault name rules (docs/spec.md §1): 1–255 bytes of UTF-8, no control characters, no ':' (the CLI's
// `vault:path` separator) and no '/'. Also the numbered names a clone falls back to on a clash.
import { KeynodeError } from '../errors.js';

const MAX_NAME_BYTES = 255;
/** How many numbered alternatives a clone tries before giving up (Polykey tries 50). */
export const MAX_NAME_SUFFIX = 50;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a vault name must be text';
  if (name.length === 0) return 'a vault name cannot be empty';
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) return `a vault name is at most ${MAX_NAME_BYTES} bytes`;
  // Lone surrogates cannot be stored as UTF-8 and would come back changed.
  if (LONE_SURROGATE.test(name)) return 'a vault name must be valid Unicode';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'a vault name cannot contain control characters';
  if (name.includes(':') || name.includes('/')) return "a vault name cannot contain ':' or '/'";
  return undefined;
}

export function assertVaultName(name: unknown): string {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new KeynodeError('ErrorVaultsNameInvalid', `That vault name is not allowed: ${problem}.`);
  }
  return name as string;
}

/** `name`, then `name-1` … `name-50`, skipping any that would break the name rules. */
export function* nameCandidates(name: string): Generator<string> {
  yield name;
  for (let i = 1; i <= MAX_NAME_SUFFIX; i++) {
    const candidate = `${name}-${i}`;
    if (nameProblem(candidate) === undefined) yield candidate;
  }
}
