// Events and lifecycle at the API level: 'vault-changed' for vault and secret changes, 'notification'
// when a link is opened, unsubscribing; stop() is idempotent and every call after it fails with
// ErrorKeynodeStopped; restarting (memory by name, and { dir }) keeps vaults, secrets, history,
// permissions, the inbox and the outbox.
import { afterEach, describe, expect, it } from 'vitest';
import { Keynodes, codeOf, freshName } from './helpers.js';

const keynodes = new Keynodes();
afterEach(() => keynodes.stopAll());

describe('events', () => {
  it("on('vault-changed') fires for create, writes and delete; failures fire nothing; unsubscribe stops it", async () => {
    const k = await keynodes.memory('events');
    const seen: Array<{ vaultId: string; reason: string }> = [];
    const off = k.on('vault-changed', (e) => seen.push(e));
    const id = await k.vaults.create('v');
    expect(seen).toEqual([{ vaultId: id, reason: 'create' }]);
    await k.secrets.write('v', 'a', '1');
    await k.secrets.add('v', 'b', '2');
    await k.secrets.delete('v', 'b');
    await k.secrets.batch('v', [{ op: 'write', path: 'c', content: '3' }]);
    await k.vaults.rename('v', 'w');
    expect(seen.map((e) => e.reason)).toEqual(['create', 'write', 'add', 'delete', 'batch', 'rename']);
    expect(seen.every((e) => e.vaultId === id)).toBe(true);
    // Refused calls change nothing and say nothing.
    const count = seen.length;
    expect(await codeOf(k.vaults.create('w'))).toBe('ErrorVaultsVaultDefined');
    expect(await codeOf(k.secrets.add('w', 'a', 'again'))).toBe('ErrorSecretsSecretDefined');
    expect(await codeOf(k.secrets.write('w', '../x', 'bad'))).toBe('ErrorSecretsPathInvalid');
    expect(seen).toHaveLength(count);
    await k.vaults.delete('w');
    expect(seen.at(-1)).toEqual({ vaultId: id, reason: 'delete' });
    off();
    await k.vaults.create('after');
    expect(seen.at(-1)).toEqual({ vaultId: id, reason: 'delete' });
    off(); // unsubscribing twice is harmless
  });

  it('a listener that throws does not break the operation or the other listeners', async () => {
    const k = await keynodes.memory('events');
    const seen: string[] = [];
    k.on('vault-changed', () => {
      throw new Error('listener bug');
    });
    k.on('vault-changed', (e) => seen.push(e.reason));
    await k.vaults.create('v');
    await k.secrets.write('v', 'a', '1');
    expect(seen).toEqual(['create', 'write']);
    expect(await k.secrets.getText('v', 'a')).toBe('1');
  });

  it("on('notification') fires when a link is opened, once per stored item; unsubscribe stops it", async () => {
    const [a, b] = await Promise.all([keynodes.memory('sender'), keynodes.memory('receiver')]);
    await a.vaults.create('v');
    await b.gestalts.trust(a.nodeId); // so the link lands in the inbox, not the requests list
    const events: Array<{ kind: string; item: { id: string; from: string; isRead: boolean } }> = [];
    const off = b.on('notification', (e) => events.push(e));
    const link = await a.vaults.shareLink('v', b.nodeId);
    const opened = await b.notifications.openLink(link);
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('inbox');
    expect(events[0]!.item).toMatchObject({ id: opened.id, from: a.nodeId, isRead: false, data: opened.data });
    // The same link again stores nothing and says nothing.
    await b.notifications.openLink(link);
    expect(events).toHaveLength(1);
    // A refused link says nothing.
    const c = await keynodes.memory('third');
    const cEvents: unknown[] = [];
    c.on('notification', (e) => cEvents.push(e));
    expect(await codeOf(c.notifications.openLink(link))).toBe('ErrorNotificationsInvalidDestination');
    expect(cEvents).toEqual([]);
    off();
    await b.notifications.openLink(await a.vaults.shareLink('v', b.nodeId));
    expect(events).toHaveLength(1);
    expect(await b.notifications.unreadCount()).toBe(2);
  });
});

describe('lifecycle', () => {
  it('stop is idempotent', async () => {
    const k = await keynodes.memory('stop');
    await Promise.all([k.stop(), k.stop()]);
    await k.stop();
  });

  it('every call after stop fails with ErrorKeynodeStopped', async () => {
    const k = await keynodes.memory('stop');
    const other = await keynodes.memory('other');
    await k.vaults.create('v');
    await k.secrets.write('v', 'a', '1');
    await k.stop();
    const n = other.nodeId;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['vaults.create', () => k.vaults.create('w')],
      ['vaults.list', () => k.vaults.list()],
      ['vaults.rename', () => k.vaults.rename('v', 'w')],
      ['vaults.delete', () => k.vaults.delete('v')],
      ['vaults.log', () => k.vaults.log('v')],
      ['vaults.version', () => k.vaults.version('v', 'last')],
      ['vaults.share', () => k.vaults.share('v', n)],
      ['vaults.unshare', () => k.vaults.unshare('v', n)],
      ['vaults.permissions', () => k.vaults.permissions('v')],
      ['vaults.shareLink', () => k.vaults.shareLink('v', n)],
      ['vaults.scan', () => k.vaults.scan(n)],
      ['vaults.clone', () => k.vaults.clone('v', n)],
      ['vaults.pull', () => k.vaults.pull('v')],
      ['vaults.fork', () => k.vaults.fork('v', 'f')],
      ['secrets.add', () => k.secrets.add('v', 'b', 'x')],
      ['secrets.update', () => k.secrets.update('v', 'a', 'x')],
      ['secrets.write', () => k.secrets.write('v', 'a', 'x')],
      ['secrets.get', () => k.secrets.get('v', 'a')],
      ['secrets.getText', () => k.secrets.getText('v', 'a')],
      ['secrets.stat', () => k.secrets.stat('v', 'a')],
      ['secrets.list', () => k.secrets.list('v')],
      ['secrets.mkdir', () => k.secrets.mkdir('v', 'd')],
      ['secrets.rename', () => k.secrets.rename('v', 'a', 'b')],
      ['secrets.delete', () => k.secrets.delete('v', 'a')],
      ['secrets.batch', () => k.secrets.batch('v', [])],
      ['secrets.env', () => k.secrets.env('v')],
      ['gestalts.trust', () => k.gestalts.trust(n)],
      ['gestalts.untrust', () => k.gestalts.untrust(n)],
      ['gestalts.allow', () => k.gestalts.allow(n, 'scan')],
      ['gestalts.disallow', () => k.gestalts.disallow(n, 'scan')],
      ['gestalts.permissions', () => k.gestalts.permissions(n)],
      ['gestalts.invite', () => k.gestalts.invite(n)],
      ['gestalts.claim', () => k.gestalts.claim(n)],
      ['gestalts.discover', () => k.gestalts.discover(n)],
      ['gestalts.unlink', () => k.gestalts.unlink(n)],
      ['gestalts.get', () => k.gestalts.get(n)],
      ['gestalts.list', () => k.gestalts.list()],
      ['notifications.send', () => k.notifications.send(n, 'hi')],
      ['notifications.read', () => k.notifications.read()],
      ['notifications.remove', () => k.notifications.remove('x')],
      ['notifications.clear', () => k.notifications.clear()],
      ['notifications.openLink', () => k.notifications.openLink('x')],
      ['notifications.unreadCount', () => k.notifications.unreadCount()],
      ['notifications.outbox.read', () => k.notifications.outbox.read()],
      ['notifications.outbox.remove', () => k.notifications.outbox.remove('x')],
      ['notifications.outbox.clear', () => k.notifications.outbox.clear()],
      ['notifications.requests.read', () => k.notifications.requests.read()],
      ['network.status', () => k.network.status()],
      ['network.connect', () => k.network.connect()],
      ['network.disconnect', () => k.network.disconnect()],
    ];
    for (const [name, call] of calls) expect(await codeOf(call()), name).toBe('ErrorKeynodeStopped');
  });

  it('stop during a write: the write lands whole or not at all, and the vault reopens consistent', async () => {
    const dir = keynodes.tempDir();
    const first = await keynodes.start({ storage: { dir } });
    await first.vaults.create('v');
    const commitsBefore = (await first.vaults.log('v')).length;
    const content = 'z'.repeat(100_000);
    const write = first.secrets.write('v', 'racing', content).then(
      () => 'written',
      (e: { code?: string }) => e.code,
    );
    await first.stop();
    const outcome = await write;
    expect(['written', 'ErrorKeynodeStopped']).toContain(outcome);
    const again = await keynodes.start({ storage: { dir } });
    const log = await again.vaults.log('v');
    const listed = await again.secrets.list('v');
    if (listed.length === 0) {
      expect(log).toHaveLength(commitsBefore);
    } else {
      expect(listed).toEqual([{ path: 'racing', type: 'file' }]);
      expect(await again.secrets.getText('v', 'racing')).toBe(content);
      expect(log).toHaveLength(commitsBefore + 1);
    }
    if (outcome === 'written') expect(listed).toHaveLength(1);
  });

  it('a memory keynode restarted under the same name keeps its vaults and secrets', async () => {
    const name = freshName('mem-restart');
    const first = await keynodes.start({ storage: 'memory', name });
    await first.vaults.create('v');
    await first.secrets.write('v', 'dir/a', 'kept');
    await first.stop();
    const again = await keynodes.start({ storage: 'memory', name });
    expect(again.nodeId).toBe(first.nodeId);
    expect(await again.secrets.getText('v', 'dir/a')).toBe('kept');
    // A different name is a different keynode with nothing in it.
    const stranger = await keynodes.memory('mem-other');
    expect(await stranger.vaults.list()).toEqual([]);
  });

  it('a { dir } keynode keeps vaults, secrets, history, permissions, inbox and outbox across a restart', async () => {
    const dir = keynodes.tempDir();
    const [friend, sender] = await Promise.all([keynodes.memory('friend'), keynodes.memory('sender')]);
    const first = await keynodes.start({ storage: { dir } });
    const vId = await first.vaults.create('v');
    const binary = new Uint8Array([0, 1, 2, 253, 254, 255]);
    await first.secrets.batch('v', [
      { op: 'add', path: 'API_KEY', content: 'k' },
      { op: 'add', path: 'bin/blob', content: binary },
    ]);
    await first.secrets.write('v', 'API_KEY', 'k2');
    await first.gestalts.trust(friend.nodeId);
    await first.gestalts.allow(friend.nodeId, 'claim');
    await first.vaults.share('v', friend.nodeId);
    await first.notifications.send(friend.nodeId, 'see you');
    await sender.vaults.create('s');
    await first.gestalts.trust(sender.nodeId); // its links land in the inbox
    const firstLink = await sender.vaults.shareLink('s', first.nodeId);
    const opened = await first.notifications.openLink(firstLink);
    await first.notifications.openLink(await sender.vaults.shareLink('s', first.nodeId));
    await first.notifications.read({ order: 'asc', limit: 1 }); // one read, one unread
    const before = {
      vaults: await first.vaults.list(),
      log: await first.vaults.log('v'),
      perms: await first.vaults.permissions('v'),
      gestalt: await first.gestalts.permissions(friend.nodeId),
      outbox: (await first.notifications.outbox.read()).map((o) => ({ id: o.id, to: o.to, data: o.data })),
    };
    await first.stop();

    const again = await keynodes.start({ storage: { dir } });
    expect(again.nodeId).toBe(first.nodeId);
    expect(again.recoveryCode).toBeUndefined();
    expect(await again.vaults.list()).toEqual(before.vaults);
    expect(before.vaults).toEqual([{ vaultName: 'v', vaultId: vId }]);
    expect(await again.vaults.log('v')).toEqual(before.log);
    expect(await again.secrets.getText('v', 'API_KEY')).toBe('k2');
    expect(await again.secrets.get('v', 'bin/blob')).toEqual(binary);
    expect(await again.vaults.permissions('v')).toEqual(before.perms);
    expect(before.perms).toEqual([{ nodeId: friend.nodeId, actions: ['clone', 'pull'] }]);
    expect(await again.gestalts.permissions(friend.nodeId)).toEqual(before.gestalt);
    expect([...before.gestalt.gestalt].sort()).toEqual(['claim', 'notify', 'scan']);
    const outbox = (await again.notifications.outbox.read()).map((o) => ({ id: o.id, to: o.to, data: o.data }));
    expect(outbox).toEqual(before.outbox);
    expect(outbox.map((o) => o.data.type).sort()).toEqual(['General', 'VaultShare']);
    expect(await again.notifications.unreadCount()).toBe(1);
    const inbox = await again.notifications.read({ order: 'asc' });
    expect(inbox.map((i) => i.from)).toEqual([sender.nodeId, sender.nodeId]);
    expect(inbox[0]!.id).toBe(opened.id);
    // The replay memory survives too: the first link is not taken again.
    expect((await again.notifications.openLink(firstLink)).id).toBe(opened.id);
    expect(await again.notifications.read()).toHaveLength(2);
    // And the restarted keynode keeps working: new commits go on top of the old history.
    await again.secrets.write('v', 'new', 'n');
    expect((await again.vaults.log('v'))[0]!.parents).toEqual([before.log[0]!.commitId]);
  });
});
