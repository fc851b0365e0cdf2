// Chooses the stores behind the server: in this process's memory (one instance), or in Redis
// (any number of instances sharing one deployment; mailboxes then survive restarts).
import type { Limits } from '../limits.js';
import type { MailboxStore } from './mailbox-store.js';
import { MemoryMailboxStore } from './memory-mailbox-store.js';
import { RedisMailboxStore } from './redis-mailbox-store.js';
import type { RedisLink } from './redis-link.js';

export type { MailboxStore, MailboxPutResult, MailboxRefusal } from './mailbox-store.js';

export function openMailboxStore(opts: { redis?: RedisLink; limits: Limits; clock: () => number }): MailboxStore {
  if (opts.redis !== undefined) return new RedisMailboxStore(opts.redis, opts.limits, opts.clock);
  return new MemoryMailboxStore(opts.limits, opts.clock);
}
