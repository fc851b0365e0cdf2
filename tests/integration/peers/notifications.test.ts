// Notifications between real keynodes (scenarios 16–17, 27–28, 32 and Polykey B8): a share's
// notification reaches the recipient's inbox directly, or through the signaling mailbox at its next
// login; the receiver's trust gate (refusal the sender records, the requests list, the inbox);
// signatures, destinations and the binding of a notification's issuer to the authenticated channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { codeOf, eventually, freshName, Net, rawPeer, tokenOf, trustEachOther } from '../../utils/keynodes.js';

let net: Net;

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  await net?.stopAll();
});

/** What `k`'s inbox holds (reading marks read; fine here). */
const inbox = async (k: Keynode) => k.notifications.read();

describe('share notifications', () => {
  it("reach the recipient's inbox when both are online, and leave the sender's outbox", async () => {
    const [owner, peer] = await Promise.all([net.node('owner'), net.node('peer')]);
    await trustEachOther(owner, peer);
    const vaultId = await owner.vaults.create('shared-online');
    await owner.vaults.share('shared-online', peer.nodeId);
    const item = await eventually(async () => (await peer.notifications.read({ unread: true })).find((n) => n.data.type === 'VaultShare'));
    expect(item.from).toBe(owner.nodeId);
    expect(item.data).toEqual({ type: 'VaultShare', vaultId, vaultName: 'shared-online', actions: ['clone', 'pull'] });
    await eventually(async () => (await owner.notifications.outbox.read()).length === 0);
  });

  it('to a keynode that is offline go to the mailbox and arrive at its next login', async () => {
    const name = freshName('offline-peer');
    const owner = await net.node('owner');
    let peer = await net.node('peer', { name });
    const peerId = peer.nodeId;
    await trustEachOther(owner, peer);
    await peer.stop();
    const vaultId = await owner.vaults.create('shared-offline');
    await owner.vaults.share('shared-offline', peerId);
    // Handed to the signaling server's mailbox: nothing is left to retry.
    await eventually(async () => (await owner.notifications.outbox.read()).length === 0);
    peer = await net.node('peer', { name });
    expect(peer.nodeId).toBe(peerId);
    const item = await eventually(async () => (await inbox(peer)).find((n) => n.data.type === 'VaultShare'));
    expect(item).toMatchObject({ from: owner.nodeId, data: { type: 'VaultShare', vaultId, vaultName: 'shared-offline' } });
    // The share itself works as well: the restarted keynode clones.
    const cloneId = await peer.vaults.clone(vaultId, owner.nodeId);
    expect((await peer.vaults.log(cloneId)).length).toBe(1);
  });
});

describe('sharing needs a known node; the share stands even when its notification fails (15, 17)', () => {
  it('sharing with a node not in the graph is refused and grants nothing', async () => {
    const [owner, peer] = await Promise.all([net.node('owner'), net.node('peer')]);
    await owner.vaults.create('not-yet');
    expect(await codeOf(owner.vaults.share('not-yet', peer.nodeId))).toBe('ErrorGestaltsGraphNodeIdMissing');
    expect(await owner.vaults.permissions('not-yet')).toEqual([]);
    expect(await owner.notifications.outbox.read()).toEqual([]);
    expect(await codeOf(peer.vaults.clone('not-yet', owner.nodeId))).toBe('ErrorVaultsPermissionDenied');
  });

  it('a recipient that does not know the sender refuses the notification, yet can clone', async () => {
    const [owner, peer] = await Promise.all([net.node('owner'), net.node('peer')]);
    await owner.gestalts.trust(peer.nodeId); // the peer has no record for the owner
    await owner.vaults.create('shared-anyway');
    await owner.vaults.share('shared-anyway', peer.nodeId);
    const failed = await eventually(async () => (await owner.notifications.outbox.read()).find((o) => o.failed === true));
    expect(failed).toMatchObject({ to: peer.nodeId, data: { type: 'VaultShare', vaultName: 'shared-anyway' } });
    expect(failed.lastError?.code).toBe('ErrorNotificationsPermissionsNotFound');
    expect(await peer.notifications.read()).toEqual([]);
    const copy = await peer.vaults.clone('shared-anyway', owner.nodeId);
    expect((await peer.vaults.list()).find((v) => v.vaultId === copy)?.vaultName).toBe('shared-anyway');
  });
});

describe('the receiver decides (scenario 28)', () => {
  let sender: Keynode;
  beforeAll(async () => {
    sender = await net.node('sender');
  });

  it("no record for the sender: the sender's outbox marks it failed with ErrorNotificationsPermissionsNotFound", async () => {
    const receiver = await net.node('receiver');
    await sender.notifications.send(receiver.nodeId, 'hello stranger');
    const failed = await eventually(async () => (await sender.notifications.outbox.read()).find((o) => o.to === receiver.nodeId && o.failed === true));
    expect(failed.lastError?.code).toBe('ErrorNotificationsPermissionsNotFound');
    expect(await inbox(receiver)).toEqual([]);
    expect(await receiver.notifications.requests.read()).toEqual([]);
  });

  it("a record without notify: the notification lands in the receiver's requests list, not its inbox", async () => {
    const receiver = await net.node('receiver');
    await receiver.gestalts.trust(sender.nodeId);
    await receiver.gestalts.disallow(sender.nodeId, 'notify');
    await sender.notifications.send(receiver.nodeId, 'may I?');
    const request = await eventually(async () => (await receiver.notifications.requests.read()).find((r) => r.from === sender.nodeId));
    expect(request.data).toEqual({ type: 'General', message: 'may I?' });
    expect(await inbox(receiver)).toEqual([]);
    await eventually(async () => !(await sender.notifications.outbox.read()).some((o) => o.to === receiver.nodeId));
  });

  it("with notify: the notification is in the receiver's inbox, unread", async () => {
    const receiver = await net.node('receiver');
    await receiver.gestalts.trust(sender.nodeId);
    await sender.notifications.send(receiver.nodeId, 'hi friend');
    const item = await eventually(async () => (await receiver.notifications.read({ unread: true })).find((n) => n.from === sender.nodeId));
    expect(item.data).toEqual({ type: 'General', message: 'hi friend' });
    expect(await receiver.notifications.read({ unread: true })).toEqual([]);
  });
});

describe('signed, addressed and bound to the channel (scenario 27, B8)', () => {
  it('the receiver refuses a notification addressed to someone else, or altered; accepts a good one', async () => {
    const [receiver, other] = await Promise.all([net.node('receiver'), net.node('other')]);
    const raw = await rawPeer(net);
    await receiver.gestalts.trust(raw.nodeId);
    const rpc = await raw.connect(receiver.nodeId);
    const misaddressed = await raw.signNotification(other.nodeId, { type: 'General', message: 'not for you' });
    expect(await codeOf(rpc.callUnary('notifications.send', { token: misaddressed }))).toBe('ErrorNotificationsInvalidDestination');
    const good = await raw.signNotification(receiver.nodeId, { type: 'General', message: 'original' });
    const altered = good.replace('original', 'tampered');
    expect(await codeOf(rpc.callUnary('notifications.send', { token: altered }))).toBe('ErrorNotificationsVerificationFailed');
    expect(await inbox(receiver)).toEqual([]);
    expect(await rpc.callUnary('notifications.send', { token: good })).toMatchObject({ status: 'inbox' });
    expect((await inbox(receiver)).map((n) => n.data)).toEqual([{ type: 'General', message: 'original' }]);
  });

  it('a token whose issuer is not the authenticated peer is refused (B8), though the token itself is valid', async () => {
    const [receiver, third] = await Promise.all([net.node('receiver'), net.node('third')]);
    await receiver.gestalts.trust(third.nodeId);
    await third.vaults.create('third-vault');
    // A VaultShare signed by `third`, addressed to `receiver`: what a relaying peer could replay.
    const link = await third.vaults.shareLink('third-vault', receiver.nodeId);
    const raw = await rawPeer(net);
    await receiver.gestalts.trust(raw.nodeId);
    const rpc = await raw.connect(receiver.nodeId);
    expect(await codeOf(rpc.callUnary('notifications.send', { token: tokenOf(link) }))).toBe('ErrorNotificationsVerificationFailed');
    expect(await inbox(receiver)).toEqual([]);
    // The same token opened by the user as a link is accepted: only the channel binding refused it.
    const opened = await receiver.notifications.openLink(link);
    expect(opened.from).toBe(third.nodeId);
  });
});
