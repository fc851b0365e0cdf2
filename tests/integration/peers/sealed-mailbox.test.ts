// Sealed mailbox items between real keynodes over a real signaling server: what the server stores
// for an offline recipient — read straight from its mailbox store — holds neither the vault's name,
// nor the sender's NodeId, nor the signed token, only ciphertext of a bucketed size; the recipient
// still gets the share when it comes online. Damaged items deposited beside it are dropped alone.
// An item that reaches a locked keynode waits on the server and arrives after the unlock.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { decodeNodeId, encodeNodeId, randomBytes, type NodeId } from '../../../src/ids/index.js';
import { keyPairFromSeed, sign } from '../../../src/keys/crypto.js';
import { Network } from '../../../src/keynode/network.js';
import { SignalingClient } from '../../../src/network/signaling-client.js';
import { sealForMailbox } from '../../../src/notifications/sealed-item.js';
import { nodeRtc } from '../../../src/platform/node-rtc.js';
import type { RtcImpl } from '../../../src/network/byte-channel.js';
import type { MailboxItem } from '../../../protocol/signaling.js';
import { MemoryMailboxStore } from '../../../signaling-server/src/stores/memory-mailbox-store.js';
import { eventually, freshName, Net, trustEachOther } from '../../utils/keynodes.js';

const PASSPHRASE = 'sealed mailbox passphrase';

let net: Net;
// The server runs in this process: its store is read where it keeps the items, and the tokens are
// read where the sender hands them to the network, before they are sealed.
const puts = vi.spyOn(MemoryMailboxStore.prototype, 'put');
const deliveries = vi.spyOn(Network.prototype, 'deliver');
// Where a keynode takes mailbox items in (to see one reach the locked keynode).
const taken = vi.spyOn(Network.prototype as unknown as { receiveMailbox(items: MailboxItem[]): Promise<void> }, 'receiveMailbox');

beforeAll(async () => {
  net = await Net.start();
});
afterAll(async () => {
  await net?.stopAll();
  puts.mockRestore();
  deliveries.mockRestore();
  taken.mockRestore();
});

/** What the server's mailbox store holds for `to` right now. */
async function stored(to: NodeId): Promise<MailboxItem[]> {
  const store = puts.mock.contexts[0] as MemoryMailboxStore | undefined;
  return store === undefined ? [] : store.list(to);
}

/** The signed tokens the sender handed to its network for `to` (the plaintext the server must not see). */
function tokensTo(to: NodeId): string[] {
  return deliveries.mock.calls.filter(([recipient]) => recipient === to).map(([, token]) => token);
}

const bytesOf = (text: string) => Buffer.from(text, 'utf8');

describe('a share to an offline keynode', () => {
  it('is stored sealed — no vault name, sender or token — and reaches the recipient when it logs in', async () => {
    const name = freshName('sealed-peer');
    const owner = await net.node('owner');
    let peer = await net.node('peer', { name });
    const peerId = peer.nodeId as NodeId;
    await trustEachOther(owner, peer);
    await peer.stop();

    const vaultName = `quarterly-payroll-${Math.random().toString(36).slice(2, 10)}`;
    const vaultId = await owner.vaults.create(vaultName);
    await owner.vaults.share(vaultName, peerId);
    await eventually(async () => (await owner.notifications.outbox.read()).length === 0);

    const [item, ...more] = await stored(peerId);
    expect(more).toEqual([]);
    const [token] = tokensTo(peerId);
    expect(token).toContain(vaultName); // the control: the plaintext token does name the vault
    // The depositor is known to the server from its login, and only there.
    expect(item!.from).toBe(owner.nodeId);
    const text = item!.token;
    const box = Buffer.from(text, 'base64url');
    expect(box.toString('base64url')).toBe(text);
    for (const needle of [vaultName, owner.nodeId, token!, vaultId, 'VaultShare', 'signatures', peerId]) {
      expect(text.includes(needle), needle).toBe(false);
      expect(box.includes(bytesOf(needle)), needle).toBe(false);
    }
    expect(box.includes(Buffer.from(decodeNodeId(owner.nodeId)!))).toBe(false);
    // The smallest bucket's size, whatever the vault's name: 1024 bytes plus the box's 53.
    expect(box.length).toBe(1024 + 53);

    peer = await net.node('peer', { name });
    expect(peer.nodeId).toBe(peerId);
    const share = await eventually(async () => (await peer.notifications.read()).find((n) => n.data.type === 'VaultShare'));
    expect(share).toMatchObject({ from: owner.nodeId, data: { type: 'VaultShare', vaultId, vaultName } });
    // Acknowledged once taken: the server keeps nothing for it.
    await eventually(async () => (await stored(peerId)).length === 0);
  });
});

describe('a batch with damaged items', () => {
  it('drops each damaged item alone: the share beside them arrives, and nothing is left on the server', async () => {
    const name = freshName('batch-peer');
    const owner = await net.node('owner');
    let peer = await net.node('peer', { name });
    const peerId = peer.nodeId as NodeId;
    await trustEachOther(owner, peer);
    await peer.stop();

    // Someone logged in to the server deposits what no keynode would: junk of a bucket's length,
    // text that is not base64url, and a box sealed to another keynode.
    const pair = await keyPairFromSeed(randomBytes(32));
    const depositor = new SignalingClient({
      url: net.url,
      nodeId: encodeNodeId(pair.publicKey),
      sign: (b) => sign(pair.privateKey, b),
      WebSocket: WebSocket as never,
    });
    await depositor.connect();
    net.started.push({ stop: () => depositor.close() });
    for (const junk of ['A'.repeat(1436), 'not base64url!', await sealForMailbox(owner.nodeId as NodeId, 'for someone else')])
      await depositor.putMailbox(peerId, junk);
    await owner.vaults.create('beside-the-junk');
    await owner.vaults.share('beside-the-junk', peerId);
    await eventually(async () => (await owner.notifications.outbox.read()).length === 0);
    expect(await stored(peerId)).toHaveLength(4);

    peer = await net.node('peer', { name });
    const share = await eventually(async () => (await peer.notifications.read()).find((n) => n.data.type === 'VaultShare'));
    expect(share).toMatchObject({ from: owner.nodeId, data: { vaultName: 'beside-the-junk' } });
    expect(await peer.notifications.requests.read()).toEqual([]);
    await eventually(async () => (await stored(peerId)).length === 0);
  });
});

describe('a sealed item that reaches a locked keynode', () => {
  it('waits on the server and is taken after the unlock', async () => {
    // The sender cannot make WebRTC connections (as on a network that blocks them), so even to an
    // online recipient its notification goes through the mailbox, which the server relays at once.
    const blocked: RtcImpl = {
      ...nodeRtc(),
      RTCPeerConnection: class {
        constructor() {
          throw new Error('WebRTC is blocked on this network');
        }
      } as unknown as RtcImpl['RTCPeerConnection'],
    };
    const sender = await net.node('blocked-sender', { rtc: blocked });
    const recipient = await net.node('locked-recipient', { passphrase: PASSPHRASE });
    const recipientId = recipient.nodeId as NodeId;
    await trustEachOther(sender, recipient);
    await recipient.lock();

    await sender.notifications.send(recipientId, 'sealed while you were locked');
    await eventually(async () => (await sender.notifications.outbox.read()).length === 0);
    const [waiting] = await stored(recipientId);
    expect(waiting).toBeDefined();
    // The locked keynode was handed the item and has finished with it: it is still on the server.
    const handed = await eventually(() => taken.mock.calls.findIndex(([items]) => items.some((i) => i.id === waiting!.id)) + 1);
    await taken.mock.results[handed - 1]!.value;
    expect((await stored(recipientId)).map((i) => i.id)).toEqual([waiting!.id]);

    await recipient.unlock(PASSPHRASE);
    const item = await eventually(async () => (await recipient.notifications.read()).find((n) => n.data.type === 'General'));
    expect(item).toMatchObject({ from: sender.nodeId, data: { message: 'sealed while you were locked' } });
    await eventually(async () => (await stored(recipientId)).length === 0);
  });
});
