// `npm start`: builds the app, serves it on http://127.0.0.1:$PORT (default 5173) and runs the
// signaling server on ws://127.0.0.1:$SIGNALING_PORT (default 8787). Open the URL in two browser
// windows (or a normal and a private window): they are two keynodes.
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { build } from 'vite';
import { startSignalingServer } from '../signaling-server/src/index.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 5173);
const signalingPort = Number(process.env.SIGNALING_PORT ?? 8787);
const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

async function main(): Promise<void> {
  if (process.env.KEYNODE_SKIP_BUILD !== '1') await build({ root, logLevel: 'warn' });
  const signaling = await startSignalingServer({ host, port: signalingPort });
  const config = JSON.stringify({ signalingUrl: signaling.url });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
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
    if (stat === undefined || stat.isDirectory()) file = path.join(dist, 'index.html'); // the app routes itself
    res.writeHead(200, {
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': file.endsWith('sw.js') || file.endsWith('.html') ? 'no-cache' : 'public, max-age=3600',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));

  console.log(`keynode app:        http://${host}:${port}`);
  console.log(`signaling server:   ${signaling.url}`);
  console.log('Open the app in two browser windows (or a normal and a private window): each is a keynode.');

  const stop = async (): Promise<void> => {
    server.close();
    await signaling.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
