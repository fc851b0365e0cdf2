// Mailboxes and contact lists in Redis, shared by every instance of a deployment and kept across
// restarts (with Redis persistence on). The same quotas as the memory store (memory-mailbox-store.ts
// explains why each exists), decided inside Lua scripts: a put's checks and its insert run as one
// atomic step, so two instances can never both squeeze an item into the last free slot.
//
// Layout (under the link's prefix):
//   mb:<to>      list of entries, oldest first: {"x":stranger,"i":id,"f":from,"t":token,"a":at,"s":bytes,"o":source}
//   mb:due       sorted set: recipient -> time of its oldest item (what the sweep looks at)
//   mb:src       hash: source address -> bytes it has waiting in all mailboxes
//   mb:tot       hash: "all" and "strangers" -> bytes waiting
//   ct:l:<owner> set of the owner's contacts
//   ct:at        sorted set: owner -> when its list was set;  ct:s:<source> the same per source
//   ct:meta      hash: owner -> "<source>\t<count>";  ct:n hash: source -> NodeIds listed;  ct:total
// Scripts name their keys themselves, so this needs one Redis (with replicas or Sentinel if wanted),
// not Redis Cluster.
//
// Everything read back is bounded and checked again: a Redis that someone else can write to must
// not make this server allocate without limit or hand a malformed item to a keynode.
import * as v from 'valibot';
import { isNodeId, type NodeId } from '../../../protocol/node-id.js';
import type { Limits } from '../limits.js';
import { MailboxItemSchema, type MailboxItem } from '../../../protocol/signaling.js';
import type { MailboxPutResult, MailboxRefusal, MailboxStore } from './mailbox-store.js';
import { Script, type RedisLink } from './redis-link.js';

/** How many boxes and contact lists one sweep step handles; the sweep repeats while it finds more. */
const SWEEP_BATCH = 200;
const SWEEP_ROUNDS = 50;

const PRELUDE = `
local P = ARGV[1]
local function uncount(e)
  local left = redis.call('HINCRBY', P .. 'mb:src', e.o, -e.s)
  if left <= 0 then redis.call('HDEL', P .. 'mb:src', e.o) end
  redis.call('HINCRBY', P .. 'mb:tot', 'all', -e.s)
  if e.x == 1 then redis.call('HINCRBY', P .. 'mb:tot', 'strangers', -e.s) end
end
local function count(e)
  redis.call('HINCRBY', P .. 'mb:src', e.o, e.s)
  redis.call('HINCRBY', P .. 'mb:tot', 'all', e.s)
  if e.x == 1 then redis.call('HINCRBY', P .. 'mb:tot', 'strangers', e.s) end
end
-- Rewrites a box with the raw entries kept, and its place in the sweep order.
local function store(to, kept, entries)
  local key = P .. 'mb:' .. to
  redis.call('DEL', key)
  if #kept == 0 then
    redis.call('ZREM', P .. 'mb:due', to)
    return
  end
  local oldest = entries[1].a
  for _, e in ipairs(entries) do if e.a < oldest then oldest = e.a end end
  for i = 1, #kept, 100 do redis.call('RPUSH', key, unpack(kept, i, math.min(i + 99, #kept))) end
  redis.call('ZADD', P .. 'mb:due', oldest, to)
end
-- The box's entries that keep() accepts; the others are dropped and their bytes given back.
local function load(to, keep)
  local raws = redis.call('LRANGE', P .. 'mb:' .. to, 0, -1)
  local entries, kept, changed = {}, {}, false
  for _, raw in ipairs(raws) do
    local ok, e = pcall(cjson.decode, raw)
    -- Something this server did not write (a corrupted or hostile entry) is dropped, not trusted.
    if not (ok and type(e) == 'table' and type(e.a) == 'number' and type(e.s) == 'number' and type(e.o) == 'string'
        and type(e.f) == 'string' and type(e.i) == 'string') then
      changed = true
    elseif keep(e) then
      entries[#entries + 1] = e
      kept[#kept + 1] = raw
    else
      uncount(e)
      changed = true
    end
  end
  if changed then store(to, kept, entries) end
  return entries, kept
end
local function unexpired(now, ttl)
  return function(e) return e.a > now - ttl end
end
local function ctRemove(owner)
  local meta = redis.call('HGET', P .. 'ct:meta', owner)
  if not meta then return end
  local tab = string.find(meta, '\\t', 1, true)
  local src = string.sub(meta, 1, tab - 1)
  local n = tonumber(string.sub(meta, tab + 1))
  redis.call('DEL', P .. 'ct:l:' .. owner)
  redis.call('HDEL', P .. 'ct:meta', owner)
  redis.call('ZREM', P .. 'ct:at', owner)
  redis.call('ZREM', P .. 'ct:s:' .. src, owner)
  if redis.call('HINCRBY', P .. 'ct:n', src, -n) <= 0 then redis.call('HDEL', P .. 'ct:n', src) end
  redis.call('DECRBY', P .. 'ct:total', n)
end
-- Whether owner has a contact list that has not expired (an expired one is forgotten here).
local function ctLive(owner, now, ttl)
  local at = redis.call('ZSCORE', P .. 'ct:at', owner)
  if not at then return false end
  if tonumber(at) <= now - ttl then
    ctRemove(owner)
    return false
  end
  return true
end
`;

// ARGV: prefix, to, from, source, entry JSON without its opening brace, bytes, now, ttl, then the bounds.
const PUT = new Script(`${PRELUDE}
local to, from, source, rest = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local size, now, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local senderItems, senderBytes, strangerItems, strangerBytes = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local maxItems, maxBytes, sourceBytes, strangerTotal, total = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
local entries = load(to, unexpired(now, ttl))
local stranger = not (ctLive(to, now, ttl) and redis.call('SISMEMBER', P .. 'ct:l:' .. to, from) == 1)
local function fits(items, bytes, mi, mb) return items + 1 <= mi and bytes + size <= mb end
local function tally(pick)
  local items, bytes = 0, 0
  for _, e in ipairs(entries) do if pick(e) then items = items + 1; bytes = bytes + e.s end end
  return items, bytes
end
local i, b = tally(function(e) return e.f == from end)
if not fits(i, b, senderItems, senderBytes) then return 'sender' end
if stranger then
  i, b = tally(function(e) return e.x == 1 and e.o == source end)
  if not fits(i, b, senderItems, senderBytes) then return 'source' end
  i, b = tally(function(e) return e.x == 1 end)
  if not fits(i, b, strangerItems, strangerBytes) then return 'strangers' end
end
i, b = tally(function(e) return true end)
if i + 1 > maxItems then return 'count' end
if b + size > maxBytes then return 'bytes' end
if tonumber(redis.call('HGET', P .. 'mb:src', source) or '0') + size > sourceBytes then return 'source-total' end
if stranger and tonumber(redis.call('HGET', P .. 'mb:tot', 'strangers') or '0') + size > strangerTotal then return 'strangers-total' end
if tonumber(redis.call('HGET', P .. 'mb:tot', 'all') or '0') + size > total then return 'total' end
local x = stranger and 1 or 0
redis.call('RPUSH', P .. 'mb:' .. to, '{"x":' .. x .. ',' .. rest)
count({ x = x, o = source, s = size })
redis.call('ZADD', P .. 'mb:due', 'LT', now, to)
return 'ok'
`);

// ARGV: prefix, to, now, ttl, most items returned
const LIST = new Script(`${PRELUDE}
local _, kept = load(ARGV[2], unexpired(tonumber(ARGV[3]), tonumber(ARGV[4])))
local out = {}
for i = 1, math.min(#kept, tonumber(ARGV[5])) do out[i] = kept[i] end
return out
`);

// ARGV: prefix, to, ids...
const ACK = new Script(`${PRELUDE}
local gone = {}
for i = 3, #ARGV do gone[ARGV[i]] = true end
local before = redis.call('LLEN', P .. 'mb:' .. ARGV[2])
local entries = load(ARGV[2], function(e) return not gone[e.i] end)
return before - #entries
`);

// ARGV: prefix, owner, source, now, per-source NodeIds, total NodeIds, contacts...
const SET_CONTACTS = new Script(`${PRELUDE}
local owner, source, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local sourceMax, totalMax = tonumber(ARGV[5]), tonumber(ARGV[6])
ctRemove(owner)
if #ARGV < 7 then return 0 end
for i = 7, #ARGV, 100 do redis.call('SADD', P .. 'ct:l:' .. owner, unpack(ARGV, i, math.min(i + 99, #ARGV))) end
local n = redis.call('SCARD', P .. 'ct:l:' .. owner)
redis.call('HSET', P .. 'ct:meta', owner, source .. '\\t' .. n)
redis.call('ZADD', P .. 'ct:at', now, owner)
redis.call('ZADD', P .. 'ct:s:' .. source, now, owner)
redis.call('HINCRBY', P .. 'ct:n', source, n)
redis.call('INCRBY', P .. 'ct:total', n)
-- Over a bound, the oldest lists go first: the source's own, then anyone's.
local function evict(order, over)
  while over() do
    local oldest = redis.call('ZRANGE', order, 0, 1)
    local victim = oldest[1]
    if victim == owner then victim = oldest[2] end
    if not victim then return end
    ctRemove(victim)
  end
end
evict(P .. 'ct:s:' .. source, function() return tonumber(redis.call('HGET', P .. 'ct:n', source) or '0') > sourceMax end)
evict(P .. 'ct:at', function() return tonumber(redis.call('GET', P .. 'ct:total') or '0') > totalMax end)
return n
`);

// ARGV: prefix, owner, now, ttl
const CONTACTS = new Script(`${PRELUDE}
if not ctLive(ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])) then return {} end
return redis.call('SMEMBERS', P .. 'ct:l:' .. ARGV[2])
`);

// ARGV: prefix, now, ttl, batch. Returns how many boxes and lists it looked at.
const SWEEP = new Script(`${PRELUDE}
local now, ttl, batch = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local boxes = redis.call('ZRANGEBYSCORE', P .. 'mb:due', '-inf', now - ttl, 'LIMIT', 0, batch)
for _, to in ipairs(boxes) do load(to, unexpired(now, ttl)) end
local lists = redis.call('ZRANGEBYSCORE', P .. 'ct:at', '-inf', now - ttl, 'LIMIT', 0, batch)
for _, owner in ipairs(lists) do ctRemove(owner) end
return #boxes + #lists
`);

const EntrySchema = v.object({ i: v.string(), f: v.string(), t: v.string(), a: v.number() });

export class RedisMailboxStore implements MailboxStore {
  /** Longest entry read back that can be genuine: the largest token, JSON-escaped, plus the fields. */
  private readonly maxEntryChars: number;

  constructor(
    private readonly link: RedisLink,
    private readonly limits: Limits,
    private readonly clock: () => number = Date.now,
  ) {
    this.maxEntryChars = limits.maxTokenBytes * 6 + 1024;
  }

  async put(to: NodeId, item: MailboxItem, source: string): Promise<MailboxPutResult> {
    const l = this.limits;
    const size = Buffer.byteLength(item.token, 'utf8');
    const rest = JSON.stringify({ i: item.id, f: item.from, t: item.token, a: item.at, s: size, o: source }).slice(1);
    const result = await this.link.call((r) =>
      PUT.run(r, [
        this.link.prefix,
        to,
        item.from,
        source,
        rest,
        size,
        this.clock(),
        l.mailboxTtlMs,
        l.mailboxSenderItems,
        l.mailboxSenderBytes,
        l.mailboxStrangerItems,
        l.mailboxStrangerBytes,
        l.mailboxMaxItems,
        l.mailboxMaxBytes,
        l.mailboxSourceBytes,
        l.mailboxStrangerTotalBytes,
        l.mailboxTotalBytes,
      ]),
    );
    if (result === 'ok') return { ok: true };
    if (typeof result === 'string' && refusals.has(result)) return { ok: false, reason: result as MailboxRefusal };
    throw new Error('Redis answered a mailbox put with something unexpected.');
  }

  async list(to: NodeId): Promise<MailboxItem[]> {
    const raws = await this.link.call((r) => LIST.run(r, [this.link.prefix, to, this.clock(), this.limits.mailboxTtlMs, this.limits.mailboxMaxItems]));
    if (!Array.isArray(raws)) return [];
    const items: MailboxItem[] = [];
    for (const raw of raws.slice(0, this.limits.mailboxMaxItems)) {
      const item = this.parse(raw);
      if (item !== undefined) items.push(item);
    }
    return items;
  }

  async ack(to: NodeId, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const gone = await this.link.call((r) => ACK.run(r, [this.link.prefix, to, ...ids]));
    return typeof gone === 'number' ? gone : 0;
  }

  async setContacts(owner: NodeId, contacts: readonly NodeId[], source: string): Promise<void> {
    const l = this.limits;
    const unique = [...new Set(contacts)];
    await this.link.call((r) => SET_CONTACTS.run(r, [this.link.prefix, owner, source, this.clock(), l.contactsSourceIds, l.contactsTotalIds, ...unique]));
  }

  async contacts(owner: NodeId): Promise<NodeId[]> {
    const ids = await this.link.call((r) => CONTACTS.run(r, [this.link.prefix, owner, this.clock(), this.limits.mailboxTtlMs]));
    if (!Array.isArray(ids)) return [];
    return ids.slice(0, this.limits.maxContacts).filter((id): id is NodeId => typeof id === 'string' && isNodeId(id));
  }

  async sweep(): Promise<void> {
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const seen = await this.link.call((r) => SWEEP.run(r, [this.link.prefix, this.clock(), this.limits.mailboxTtlMs, SWEEP_BATCH]));
      if (typeof seen !== 'number' || seen < SWEEP_BATCH) return;
    }
  }

  /** The Redis connection belongs to the server, which closes it; the data stays for the other instances. */
  async close(): Promise<void> {}

  /** An entry read back, checked as if a stranger had sent it; undefined if it is not one we wrote. */
  private parse(raw: unknown): MailboxItem | undefined {
    if (typeof raw !== 'string' || raw.length > this.maxEntryChars) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return undefined;
    }
    const entry = v.safeParse(EntrySchema, json);
    if (!entry.success) return undefined;
    const item = v.safeParse(MailboxItemSchema, { id: entry.output.i, from: entry.output.f, token: entry.output.t, at: entry.output.a });
    return item.success && Buffer.byteLength(item.output.token, 'utf8') <= this.limits.maxTokenBytes ? item.output : undefined;
  }
}

const refusals: ReadonlySet<string> = new Set<MailboxRefusal>(['count', 'bytes', 'sender', 'source', 'strangers', 'source-total', 'strangers-total', 'total']);
