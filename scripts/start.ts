// `npm start`: builds the app, serves it on http://127.0.0.1:$PORT (default 5173) and runs the
// signaling server on ws://127.0.0.1:$SIGNALING_PORT (default 8787). Open the URL in two browser
// windows (or a normal and a private window): they are two keynodes.
import * as path from 'node:path';
import { build } from 'vite';
import { serveApp } from './serve-app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 5173);
const signalingPort = Number(process.env.SIGNALING_PORT ?? 8787);
const root = path.resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  if (process.env.KEYNODE_SKIP_BUILD !== '1') await build({ root, logLevel: 'warn' });
  const app = await serveApp(path.join(root, 'dist'), { host, port, signalingPort });

  console.log(`keynode app:        ${app.url}`);
  console.log(`signaling server:   ${app.signalingUrl}`);
  console.log('Open the app in two browser windows (or a normal and a private window): each is a keynode.');

  const stop = async (): Promise<void> => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
