// A peer that vanishes without a goodbye (a closed or killed tab): its WebRTC connection goes silent
// and WebRTC itself notices only after many seconds. The signaling server does notice at once (the
// socket closed) and tells those watching it — and a keynode watches every peer it is connected
// to — so the dead connection is dropped and the next request dials afresh. Here the keynode comes
// back restored from its recovery code in another "browser", and the first scan after that is
// answered at once instead of hanging on the old connection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeynode, type Keynode } from '../../../src/index.js';
import { codeOf, eventually, freshName, Net, shareWith, trustEachOther, vanishingRtc } from '../../utils/keynodes.js';

let net: Net;
const gone = vanishingRtc();

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  gone.release();
  await net?.stopAll();
});

it('a peer that vanished is forgotten when signaling says it left, and its restored keynode is reached at once', async () => {
  const alice = await net.node('alice', { rtc: gone.rtc });
  const code = alice.recoveryCode!;
  const bob: Keynode = await net.node('bob');
  await trustEachOther(alice, bob);
  await alice.vaults.create('v');
  await shareWith(alice, 'v', bob);
  expect((await bob.vaults.scan(alice.nodeId)).map((v) => v.vaultName)).toEqual(['v']);
  expect((await bob.network.status()).peers).toContain(alice.nodeId);

  // Alice's tab dies: her connection to Bob goes silent (no close reaches him); her signaling
  // socket closes.
  gone.vanish();
  await alice.stop();
  await eventually(async () => !(await bob.network.status()).peers.includes(alice.nodeId));

  // Her keynode, restored elsewhere from the recovery code, has no vaults and knows nobody yet.
  const restored = await createKeynode({ storage: 'memory', name: freshName('alice-restored'), signalingUrl: net.url, recoveryCode: code });
  net.started.push(restored);
  expect(restored.nodeId).toBe(alice.nodeId);
  expect(await codeOf(bob.vaults.scan(alice.nodeId))).toBe('ErrorVaultsPermissionDenied');
}, 60_000);
