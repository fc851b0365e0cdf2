// Reading the passphrase for the command line: from KEYNODE_PASSPHRASE (scripts, services), or
// typed at a hidden prompt on a terminal. Never from the command's arguments, which other users of
// the machine can read in the process list and which shells keep in their history. The recovery
// code, which is the identity itself, is read the same way (or piped in).
import { KeynodeError } from '../errors.js';
import { readStdin } from './stdin.js';

/** Reads one line from the terminal without echoing it. */
function hiddenLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (error?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new KeynodeError('ErrorInvalidArgument', 'Cancelled.'));
        if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('');
        else if (ch >= ' ') line += ch;
      }
    };
    // Echo goes off before the prompt shows: whatever is typed (or pasted) the moment it appears
    // must never be echoed by the terminal.
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    process.stderr.write(prompt);
  });
}

function noTerminal(): KeynodeError {
  return new KeynodeError(
    'ErrorKeynodeLocked',
    'This keynode is encrypted with a passphrase: set KEYNODE_PASSPHRASE, or run the command on a terminal to type it.',
  );
}

/** The passphrase of an existing keynode. */
export async function askPassphrase(env = process.env): Promise<string> {
  if (env.KEYNODE_PASSPHRASE !== undefined) return env.KEYNODE_PASSPHRASE;
  if (!process.stdin.isTTY) throw noTerminal();
  return hiddenLine('Passphrase: ');
}

/** A new passphrase, typed twice on a terminal (or KEYNODE_NEW_PASSPHRASE, else KEYNODE_PASSPHRASE). */
export async function askNewPassphrase(env = process.env): Promise<string> {
  const given = env.KEYNODE_NEW_PASSPHRASE ?? env.KEYNODE_PASSPHRASE;
  if (given !== undefined) return given;
  if (!process.stdin.isTTY) throw noTerminal();
  for (;;) {
    const first = await hiddenLine('New passphrase (at least 8 characters): ');
    const second = await hiddenLine('Type it again: ');
    if (first === second) return first;
    process.stderr.write('The two passphrases are not the same; try again.\n');
  }
}

/** The 24-word recovery code: KEYNODE_RECOVERY_CODE, typed at a hidden prompt, or piped in on stdin. */
export async function askRecoveryCode(env = process.env): Promise<string> {
  if (env.KEYNODE_RECOVERY_CODE !== undefined) return env.KEYNODE_RECOVERY_CODE;
  if (process.stdin.isTTY) return hiddenLine('Recovery code (24 words): ');
  return new TextDecoder().decode(await readStdin()).trim();
}
