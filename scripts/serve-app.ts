// Serves the built app (dist/): sw.js and index.html with no-cache, the rest cacheable, unknown
// paths get the app shell (the app routes itself), plus /keynode-config.json naming a signaling
// server started alongside. Every response carries the security headers of docs/deploy-csp.md.
// Used by `npm start`, the end-to-end tests and the browser benchmark.
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startSignalingServer } from '../signaling-server/src/index.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * The headers every response carries (docs/deploy-csp.md explains each). The app loads only its own
 * scripts and styles (no inline ones), compiles WebAssembly (Argon2id, in the service worker) and
 * connects only to itself and the signaling server; no site may frame it; no address leaks in a
 * Referer header (a share link's fragment is never sent, but its path and query would be).
 */
export function securityHeaders(signalingUrl: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${new URL(signalingUrl).origin}`,
      "worker-src 'self'",
      "manifest-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
  };
}

export interface AppServer {
  url: string;
  signalingUrl: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  /** 0 (the default) = any free port. */
  port?: number;
  signalingPort?: number;
}

export async function serveApp(dist: string, opts: ServeOptions = {}): Promise<AppServer> {
  const host = opts.host ?? '127.0.0.1';
  const signaling = await startSignalingServer({ host, port: opts.signalingPort ?? 0 });
  const config = JSON.stringify({ signalingUrl: signaling.url });
  const headers = securityHeaders(signaling.url);
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/keynode-config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(config);
      return;
    }
    let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dist)) {
      res.writeHead(400, headers).end();
      return;
    }
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined || stat.isDirectory()) file = path.join(dist, 'index.html');
    res.writeHead(200, {
      ...headers,
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': file.endsWith('sw.js') || file.endsWith('.html') ? 'no-cache' : 'public, max-age=3600',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    signalingUrl: signaling.url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await signaling.close();
    },
  };
}
