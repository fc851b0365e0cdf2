// Serves the built app (dist/) the way `npm start` does — sw.js and index.html with no-cache, the
// rest cacheable, unknown paths get the app shell — plus /keynode-config.json naming a signaling
// server started alongside. For the end-to-end tests.
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startSignalingServer } from '../../signaling-server/src/index.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.map': 'application/json',
};

export interface AppServer {
  url: string;
  signalingUrl: string;
  close(): Promise<void>;
}

export async function serveApp(dist: string): Promise<AppServer> {
  const signaling = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const config = JSON.stringify({ signalingUrl: signaling.url });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/keynode-config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(config);
      return;
    }
    let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dist)) {
      res.writeHead(400).end();
      return;
    }
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined || stat.isDirectory()) file = path.join(dist, 'index.html');
    res.writeHead(200, {
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': file.endsWith('sw.js') || file.endsWith('.html') ? 'no-cache' : 'public, max-age=3600',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    signalingUrl: signaling.url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await signaling.close();
    },
  };
}
