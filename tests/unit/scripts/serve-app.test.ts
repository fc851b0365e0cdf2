// The app server behind `npm start` and the browser tests: compressed text when the browser
// accepts it, and a bad request path is refused without reaching outside the build or crashing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp, type AppServer } from '../../../scripts/serve-app.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET (fetch would undo the compression and normalise the path before we see either). */
function get(url: string, rawPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve-app', () => {
  let dir: string;
  let server: AppServer;
  const script = 'self.addEventListener("fetch", () => {});\n'.repeat(2_000);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'serve-app-'));
    mkdirSync(path.join(dir, 'dist'));
    mkdirSync(path.join(dir, 'dist-private'));
    writeFileSync(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>keynode</title>');
    writeFileSync(path.join(dir, 'dist', 'sw.js'), script);
    writeFileSync(path.join(dir, 'dist', 'icon.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(path.join(dir, 'dist-private', 'secret.txt'), 'not for the web');
    server = await serveApp(path.join(dir, 'dist'));
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends scripts gzipped to a browser that accepts gzip, and as they are to one that does not', async () => {
    const zipped = await get(server.url, '/sw.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(zipped.body.length).toBeLessThan(script.length / 10);
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    expect(zipped.headers['content-security-policy']).toContain("script-src 'self'");

    const plain = await get(server.url, '/sw.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
  });

  it('does not compress images', async () => {
    const png = await get(server.url, '/icon.png', { 'accept-encoding': 'gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect([...png.body]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it('refuses a path that leads into a sibling folder, and a malformed escape, and goes on serving', async () => {
    const sibling = await get(server.url, '/..%2fdist-private%2fsecret.txt');
    expect(sibling.status).toBe(400);
    expect(sibling.body.toString()).not.toContain('not for the web');
    expect((await get(server.url, '/%E0%A4%A')).status).toBe(400);
    const shell = await get(server.url, '/vaults/anything');
    expect(shell.status).toBe(200);
    expect(shell.body.toString()).toContain('<title>keynode</title>');
  });
});
