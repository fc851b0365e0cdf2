// Starts the signaling server: an HTTP server that accepts only WebSocket upgrades, one Session per
// socket, a heartbeat that drops dead sockets and sweeps expired state, and an idempotent close.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { KeynodeError } from '../../src/errors.js';
import { Hub } from './hub.js';
import { resolveLimits, type Limits } from './limits.js';
import { closeCodes, normalizeServerUrl } from './protocol.js';
import { Session, type ServerContext } from './session.js';
import { openMailboxStore } from './stores/index.js';

export interface SignalingServerOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Several instances sharing routing and mailboxes; refused in this build (no Redis client). */
  redisUrl?: string;
  /** Handed to every keynode in the welcome (STUN/TURN); default none. */
  iceServers?: RTCIceServer[];
  limits?: Partial<Limits>;
  /**
   * The URL(s) clients dial, which login signatures must name. Default: `ws://<host>:<port>/`, plus
   * `ws://localhost:<port>/` on a loopback host. Set it behind a proxy, e.g. 'wss://signal.example.org/'.
   */
  publicUrl?: string | string[];
  /** Wall clock for mailbox times and expiry (tests inject one). */
  clock?: () => number;
}

export interface SignalingServer {
  /** The URL to dial (the first public URL). */
  url: string;
  /** The port actually bound (useful with port 0 behind a publicUrl). */
  port: number;
  close(): Promise<void>;
}

export async function startSignalingServer(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits = resolveLimits(opts.limits);
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  // Checked before listening, so a bad option leaves no port open behind it.
  const explicitUrls = opts.publicUrl === undefined ? undefined : parsePublicUrls(opts.publicUrl);
  const mailbox = openMailboxStore({ ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }), limits, clock });

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    res.end('keynode signaling server: connect with a WebSocket.\n');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e) => reject(new KeynodeError('ErrorInvalidArgument', `The signaling server cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`, { cause: e })));
    http.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const publicUrls = explicitUrls ?? defaultPublicUrls(host, port);

  const hub = new Hub(limits);
  const ctx: ServerContext = { limits, hub, mailbox, publicUrls, iceServers: opts.iceServers ?? [], clock };
  const sessions = new Set<Session>();
  const wss = new WebSocketServer({ server: http, maxPayload: limits.hardMaxMessageBytes });
  wss.on('connection', (ws) => {
    if (sessions.size >= limits.maxConnections) {
      ws.send(JSON.stringify({ type: 'error', code: 'server-full', message: 'The signaling server has too many connections; try again later.' }));
      ws.close(closeCodes.serverFull, 'server full');
      return;
    }
    const session = new Session(ws, ctx);
    sessions.add(session);
    ws.on('close', () => sessions.delete(session));
  });

  const heartbeat = setInterval(() => {
    for (const session of sessions) session.heartbeat();
    hub.sweep();
    mailbox.sweep().catch(() => undefined); // the next beat tries again
  }, limits.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(heartbeat);
      const clients = [...wss.clients];
      for (const ws of clients) ws.close(closeCodes.shutdown, 'server shutting down');
      // Give clients a moment to answer the close frame, then cut whoever did not.
      await Promise.race([
        Promise.all(clients.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r))))),
        new Promise((r) => setTimeout(r, 500).unref()),
      ]);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await mailbox.close();
    })());

  return { url: publicUrls[0]!.replace(/\/$/, ''), port, close };
}

function parsePublicUrls(publicUrl: string | string[]): string[] {
  const urls = Array.isArray(publicUrl) ? publicUrl : [publicUrl];
  if (urls.length === 0) throw new KeynodeError('ErrorInvalidArgument', 'publicUrl must name at least one URL.');
  return urls.map((url) => {
    let normalized: string | undefined;
    try {
      normalized = normalizeServerUrl(url);
    } catch {
      // reported below
    }
    if (normalized === undefined || !/^wss?:$/.test(new URL(normalized).protocol)) {
      throw new KeynodeError('ErrorInvalidArgument', `publicUrl "${url}" is not a ws:// or wss:// URL.`);
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
