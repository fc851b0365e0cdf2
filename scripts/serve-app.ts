// Serves the built app (dist/): sw.js and index.html with no-cache, the rest cacheable, unknown
// paths get the app shell (the app routes itself), plus /keynode-config.json naming a signaling
// server started alongside. Every response carries the security headers of docs/deploy-csp.md.
// Used by `npm start`, the end-to-end tests and the browser benchmark.
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
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

/** What is worth compressing: text. Images here are PNGs, compressed already. */
const compressible = new Set(['.html', '.js', '.css', '.json', '.webmanifest', '.svg', '.txt', '.map']);

/**
 * Gzipped bytes of a built file, made once per file version: sw.js is 430 kB as built and 140 kB
 * gzipped, and a first load waits for it (bench/README.md, first load). Any real deployment
 * compresses too (docs/deploy.md).
 */
function gzipCache(): (file: string, mtimeMs: number) => Promise<Uint8Array> {
  const cache = new Map<string, { mtimeMs: number; bytes: Uint8Array }>();
  return async (file, mtimeMs) => {
    const hit = cache.get(file);
    if (hit?.mtimeMs === mtimeMs) return hit.bytes;
    const bytes = gzipSync(await fsp.readFile(file));
    cache.set(file, { mtimeMs, bytes });
    return bytes;
  };
}

function decodePath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined; // a malformed escape: a bad request, not a crash of the server
  }
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
  /** Gzip text for browsers that accept it (the default). */
  compress?: boolean;
}

export async function serveApp(dist: string, opts: ServeOptions = {}): Promise<AppServer> {
  const host = opts.host ?? '127.0.0.1';
  const signaling = await startSignalingServer({ host, port: opts.signalingPort ?? 0 });
  const config = JSON.stringify({ signalingUrl: signaling.url });
  const headers = securityHeaders(signaling.url);
  const gzipped = gzipCache();
  const root = path.resolve(dist);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/keynode-config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(config);
      return;
    }
    const pathname = decodePath(url.pathname);
    let file = pathname === undefined ? undefined : path.normalize(path.join(root, pathname));
    if (file === undefined || (file !== root && !file.startsWith(root + path.sep))) {
      res.writeHead(400, headers).end();
      return;
    }
    let stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined || stat.isDirectory()) {
      file = path.join(root, 'index.html');
      stat = await fsp.stat(file);
    }
    const ext = path.extname(file);
    const fileHeaders = {
      ...headers,
      'content-type': types[ext] ?? 'application/octet-stream',
      'cache-control': file.endsWith('sw.js') || ext === '.html' ? 'no-cache' : 'public, max-age=3600',
      vary: 'accept-encoding',
    };
    if (opts.compress !== false && compressible.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      const body = await gzipped(file, stat.mtimeMs);
      res.writeHead(200, { ...fileHeaders, 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, fileHeaders);
    createReadStream(file).pipe(res);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, headers);
      res.end();
    });
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
