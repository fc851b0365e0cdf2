// Node globals that isomorphic-git and simple-peer read, for pages and workers. Imported first.
import { Buffer } from 'buffer';
import process from 'process/browser.js';

const g = globalThis as { Buffer?: unknown; process?: unknown; global?: unknown };
g.Buffer ??= Buffer;
g.process ??= process;
g.global ??= globalThis;
