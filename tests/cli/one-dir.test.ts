// Two processes on one --dir: `keynode serve` holds DIR while it runs, so another command is refused
// (exit 75, naming serve's pid) rather than left to lose writes; with --wait it runs once DIR is free.
// Writers started together all land; a serve killed with SIGKILL leaves a lock the next command breaks.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer } from '../../signaling-server/src/index.js';
import { LOCK_FILE } from '../../src/platform/dir-lock.js';
import { cli, finish, jsonError, PASSPHRASE, start, tempDir, type Run } from './helpers.js';

const dir = path.join(tempDir(), 'keynode');
const env = { KEYNODE_DIR: dir, KEYNODE_PASSPHRASE: PASSPHRASE };
let signaling: Awaited<ReturnType<typeof startSignalingServer>>;

beforeAll(async () => {
  signaling = await startSignalingServer({ port: 0 });
  expect((await cli(['vaults', 'create', 'prod'], { env })).code).toBe(0);
});
afterAll(() => signaling?.close());

/** `keynode serve`, resolved once it has said it is online (its JSON on stdout). */
async function serve(): Promise<{ child: ChildProcess; done: Promise<Run> }> {
  const child = start(['--format', 'json', '--signaling', signaling.url, 'serve'], { env });
  const done = finish(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (s: string) => {
      out += s;
      if (out.trimEnd().endsWith('}')) resolve();
    });
    child.once('exit', () => reject(new Error(`serve stopped before it was online: ${out}`)));
  });
  expect(JSON.parse(out)).toMatchObject({ signaling: signaling.url, nodeId: expect.any(String) });
  return { child, done };
}

describe('command line: one DIR, two processes', () => {
  it('a command beside `serve` is refused (75) with who holds DIR; with --wait it runs once serve stops', async () => {
    const served = await serve();
    const refused = await cli(['--format', 'json', 'secrets', 'write', 'prod:refused'], { env, input: 'x' });
    expect(refused.code).toBe(75);
    expect(jsonError(refused)).toMatchObject({
      code: 'ErrorStorageInUse',
      message: expect.stringMatching(new RegExp(`in use by process ${served.child.pid} .*Try again`)),
      data: { inUse: true, pid: served.child.pid },
    });
    const waiting = cli(['--wait', '60', 'secrets', 'write', 'prod:after-serve'], { env, input: 'y' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    served.child.kill('SIGTERM');
    expect((await served.done).code).toBe(0);
    expect(await waiting).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("writers started together each wait their turn, and none loses another's write", async () => {
    const writers = ['a', 'b', 'c'].map((name) => cli(['--wait', '60', 'secrets', 'write', `prod:together/${name}`], { env, input: name }));
    for (const run of await Promise.all(writers)) expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    const listed = await cli(['--format', 'json', 'secrets', 'ls', 'prod:together'], { env });
    expect(JSON.parse(listed.stdout).map((e: { path: string }) => e.path)).toEqual(['together/a', 'together/b', 'together/c']);
  });

  it('a serve killed outright leaves its lock behind; the next command finds its process gone and goes ahead', async () => {
    const served = await serve();
    served.child.kill('SIGKILL');
    await served.done;
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    const listed = await cli(['--format', 'json', 'secrets', 'ls', 'prod'], { env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((e: { path: string }) => e.path)).toEqual(['after-serve', 'together']);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
