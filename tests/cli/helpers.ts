// Running the real command line as a child process, through its `bin` entry (src/cli/bin.js), as
// `npx keynode` and a global install run it; and what a keynode folder holds, to show a command
// changed nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

export const root = path.resolve(import.meta.dirname, '../..');
export const bin = path.join(root, 'src/cli/bin.js');
export const PASSPHRASE = 'cli test passphrase';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a command gets: none of the caller's KEYNODE_* settings, then `env`. */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEYNODE_') && k !== 'VISUAL' && k !== 'EDITOR'));
  return { ...clean, ...env };
}

/** Starts `keynode ARGS` (stdin closed unless `input` is given). */
export function start(args: string[], opts: { env?: Record<string, string | undefined>; input?: string | Uint8Array } = {}): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: cliEnv(opts.env) });
  child.stdin!.end(opts.input ?? '');
  return child;
}

export function finish(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs `keynode ARGS` to its end. */
export function cli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string | Uint8Array } = {}): Promise<Run> {
  return finish(start(args, opts));
}

/** A temporary folder, removed after the file's tests. */
export function tempDir(prefix = 'keynode-cli-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` with a digest of its content: equal snapshots mean nothing was written. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    out[name] = statSync(file).isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  return out;
}

/** The error a command printed with --format json. */
export function jsonError(run: Run): { code: string; message: string; data?: Record<string, unknown> } {
  return (JSON.parse(run.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
}
