// Test helpers for the wire tests: fixture repositories made with the real `git`, a tiny node:http
// adapter serving a repo through our advertiseRefs/uploadPack, and a transport that does real
// HTTP (to that adapter or to `git http-backend` run as CGI).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advertiseRefs, uploadPack, type GitTransport, type PackStats } from '../../src/git/index.js';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, `keynode-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export function git(args: string[], cwd?: string, input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, input, maxBuffer: 1 << 28 }).toString();
}

/** Runs git without blocking the event loop (needed when it talks to a server in this process). */
export function gitAsync(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`git ${args.join(' ')} failed (${code}): ${Buffer.concat(err).toString()}`));
    });
  });
}

export interface Served {
  url: string;
  stats: PackStats[];
  close(): Promise<void>;
}

/** Serves bare repos under `root` as http://127.0.0.1:PORT/<name> through our git server. */
export async function serveWithKeynode(root: string): Promise<Served> {
  const stats: PackStats[] = [];
  const cache = {};
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+)\/(info\/refs|git-upload-pack)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const repo = { fs, gitdir: join(root, m[1] as string), cache };
    void (async () => {
      try {
        if (m[2] === 'info/refs') {
          if (url.searchParams.get('service') !== 'git-upload-pack') {
            res.writeHead(403).end();
            return;
          }
          const body = await advertiseRefs(repo);
          res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement', 'cache-control': 'no-cache' });
          res.end(body);
          return;
        }
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(c as Buffer);
        const s: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
        const out = uploadPack(repo, new Uint8Array(Buffer.concat(parts)), { stats: s });
        const first = await out.next();
        res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result', 'cache-control': 'no-cache' });
        if (!first.done) res.write(first.value);
        for await (const chunk of out) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
        stats.push(s);
        res.end();
      } catch (e) {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String((e as Error).message));
      }
    })();
  });
  return listen(server, stats);
}

/** Serves bare repos under `root` through `git http-backend` as CGI. */
export async function serveWithGitHttpBackend(root: string): Promise<Served> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    // http-backend may exit before reading an empty GET body; that EPIPE is not a failure.
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => errOut.push(d));
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('close', () => {
      const all = Buffer.concat(out);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) {
        res.writeHead(500).end(`http-backend gave no headers: ${Buffer.concat(errOut).toString()}`);
        return;
      }
      const head = all.subarray(0, sep).toString().split('\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const h of head) {
        const i = h.indexOf(':');
        const k = h.slice(0, i).toLowerCase();
        const v = h.slice(i + 1).trim();
        if (k === 'status') status = parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.end(all.subarray(sep + 4));
    });
  });
  return listen(server, []);
}

async function listen(server: Server, stats: PackStats[]): Promise<Served> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stats, close: () => new Promise((r) => server.close(() => r())) };
}

function httpCall(url: string, method: string, body?: Uint8Array): Promise<{ status: number; chunks: AsyncIterable<Uint8Array> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/x-git-upload-pack-request' } : {},
      },
      (res) => resolve({ status: res.statusCode ?? 0, chunks: res as AsyncIterable<Uint8Array> }),
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/**
 * A GitTransport doing real smart HTTP to `repoUrl`: the advertisement is fetched now (GET
 * info/refs), and each pack request is a POST to git-upload-pack. Only a 200 answer is read.
 */
export async function httpTransport(repoUrl: string): Promise<GitTransport> {
  const r = await httpCall(`${repoUrl}/info/refs?service=git-upload-pack`, 'GET');
  const parts: Uint8Array[] = [];
  for await (const c of r.chunks) parts.push(c);
  if (r.status !== 200) throw new Error(`info/refs answered ${r.status}: ${Buffer.concat(parts).toString().slice(0, 200)}`);
  return {
    advertisement: new Uint8Array(Buffer.concat(parts)),
    async *pack(body) {
      const r = await httpCall(`${repoUrl}/git-upload-pack`, 'POST', body);
      if (r.status !== 200) throw new Error(`upload-pack answered ${r.status}`);
      for await (const c of r.chunks) yield new Uint8Array(c);
    },
  };
}
