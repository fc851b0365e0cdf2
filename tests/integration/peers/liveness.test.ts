// Liveness over real WebRTC: a peer whose data channel goes silent — nothing sent, nothing heard,
// nothing closed — while its signaling socket stays up, so the signaling server never says it left.
// Before heartbeats only the stream's 30 s no-progress timeout noticed; now the RPC heartbeat
// (src/network/rpc-heartbeat.ts) declares the connection dead within about 4.5 s and the waiting
// call fails with ErrorNodeConnectionFailed instead of hanging.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { eventually, Net, shareWith, trustEachOther, vanishingRtc } from '../../utils/keynodes.js';

let net: Net;
const silent = vanishingRtc();

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  silent.release();
  await net?.stopAll();
});

it('notices a silently dropped data channel within the liveness bound, with signaling still up', async () => {
  const alice = await net.node('alice', { rtc: silent.rtc });
  const bob = await net.node('bob');
  await trustEachOther(alice, bob);
  await alice.vaults.create('v');
  await shareWith(alice, 'v', bob);
  expect((await bob.vaults.scan(alice.nodeId)).map((v) => v.vaultName)).toEqual(['v']);
  expect((await bob.network.status()).peers).toContain(alice.nodeId);

  // Alice's WebRTC path dies without a close; her keynode and her signaling login stay up.
  silent.vanish();
  const dropped = Date.now();
  let failedAt = 0;
  const outcome = await bob.vaults.scan(alice.nodeId).then(
    () => 'answered',
    (e: unknown) => {
      failedAt = Date.now();
      return isKeynodeError(e) ? e.code : String(e);
    },
  );
  expect(outcome).toBe('ErrorNodeConnectionFailed');
  const noticedMs = failedAt - dropped;
  console.warn(`[measure] the silent channel was noticed ${noticedMs} ms after the drop`);
  // The heartbeat declares death after 4 s of silence, checked every 0.5 s; 8 s is the generous bound.
  expect(noticedMs).toBeLessThan(8000);
  // The dead connection is forgotten, and Alice is still logged in to signaling.
  await eventually(async () => !(await bob.network.status()).peers.includes(alice.nodeId));
  expect((await alice.network.status()).signaling).toBe('connected');
}, 60_000);
