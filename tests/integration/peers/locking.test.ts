// Locking between real keynodes over real WebRTC: a locked owner stays online and tells requesters
// it is locked (not a permission refusal), its notifications wait in the sender's outbox, a queued
// pull runs once it is unlocked; locking in the middle of a clone, on either side, loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { codeOf, countingRtc, eventually, Net, noise, shareWith, trustEachOther } from '../../utils/keynodes.js';

const PASSPHRASE = 'peers locking passphrase';

let net: Net;
let owner: Keynode;
let peer: Keynode;

beforeAll(async () => {
  net = await Net.start();
  [owner, peer] = await Promise.all([net.node('owner', { passphrase: PASSPHRASE }), net.node('peer', { passphrase: PASSPHRASE })]);
  await trustEachOther(owner, peer);
});
afterAll(async () => {
  await net?.stopAll();
});

async function sharedVault(name: string, secrets: number, bytes = 16): Promise<void> {
  await owner.vaults.create(name);
  await owner.secrets.batch(
    name,
    Array.from({ length: secrets }, (_, i) => ({ op: 'write' as const, path: `d${i % 10}/s${i}`, content: i === 0 ? noise(bytes) : `value ${i}` })),
  );
  await shareWith(owner, name, peer);
}

describe('a locked owner', () => {
  it('answers clone, pull and scan with ErrorKeynodeLocked, saying the other keynode is locked', async () => {
    await sharedVault('locked-owner', 3);
    const clone = await peer.vaults.clone('locked-owner', owner.nodeId);
    await owner.lock();
    try {
      expect((await owner.network.status()).signaling).toBe('connected');
      for (const call of [() => peer.vaults.pull(clone), () => peer.vaults.scan(owner.nodeId), () => peer.vaults.clone('locked-owner', owner.nodeId)]) {
        const e = await call().then(
          () => undefined,
          (err: { code: string; message: string }) => err,
        );
        expect(e).toMatchObject({ code: 'ErrorKeynodeLocked', message: 'The other keynode is locked: it can answer once its owner unlocks it.' });
      }
      // Nothing was half-made on the requester's side.
      expect((await peer.vaults.list()).filter((v) => v.vaultName.startsWith('locked-owner'))).toHaveLength(1);
    } finally {
      await owner.unlock(PASSPHRASE);
    }
    expect((await peer.vaults.pull(clone)).from).toBeDefined();
  });

  it('a notification to it waits in the outbox and arrives after the unlock', async () => {
    await owner.lock();
    await peer.notifications.send(owner.nodeId, 'while you were locked');
    // Not refused: still owed.
    await eventually(async () => (await peer.notifications.outbox.read()).some((o) => o.attempts > 0));
    expect((await peer.notifications.outbox.read()).length).toBeGreaterThan(0);
    await owner.unlock(PASSPHRASE);
    await peer.network.connect(); // a retry now rather than at the next back-off
    await eventually(async () => (await owner.notifications.read()).some((n) => n.data.type === 'General' && n.data.message === 'while you were locked'));
    await eventually(async () => (await peer.notifications.outbox.read()).length === 0);
  });

  it('a queued pull waits while it is locked and runs once it is unlocked', async () => {
    await sharedVault('queued-locked', 2);
    const clone = await peer.vaults.clone('queued-locked', owner.nodeId);
    await owner.secrets.write('queued-locked', 'later', 'after the lock');
    await owner.lock();
    const queued = await peer.vaults.queuePull(clone);
    expect(queued.failed).toBeUndefined();
    await eventually(async () => ((await peer.vaults.queuedPulls())[0]?.attempts ?? 0) > 0);
    expect((await peer.vaults.queuedPulls())[0]?.failed).toBeUndefined();
    await owner.unlock(PASSPHRASE);
    await eventually(async () => (await peer.vaults.queuedPulls()).length === 0);
    expect(await peer.secrets.getText(clone, 'later')).toBe('after the lock');
  });
});

describe('locking in the middle of a clone', () => {
  it('on the cloning side: the lock waits for the clone, which is whole after the unlock', async () => {
    await sharedVault('mid-clone-peer', 300, 2 << 20);
    const cloning = peer.vaults.clone('mid-clone-peer', owner.nodeId);
    await eventually(async () => (await peer.network.status()).peers.includes(owner.nodeId));
    await peer.lock();
    const clone = await cloning;
    expect(await codeOf(peer.vaults.list())).toBe('ErrorKeynodeLocked');
    await peer.unlock(PASSPHRASE);
    expect(await peer.secrets.getText(clone, 'd9/s299')).toBe('value 299');
    expect((await peer.secrets.get(clone, 'd0/s0')).length).toBe(2 << 20);
    expect((await peer.vaults.log(clone)).map((c) => c.commitId)).toEqual((await owner.vaults.log('mid-clone-peer')).map((c) => c.commitId));
  });

  it('on the owner’s side: the lock waits for the pack being sent; the next request is told it is locked', async () => {
    // An owner whose sent bytes are counted, so the lock comes while its pack is streaming.
    const counting = countingRtc();
    const streamer = await net.node('streamer', { passphrase: PASSPHRASE, rtc: counting.rtc });
    await streamer.vaults.create('mid-clone-owner');
    await streamer.secrets.write('mid-clone-owner', 'big', noise(4 << 20));
    await shareWith(streamer, 'mid-clone-owner', peer);
    let locking: Promise<void> | undefined;
    counting.sent.onSend = (total) => {
      if (total > 1 << 20) locking ??= streamer.lock();
    };
    const clone = await peer.vaults.clone('mid-clone-owner', streamer.nodeId);
    expect(locking).toBeDefined();
    await locking;
    expect((await streamer.lockState()).locked).toBe(true);
    expect((await peer.secrets.get(clone, 'big')).length).toBe(4 << 20);
    expect(await codeOf(peer.vaults.pull(clone))).toBe('ErrorKeynodeLocked');
  });
});
