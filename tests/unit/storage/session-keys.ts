// One unlocked session's keys for storage tests, made once per test file (Argon2 takes a while).
import { createKeyring, type SessionKeys } from '../../../src/keys/keyring.js';

let made: Promise<SessionKeys> | undefined;

export function testSessionKeys(): Promise<SessionKeys> {
  made ??= createKeyring({ nodeId: 'v-test', passphrase: 'a test passphrase', seed: new Uint8Array(32).fill(7), autoLockMs: null }).then((k) => k.keys);
  return made;
}
