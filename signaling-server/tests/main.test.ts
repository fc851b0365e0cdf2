// `npm run signaling` as an operator starts it: configured by environment, including REDIS_URL and
// TURN_URLS / TURN_SECRET, stopped by SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { redisCommand, startRedis, startTurn, type RedisProcess, type TurnProcess } from '../../tests/utils/services.js';
import { loggedIn } from './helpers.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const started: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** Runs main.ts with `env`; resolves with its first line of output, and how to stop it. */
function run(env: Record<string, string>): Promise<{ line: string; code: Promise<number | null> }> {
  const child = spawn(tsx, [main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  started.push({
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await code;
    },
  });
  return new Promise((resolve) => {
    let out = '';
    const take = (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ line: out.split('\n')[0]!, code });
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
  });
}

describe('npm run signaling', () => {
  let redis: RedisProcess | undefined;
  let turn: TurnProcess | undefined;
  afterEach(async () => {
    await Promise.all([redis?.stop(), turn?.stop()]);
    redis = turn = undefined;
  });

  it('takes REDIS_URL, TURN_URLS and TURN_SECRET from the environment', async () => {
    [redis, turn] = await Promise.all([startRedis(), startTurn()]);
    const { line } = await run({ PORT: '0', REDIS_URL: redis.url, TURN_URLS: `${turn.url}, turn:127.0.0.1:1?transport=tcp`, TURN_SECRET: turn.secret });
    expect(line).toMatch(/^keynode signaling server listening on ws:\/\/127\.0\.0\.1:\d+ \(sharing state through Redis\) \(TURN: /);
    const url = /(ws:\/\/\S+)/.exec(line)![1]!;
    const { welcome } = await loggedIn(url);
    expect((welcome.iceServers as RTCIceServer[])[0]).toMatchObject({ urls: [turn.url, 'turn:127.0.0.1:1?transport=tcp'], credential: expect.any(String) });
    // The instance is in Redis: its login is recorded there.
    expect(await redisCommand(redis.url, 'GET', `keynode:on:${welcome.nodeId as string}`)).toEqual(expect.any(String));
  });

  it('refuses TURN_URLS without TURN_SECRET, and an unreachable REDIS_URL, with a sentence and exit code 1', async () => {
    const noSecret = await run({ PORT: '0', TURN_URLS: 'turn:127.0.0.1:3478' });
    expect(noSecret.line).toMatch(/did not start: TURN_URLS is set but TURN_SECRET is not/);
    expect(await noSecret.code).toBe(1);
    const noRedis = await run({ PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(noRedis.line).toMatch(/did not start: The signaling server cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(await noRedis.code).toBe(1);
  });
});
