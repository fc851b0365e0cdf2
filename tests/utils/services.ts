// Real redis-server and coturn processes for tests: each on random loopback ports, with its data
// and log in a fresh temporary directory, stopped and removed by `stop()`. A missing binary fails
// the test with the package to install: these tests are never skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function requireBinary(binary: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${binary} is not installed; these tests need a real one: apt-get install ${debianPackage} (.ci/run does this).`);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends PING over plain RESP and expects PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  /** The running process's id (undefined while killed). */
  pid(): number | undefined;
  /** Kills it at once (SIGKILL): no shutdown save, as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data directory (append-only file). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** A redis-server with persistence on: every write is in the append-only file before it is acknowledged. */
export async function startRedis(): Promise<RedisProcess> {
  requireBinary('redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'keynode-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    const running = child;
    await waitUntil(async () => {
      if (running.exitCode !== null) throw new Error(`redis-server exited with ${running.exitCode}; see ${join(dir, 'redis.log')}`);
      return redisPing(port);
    }, `redis-server on port ${port}`);
  };
  await launch();
  const kill = async (): Promise<void> => {
    if (child === undefined) return;
    const c = child;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child?.pid,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TurnProcess {
  /** The turn: URL keynodes dial (UDP). */
  url: string;
  secret: string;
  /** coturn's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** coturn on loopback, with the use-auth-secret scheme, relaying between loopback addresses. */
export async function startTurn(): Promise<TurnProcess> {
  requireBinary('turnserver', 'coturn');
  const dir = mkdtempSync(join(tmpdir(), 'keynode-turn-'));
  const port = await freePort();
  const minPort = 40_000 + Math.floor(Math.random() * 20_000);
  const secret = `test-secret-${Math.random().toString(36).slice(2)}`;
  const logFile = join(dir, 'turn.log');
  const child = spawn(
    'turnserver',
    [
      '-n',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${minPort + 200}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=keynode.test',
      '--allow-loopback-peers',
      '--simple-log',
      `--log-file=${logFile}`,
      `--pidfile=${join(dir, 'turn.pid')}`,
      '--no-stdout-log',
      '--verbose',
    ],
    { stdio: 'ignore' },
  );
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}; see ${logFile}`);
    return /UDP listener opened/i.test(log());
  }, `turnserver on port ${port}`);
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    log,
    stop: async () => {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited(child).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited(child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one command on a test Redis, e.g. `redisCommand(url, 'GET', key)`. */
export async function redisCommand(url: string, command: string, ...args: string[]): Promise<unknown> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** Empties a test Redis between cases. */
export async function flushRedis(url: string): Promise<void> {
  await redisCommand(url, 'FLUSHALL');
}
