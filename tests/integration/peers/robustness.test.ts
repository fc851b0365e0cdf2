// What goes wrong between real keynodes: the owner vanishing while a pack streams (the clone fails
// cleanly, leaves nothing, and a retry succeeds), a peer writing garbage on its authenticated
// channel (the owner neither crashes nor corrupts, and keeps serving), unreachable keynodes
// (ErrorNodeConnectionFailed), and the signaling server restarting (keynodes log in again, connect,
// clone, and the outbox delivers what was shared meanwhile: scenario 32).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/ids/index.js';
import { codeOf, countingRtc, eventually, freshName, Net, noise, rawPeer, shareWith, trustEachOther } from '../../utils/keynodes.js';
import { bytesEqual } from '../../../src/utils/bytes.js';

let net: Net;
const dirs: string[] = [];

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  await net?.stopAll();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keynode-peers-'));
  dirs.push(dir);
  return dir;
}

/** Every file under `dir`, relative (what a failed clone must not leave behind). */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

function isKeynodeError(e: unknown): e is { code: string; message: string } {
  return typeof (e as { code?: unknown })?.code === 'string' && typeof (e as { message?: unknown }).message === 'string';
}

describe('the channel cut in the middle of a clone', () => {
  it('fails with a clear KeynodeError, leaves no vault and no git data, and a retry succeeds', async () => {
    const ownerName = freshName('owner');
    const counting = countingRtc();
    let owner = await net.node('owner', { name: ownerName, rtc: counting.rtc });
    const dir = tempDir();
    const cloner = await net.node('cloner', { storage: { dir }, passphrase: 'robustness test passphrase' });
    const content = noise(3 * 1024 * 1024);
    const vaultId = await owner.vaults.create('big');
    await owner.secrets.write('big', 'blob.bin', content);
    await shareWith(owner, 'big', cloner);
    const vaultsDir = path.join(dir, 'vaults');
    const filesBefore = filesUnder(vaultsDir);
    const listBefore = await cloner.vaults.list();

    // Stop the owner once half a megabyte of the 3 MB pack is on its way: mid-stream, by construction.
    const start = counting.sent.bytes;
    let stopped: Promise<void> | undefined;
    counting.sent.onSend = (total) => {
      if (stopped === undefined && total - start > 512 * 1024) stopped = owner.stop();
    };
    let failure: unknown;
    try {
      await cloner.vaults.clone('big', owner.nodeId);
    } catch (e) {
      failure = e;
    }
    counting.sent.onSend = undefined;
    await stopped;
    expect(stopped).toBeDefined();
    expect(isKeynodeError(failure)).toBe(true);
    expect((failure as { code: string }).code).toBe('ErrorNodeConnectionFailed');
    expect((failure as { message: string }).message.length).toBeGreaterThan(10);
    expect(await cloner.vaults.list()).toEqual(listBefore);
    expect(filesUnder(vaultsDir)).toEqual(filesBefore);

    // The owner comes back (same storage): the retry clones byte-exact.
    owner = await net.node('owner', { name: ownerName });
    const cloneId = await cloner.vaults.clone(vaultId, owner.nodeId);
    expect(bytesEqual(await cloner.secrets.get(cloneId, 'blob.bin'), content)).toBe(true);
    expect((await cloner.vaults.log(cloneId)).map((c) => c.commitId)).toEqual((await owner.vaults.log('big')).map((c) => c.commitId));
  });

  it('the data channel closing mid-stream: the clone fails, the owner keeps working, and a retry succeeds', async () => {
    const counting = countingRtc();
    const owner = await net.node('owner', { rtc: counting.rtc });
    const cloner = await net.node('cloner');
    const content = noise(3 * 1024 * 1024);
    await owner.vaults.create('cut-line');
    await owner.secrets.write('cut-line', 'blob.bin', content);
    await shareWith(owner, 'cut-line', cloner);
    const start = counting.sent.bytes;
    let cut = false;
    counting.sent.onSend = (total) => {
      if (!cut && total - start > 512 * 1024) {
        cut = true;
        for (const channel of counting.sent.channels) channel.close();
      }
    };
    const code = await codeOf(cloner.vaults.clone('cut-line', owner.nodeId));
    counting.sent.onSend = undefined;
    expect(cut).toBe(true);
    expect(code).toBe('ErrorNodeConnectionFailed');
    expect(await cloner.vaults.list()).toEqual([]);
    // The owner released the vault it was serving: it writes, and serves the retry on a new channel.
    await owner.secrets.write('cut-line', 'after', 'the cut');
    const copy = await cloner.vaults.clone('cut-line', owner.nodeId);
    expect(bytesEqual(await cloner.secrets.get(copy, 'blob.bin'), content)).toBe(true);
    expect(await cloner.secrets.getText(copy, 'after')).toBe('the cut');
  });
});

describe('a peer that sends garbage over its channel', () => {
  it('does not crash or corrupt the owner, which keeps serving others', async () => {
    const [owner, friend] = await Promise.all([net.node('owner'), net.node('friend')]);
    await owner.vaults.create('kept');
    await owner.secrets.write('kept', 'secret', 'intact');
    await shareWith(owner, 'kept', friend);
    const logBefore = await owner.vaults.log('kept');

    const raw = await rawPeer(net);
    await owner.gestalts.trust(raw.nodeId); // a known peer, so it gets as far as the handlers
    const rpc = await raw.connect(owner.nodeId);
    // Well-formed calls with hostile contents: each is refused with a code, the channel keeps serving.
    const junk = async (method: string, header: unknown, body?: Uint8Array): Promise<string> => {
      try {
        const { body: reply } = await rpc.call(
          method,
          header,
          body === undefined
            ? undefined
            : (async function* () {
                yield body;
              })(),
        );
        for await (const _ of reply) void _;
      } catch (e) {
        return String((e as { code?: unknown }).code);
      }
      return 'accepted';
    };
    expect(await junk('vaults.gitPack', { vaultId: 'kept', action: 'clone' }, noise(100_000))).toBe('ErrorVaultsPermissionDenied');
    expect(await junk('vaults.gitInfo', { vaultNameOrId: 'kept', action: 'push' })).toBe('ErrorRpcFrameInvalid');
    expect(await junk('notifications.send', { token: 'x'.repeat(1000) })).toMatch(/^ErrorNotifications/);
    expect(await junk('gestalts.claim', { token: { payload: 1, signatures: 'no' } })).toMatch(/^Error/);
    expect(await junk('no.such.method', {})).toMatch(/^Error/);
    expect(await rpc.callUnary('sigchain.get', {})).toMatchObject({ claims: [] });
    // Then raw garbage: random frames until the owner hangs up on us.
    const channel = raw.channelOf(rpc);
    for (let i = 0; i < 300 && !channel.closed; i += 1) {
      const frame = randomBytes(1 + (randomBytes(1)[0]! % 64) * 16);
      await channel.send(frame).catch(() => undefined);
    }

    // The owner is alive, unchanged, and serves the friend (a fresh clone and a pull).
    expect((await owner.network.status()).signaling).toBe('connected');
    expect(await owner.vaults.log('kept')).toEqual(logBefore);
    expect(await owner.secrets.getText('kept', 'secret')).toBe('intact');
    const copy = await friend.vaults.clone('kept', owner.nodeId);
    expect(await friend.secrets.getText(copy, 'secret')).toBe('intact');
    await owner.secrets.write('kept', 'secret', 'updated');
    await friend.vaults.pull(copy);
    expect(await friend.secrets.getText(copy, 'secret')).toBe('updated');
    // The raw peer can still talk properly on a new connection if the old one was dropped.
    const again = await raw.connect(owner.nodeId);
    expect(await again.callUnary('sigchain.get', {})).toMatchObject({ claims: [] });
  });
});

describe('unreachable keynodes', () => {
  it('a NodeId that is not logged in: ErrorNodeConnectionFailed', async () => {
    const [asker, gone] = await Promise.all([net.node('asker'), net.node('gone')]);
    const goneId = gone.nodeId;
    await gone.stop();
    expect(await codeOf(asker.vaults.clone('anything', goneId))).toBe('ErrorNodeConnectionFailed');
    expect(await codeOf(asker.vaults.scan(goneId))).toBe('ErrorNodeConnectionFailed');
    expect(await codeOf(asker.gestalts.discover(goneId))).toBe('ErrorNodeConnectionFailed');
    expect(await asker.vaults.list()).toEqual([]);
  });

  it('a peer that is logged in but never answers: ErrorNodeConnectionFailed after the connect timeout', async () => {
    const asker = await net.node('asker', { connectTimeoutMs: 1500 });
    // Logged in to signaling (so signals are relayed), but stopped from answering them.
    const silent = await rawPeer(net);
    silent.stopAnswering();
    expect(await codeOf(asker.vaults.clone('anything', silent.nodeId))).toBe('ErrorNodeConnectionFailed');
    expect(await asker.vaults.list()).toEqual([]);
  });

  it('its own NodeId is not a peer: ErrorInvalidArgument, not "it may be offline"', async () => {
    const k = await net.node('self');
    await k.vaults.create('own');
    expect(await codeOf(k.vaults.clone('own', k.nodeId))).toBe('ErrorInvalidArgument');
    expect(await codeOf(k.vaults.scan(k.nodeId))).toBe('ErrorInvalidArgument');
    expect(await codeOf(k.gestalts.claim(k.nodeId))).toBe('ErrorInvalidArgument');
    expect((await k.vaults.list()).map((v) => v.vaultName)).toEqual(['own']);
  });

  it('a keynode with no signaling server at all: ErrorNodeConnectionFailed', async () => {
    const asker = await net.node('asker', { signalingUrl: 'ws://127.0.0.1:9/' });
    const other = await net.node('other');
    expect((await asker.network.status()).signaling).not.toBe('connected');
    expect(await codeOf(asker.vaults.clone('anything', other.nodeId))).toBe('ErrorNodeConnectionFailed');
  });
});

describe('going offline and back', () => {
  it('a channel closed while idle is opened again by the next call', async () => {
    const [owner, peer] = await Promise.all([net.node('owner', { idleMs: 1500 }), net.node('peer', { idleMs: 1500 })]);
    await owner.vaults.create('idle');
    await shareWith(owner, 'idle', peer);
    const copy = await peer.vaults.clone('idle', owner.nodeId);
    await eventually(async () => (await peer.network.status()).peers.length === 0 && (await owner.network.status()).peers.length === 0);
    await owner.secrets.write('idle', 's', 'after idle');
    await peer.vaults.pull(copy);
    expect(await peer.secrets.getText(copy, 's')).toBe('after idle');
  });

  it('after network.disconnect() and connect() a keynode reaches peers again, both ways', async () => {
    const [owner, peer] = await Promise.all([net.node('owner'), net.node('peer')]);
    await owner.vaults.create('offline-and-back');
    await shareWith(owner, 'offline-and-back', peer);
    const copy = await peer.vaults.clone('offline-and-back', owner.nodeId);
    for (const k of [peer, owner]) {
      await k.network.disconnect();
      expect(await k.network.status()).toEqual({ signaling: 'offline', peers: [] });
      await k.network.connect();
      expect((await k.network.status()).signaling).toBe('connected');
    }
    await owner.secrets.write('offline-and-back', 's', 'again');
    await peer.vaults.pull(copy);
    expect(await peer.secrets.getText(copy, 's')).toBe('again');
    expect(await owner.vaults.scan(peer.nodeId).catch((e: { code: string }) => e.code)).toBe('ErrorVaultsPermissionDenied');
  });
});

describe('the signaling server restarting', () => {
  it('keynodes log in again, can connect and clone, and the outbox delivers what was shared meanwhile', async () => {
    const local = await Net.start();
    try {
      const [owner, peer, late] = await Promise.all([local.node('owner'), local.node('peer'), local.node('late')]);
      await trustEachOther(owner, peer);
      await trustEachOther(owner, late);
      await owner.vaults.create('through-restart');
      await owner.secrets.write('through-restart', 's', 'before');
      await owner.vaults.share('through-restart', peer.nodeId);
      const first = await peer.vaults.clone('through-restart', owner.nodeId);

      await local.stopServer();
      // While the server is down, the owner shares with `late`: the notification waits in the outbox.
      await owner.vaults.share('through-restart', late.nodeId);
      expect((await owner.notifications.outbox.read()).some((o) => o.to === late.nodeId)).toBe(true);
      await local.startServerAgain();

      for (const k of [owner, peer, late]) await eventually(async () => (await k.network.status()).signaling === 'connected');
      // A keynode that never had a channel to the owner connects through the new server and clones.
      const lateCopy = await late.vaults.clone('through-restart', owner.nodeId);
      expect(await late.secrets.getText(lateCopy, 's')).toBe('before');
      await owner.secrets.write('through-restart', 's', 'after');
      await peer.vaults.pull(first);
      expect(await peer.secrets.getText(first, 's')).toBe('after');
      // Scenario 32: the pending share notification is retried once the recipient is seen online.
      const n = await eventually(async () => (await late.notifications.read()).find((x) => x.data.type === 'VaultShare'));
      expect(n.from).toBe(owner.nodeId);
      await eventually(async () => (await owner.notifications.outbox.read()).length === 0);
    } finally {
      await local.stopAll();
    }
  });
});
