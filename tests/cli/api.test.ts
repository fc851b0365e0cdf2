// What the API had and the command line lacked, run through the real command line on one shared
// keynode folder: network status, gestalts get, queued pulls, the outbox and requests, and
// restoring a keynode from its recovery code.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNodeId } from '../../src/ids/index.js';
import { publicKeyOf } from '../utils/ed25519.js';
import { cli, PASSPHRASE, snapshot, tempDir } from './helpers.js';

const base = tempDir();
const dir = path.join(base, 'keynode');
const env = { KEYNODE_DIR: dir, KEYNODE_PASSPHRASE: PASSPHRASE };
async function json(args: string[], extra: Record<string, string> = {}): Promise<unknown> {
  const run = await cli(['--format', 'json', ...args], { env: { ...env, ...extra } });
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}
/** A NodeId no keynode answers to. */
const stranger = encodeNodeId(publicKeyOf(new Uint8Array(32).fill(7)));
let nodeId = '';
let recoveryCode = '';

beforeAll(async () => {
  const made = await cli(['vaults', 'create', 'prod'], { env });
  expect(made.code).toBe(0);
  nodeId = /Created keynode (\S+)/.exec(made.stderr)![1]!;
  recoveryCode = /Recovery code \(shown once, keep it safe\):\n(.+)\n/.exec(made.stderr)![1]!;
});

describe('command line: what the API had', () => {
  it('network status, gestalts get, the requests list', async () => {
    expect(await json(['network', 'status'])).toEqual({ signaling: 'offline', peers: [] });
    expect(await json(['gestalts', 'get', nodeId])).toEqual({ nodes: [nodeId] });
    expect(await json(['notifications', 'requests'])).toEqual([]);
  });

  it('gestalts unlink: a keynode not linked with this one is refused plainly (usage, 64) and nothing changes', async () => {
    const before = snapshot(dir);
    const run = await cli(['--format', 'json', 'gestalts', 'unlink', stranger], { env });
    expect(run.code).toBe(64);
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'ErrorInvalidArgument', message: `${stranger} is not linked with this browser.` } });
    expect(snapshot(dir)).toEqual(before);
  });

  it('queued pulls: queue, list, cancel', async () => {
    expect(await json(['pulls', 'queue', 'prod', stranger])).toMatchObject({ vaultName: 'prod', nodeId: stranger, queuedAt: expect.any(Number) });
    expect(await json(['pulls', 'list'])).toMatchObject([{ vaultName: 'prod', nodeId: stranger }]);
    expect(await json(['pulls', 'cancel', 'prod'])).toEqual({});
  });

  it('the outbox: an undelivered notification waits there until it is removed, or the outbox is cleared', async () => {
    await json(['notifications', 'send', stranger, 'hello', 'there']);
    await json(['notifications', 'send', stranger, 'again']);
    const outbox = (await json(['notifications', 'outbox'])) as Array<{ id: string; to: string; data: unknown }>;
    expect(outbox.map((n) => [n.to, n.data])).toEqual([
      [stranger, { type: 'General', message: 'hello there' }],
      [stranger, { type: 'General', message: 'again' }],
    ]);
    await json(['notifications', 'outbox', 'remove', outbox[0]!.id]);
    expect(await json(['notifications', 'outbox'])).toMatchObject([{ id: outbox[1]!.id }]);
    await json(['notifications', 'outbox', 'clear']);
    expect(await json(['notifications', 'outbox'])).toEqual([]);
  });

  it('restore: the recovery code makes the same keynode in an empty folder, and never replaces one', async () => {
    const restore = { KEYNODE_RECOVERY_CODE: recoveryCode, KEYNODE_NEW_PASSPHRASE: 'a restored passphrase' };
    const before = snapshot(dir);
    const refused = await cli(['restore'], { env: { ...env, ...restore } });
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/is not empty: a keynode is restored only into an empty folder/);
    expect(snapshot(dir)).toEqual(before);
    const other = path.join(base, 'restored');
    expect(await json(['--dir', other, 'restore'], restore)).toEqual({ nodeId });
    expect(await json(['--dir', other, 'id'], { KEYNODE_PASSPHRASE: 'a restored passphrase' })).toEqual({ nodeId });
  });
});
