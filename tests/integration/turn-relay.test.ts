// Clone and pull between two real keynodes forced through a real TURN relay (coturn, started by the
// test on loopback), each logged in to a different signaling instance sharing a real redis-server.
// The keynodes pass no ICE servers: they use the TURN credentials the signaling server hands out
// (coturn's use-auth-secret scheme), and relay-only ICE gathers nothing but relay candidates. Proof
// the bytes went through the relay: the selected candidate pairs are relay ones (getStats), and
// coturn's log shows allocations for both NodeIds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeynode, type Keynode } from '../../src/index.js';
import type { RtcImpl } from '../../src/network/byte-channel.js';
import { relayOnly } from '../../src/network/relay-only.js';
import { nodeRtc } from '../../src/platform/node-rtc.js';
import { startSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { codeOf, freshName, shareWith } from '../utils/keynodes.js';
import { startRedis, startTurn, type RedisProcess, type TurnProcess } from '../utils/services.js';

let redis: RedisProcess;
let turn: TurnProcess;
const servers: SignalingServer[] = [];
const nodes: Keynode[] = [];
/** Every peer connection the keynodes made, to read their stats. */
const connections: RTCPeerConnection[] = [];

/** Relay-only WebRTC that also records each peer connection it makes. */
function recordingRelayRtc(): RtcImpl {
  const rtc = relayOnly(nodeRtc());
  const Base = rtc.RTCPeerConnection;
  class Recorded extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push(this);
    }
  }
  return { ...rtc, RTCPeerConnection: Recorded };
}

/** The candidate types (local, remote) of the pair ICE selected, or undefined before one is. */
async function selectedPair(pc: RTCPeerConnection): Promise<{ local: string; remote: string } | undefined> {
  const stats = new Map<string, Record<string, unknown>>();
  (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s));
  let pair: Record<string, unknown> | undefined;
  for (const s of stats.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = stats.get(s.selectedCandidatePairId);
  }
  pair ??= [...stats.values()].find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
  if (pair === undefined) return undefined;
  const local = stats.get(pair.localCandidateId as string);
  const remote = stats.get(pair.remoteCandidateId as string);
  return { local: String(local?.candidateType), remote: String(remote?.candidateType) };
}

beforeAll(async () => {
  [redis, turn] = await Promise.all([startRedis(), startTurn()]);
  for (let i = 0; i < 2; i++) {
    servers.push(await startSignalingServer({ port: 0, redisUrl: redis.url, turn: { urls: [turn.url], secret: turn.secret, ttlS: 600 } }));
  }
});
afterAll(async () => {
  await Promise.all(nodes.splice(0).map((k) => k.stop().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all([redis?.stop(), turn?.stop()]);
});

describe('TURN relay', () => {
  it('clones and pulls between keynodes on different signaling instances through the relay only', async () => {
    const start = (label: string, server: SignalingServer) =>
      createKeynode({ storage: 'memory', name: freshName(label), signalingUrl: server.url, rtc: recordingRelayRtc() });
    const owner = await start('turn-owner', servers[0]!);
    const peer = await start('turn-peer', servers[1]!);
    nodes.push(owner, peer);

    await owner.vaults.create('relayed');
    await owner.secrets.write('relayed', 'first', 'through the relay');
    await shareWith(owner, 'relayed', peer);
    const localId = await peer.vaults.clone('relayed', owner.nodeId);
    expect(await peer.secrets.getText(localId, 'first')).toBe('through the relay');
    await owner.secrets.write('relayed', 'second', 'pulled through the relay');
    await peer.vaults.pull(localId);
    expect(await peer.secrets.getText(localId, 'second')).toBe('pulled through the relay');

    // Every connection that carried anything used relay candidates on both ends.
    const pairs = (await Promise.all(connections.map(selectedPair))).filter((p) => p !== undefined);
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    for (const pair of pairs) expect(pair).toEqual({ local: 'relay', remote: 'relay' });
    // And coturn allocated relays for both NodeIds, with the credentials the signaling server made.
    const log = turn.log();
    for (const nodeId of [owner.nodeId, peer.nodeId]) {
      expect(log).toMatch(new RegExp(`user <\\d+:${nodeId}>: incoming packet ALLOCATE processed, success`));
    }
  });

  it('cannot connect relay-only when the signaling server hands out no TURN server (the control)', async () => {
    const plain = await startSignalingServer({ port: 0 });
    servers.push(plain);
    const start = (label: string) =>
      createKeynode({ storage: 'memory', name: freshName(label), signalingUrl: plain.url, rtc: relayOnly(nodeRtc()), connectTimeoutMs: 3000 });
    const owner = await start('no-turn-owner');
    const peer = await start('no-turn-peer');
    nodes.push(owner, peer);
    await owner.vaults.create('unreachable');
    await shareWith(owner, 'unreachable', peer);
    expect(await codeOf(peer.vaults.clone('unreachable', owner.nodeId))).toBe('ErrorNodeConnectionFailed');
  });
});
