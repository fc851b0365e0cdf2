// The `keynode` command line: a Node keynode kept in a folder (default ~/.keynode), modelled on
// Polykey-CLI's vaults / secrets / identities / notifications commands. With --signaling it logs in
// and can share with, serve and pull from browser keynodes; `serve` stays online to answer peers.
import { homedir } from 'node:os';
import * as path from 'node:path';
import { createKeynode, isKeynodeError, type Keynode } from '../index.js';
import { askNewPassphrase, askPassphrase } from './passphrase.js';

const usage = `usage: keynode [--dir DIR] [--signaling URL] <command> [args]

  id                                   print this keynode's NodeId
  serve                                stay online, answering peers (needs --signaling); stays unlocked while it runs
  passphrase                           change the passphrase (asks for the current one, then the new one twice)
  lock-state                           whether the keynode is encrypted, and its auto-lock setting
  vaults list | create NAME | rename VAULT NEW | delete VAULT | log VAULT | version VAULT REF
  vaults share VAULT NODE | unshare VAULT NODE | permissions VAULT | link VAULT NODE
  vaults scan NODE | clone VAULT NODE | pull VAULT [NODE [PULLVAULT]] | fork VAULT NEW
  secrets ls VAULT [DIR] | cat VAULT PATH | write VAULT PATH (content from stdin) | rm VAULT PATH...
  secrets mkdir VAULT PATH | mv VAULT FROM TO | env VAULT [--json]
  gestalts list | trust NODE | untrust NODE | allow NODE ACTION | disallow NODE ACTION | permissions NODE
  gestalts invite NODE | claim NODE | discover NODE
  notifications read [--unread] | send NODE MESSAGE | outbox | open LINK

Everything the keynode stores in DIR is encrypted with its passphrase: typed at a hidden prompt,
or taken from KEYNODE_PASSPHRASE (KEYNODE_NEW_PASSPHRASE for a new one) — never from the arguments.

Exit codes: 0 ok, 64 usage, 75 a peer could not be reached (try again), 77 permission denied, 1 other errors.`;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function print(value: unknown): void {
  if (typeof value === 'string') console.log(value);
  else if (value !== undefined) console.log(JSON.stringify(value, null, 2));
}

class UsageError extends Error {}

function need(args: string[], n: number): string[] {
  if (args.length < n) throw new UsageError(usage);
  return args;
}

async function run(kn: Keynode, command: string, sub: string | undefined, args: string[]): Promise<void> {
  const v = kn.vaults;
  const s = kn.secrets;
  const g = kn.gestalts;
  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'id': return print(kn.nodeId);
    case 'lock-state': return print(await kn.lockState());
    case 'passphrase': {
      const current = await askPassphrase();
      return kn.setPassphrase(current, await askNewPassphrase({ ...process.env, KEYNODE_PASSPHRASE: undefined }));
    }
    case 'vaults list': return print(await v.list());
    case 'vaults create': return print(await v.create(need(args, 1)[0]!));
    case 'vaults rename': need(args, 2); return v.rename(args[0]!, args[1]!);
    case 'vaults delete': return v.delete(need(args, 1)[0]!);
    case 'vaults log': return print(await v.log(need(args, 1)[0]!));
    case 'vaults version': need(args, 2); return print(await v.version(args[0]!, args[1]!));
    case 'vaults share': need(args, 2); return v.share(args[0]!, args[1]!);
    case 'vaults unshare': need(args, 2); return v.unshare(args[0]!, args[1]!);
    case 'vaults permissions': return print(await v.permissions(need(args, 1)[0]!));
    case 'vaults link': need(args, 2); return print(await v.shareLink(args[0]!, args[1]!));
    case 'vaults scan': return print(await v.scan(need(args, 1)[0]!));
    case 'vaults clone': need(args, 2); return print(await v.clone(args[0]!, args[1]!));
    case 'vaults pull': {
      need(args, 1);
      const opts: { nodeId?: string; pullVault?: string } = {};
      if (args[1] !== undefined) opts.nodeId = args[1];
      if (args[2] !== undefined) opts.pullVault = args[2];
      return print(await v.pull(args[0]!, opts));
    }
    case 'vaults fork': need(args, 2); return print(await v.fork(args[0]!, args[1]!));
    case 'secrets ls': need(args, 1); return print(await s.list(args[0]!, args[1]));
    case 'secrets cat': need(args, 2); process.stdout.write(await s.get(args[0]!, args[1]!)); return;
    case 'secrets write': need(args, 2); return s.write(args[0]!, args[1]!, await readStdin());
    case 'secrets rm': need(args, 2); return s.delete(args[0]!, args.slice(1));
    case 'secrets mkdir': need(args, 2); return s.mkdir(args[0]!, args[1]!, { recursive: true });
    case 'secrets mv': need(args, 3); return s.rename(args[0]!, args[1]!, args[2]!);
    case 'secrets env': need(args, 1); return print(await s.env(args[0]!, undefined, { format: args.includes('--json') ? 'json' : 'dotenv' }));
    case 'gestalts list': return print(await g.list());
    case 'gestalts trust': return g.trust(need(args, 1)[0]!);
    case 'gestalts untrust': return g.untrust(need(args, 1)[0]!);
    case 'gestalts allow': need(args, 2); return g.allow(args[0]!, args[1] as 'notify');
    case 'gestalts disallow': need(args, 2); return g.disallow(args[0]!, args[1] as 'notify');
    case 'gestalts permissions': return print(await g.permissions(need(args, 1)[0]!));
    case 'gestalts invite': return g.invite(need(args, 1)[0]!);
    case 'gestalts claim': return g.claim(need(args, 1)[0]!);
    case 'gestalts discover': return g.discover(need(args, 1)[0]!);
    case 'notifications read': return print(await kn.notifications.read({ unread: args.includes('--unread') }));
    case 'notifications send': need(args, 2); return kn.notifications.send(args[0]!, args.slice(1).join(' '));
    case 'notifications outbox': return print(await kn.notifications.outbox.read());
    case 'notifications open': return print(await kn.notifications.openLink(need(args, 1)[0]!));
    default: throw new UsageError(usage);
  }
}

function exitCode(e: unknown): number {
  if (e instanceof UsageError) return 64;
  if (!isKeynodeError(e)) return 1;
  if (e.code === 'ErrorNodeConnectionFailed') return 75;
  if (e.code === 'ErrorVaultsPermissionDenied' || e.code === 'ErrorNodePermissionDenied') return 77;
  if (e.code.endsWith('Invalid') || e.code === 'ErrorInvalidArgument') return 64;
  return 1;
}

/**
 * The keynode in DIR, unlocked: a new one is created with a new passphrase; an existing one (or
 * one an earlier version stored unencrypted, which is encrypted now) is opened with its own.
 */
async function openUnlocked(options: Parameters<typeof createKeynode>[0]): Promise<Keynode> {
  let kn: Keynode;
  try {
    kn = await createKeynode(options);
  } catch (e) {
    if (!isKeynodeError(e, 'ErrorKeynodeLocked')) throw e;
    return createKeynode({ ...options, passphrase: await askNewPassphrase() });
  }
  const state = await kn.lockState();
  if (!state.locked) return kn;
  try {
    if (!state.encrypted) {
      console.error('An earlier version of keynode stored this keynode unencrypted; choose a passphrase to encrypt it now.');
      await kn.unlock(await askNewPassphrase());
    } else {
      await kn.unlock(await askPassphrase());
    }
  } catch (e) {
    await kn.stop();
    throw e;
  }
  return kn;
}

async function main(argv: string[]): Promise<number> {
  let dir = process.env.KEYNODE_DIR ?? path.join(homedir(), '.keynode');
  let signalingUrl = process.env.KEYNODE_SIGNALING;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dir') dir = argv[++i] ?? dir;
    else if (argv[i] === '--signaling') signalingUrl = argv[++i];
    else if (argv[i] === '--help' || argv[i] === '-h') rest.push('help');
    else rest.push(argv[i]!);
  }
  const [command, sub, ...args] = rest;
  if (command === undefined || command === 'help') {
    console.log(usage);
    return command === undefined ? 64 : 0;
  }
  const options: Parameters<typeof createKeynode>[0] = { storage: { dir } };
  if (signalingUrl !== undefined) options.signalingUrl = signalingUrl;
  const kn = await openUnlocked(options);
  try {
    if (kn.recoveryCode !== undefined) {
      console.error(`Created keynode ${kn.nodeId} in ${dir}.\nRecovery code (shown once, keep it safe):\n${kn.recoveryCode}\n`);
    }
    if (command === 'serve') {
      if (signalingUrl === undefined) throw new UsageError('serve needs --signaling URL');
      console.error(`keynode ${kn.nodeId} is online at ${signalingUrl}; Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return 0;
    }
    await run(kn, command, sub, args);
    return 0;
  } catch (e) {
    console.error(isKeynodeError(e) ? `${e.code}: ${e.message}` : e instanceof UsageError ? e.message : String(e));
    return exitCode(e);
  } finally {
    await kn.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isKeynodeError(e) ? `${e.code}: ${e.message}` : String(e));
    process.exit(exitCode(e));
  },
);
