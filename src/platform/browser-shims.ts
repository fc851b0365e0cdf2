// Node globals that simple-peer (and the stream and buffer packages under it) read, for the page: the
// network host and the in-page core import this first. The service worker needs none of them.
import { Buffer } from 'buffer';
import process from 'process/browser.js';

const g = globalThis as { Buffer?: unknown; process?: unknown; global?: unknown };
g.Buffer ??= Buffer;
g.process ??= process;
g.global ??= globalThis;
