// Chooses the stores behind the server. Only the in-memory store exists in this build: with no
// Redis client package installed, a `redisUrl` is refused loudly rather than silently ignored.
import { KeynodeError } from '../../../src/errors.js';
import type { Limits } from '../limits.js';
import type { MailboxStore } from './mailbox-store.js';
import { MemoryMailboxStore } from './memory-mailbox-store.js';

export type { MailboxStore, MailboxPutResult, MailboxRefusal } from './mailbox-store.js';

export function openMailboxStore(opts: { redisUrl?: string; limits: Limits; clock: () => number }): MailboxStore {
  if (opts.redisUrl !== undefined) {
    throw new KeynodeError(
      'ErrorInvalidArgument',
      'redisUrl is not supported in this build: no Redis client is installed, so the signaling server runs as a single instance. Start it without redisUrl.',
    );
  }
  return new MemoryMailboxStore(opts.limits, opts.clock);
}
