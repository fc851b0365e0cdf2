// Secret path rules (docs/spec.md §2): relative and '/'-separated; empty paths, absolute paths, empty, '.'
// or '..' components, '.git' components, NUL and paths over 4,096 bytes are ErrorSecretsPathInvalid.
// Dot-files are ordinary secrets.
import { KeynodeError } from '../errors.js';

const MAX_PATH_BYTES = 4096;

function invalid(path: unknown, why: string): KeynodeError {
  const shown = typeof path === 'string' ? `"${path.slice(0, 100)}"` : `a ${typeof path}`;
  return new KeynodeError('ErrorSecretsPathInvalid', `The secret path ${shown} is not allowed: ${why}.`);
}

/** Checks a secret path and returns its components. */
export function parsePath(path: unknown): string[] {
  if (typeof path !== 'string') throw invalid(path, 'a path must be text');
  if (path.length === 0) throw invalid(path, 'it is empty');
  if (new TextEncoder().encode(path).length > MAX_PATH_BYTES) throw invalid(path, `a path is at most ${MAX_PATH_BYTES} bytes`);
  if (path.includes('\0')) throw invalid(path, 'it contains a NUL character');
  if (path.startsWith('/')) throw invalid(path, 'paths are relative to the vault root');
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '') throw invalid(path, 'it has an empty component');
    if (part === '.' || part === '..') throw invalid(path, `"${part}" components are not allowed`);
    if (part.toLowerCase() === '.git') throw invalid(path, '".git" is reserved by git');
  }
  return parts;
}

/** A directory argument: absent or '' is the vault root. */
export function parseDir(dir: unknown): string[] {
  return dir === undefined || dir === '' ? [] : parsePath(dir);
}

export function toBytes(content: unknown): Uint8Array {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  if (content instanceof Uint8Array) return content;
  throw new KeynodeError('ErrorInvalidArgument', 'A secret is text or bytes (a Uint8Array).');
}
