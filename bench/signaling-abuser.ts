// The abusive client of the signaling benchmark (bench/signaling-load.ts forks this file as its own
// process, so its work competes with the server only for the CPU, as a remote abuser's would not
// at all). From one address (127.0.0.2) it keeps trying to hold far more sockets than the server
// allows one address — logged-in WebSockets with fresh identities and half-open TCP connections —
// and on every logged-in socket floods 60 KB signals at the measured clients as fast as its socket
// takes them, now and then sending a 1 MiB frame instead. Bounded in time by the parent, which
// sends 'stop' and gets the counts back. Loopback only.
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { encodeNodeId, randomBytes } from '../src/ids/index.js';
import { base64urlEncode, keyPairFromSeed, sign } from '../src/keys/crypto.js';
import { loginSignatureInput } from '../protocol/signaling.js';

export const ABUSER_ADDRESS = '127.0.0.2';

export interface AbuseStats {
  attempts: number;
  loggedIn: number;
  refused: number;
  halfOpen: number;
  signals: number;
  hugeFrames: number;
  closedTooLarge: number;
  closedOther: number;
  receiverBusy: number;
  rateLimited: number;
  /** The abuser process's own CPU over its run, in % of one core (it shares the machine's cores). */
  cpuPct: number;
  /** Filled in by the measuring side: how many of its signals the measured clients received. */
  delivered?: number;
}

/** More than the 64 sockets the server allows one address. */
const WEBSOCKETS = 96;
const HALF_OPEN = 32;
const TICK_MS = 20;

async function main(): Promise<void> {
  const { url, victims } = await new Promise<{ url: string; victims: string[] }>((resolve) => process.once('message', resolve));
  const stats: AbuseStats = {
    attempts: 0,
    loggedIn: 0,
    refused: 0,
    halfOpen: 0,
    signals: 0,
    hugeFrames: 0,
    closedTooLarge: 0,
    closedOther: 0,
    receiverBusy: 0,
    rateLimited: 0,
    cpuPct: 0,
  };
  const started = { at: performance.now(), cpu: process.cpuUsage() };
  const { hostname, port } = new URL(url);
  const sockets = new Set<WebSocket>();
  const ready = new Set<WebSocket>();
  const raw = new Set<Socket>();
  // Built once: the abuser spends its CPU on sending, not on building what it sends.
  const pad = JSON.stringify({ pad: 'x'.repeat(60_000) });
  const flood = victims.map((to) => Buffer.from(`{"type":"signal","to":"${to}","data":${pad}}`));
  const huge = Buffer.alloc(1024 * 1024, 'x');

  const openWebSocket = (): void => {
    stats.attempts += 1;
    const ws = new WebSocket(url, { localAddress: ABUSER_ADDRESS });
    sockets.add(ws);
    let opened = false;
    ws.on('open', () => (opened = true));
    // Before the upgrade: refused (HTTP 429/503, or cut without an answer).
    ws.on('error', () => {
      if (!opened) stats.refused += 1;
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; nonce?: string; code?: string };
      if (m.type === 'challenge') {
        // A fresh identity for every socket that gets this far.
        void (async () => {
          const pair = await keyPairFromSeed(randomBytes(32));
          const signature = base64urlEncode(await sign(pair.privateKey, loginSignatureInput(m.nonce!, url)));
          ws.send(JSON.stringify({ type: 'login', nodeId: encodeNodeId(pair.publicKey), signature }));
        })();
      } else if (m.type === 'welcome') {
        stats.loggedIn += 1;
        ready.add(ws);
      } else if (m.code === 'receiver-busy') stats.receiverBusy += 1;
      else if (m.code === 'rate-limited') stats.rateLimited += 1;
    });
    ws.on('close', (code) => {
      if (code === 1009) stats.closedTooLarge += 1;
      else if (ready.has(ws)) stats.closedOther += 1;
      sockets.delete(ws);
      ready.delete(ws);
    });
  };

  const openHalf = (): void => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: ABUSER_ADDRESS });
    stats.halfOpen += 1;
    raw.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => raw.delete(socket));
  };

  const tick = setInterval(() => {
    for (let i = 0; sockets.size < WEBSOCKETS && i < 16; i++) openWebSocket();
    while (raw.size < HALF_OPEN) openHalf();
    for (const ws of ready) {
      if (Math.random() < 0.01) {
        ws.send(huge, { binary: false });
        stats.hugeFrames += 1;
        continue;
      }
      // As fast as the socket takes it: the server decides how fast it reads.
      for (let k = 0; k < 5 && ws.bufferedAmount < 512 * 1024; k++) {
        ws.send(flood[Math.floor(Math.random() * flood.length)]!, { binary: false });
        stats.signals += 1;
      }
    }
  }, TICK_MS);

  process.once('message', () => {
    clearInterval(tick);
    for (const ws of sockets) ws.terminate();
    for (const socket of raw) socket.destroy();
    const cpu = process.cpuUsage(started.cpu);
    stats.cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - started.at)) * 100;
    process.send!(stats, () => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

if (process.env.KEYNODE_BENCH_ROLE === 'signaling-abuser') await main();
