// Benchmark: the signaling server under load. The server runs in its own process (this file, forked
// with KEYNODE_BENCH_ROLE=signaling), started with its default limits; this process holds many
// logged-in clients (real SignalingClients: a fresh Ed25519 identity each, the real signed-challenge
// login over ws://127.0.0.1). Clients are paired and send `signal` messages (ICE-candidate sized) to
// their partner at a fixed rate for a bounded time; the report gives login latency, relayed messages
// per second and relay latency percentiles, with the server's CPU. Loopback only, bounded in clients,
// messages and time; every client is closed at the end.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { encodeNodeId, randomBytes, type NodeId } from '../src/ids/index.js';
import { keyPairFromSeed, sign } from '../src/keys/crypto.js';
import { SignalingClient } from '../src/network/signaling-client.js';
import { startSignalingServer } from '../signaling-server/src/index.js';
import { fmtMs, percentile, selfCpu, sleep, table, type BenchOptions, type Section } from './fixtures.js';

// ---- the server process --------------------------------------------------------------------------

async function serverMain(): Promise<void> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  process.on('message', (m: { cmd: 'usage' | 'stop' }) => {
    if (m.cmd === 'usage') process.send!({ cpuMs: selfCpu(), rssBytes: process.memoryUsage().rss });
    else void server.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ url: server.url });
}

if (process.env.KEYNODE_BENCH_ROLE === 'signaling') await serverMain();

// ---- the load ------------------------------------------------------------------------------------

interface Phase {
  clients: number;
  loginMs: number[];
  loginWallMs: number;
  ratePerClient: number;
  seconds: number;
  /** From the first send to the last receipt (at least the sending time). */
  relaySeconds: number;
  sent: number;
  received: number;
  errors: number;
  latencies: number[];
  serverCpuPct: number;
  clientCpuPct: number;
  serverRssMb: number;
}

const PAYLOAD = `candidate:842163049 1 udp 1677729535 127.0.0.1 50523 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag ${'x'.repeat(120)}`;

async function phase(url: string, usage: () => Promise<{ cpuMs: number; rssBytes: number }>, clients: number, ratePerClient: number, seconds: number): Promise<Phase> {
  // Identities first (not part of the measured login).
  const ids = await Promise.all(
    Array.from({ length: clients }, async () => {
      const pair = await keyPairFromSeed(randomBytes(32));
      return { nodeId: encodeNodeId(pair.publicKey), sign: (b: Uint8Array) => sign(pair.privateKey, b) };
    }),
  );
  const latencies: number[] = [];
  let received = 0;
  let lastReceipt = 0;
  let errors = 0;
  const list = ids.map((id) => new SignalingClient({ url, nodeId: id.nodeId, sign: id.sign, WebSocket: WebSocket as never, backoff: { initialMs: 1000, maxMs: 5000 } }));
  for (const c of list) {
    c.on('signal', ({ data }) => {
      received += 1;
      lastReceipt = performance.now();
      latencies.push(lastReceipt - (data as { t: number }).t);
    });
    c.on('error', () => (errors += 1));
    c.on('peer-offline', () => (errors += 1));
  }
  // Everyone logs in at once: the server checks one signature per login.
  const loginStart = performance.now();
  const loginMs = await Promise.all(
    list.map(async (c) => {
      const t = performance.now();
      await c.connect();
      return performance.now() - t;
    }),
  );
  const loginWallMs = performance.now() - loginStart;
  // Pairs: i talks to i + clients/2 and back; a tick every 100 ms sends rate/10 messages per client.
  const half = Math.floor(clients / 2);
  const partner = (i: number): NodeId => ids[i < half ? i + half : i - half]!.nodeId;
  const perTick = ratePerClient / 10;
  let sent = 0;
  let carry = 0;
  const u0 = await usage();
  const c0 = selfCpu();
  const t0 = performance.now();
  for (let tick = 0; tick < seconds * 10; tick++) {
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < half * 2; i++) {
        try {
          list[i]!.sendSignal(partner(i), { t: performance.now(), seq: sent, candidate: PAYLOAD });
          sent += 1;
        } catch {
          errors += 1;
        }
      }
    }
    const next = t0 + (tick + 1) * 100;
    await sleep(Math.max(0, next - performance.now()));
  }
  // Let the last messages arrive (bounded).
  const drainUntil = performance.now() + 3000;
  while (received < sent && performance.now() < drainUntil) await sleep(20);
  const elapsed = (performance.now() - t0) / 1000;
  const relaySeconds = (Math.max(lastReceipt, t0 + seconds * 1000) - t0) / 1000;
  const u1 = await usage();
  const clientCpu = selfCpu() - c0;
  await Promise.all(list.map((c) => c.close()));
  return {
    clients,
    loginMs,
    loginWallMs,
    ratePerClient,
    seconds,
    relaySeconds,
    sent,
    received,
    errors,
    latencies: latencies.sort((a, b) => a - b),
    serverCpuPct: ((u1.cpuMs - u0.cpuMs) / (elapsed * 1000)) * 100,
    clientCpuPct: (clientCpu / (elapsed * 1000)) * 100,
    serverRssMb: u1.rssBytes / 1e6,
  };
}

export async function runSignalingLoad(opts: BenchOptions): Promise<Section> {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, KEYNODE_BENCH_ROLE: 'signaling' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`the signaling server process exited (${code})`)));
  });
  const usage = () =>
    new Promise<{ cpuMs: number; rssBytes: number }>((resolve) => {
      child.once('message', (m: { cpuMs: number; rssBytes: number }) => resolve(m));
      child.send({ cmd: 'usage' });
    });
  const plan: Array<[number, number]> = opts.quick
    ? [[200, 10], [200, 40]]
    : [[200, 10], [200, 40], [500, 10], [500, 40]];
  const seconds = opts.quick ? 3 : 5;
  const phases: Phase[] = [];
  try {
    opts.log('signaling: warm-up (50 clients, 1 s, not reported)…');
    await phase(url, usage, 50, 10, 1);
    for (const [clients, rate] of plan) {
      opts.log(`signaling: ${clients} clients, ${rate} messages/s each, ${seconds} s…`);
      phases.push(await phase(url, usage, clients, rate, seconds));
      await sleep(500);
    }
  } finally {
    child.send({ cmd: 'stop' });
    await new Promise((r) => child.once('exit', r));
  }
  const rows = phases.map((p) => {
    const lg = [...p.loginMs].sort((a, b) => a - b);
    return [
      String(p.clients),
      `${fmtMs(percentile(lg, 50))} / ${fmtMs(percentile(lg, 99))} / ${fmtMs(p.loginWallMs)}`,
      `${p.ratePerClient * p.clients * 1}`,
      `${Math.round(p.received / p.relaySeconds)}`,
      `${p.received} / ${p.sent}${p.errors > 0 ? ` (${p.errors} errors)` : ''}`,
      `${fmtMs(percentile(p.latencies, 50))} / ${fmtMs(percentile(p.latencies, 95))} / ${fmtMs(percentile(p.latencies, 99))} / ${fmtMs(p.latencies[p.latencies.length - 1] ?? NaN)}`,
      `${p.serverCpuPct.toFixed(0)}% / ${p.clientCpuPct.toFixed(0)}%`,
      `${p.serverRssMb.toFixed(0)} MB`,
    ];
  });
  return {
    title: 'Signaling server under load (server process alone, default limits; clients in the bench process)',
    lines: [
      `Each phase: N clients log in at once (signed challenge), then pairs exchange \`signal\` messages of ~${PAYLOAD.length + 60} B for ${seconds} s at a fixed rate per client (under the default 50/s per-connection limit).`,
      'Latency = send() in one client to the `signal` event in its partner (same process, same clock), so it includes both ends\' WebSocket and JSON work. CPU is % of one core over the phase.',
      '',
      ...table(
        ['clients', 'login p50 / p99 / all logged in', 'offered msg/s', 'relayed msg/s', 'delivered / sent', 'relay latency p50 / p95 / p99 / max', 'CPU server / clients', 'server RSS'],
        rows,
      ),
    ],
  };
}
