// 'vault-changed' against what a user can see: every API method is called once (the list below
// must name them all), and each call that changed a vault — its name, remote, latest commit, the
// files of its checked-out version, its queued pull, or its existence — reported exactly one event
// for that vault, with the reason the API table declares; a call that changed nothing reported
// nothing. A method that changes a vault without saying so in the table fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { API, METHODS, type ApiPath, type MethodSpec } from '../../../src/keynode/api.js';
import type { VaultChange } from '../../../src/keynode/vault-changes.js';
import { eventually, Net, shareWith } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let k: Keynode;

beforeAll(async () => {
  net = await Net.start();
  [owner, k] = await Promise.all([net.node('owner'), net.node('k')]);
  await owner.vaults.create('origin');
  await owner.secrets.write('origin', 'first', '1');
  await shareWith(owner, 'origin', k);
  await k.gestalts.trust(owner.nodeId);
});
afterAll(async () => {
  await net?.stopAll();
});

type Snapshot = Map<string, string>;

/** Everything a user sees of each vault, by VaultId. */
async function snapshot(): Promise<Snapshot> {
  const queued = await k.vaults.queuedPulls();
  const out: Snapshot = new Map();
  for (const v of await k.vaults.list()) {
    const [head] = await k.vaults.log(v.vaultId, { limit: 1 });
    const files = await k.secrets.list(v.vaultId);
    const pull = queued.find((q) => q.vaultId === v.vaultId);
    out.set(v.vaultId, JSON.stringify([v.vaultName, v.remote, head?.commitId, files, pull?.queuedAt, pull?.attempts]));
  }
  return out;
}

function changedVaults(before: Snapshot, after: Snapshot): string[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort();
}

const PASSPHRASE = 'a passphrase for the events test';
const NEW_PASSPHRASE = 'another passphrase for the events test';

/** Each step calls the methods it names, in the order a user might. */
const steps: Array<[ApiPath[], () => Promise<unknown>]> = [];
const step = (methods: ApiPath | ApiPath[], run: () => Promise<unknown>): void => {
  steps.push([Array.isArray(methods) ? methods : [methods], run]);
};
let firstCommit = '';
let backupFile: Uint8Array = new Uint8Array();
let cloneId = '';
step('vaults.create', () => k.vaults.create('v'));
step('secrets.add', () => k.secrets.add('v', 'a', '1'));
step('secrets.update', () => k.secrets.update('v', 'a', '2'));
step('secrets.write', () => k.secrets.write('v', 'b', '3'));
step('secrets.mkdir', () => k.secrets.mkdir('v', 'd'));
step('secrets.rename', () => k.secrets.rename('v', 'b', 'd/b'));
step('secrets.delete', () => k.secrets.delete('v', 'a'));
step('secrets.batch', () => k.secrets.batch('v', [{ op: 'write', path: 'e', content: '4' }]));
step('secrets.import', () => k.secrets.import('v', 'IMPORTED=1\n', { format: 'dotenv' }));
step('secrets.import', () => k.secrets.import('v', 'DRY=1\n', { format: 'dotenv', dryRun: true }));
step('secrets.get', () => k.secrets.get('v', 'e'));
step('secrets.getText', () => k.secrets.getText('v', 'e'));
step('secrets.stat', () => k.secrets.stat('v', 'e'));
step('secrets.list', () => k.secrets.list('v', 'd'));
step('secrets.env', () => k.secrets.env('v'));
step('secrets.find', () => k.secrets.find('v', 'b'));
step('vaults.list', () => k.vaults.list());
step('vaults.log', async () => (firstCommit = (await k.vaults.log('v')).at(-1)!.commitId));
step('vaults.version', () => k.vaults.version('v', firstCommit));
step('vaults.version', () => k.vaults.version('v', 'last'));
step('vaults.fork', () => k.vaults.fork('v', 'f'));
step('vaults.rename', () => k.vaults.rename('f', 'g'));
step('vaults.delete', () => k.vaults.delete('g'));
step('vaults.backup', async () => (backupFile = await k.vaults.backup('v', PASSPHRASE)));
step('vaults.restoreBackup', () => k.vaults.restoreBackup(backupFile, PASSPHRASE, { name: 'restored' }));
step('vaults.backupReminders', () => k.vaults.backupReminders());
step('vaults.share', () => k.vaults.share('v', owner.nodeId));
step('vaults.permissions', () => k.vaults.permissions('v'));
step('vaults.shareLink', () => k.vaults.shareLink('v', owner.nodeId));
step('vaults.unshare', () => k.vaults.unshare('v', owner.nodeId));
step('vaults.scan', () => k.vaults.scan(owner.nodeId));
step('vaults.clone', async () => (cloneId = await k.vaults.clone('origin', owner.nodeId)));
step('vaults.pull', async () => {
  await owner.secrets.write('origin', 'second', '2');
  const seen: VaultChange[] = [];
  const off = k.on('vault-changed', (e) => seen.push(e));
  await k.vaults.pull(cloneId);
  off();
  // A queued pull has no caller to tell where it came from: the event says.
  expect(seen.map((e) => e.source)).toEqual([owner.nodeId]);
});
step('vaults.pull', () => k.vaults.pull(cloneId)); // up to date: nothing moves
step('vaults.pullLog', () => k.vaults.pullLog('v'));
step('vaults.exposure', () => k.vaults.exposure('v', owner.nodeId));
step('vaults.transfers', () => k.vaults.transfers());
step('vaults.cancelTransfer', () => k.vaults.cancelTransfer(cloneId));
// Offline, a queued pull stays queued: nothing runs behind the test's back.
step('network.disconnect', () => k.network.disconnect());
step('network.status', () => k.network.status());
step('vaults.queuePull', () => k.vaults.queuePull(cloneId));
step('vaults.queuedPulls', () => k.vaults.queuedPulls());
step('vaults.cancelQueuedPull', () => k.vaults.cancelQueuedPull(cloneId));
step('vaults.cancelQueuedPull', () => k.vaults.cancelQueuedPull(cloneId)); // nothing left to cancel
step('network.connect', () => k.network.connect());
step('gestalts.untrust', () => k.gestalts.untrust(owner.nodeId));
step('gestalts.trust', () => k.gestalts.trust(owner.nodeId));
step('gestalts.allow', () => k.gestalts.allow(owner.nodeId, 'scan'));
step('gestalts.disallow', () => k.gestalts.disallow(owner.nodeId, 'scan'));
step('gestalts.permissions', () => k.gestalts.permissions(owner.nodeId));
step('gestalts.get', () => k.gestalts.get(owner.nodeId));
step('gestalts.list', () => k.gestalts.list());
step('gestalts.setNickname', () => k.gestalts.setNickname(owner.nodeId, 'Owner'));
step('gestalts.nicknames', () => k.gestalts.nicknames());
step('gestalts.invite', () => k.gestalts.invite(owner.nodeId));
step('gestalts.claim', async () => {
  await owner.gestalts.invite(k.nodeId);
  return k.gestalts.claim(owner.nodeId);
});
step('gestalts.discover', () => k.gestalts.discover(owner.nodeId));
step('gestalts.unlink', () => k.gestalts.unlink(owner.nodeId));
step(['gestalts.pairingCode', 'gestalts.pairingStatus', 'gestalts.cancelPairing'], async () => {
  await k.gestalts.pairingCode();
  await k.gestalts.cancelPairing();
  return k.gestalts.pairingStatus();
});
step('gestalts.pair', async () => {
  await k.gestalts.pair((await owner.gestalts.pairingCode()).code);
  await eventually(async () => (await owner.gestalts.pairingStatus()).state === 'linked');
  await k.gestalts.unlink(owner.nodeId);
});
step('notifications.send', () => k.notifications.send(owner.nodeId, 'hello'));
step(['notifications.outbox.read', 'notifications.outbox.remove'], async () => {
  for (const item of await k.notifications.outbox.read()) await k.notifications.outbox.remove(item.id);
});
step('notifications.outbox.clear', () => k.notifications.outbox.clear());
step('notifications.openLink', async () => k.notifications.openLink(await owner.vaults.shareLink('origin', k.nodeId)));
step('notifications.unreadCount', () => k.notifications.unreadCount());
step(['notifications.read', 'notifications.remove'], async () => {
  for (const item of await k.notifications.read()) await k.notifications.remove(item.id);
});
step('notifications.clear', () => k.notifications.clear());
step(['notifications.requests.read', 'notifications.requests.accept', 'notifications.requests.block'], async () => {
  // Requests come from senders known but without `notify`.
  await k.gestalts.trust(owner.nodeId);
  await k.gestalts.disallow(owner.nodeId, 'notify');
  await k.notifications.openLink(await owner.vaults.shareLink('origin', k.nodeId));
  await k.notifications.openLink(await owner.vaults.shareLink('origin', k.nodeId));
  const [first, second] = await k.notifications.requests.read();
  await k.notifications.requests.accept(first!.id);
  if (second !== undefined) await k.notifications.requests.block(second.id).catch(() => undefined);
});
// A plaintext memory keynode gets its first passphrase with its recovery code (it keeps no seed).
step(['unlockWithRecoveryCode', 'lockState', 'setAutoLock', 'noteActivity'], async () => {
  await k.unlockWithRecoveryCode(k.recoveryCode!, PASSPHRASE);
  await k.setAutoLock(null);
  await k.noteActivity();
  return k.lockState();
});
step('setPassphrase', () => k.setPassphrase(PASSPHRASE, NEW_PASSPHRASE));
step(['lock', 'unlock'], async () => {
  await k.lock();
  await k.unlock(NEW_PASSPHRASE);
});

describe('vault-changed', () => {
  it('the steps call every API method', () => {
    expect([...new Set(steps.flatMap(([methods]) => methods))].sort()).toEqual([...METHODS].sort());
  });

  it('every call that changed a vault reported it exactly once, with its reason; the others reported nothing', async () => {
    const events: VaultChange[] = [];
    k.on('vault-changed', (e) => events.push(e));
    const outcomes: Array<{ step: string; changed: string[]; reported: Array<{ vaultId: string; reason: string }> }> = [];
    for (const [methods, run] of steps) {
      const before = await snapshot();
      events.length = 0;
      await run();
      const reported = events.map((e) => ({ vaultId: e.vaultId, reason: e.reason }));
      const changed = changedVaults(before, await snapshot());
      outcomes.push({ step: methods.join(' + '), changed, reported });
      expect(
        reported.map((r) => r.vaultId),
        methods.join(' + '),
      ).toEqual(changed);
      // One method that declares its change reports it by the table's reason.
      const spec: MethodSpec = API[methods[0]!];
      if (methods.length === 1 && reported.length > 0) expect(reported[0]!.reason, methods[0]).toBe(spec.changes?.reason ?? 'pull-queue');
    }
    // Not a list of no-ops: the steps that must change something did.
    const changing = outcomes.filter((o) => o.changed.length > 0).map((o) => o.step);
    expect(changing).toEqual(
      expect.arrayContaining([
        'vaults.create',
        'secrets.import',
        'vaults.version',
        'vaults.delete',
        'vaults.restoreBackup',
        'vaults.clone',
        'vaults.pull',
        'vaults.queuePull',
        'vaults.cancelQueuedPull',
      ]),
    );
    expect(outcomes.filter((o) => o.step === 'vaults.pull').map((o) => o.changed.length)).toEqual([1, 0]);
    expect(outcomes.filter((o) => o.step === 'secrets.import').map((o) => o.changed.length)).toEqual([1, 0]);
  });

  it('a queued pull that runs by itself reports the pull, with where it came from, then the change to the queue', async () => {
    await owner.vaults.create('later');
    await owner.vaults.share('later', k.nodeId);
    const vaultId = await k.vaults.clone('later', owner.nodeId);
    await k.network.disconnect();
    await k.vaults.queuePull(vaultId);
    await owner.secrets.write('later', 'new', 'n');
    const events: VaultChange[] = [];
    k.on('vault-changed', (e) => events.push(e));
    await k.network.connect();
    // Ran and left the queue (a first try that found the owner unreachable would be one more 'pull-queue' before).
    await eventually(async () => events.at(-1)?.reason === 'pull-queue' && (await k.vaults.queuedPulls()).length === 0);
    expect(events.filter((e) => e.reason === 'pull')).toEqual([{ vaultId, reason: 'pull', source: owner.nodeId }]);
    expect(events.every((e) => e.vaultId === vaultId && (e.reason === 'pull' || e.reason === 'pull-queue'))).toBe(true);
    expect(await k.secrets.getText(vaultId, 'new')).toBe('n');
  });
});
