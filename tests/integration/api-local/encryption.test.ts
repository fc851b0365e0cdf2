// Encryption at rest and locking, through the API (issue "Encryption at rest"): what a keynode
// leaves in { dir } and in IndexedDB holds none of its secrets, names or paths; the passphrase is
// the only way in (besides the recovery code); a changed stored byte is an error, never other data;
// locking waits for what runs and loses nothing; a plaintext store of the previous version is
// encrypted in place, resumably.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeynode, type Keynode } from '../../../src/index.js';
import { createKeynodeFrom, type KeynodeHost } from '../../../src/keynode/keynode.js';
import { nodeCipher } from '../../../src/platform/node-cipher.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import { scanFolder, scanIndexedDb } from '../../utils/plaintext-scan.js';
import { codeOf, freshName, Keynodes, TEST_PASSPHRASE } from './helpers.js';

const keynodes = new Keynodes();
afterEach(() => keynodes.stopAll());

/** A vault name, a secret path (two components), a value and a contact's nickname no other test uses. */
function needles(): { vault: string; dir: string; file: string; value: string; nick: string; all: string[] } {
  const tag = Math.random().toString(36).slice(2, 10);
  const n = { vault: `zebra-vault-${tag}`, dir: `quokka-${tag}`, file: `wombat-${tag}.txt`, value: `xylophone-secret-${tag}`, nick: `Nickname ${tag}` };
  return { ...n, all: [n.vault, n.dir, n.file, n.value, n.nick] };
}

async function writeNeedles(k: Keynode, n: ReturnType<typeof needles>): Promise<void> {
  await k.vaults.create(n.vault);
  await k.secrets.write(n.vault, `${n.dir}/${n.file}`, n.value);
  await k.secrets.write(n.vault, 'other', 'something else');
  await k.gestalts.setNickname(k.nodeId, n.nick);
  expect(await k.gestalts.nicknames()).toEqual({ [k.nodeId]: n.nick });
}

/** A keynode on { dir } in plaintext, as the previous version stored one. */
async function plaintextDirKeynode(dir: string): Promise<KeynodeHost> {
  return createKeynodeFrom({ storage: await openNodeStorage({ dir }, 'unused') });
}

/** SHA-256 of every file under `dir`, by path: what a refused call must leave unchanged. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = Buffer.from(await crypto.subtle.digest('SHA-256', await fsp.readFile(p))).toString('hex');
    }
  };
  await walk(dir);
  return out;
}

describe('nothing readable at rest', () => {
  it('{ dir }: no byte of a secret value, vault name or secret path anywhere in the folder, names or contents', async () => {
    const dir = keynodes.tempDir();
    const n = needles();
    const k = await keynodes.start({ storage: { dir } });
    await writeNeedles(k, n);
    await k.notifications.send((await keynodes.memory('peer')).nodeId, `about ${n.vault}`).catch(() => undefined);
    expect(await k.secrets.getText(n.vault, `${n.dir}/${n.file}`)).toBe(n.value);
    await k.stop();
    expect(await scanFolder(dir, n.all)).toEqual([]);
  });

  it('the same scan finds all of them in a plaintext store (so it can fail)', async () => {
    const dir = keynodes.tempDir();
    const n = needles();
    const k = await plaintextDirKeynode(dir);
    await writeNeedles(k, n);
    await k.stop();
    const found = new Set((await scanFolder(dir, n.all)).map((f) => f.needle));
    expect([...found].sort()).toEqual([...n.all].sort());
  });

  it('IndexedDB (memory): no byte of them in any key or value of the keynode’s databases, its git files included', async () => {
    const name = freshName('at-rest');
    const n = needles();
    const k = await keynodes.start({ storage: 'memory', name, passphrase: TEST_PASSPHRASE });
    await writeNeedles(k, n);
    await k.stop();
    const mine = (db: string): boolean => db.endsWith(name) || db.endsWith(`${name}_lock`);
    expect(await scanIndexedDb(mine, n.all)).toEqual([]);
    // The control: a plaintext memory keynode leaves them readable.
    const plainName = freshName('plain');
    const plain = await keynodes.start({ storage: 'memory', name: plainName });
    await writeNeedles(plain, n);
    await plain.stop();
    const found = new Set((await scanIndexedDb((db) => db.endsWith(plainName), n.all)).map((f) => f.needle));
    expect([...found].sort()).toEqual([...n.all].sort());
  });
});

describe('the passphrase', () => {
  it('a wrong one is ErrorKeynodePassphraseInvalid and changes nothing; the right one opens; a new one replaces it', async () => {
    const dir = keynodes.tempDir();
    const first = await keynodes.start({ storage: { dir } });
    await first.vaults.create('v');
    await first.secrets.write('v', 'k', 'value');
    await first.stop();
    const before = await fingerprint(dir);
    expect(await codeOf(createKeynode({ storage: { dir }, passphrase: 'not the passphrase' }))).toBe('ErrorKeynodePassphraseInvalid');
    expect(await fingerprint(dir)).toEqual(before);

    const k = await keynodes.start({ storage: { dir }, passphrase: TEST_PASSPHRASE });
    expect(await k.secrets.getText('v', 'k')).toBe('value');
    await k.setPassphrase(TEST_PASSPHRASE, 'a brand new passphrase');
    await k.stop();
    // Only the keyring changed: no record or vault file was re-encrypted.
    const after = await fingerprint(dir);
    expect(Object.keys(after).filter((f) => after[f] !== before[f])).toEqual(['keynode.kvlog']);
    expect(await codeOf(createKeynode({ storage: { dir }, passphrase: TEST_PASSPHRASE }))).toBe('ErrorKeynodePassphraseInvalid');
    const again = await keynodes.start({ storage: { dir }, passphrase: 'a brand new passphrase' });
    expect(await again.secrets.getText('v', 'k')).toBe('value');
  });

  it('a persistent keynode without one: a new store is refused, an existing one opens locked and answers only the lock calls', async () => {
    const dir = keynodes.tempDir();
    expect(await codeOf(createKeynode({ storage: { dir } }))).toBe('ErrorKeynodeLocked');
    const made = await keynodes.start({ storage: { dir } });
    const nodeId = made.nodeId;
    await made.vaults.create('v');
    await made.stop();
    const locked = await createKeynode({ storage: { dir } });
    keynodes.track(locked);
    expect(locked.nodeId).toBe(nodeId);
    expect(await locked.lockState()).toMatchObject({ locked: true, encrypted: true, created: true });
    expect(await locked.network.status()).toEqual({ signaling: 'offline', peers: [] });
    for (const call of [
      () => locked.vaults.list(),
      () => locked.secrets.getText('v', 'k'),
      () => locked.gestalts.list(),
      () => locked.notifications.read(),
      () => locked.setAutoLock(null),
    ]) {
      expect(await codeOf(call())).toBe('ErrorKeynodeLocked');
    }
    await locked.unlock(TEST_PASSPHRASE);
    expect((await locked.vaults.list()).map((v) => v.vaultName)).toEqual(['v']);
  });

  it('after three wrong tries each next one waits, and the wait is said; the recovery code resets the passphrase', async () => {
    const k = await keynodes.start({ storage: 'memory', name: freshName('throttle'), passphrase: TEST_PASSPHRASE });
    const code = k.recoveryCode!;
    await k.lock();
    for (let i = 0; i < 3; i++) expect(await codeOf(k.unlock(`wrong ${i} passphrase`))).toBe('ErrorKeynodePassphraseInvalid');
    const state = await k.lockState();
    expect(state.retryAfterMs).toBeGreaterThan(0);
    // Even the right passphrase is not tried until the wait is over.
    const refused = await k.unlock(TEST_PASSPHRASE).catch((e: unknown) => e as { code: string; message: string; data?: { retryAfterMs?: number } });
    expect(refused).toMatchObject({ code: 'ErrorKeynodePassphraseInvalid', message: expect.stringMatching(/^Too many wrong passphrases: wait \d+ s/) });
    expect(refused?.data?.retryAfterMs).toBeGreaterThan(0);
    expect((await k.lockState()).locked).toBe(true);
    // Forgot it: the recovery code unlocks and sets a new passphrase at once.
    await k.unlockWithRecoveryCode(code, 'chosen after forgetting');
    expect((await k.lockState()).locked).toBe(false);
    await k.lock();
    await k.unlock('chosen after forgetting');
    expect(await codeOf(k.unlockWithRecoveryCode('abandon '.repeat(23) + 'art', 'whatever it is'))).toBe('ErrorKeysRecoveryCodeInvalid');
  });
});

describe('tampering', () => {
  it('a flipped byte in any vault file is ErrorStorageCorrupt or is not read — never other data', async () => {
    const dir = keynodes.tempDir();
    const k = await keynodes.start({ storage: { dir } });
    await k.vaults.create('v');
    for (let i = 0; i < 3; i++) await k.secrets.write('v', `s${i}`, `value ${i}`);
    await k.stop();
    const sweep = async (node: Keynode): Promise<string> =>
      JSON.stringify([
        await node.vaults.list(),
        await Promise.all([0, 1, 2].map((i) => node.secrets.getText('v', `s${i}`))),
        (await node.vaults.log('v')).map((e) => e.commitId),
      ]);
    const good = await keynodes.start({ storage: { dir } });
    const expected = await sweep(good);
    await good.stop();
    const files = Object.keys(await fingerprint(path.join(dir, 'vaults')));
    let refused = 0;
    for (const file of files) {
      const full = path.join(dir, 'vaults', file);
      const original = await fsp.readFile(full);
      const flipped = Buffer.from(original);
      flipped[Math.floor(flipped.length / 2)]! ^= 0x20;
      await fsp.writeFile(full, flipped);
      try {
        const node = await createKeynode({ storage: { dir }, passphrase: TEST_PASSPHRASE });
        try {
          expect(await sweep(node)).toBe(expected);
        } finally {
          await node.stop();
        }
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ErrorStorageCorrupt');
        refused++;
      }
      await fsp.writeFile(full, original);
    }
    // Most files are read by the sweep (objects, refs): the check is not vacuous.
    expect(refused).toBeGreaterThan(files.length / 2);
  });

  it('a flipped byte in any stored record is ErrorStorageCorrupt when read, never other data', async () => {
    const dir = keynodes.tempDir();
    const k = await keynodes.start({ storage: { dir } });
    await k.vaults.create('v');
    await k.secrets.write('v', 'k', 'value');
    await k.gestalts.trust((await keynodes.memory('friend')).nodeId);
    const gestalts = JSON.stringify(await k.gestalts.list());
    await k.stop();
    const log = path.join(dir, 'keynode.kvlog');
    const original = await fsp.readFile(log, 'utf8');
    // Each sealed record is one { "$bytes": "<base64url>" } in the log; change one character of each in turn.
    const sealed = [...original.matchAll(/"\$bytes":"([A-Za-z0-9_-]{40,})"/g)];
    expect(sealed.length).toBeGreaterThan(5);
    let refused = 0;
    for (const m of sealed) {
      const at = m.index! + 11 + Math.floor(m[1]!.length / 2);
      const swapped = original.slice(0, at) + (original[at] === 'A' ? 'B' : 'A') + original.slice(at + 1);
      await fsp.writeFile(log, swapped);
      try {
        const node = await createKeynode({ storage: { dir }, passphrase: TEST_PASSPHRASE });
        try {
          expect(await node.secrets.getText('v', 'k')).toBe('value');
          expect(JSON.stringify(await node.gestalts.list())).toBe(gestalts);
        } finally {
          await node.stop();
        }
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ErrorStorageCorrupt');
        refused++;
      }
    }
    await fsp.writeFile(log, original);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('locking', () => {
  it('lock waits for a running write, which is kept; a cut-off write is rolled back at the next unlock', async () => {
    const k = await keynodes.start({ storage: 'memory', name: freshName('lock-write'), passphrase: TEST_PASSPHRASE });
    await k.vaults.create('v');
    await k.secrets.write('v', 'k', 'one');
    const writing = k.secrets.write('v', 'k', 'two');
    await k.lock();
    await writing; // it finished before the key was forgotten
    expect(await codeOf(k.secrets.getText('v', 'k'))).toBe('ErrorKeynodeLocked');
    await k.unlock(TEST_PASSPHRASE);
    expect(await k.secrets.getText('v', 'k')).toBe('two');

    // With no grace, the lock cuts a big write off half-way; the vault is as before it, whole.
    const impatient = await keynodes.start({ storage: 'memory', name: freshName('lock-cut'), passphrase: TEST_PASSPHRASE, lockGraceMs: 0 });
    await impatient.vaults.create('v');
    await impatient.secrets.write('v', 'k', 'before');
    const big = impatient.secrets.batch(
      'v',
      Array.from({ length: 200 }, (_, i) => ({ op: 'write' as const, path: `many/s${i}`, content: `v${i}` })),
    );
    await impatient.lock();
    const outcome = await big.then(
      () => 'written',
      (e: { code?: string }) => e.code,
    );
    await impatient.unlock(TEST_PASSPHRASE);
    const listed = await impatient.secrets.list('v');
    if (outcome === 'written') {
      expect(await impatient.secrets.list('v', 'many')).toHaveLength(200);
    } else {
      expect(outcome).toBe('ErrorKeynodeLocked');
      expect(listed.map((e) => e.path)).toEqual(['k']);
    }
    expect(await impatient.secrets.getText('v', 'k')).toBe('before');
    await impatient.secrets.write('v', 'k', 'after');
    expect((await impatient.vaults.log('v')).length).toBeGreaterThanOrEqual(3);
  });

  it('locks by itself after the auto-lock time, and says so with a lock event', async () => {
    const k = await keynodes.start({ storage: 'memory', name: freshName('auto'), passphrase: TEST_PASSPHRASE });
    const events: boolean[] = [];
    k.on('lock', (e) => events.push(e.locked));
    await k.setAutoLock(1000);
    expect((await k.lockState()).autoLockMs).toBe(1000);
    await new Promise<void>((resolve) => {
      const off = k.on('lock', (e) => {
        if (!e.locked) return;
        off();
        resolve();
      });
    });
    expect((await k.lockState()).locked).toBe(true);
    await k.unlock(TEST_PASSPHRASE);
    // The setting is kept with the keyring; never is null.
    expect((await k.lockState()).autoLockMs).toBe(1000);
    await k.setAutoLock(null);
    expect(events).toEqual([true, false]);
    expect(await codeOf(k.setAutoLock(5))).toBe('ErrorInvalidArgument');
  });

  it('an unencrypted keynode cannot be locked until it has a passphrase; setPassphrase encrypts it where it runs', async () => {
    const dir = keynodes.tempDir();
    const n = needles();
    const k = keynodes.track(await plaintextDirKeynode(dir));
    await writeNeedles(k, n);
    expect(await k.lockState()).toMatchObject({ locked: false, encrypted: false });
    expect(await codeOf(k.lock())).toBe('ErrorInvalidArgument');
    await k.setPassphrase('', TEST_PASSPHRASE);
    expect(await k.lockState()).toMatchObject({ locked: false, encrypted: true });
    expect(await k.secrets.getText(n.vault, `${n.dir}/${n.file}`)).toBe(n.value);
    await k.secrets.write(n.vault, 'written-after', 'encrypted from the start');
    await k.lock();
    await k.unlock(TEST_PASSPHRASE);
    expect(await k.secrets.getText(n.vault, 'written-after')).toBe('encrypted from the start');
    await k.stop();
    expect(await scanFolder(dir, n.all)).toEqual([]);
  });
});

describe('a plaintext store of the previous version', () => {
  it('{ dir }: encrypted in place at its first passphrase; cut off half-way, the next unlock carries on and nothing is lost', async () => {
    const dir = keynodes.tempDir();
    const n = needles();
    const old = await plaintextDirKeynode(dir);
    const nodeId = old.nodeId;
    await writeNeedles(old, n);
    for (let i = 0; i < 20; i++) await old.secrets.write(n.vault, `more/s${i}`, `value ${i}`);
    await old.gestalts.trust((await keynodes.memory('contact')).nodeId);
    const gestalts = JSON.stringify(await old.gestalts.list());
    await old.stop();
    expect((await scanFolder(dir, n.all)).length).toBeGreaterThan(0);

    // Opened without a passphrase it is locked, and says it has not been encrypted yet.
    const waiting = await createKeynode({ storage: { dir } });
    expect(await waiting.lockState()).toMatchObject({ locked: true, encrypted: false, created: true, needsRecoveryCode: false });
    await waiting.stop();

    // A crash after 10 steps of the migration.
    let steps = 0;
    const crash = (): void => {
      if (++steps === 10) throw new Error('simulated crash');
    };
    const storage = await openNodeStorage({ dir }, 'unused');
    await expect(
      createKeynodeFrom({ storage, requireEncryption: true, passphrase: TEST_PASSPHRASE, makeCipher: nodeCipher, onMigrationProgress: crash }),
    ).rejects.toThrow('simulated crash');
    // Part encrypted, part not: it must still open with the passphrase and finish.
    const resumed = await keynodes.start({ storage: { dir }, passphrase: TEST_PASSPHRASE });
    expect(resumed.nodeId).toBe(nodeId);
    expect(await resumed.lockState()).toMatchObject({ encrypted: true, locked: false });
    expect(await resumed.secrets.getText(n.vault, `${n.dir}/${n.file}`)).toBe(n.value);
    expect(await resumed.secrets.getText(n.vault, 'more/s19')).toBe('value 19');
    expect((await resumed.vaults.log(n.vault)).length).toBe(23);
    expect(JSON.stringify(await resumed.gestalts.list())).toBe(gestalts);
    await resumed.stop();
    expect(await scanFolder(dir, n.all)).toEqual([]);
  });

  it('IndexedDB: its key is a browser CryptoKey, so the recovery code is needed; with it, everything is encrypted', async () => {
    const name = freshName('legacy-idb');
    const n = needles();
    const old = await createKeynode({ storage: 'memory', name });
    const code = old.recoveryCode!;
    await writeNeedles(old, n);
    await old.stop();
    const storage = await openNodeStorage('memory', name);
    const k = await createKeynodeFrom({ storage, requireEncryption: true });
    keynodes.track(k);
    expect(await k.lockState()).toMatchObject({ locked: true, encrypted: false, needsRecoveryCode: true });
    expect(await codeOf(k.unlock(TEST_PASSPHRASE))).toBe('ErrorKeynodeLocked');
    expect(await codeOf(k.unlockWithRecoveryCode('abandon '.repeat(23) + 'art', TEST_PASSPHRASE))).toBe('ErrorKeysRecoveryCodeInvalid');
    await k.unlockWithRecoveryCode(code, TEST_PASSPHRASE);
    expect(await k.secrets.getText(n.vault, `${n.dir}/${n.file}`)).toBe(n.value);
    await k.stop();
    expect(await scanIndexedDb((db) => db.endsWith(name), n.all)).toEqual([]);
  });
});
