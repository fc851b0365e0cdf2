// Who is logged in where, for every instance of a deployment, in Redis:
//   on:<nodeId>   "<instance>/<connection>" of its one current connection (expires unless refreshed)
//   al:<nodeId>   the NodeIds that may learn its presence: its contacts and those it signalled
// and the two kinds of pub/sub channel: `presence` (a NodeId whose presence or audience changed;
// every instance re-checks its own watchers of it) and `i:<instance>` (relays and answers for that
// instance's connections). Each change is one script, so it is atomic with the news it publishes:
// a login claims the NodeId, tells the instance holding the previous connection to close it, then
// announces the change, in that order.
import { isNodeId, type NodeId } from '../../../protocol/node-id.js';
import { Script, type RedisLink } from './redis-link.js';

/** "<instance>/<connection>": 1–32 base64url characters each, as this server makes them. */
export const OWNER_PATTERN = /^[A-Za-z0-9_-]{1,32}\/[A-Za-z0-9_-]{1,32}$/;

const CLAIM = new Script(`
local P, S, owner, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local old = redis.call('GET', P .. 'on:' .. S)
redis.call('SET', P .. 'on:' .. S, owner, 'PX', ttl)
redis.call('DEL', P .. 'al:' .. S)
for i = 5, #ARGV, 100 do redis.call('SADD', P .. 'al:' .. S, unpack(ARGV, i, math.min(i + 99, #ARGV))) end
redis.call('PEXPIRE', P .. 'al:' .. S, ttl)
if old and old ~= owner then
  local instance = string.match(old, '^([^/]+)/')
  if instance then redis.call('PUBLISH', P .. 'i:' .. instance, cjson.encode({ k = 'replace', n = S, c = old })) end
end
redis.call('PUBLISH', P .. 'presence', S)
return old
`);

const RELEASE = new Script(`
local P, S, owner = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. S) ~= owner then return 0 end
redis.call('DEL', P .. 'on:' .. S, P .. 'al:' .. S)
redis.call('PUBLISH', P .. 'presence', S)
return 1
`);

const ALLOW = new Script(`
local P, S, owner = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'on:' .. S) ~= owner then return 0 end
local ttl = redis.call('PTTL', P .. 'on:' .. S)
redis.call('DEL', P .. 'al:' .. S)
for i = 4, #ARGV, 100 do redis.call('SADD', P .. 'al:' .. S, unpack(ARGV, i, math.min(i + 99, #ARGV))) end
if ttl > 0 then redis.call('PEXPIRE', P .. 'al:' .. S, ttl) end
redis.call('PUBLISH', P .. 'presence', S)
return 1
`);

// One NodeId more may watch S (and perhaps one less: the oldest it signalled, if not a contact).
const ADD_ALLOWED = new Script(`
local P, S, owner, add, remove = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('GET', P .. 'on:' .. S) ~= owner then return 0 end
redis.call('SADD', P .. 'al:' .. S, add)
if remove ~= '' then redis.call('SREM', P .. 'al:' .. S, remove) end
local ttl = redis.call('PTTL', P .. 'on:' .. S)
if ttl > 0 then redis.call('PEXPIRE', P .. 'al:' .. S, ttl) end
redis.call('PUBLISH', P .. 'presence', S)
return 1
`);

const REFRESH = new Script(`
local P, ttl = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  if redis.call('GET', P .. 'on:' .. ARGV[i]) == ARGV[i + 1] then
    redis.call('PEXPIRE', P .. 'on:' .. ARGV[i], ttl)
    redis.call('PEXPIRE', P .. 'al:' .. ARGV[i], ttl)
  end
end
return 0
`);

const REFRESH_BATCH = 500;

export class RedisPresence {
  constructor(
    private readonly link: RedisLink,
    /** How long a login stays visible without a refresh: a crashed instance's nodes fade after this. */
    private readonly ttlMs: number,
  ) {}

  get presenceChannel(): string {
    return `${this.link.prefix}presence`;
  }

  instanceChannel(instance: string): string {
    return `${this.link.prefix}i:${instance}`;
  }

  /** Makes `owner` the connection of `nodeId`, with who may watch it; the previous one is told to close. */
  async claim(nodeId: NodeId, owner: string, allowed: readonly NodeId[]): Promise<void> {
    await this.link.call((r) => CLAIM.run(r, [this.link.prefix, nodeId, owner, this.ttlMs, ...allowed]));
  }

  /** Forgets `owner` as the connection of `nodeId` (if it still is). */
  async release(nodeId: NodeId, owner: string): Promise<void> {
    await this.link.call((r) => RELEASE.run(r, [this.link.prefix, nodeId, owner]));
  }

  /** Replaces who may watch `nodeId`, if `owner` is still its connection. */
  async allow(nodeId: NodeId, owner: string, allowed: readonly NodeId[]): Promise<void> {
    await this.link.call((r) => ALLOW.run(r, [this.link.prefix, nodeId, owner, ...allowed]));
  }

  /** Lets `add` watch `nodeId` (and `remove` no more), if `owner` is still its connection. */
  async addAllowed(nodeId: NodeId, owner: string, add: NodeId, remove: NodeId | undefined): Promise<void> {
    await this.link.call((r) => ADD_ALLOWED.run(r, [this.link.prefix, nodeId, owner, add, remove ?? '']));
  }

  /** Keeps these logins visible for another TTL. */
  async refresh(logins: ReadonlyArray<readonly [NodeId, string]>): Promise<void> {
    for (let i = 0; i < logins.length; i += REFRESH_BATCH) {
      const args = logins.slice(i, i + REFRESH_BATCH).flat();
      await this.link.call((r) => REFRESH.run(r, [this.link.prefix, this.ttlMs, ...args]));
    }
  }

  /** The connection `nodeId` is logged in on, if any (anything malformed reads as none). */
  async owner(nodeId: NodeId): Promise<string | undefined> {
    const owner = await this.link.call((r) => r.get(`${this.link.prefix}on:${nodeId}`));
    return typeof owner === 'string' && OWNER_PATTERN.test(owner) ? owner : undefined;
  }

  /** Whether `nodeId` is online, and for each of `watchers` whether it may know. */
  async state(nodeId: NodeId, watchers: readonly NodeId[]): Promise<{ online: boolean; allowed: boolean[] }> {
    const replies = await this.link.call((r) =>
      r
        .multi()
        .get(`${this.link.prefix}on:${nodeId}`)
        .smismember(`${this.link.prefix}al:${nodeId}`, ...watchers)
        .exec(),
    );
    const owner = replies?.[0]?.[1];
    const flags = replies?.[1]?.[1];
    const online = typeof owner === 'string' && OWNER_PATTERN.test(owner);
    const allowed = watchers.map((_, i) => Array.isArray(flags) && flags[i] === 1);
    return { online, allowed };
  }

  /** Sends `message` to an instance; the number of instances that heard it (0: that instance is gone). */
  async publish(instance: string, message: unknown): Promise<number> {
    return this.link.call((r) => r.publish(this.instanceChannel(instance), JSON.stringify(message)));
  }
}

/** A presence announcement: just a NodeId. */
export function parsePresence(message: Buffer): NodeId | undefined {
  if (message.length > 64) return undefined;
  const id = message.toString('latin1');
  return isNodeId(id) ? id : undefined;
}
