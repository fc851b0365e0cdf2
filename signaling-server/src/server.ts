// Starts the signaling server: a TCP listener that admits connections (admission.ts) before an HTTP
// server that accepts only WebSocket upgrades, one Session per socket, a heartbeat that drops dead
// sockets and sweeps expired state, and an idempotent close.
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions } from 'ws';
import { SignalingServerError } from './errors.js';
import type { NodeId } from '../../protocol/node-id.js';
import { Admission, type Refusal } from './admission.js';
import { readFdLimit, socketBudget } from './fd-budget.js';
import { Cluster } from './cluster.js';
import { resolveLimits, type Limits } from './limits.js';
import { RelayBudget } from './outbound.js';
import { closeCodes, normalizeServerUrl } from '../../protocol/signaling.js';
import { Session, type ServerContext } from './session.js';
import { openMailboxStore } from './stores/index.js';
import { RedisLink } from './stores/redis-link.js';
import { checkTurnOptions, turnIceServer, type TurnOptions } from './turn.js';

/** How long a client that does not answer our close frame keeps its socket (ws waits 30 s by default). */
const CLOSE_GRACE_MS = 2000;
/** How long a refused connection has to read why before it is cut. */
const REFUSAL_GRACE_MS = 200;

export interface SignalingServerOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /**
   * Redis shared by several instances of one deployment (e.g. 'redis://127.0.0.1:6379/0'):
   * presence, relay between instances and mailboxes go through it, and mailboxes survive restarts.
   * Default: everything in this process's memory.
   */
  redisUrl?: string;
  /** Handed to every keynode in the welcome (STUN/TURN); default none. */
  iceServers?: RTCIceServer[];
  /** A TURN server sharing `secret` with us: every keynode gets its own short-lived credentials for it. */
  turn?: TurnOptions;
  limits?: Partial<Limits>;
  /**
   * The URL(s) clients dial, which login signatures must name. Default: `ws://<host>:<port>/`, plus
   * `ws://localhost:<port>/` on a loopback host. Set it behind a proxy, e.g. 'wss://signal.example.org/'.
   */
  publicUrl?: string | string[];
  /** Wall clock for mailbox times and expiry (tests inject one). */
  clock?: () => number;
  /**
   * How many reverse proxies in front of the server append the client's address to
   * X-Forwarded-For; per-source limits then count that address. 0 (default): the socket's own
   * address, and the header is ignored, since any client can write it.
   */
  trustedProxies?: number;
  /** The process's file-descriptor limit, which the socket budget derives from. Default: read from /proc/self/limits (1024 where it cannot be read). */
  fileDescriptorLimit?: number;
}

export interface SignalingServer {
  /** The URL to dial (the first public URL). */
  url: string;
  /** The port actually bound (useful with port 0 behind a publicUrl). */
  port: number;
  /** What the server holds at most: sockets (the descriptor limit less a reserve) and WebSocket connections. */
  capacity: { fileDescriptors: number; sockets: number; connections: number };
  close(): Promise<void>;
}

export async function startSignalingServer(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits = resolveLimits(opts.limits);
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  const trustedProxies = opts.trustedProxies ?? 0;
  if (!Number.isSafeInteger(trustedProxies) || trustedProxies < 0) {
    throw new SignalingServerError('ErrorInvalidArgument', 'trustedProxies must be a whole number of proxies, 0 or more.');
  }
  const fileDescriptors = opts.fileDescriptorLimit ?? readFdLimit();
  if (!(fileDescriptors > 0)) throw new SignalingServerError('ErrorInvalidArgument', 'fileDescriptorLimit must be a positive number.');
  const capacity = { fileDescriptors, sockets: socketBudget(fileDescriptors), connections: 0 };
  capacity.connections = Math.min(limits.maxConnections, capacity.sockets);
  // Checked before listening, so a bad option leaves no port open behind it.
  const explicitUrls = opts.publicUrl === undefined ? undefined : parsePublicUrls(opts.publicUrl);
  const turn = opts.turn === undefined ? undefined : checkTurnOptions(opts.turn);
  const staticIce = opts.iceServers ?? [];
  const iceServers = (nodeId: NodeId): RTCIceServer[] => (turn === undefined ? staticIce : [...staticIce, turnIceServer(turn, nodeId, clock())]);
  const redis = opts.redisUrl === undefined ? undefined : await RedisLink.open(opts.redisUrl);
  const orCloseRedis = <T>(work: Promise<T>): Promise<T> =>
    work.catch(async (e: unknown) => {
      await redis?.close();
      throw e;
    });
  const cluster = await orCloseRedis(Cluster.open(limits, redis));
  const mailbox = openMailboxStore({ ...(redis === undefined ? {} : { redis }), limits, clock });

  const admission = new Admission(limits, capacity.sockets, trustedProxies);
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    res.end('keynode signaling server: connect with a WebSocket.\n');
  });
  // Connections meet admission before HTTP parses a byte of them.
  const tcp = createTcpServer((socket) => {
    const refusal = admission.accept(socket);
    if (refusal !== undefined) refuse(socket, refusal);
    else http.emit('connection', socket);
  });
  await orCloseRedis(
    new Promise<void>((resolve, reject) => {
      tcp.once('error', (e) =>
        reject(new SignalingServerError('ErrorInvalidArgument', `The signaling server cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`, { cause: e })),
      );
      tcp.listen(opts.port ?? 0, host, () => resolve());
    }),
  );
  const port = (tcp.address() as AddressInfo).port;
  const publicUrls = explicitUrls ?? defaultPublicUrls(host, port);

  const iceRefreshMs = turn === undefined ? undefined : (turn.ttlS * 1000) / 2;
  const ctx: ServerContext = { limits, cluster, relay: new RelayBudget(limits), mailbox, publicUrls, iceServers, iceRefreshMs, clock };
  const sessions = new Set<Session>();
  // closeTimeout is a ws 8.19+ option that @types/ws does not list yet.
  const wsOptions: ServerOptions & { closeTimeout: number } = { noServer: true, maxPayload: limits.hardMaxMessageBytes, closeTimeout: CLOSE_GRACE_MS };
  const wss = new WebSocketServer(wsOptions);
  http.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const admitted = admission.upgrade(socket as Socket, req);
    if ('refusal' in admitted) return refuse(socket, admitted.refusal);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (sessions.size >= capacity.connections) {
        ws.send(JSON.stringify({ type: 'error', code: 'server-full', message: 'The signaling server has too many connections; try again later.' }));
        ws.close(closeCodes.serverFull, 'server full');
        return;
      }
      const session = new Session(ws, ctx, admitted.source, admitted.loginDeadline);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
  });

  const heartbeat = setInterval(() => {
    const now = clock();
    for (const session of sessions) {
      session.heartbeat();
      session.refreshIceServers(now);
    }
    admission.sweep();
    // Failures (Redis away) are retried at the next beat.
    cluster.beat().catch(() => undefined);
    mailbox.sweep().catch(() => undefined);
  }, limits.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(heartbeat);
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      const clients = [...wss.clients];
      for (const ws of clients) ws.close(closeCodes.shutdown, 'server shutting down');
      // Give clients a moment to answer the close frame, then cut whoever did not.
      await Promise.race([
        Promise.all(clients.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r))))),
        new Promise((r) => setTimeout(r, 500).unref()),
      ]);
      for (const socket of admission.sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closed;
      await cluster.close();
      await mailbox.close();
      await redis?.close();
    })());

  return { url: publicUrls[0]!.replace(/\/$/, ''), port, capacity, close };
}

/**
 * Answers a refused connection in plain HTTP — the WebSocket never opens, so the sentence is for
 * people and logs, the code in X-Keynode-Error for programs — and closes it. A repeated refusal
 * of the same source is closed without an answer.
 */
function refuse(socket: Duplex, refusal: Refusal): void {
  socket.on('error', () => undefined);
  if (!refusal.explain) {
    socket.destroy();
    return;
  }
  const body = `${refusal.message}\n`;
  const reason = refusal.status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Keynode-Error: ${refusal.code}\r\n\r\n${body}`,
  );
  // Drop what the client sends: a socket closed with unread input is reset, and the reset can
  // overtake the answer.
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
}

function parsePublicUrls(publicUrl: string | string[]): string[] {
  const urls = Array.isArray(publicUrl) ? publicUrl : [publicUrl];
  if (urls.length === 0) throw new SignalingServerError('ErrorInvalidArgument', 'publicUrl must name at least one URL.');
  return urls.map((url) => {
    let normalized: string | undefined;
    try {
      normalized = normalizeServerUrl(url);
    } catch {
      // reported below
    }
    if (normalized === undefined || !/^wss?:$/.test(new URL(normalized).protocol)) {
      throw new SignalingServerError('ErrorInvalidArgument', `publicUrl "${url}" is not a ws:// or wss:// URL.`);
    }
    return normalized;
  });
}

function defaultPublicUrls(host: string, port: number): string[] {
  // A wildcard address is not something a client dials; name the loopback address instead.
  const dialHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urls = [normalizeServerUrl(`ws://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`)];
  if (dialHost === '127.0.0.1' || dialHost === '::1' || dialHost === 'localhost') {
    urls.push(normalizeServerUrl(`ws://localhost:${port}`), normalizeServerUrl(`ws://127.0.0.1:${port}`));
  }
  return [...new Set(urls)];
}
