// One instance's connections to Redis: one for commands and Lua scripts, one for pub/sub (a
// subscribed connection can send nothing else). Both reconnect by themselves. While either is down
// the instance is "unavailable": commands fail at once instead of queueing (a queue would grow
// without bound and replay stale writes later), and the server closes its sessions so keynodes
// reconnect once Redis is back. Every error event is handled here: an unhandled one would only be
// printed, but a dropped connection must never crash the instance.
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { SignalingServerError } from '../errors.js';

/** How long startSignalingServer waits for Redis before refusing to start. */
const CONNECT_TIMEOUT_MS = 5000;
/** Reconnect delays grow by this much per attempt, up to the ceiling. */
const RETRY_STEP_MS = 100;
const RETRY_MAX_MS = 2000;
/** A command Redis has not answered by then fails (as unavailable): a stalled Redis must not pile up work. */
const COMMAND_TIMEOUT_MS = 3000;

/** The Redis URL without credentials, so it can be shown in errors and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

export function unavailable(cause?: unknown): SignalingServerError {
  return new SignalingServerError('ErrorSignalingUnavailable', 'The signaling server cannot reach its Redis store right now; reconnect in a moment.', {
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A Lua script run by its SHA1, sent in full only when Redis does not know it (after a restart). */
export class Script {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, 0, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return await redis.eval(this.lua, 0, ...args);
    }
  }
}

export class RedisLink {
  /** Key prefix shared by every instance of one deployment. */
  readonly prefix = 'keynode:';
  private readonly ready = { cmd: false, sub: false };
  private readonly listeners = new Set<(up: boolean) => void>();
  private messageListener: ((channel: string, message: Buffer) => void) | undefined;
  private wasUp = false;
  private closed = false;
  /** The last error either connection reported, for a refusal to start. */
  private lastError = '';

  private constructor(
    readonly cmd: Redis,
    readonly sub: Redis,
    readonly where: string,
  ) {
    for (const [name, client] of [
      ['cmd', cmd],
      ['sub', sub],
    ] as const) {
      client.on('error', (e: Error) => (this.lastError = e.message));
      client.on('ready', () => this.set(name, true));
      client.on('close', () => this.set(name, false));
      client.on('end', () => this.set(name, false));
    }
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.messageListener?.(channel.toString('latin1'), message));
  }

  /** Connects both, or throws a clear error if Redis cannot be reached within a few seconds. */
  static async open(url: string): Promise<RedisLink> {
    const where = redactRedisUrl(url);
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      keepAlive: 10_000,
      retryStrategy: (times) => Math.min(times * RETRY_STEP_MS, RETRY_MAX_MS),
    };
    let link: RedisLink;
    try {
      link = new RedisLink(new Redis(url, options), new Redis(url, options), where);
    } catch (e) {
      throw new SignalingServerError('ErrorInvalidArgument', `redisUrl "${where}" is not a Redis URL.`, { cause: e });
    }
    const connected = Promise.all([link.cmd.connect(), link.sub.connect()]);
    connected.catch(() => undefined);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CONNECT_TIMEOUT_MS).unref());
    const outcome = await Promise.race([
      connected.then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
      timeout,
    ]);
    if (outcome !== 'ok' || !link.up) {
      const why = link.lastError;
      await link.close();
      throw new SignalingServerError(
        'ErrorSignalingUnavailable',
        `The signaling server cannot reach Redis at ${where}${why ? ` (${why})` : ''}; is redis-server running?`,
      );
    }
    return link;
  }

  /** Both connections are ready. */
  get up(): boolean {
    return this.ready.cmd && this.ready.sub && !this.closed;
  }

  /** Called with false when either connection drops, and with true once both are back. */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** Subscribes to `channels` (again after every reconnect) and hands their messages to `listener`. */
  async subscribe(channels: string[], listener: (channel: string, message: Buffer) => void): Promise<void> {
    this.messageListener = listener;
    await this.sub.subscribe(...channels);
  }

  /** Fails fast with a stable code while Redis is unreachable. */
  async call<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    if (!this.up) throw unavailable();
    try {
      return await fn(this.cmd);
    } catch (e) {
      throw unavailable(e);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  private set(name: 'cmd' | 'sub', ready: boolean): void {
    this.ready[name] = ready;
    const up = this.up;
    if (up === this.wasUp || this.closed) return;
    this.wasUp = up;
    for (const listener of this.listeners) listener(up);
  }
}
