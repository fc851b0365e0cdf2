// Running another program on the terminal (`secrets env -- COMMAND`, `$EDITOR` for `secrets edit`).
// While it runs, Ctrl-C belongs to it: the terminal sends SIGINT to both, and keynode must not die
// first (it would leave an edited secret's temporary file behind, or stop answering for the child's
// status). SIGTERM and SIGHUP sent to keynode alone are passed on.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Runs `command` with the terminal; resolves with its exit status (128 + N if killed by signal N; 127 if not found). */
export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    const handlers: Array<[NodeJS.Signals, () => void]> = [
      ['SIGINT', () => undefined],
      ['SIGTERM', () => child.kill('SIGTERM')],
      ['SIGHUP', () => child.kill('SIGHUP')],
    ];
    for (const [signal, handler] of handlers) process.on(signal, handler);
    let settled = false;
    const finish = (status: number): void => {
      if (settled) return;
      settled = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(status);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      console.error(`keynode: could not run ${command}: ${e.message}`);
      finish(e.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => finish(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}
