// Presence through a real keynode: it lists as its signaling contacts the nodes its ACL grants
// anything (here, trust), so those see it come and go, while a stranger watching its NodeId reads
// it as offline throughout.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loggedIn, makeIdentity, settled, type RawPeer } from '../../../signaling-server/tests/helpers.js';
import { Net } from '../../utils/keynodes.js';

let net: Net;

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  await net?.stopAll();
});

/** The next presence news about `nodeId` of the given type, skipping others. */
async function presence(peer: RawPeer, type: 'peer-online' | 'peer-offline', nodeId: string): Promise<void> {
  for (;;) if ((await peer.next(type, 20_000)).nodeId === nodeId) return;
}

it("a keynode's presence is seen by the nodes it trusts, not by strangers", async () => {
  const alice = await net.node('alice');
  const [friend, mallory] = [await makeIdentity(), await makeIdentity()];
  await alice.gestalts.trust(friend.nodeId);
  // The contact list follows the ACL at each login (and after each outbox flush).
  await alice.network.disconnect();
  await alice.network.connect();

  const [f, m] = [await loggedIn(net.url, friend), await loggedIn(net.url, mallory)];
  f.peer.send({ type: 'watch', nodeIds: [alice.nodeId] });
  m.peer.send({ type: 'watch', nodeIds: [alice.nodeId] });
  await presence(f.peer, 'peer-online', alice.nodeId);
  await presence(m.peer, 'peer-offline', alice.nodeId);

  await alice.network.disconnect();
  await presence(f.peer, 'peer-offline', alice.nodeId);
  await alice.network.connect();
  await presence(f.peer, 'peer-online', alice.nodeId);
  // Mallory, after a round trip through the server, has heard only the first "offline".
  await settled(m.peer);
  expect(m.peer.messages.filter((x) => x.nodeId === alice.nodeId).map((x) => x.type)).toEqual(['peer-offline']);
});
