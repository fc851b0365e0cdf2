// A notification the signaling server will not store (the recipient's mailbox is full) is not lost:
// the sender's outbox shows it as "not delivered yet" with the reason and the time of the next
// attempt, and hands it over directly as soon as the recipient comes online. Real keynodes, a real
// signaling server whose mailbox holds one item, real WebRTC on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeynode, type Keynode } from '../../../src/index.js';
import { startSignalingServer, type SignalingServer } from '../../../signaling-server/src/index.js';
import { eventually, freshName } from '../../utils/keynodes.js';

let server: SignalingServer;
const started: Keynode[] = [];
beforeAll(async () => {
  server = await startSignalingServer({ port: 0, limits: { mailboxMaxItems: 1 } });
});
afterAll(async () => {
  await Promise.all(started.map((k) => k.stop().catch(() => undefined)));
  await server?.close();
});

async function node(label: string, name = freshName(label)): Promise<Keynode> {
  const k = await createKeynode({ storage: 'memory', name, signalingUrl: server.url });
  started.push(k);
  return k;
}

describe('a full mailbox', () => {
  it('leaves the notification visibly "not delivered yet", and it arrives when the recipient is back', async () => {
    const recipientName = freshName('recipient');
    const [sender, away] = await Promise.all([node('sender'), node('recipient', recipientName)]);
    await away.gestalts.trust(sender.nodeId);
    await sender.gestalts.trust(away.nodeId);
    const recipientId = away.nodeId;
    await away.stop();

    await sender.notifications.send(recipientId, 'first: fits in the mailbox');
    await eventually(async () => (await sender.notifications.outbox.read()).length === 0);
    const before = Date.now();
    await sender.notifications.send(recipientId, 'second: the mailbox is full');
    const waiting = await eventually(async () => (await sender.notifications.outbox.read()).find((o) => o.attempts > 0));
    expect(waiting).toMatchObject({ to: recipientId, state: 'not-delivered-yet', data: { type: 'General', message: 'second: the mailbox is full' } });
    expect(waiting.failed).toBeUndefined();
    expect(waiting.lastError?.code).toBe('ErrorSignalingMailboxFull');
    expect(waiting.lastError?.message).toMatch(/offline and its mailbox on the signaling server takes no more/);
    expect(waiting.nextAttemptAt).toBeGreaterThan(before);

    // The recipient comes back: the mailbox item arrives at login, the waiting one over the channel.
    const back = await node('recipient', recipientName);
    expect(back.nodeId).toBe(recipientId);
    const messages = await eventually(async () => {
      const got = (await back.notifications.read({ order: 'asc' })).map((i) => (i.data as { message: string }).message);
      return got.length === 2 ? got : undefined;
    });
    expect(messages.sort()).toEqual(['first: fits in the mailbox', 'second: the mailbox is full']);
    await eventually(async () => (await sender.notifications.outbox.read()).length === 0);
  });
});
