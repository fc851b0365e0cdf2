// Opening the keynode in DIR for a command: unlocked with its passphrase (a new folder gets a new
// keynode and a new passphrase), or restored from a recovery code into an empty folder. The library
// is imported here, on demand, so that --help, --version and usage errors start fast.
import { readdir } from 'node:fs/promises';
import { KeynodeError, isKeynodeError } from '../errors.js';
import type { CreateKeynodeOptions, Keynode } from '../index.js';
import { LOCK_FILE } from '../platform/dir-lock.js';
import { askNewPassphrase, askPassphrase, askRecoveryCode } from './passphrase.js';

/** createKeynode, tried again while another process holds DIR, for up to `waitMs`. */
async function create(options: CreateKeynodeOptions, waitMs: number): Promise<Keynode> {
  const { createKeynode } = await import('../index.js');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await createKeynode(options);
    } catch (e) {
      const left = deadline - Date.now();
      if (!isKeynodeError(e, 'ErrorStorageInUse') || left <= 0) throw e; // DIR is held by another process (dir-lock.ts)
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, left)));
    }
  }
}

/**
 * The keynode in DIR, unlocked: a new one is created with a new passphrase; an existing one (or
 * one an earlier version stored unencrypted, which is encrypted now) is opened with its own.
 */
export async function openUnlocked(options: CreateKeynodeOptions, waitMs: number): Promise<Keynode> {
  let kn: Keynode;
  try {
    kn = await create(options, waitMs);
  } catch (e) {
    if (!isKeynodeError(e, 'ErrorKeynodeLocked')) throw e;
    return create({ ...options, passphrase: await askNewPassphrase() }, waitMs);
  }
  const state = await kn.lockState();
  if (!state.locked) return kn;
  try {
    if (!state.encrypted) console.error('An earlier version of keynode stored this keynode unencrypted; choose a passphrase to encrypt it now.');
    await kn.unlock(await (state.encrypted ? askPassphrase() : askNewPassphrase()));
  } catch (e) {
    await kn.stop();
    throw e;
  }
  return kn;
}

/** A keynode rebuilt from its recovery code in an empty (or missing) DIR, under a new passphrase. */
export async function openRestored(options: CreateKeynodeOptions, dir: string, waitMs: number): Promise<Keynode> {
  let entries: string[] = [];
  try {
    entries = (await readdir(dir)).filter((name) => name !== LOCK_FILE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (entries.length > 0) {
    throw new KeynodeError(
      'ErrorInvalidArgument',
      `${dir} is not empty: a keynode is restored only into an empty folder (choose another with --dir), so that nothing there is replaced.`,
    );
  }
  const recoveryCode = await askRecoveryCode();
  return create({ ...options, recoveryCode, passphrase: await askNewPassphrase() }, waitMs);
}
