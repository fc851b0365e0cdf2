// Pairing from the command line: `keynode gestalts pairing-code` prints a code and stays online
// until a keynode takes it; another keynode (a real one, over real WebRTC) pairs with that code and
// the command ends saying which keynode linked. `gestalts pair` refuses a code that is not one.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer } from '../../signaling-server/src/index.js';
import { createKeynode, type Keynode } from '../../src/index.js';
import { freshName } from '../utils/keynodes.js';
import { cli, finish, jsonError, PASSPHRASE, start, tempDir } from './helpers.js';

const env = { KEYNODE_DIR: path.join(tempDir(), 'keynode'), KEYNODE_PASSPHRASE: PASSPHRASE };
let signaling: Awaited<ReturnType<typeof startSignalingServer>>;
let laptop: Keynode;

beforeAll(async () => {
  signaling = await startSignalingServer({ port: 0 });
  laptop = await createKeynode({ storage: 'memory', name: freshName('laptop'), signalingUrl: signaling.url });
});
afterAll(async () => {
  await laptop?.stop();
  await signaling?.close();
});

describe('command line: pairing', () => {
  it('pairing-code prints a code, and ends with "linked" once another keynode pairs with it', async () => {
    const child = start(['--format', 'json', '--signaling', signaling.url, 'gestalts', 'pairing-code'], { env });
    const done = finish(child);
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (s: string) => {
        out += s;
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', () => reject(new Error(`pairing-code stopped before printing a code: ${out}`)));
    });
    const { code, expiresAt } = JSON.parse(first) as { code: string; expiresAt: number };
    expect(code).toMatch(/^keynode-pair:1:v/);
    expect(expiresAt).toBeGreaterThan(Date.now());
    const { nodeId } = await laptop.gestalts.pair(code);
    const run = await done;
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ linked: laptop.nodeId });
    expect((await laptop.gestalts.get(laptop.nodeId)).nodes).toContain(nodeId);
  });

  it('pair refuses what is not a pairing code, with its error code', async () => {
    const run = await cli(['--format', 'json', '--signaling', signaling.url, 'gestalts', 'pair', 'keynode-pair:1:nonsense'], { env });
    expect(run.code).not.toBe(0);
    expect(jsonError(run).code).toBe('ErrorGestaltsPairingCodeInvalid');
  });
});
