// The `keynode` command line: a Node keynode kept in a folder (default ~/.keynode), modelled on
// Polykey-CLI's vaults / secrets / gestalts / notifications commands. With --signaling it logs in
// and can share with, serve and pull from browser keynodes; `serve` stays online to answer peers.
// The commands are described in commands/ (their help is written from those descriptions), read
// from argv by parse.ts, and run against the keynode open.ts opens; output.ts prints.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { CreateKeynodeOptions, Keynode } from '../index.js';
import { UsageError } from './command.js';
import { commands } from './commands/index.js';
import { openRestored, openUnlocked } from './open.js';
import { printError, printOutcome, stderrLogger } from './output.js';
import { formatOf, parseCommandLine } from './parse.js';

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  let format = formatOf(argv);
  let kn: Keynode | undefined;
  const logger = stderrLogger();
  try {
    const call = parseCommandLine(argv, commands);
    if (call.kind === 'version') {
      printOutcome(format, { json: { version: version() }, human: version() });
      return 0;
    }
    if (call.kind === 'help') {
      (call.exitCode === 0 ? process.stdout : process.stderr).write(`${call.text}\n`);
      return call.exitCode;
    }
    const { spec, globals } = call;
    format = globals.format;
    const signalingUrl = globals.signalingUrl ?? process.env.KEYNODE_SIGNALING;
    if (spec.needsSignaling && signalingUrl === undefined) throw new UsageError(`'${spec.path.join(' ')}' needs --signaling URL.`, spec.path);
    const dir = path.resolve(globals.dir ?? process.env.KEYNODE_DIR ?? path.join(homedir(), '.keynode'));
    const options: CreateKeynodeOptions = { storage: { dir }, logger };
    if (signalingUrl !== undefined) options.signalingUrl = signalingUrl;
    kn = spec.opens === 'restore' ? await openRestored(options, dir, globals.waitMs) : await openUnlocked(options, globals.waitMs);
    if (kn.recoveryCode !== undefined) {
      console.error(`Created keynode ${kn.nodeId} in ${dir}.\nRecovery code (shown once, keep it safe):\n${kn.recoveryCode}\n`);
    }
    const print = (o: Parameters<typeof printOutcome>[1]): void => printOutcome(format, o);
    const outcome = await call.action({ kn, dir, signalingUrl, print });
    print(outcome);
    return outcome.exitCode ?? 0;
  } catch (e) {
    return printError(format, e);
  } finally {
    logger.mute();
    await kn?.stop();
  }
}

main(process.argv.slice(2)).then((code) => {
  // Exit once what was printed has been handed over (a peer connection would otherwise keep Node up).
  process.stdout.write('', () => process.exit(code));
});
