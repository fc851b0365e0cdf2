// The keynode's identity: created once, shown once as 24 words, reloaded after a restart, rebuilt
// from the words elsewhere; a bad code stores nothing; the private key never leaves as text.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isKeynodeError, type ErrorCode } from '../../../src/errors.js';
import { isNodeId } from '../../../src/ids/index.js';
import { base64urlEncode, verify } from '../../../src/keys/crypto.js';
import {
  identityFromRecord,
  loadOrCreateIdentity,
  normaliseRecoveryCode,
  recoveryCodeFromSeed,
  seedFromRecoveryCode,
  wrappedIdentity,
  type Identity,
  type StoredKey,
} from '../../../src/keys/identity.js';
import { createKeyring } from '../../../src/keys/keyring.js';
import { sealTo } from '../../../src/keys/sealed-box.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { KV } from '../../../src/storage/index.js';
import { SecureStorage } from '../../../src/storage/secure-storage.js';
import { utf8 } from '../../../src/utils/bytes.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let n = 0;
interface Place {
  kind: string;
  open(): Promise<KV>;
  dir?: string;
}
async function memoryPlace(): Promise<Place> {
  const name = `identity-${process.pid}-${n++}-${Math.random().toString(36).slice(2)}`;
  return { kind: 'memory', open: async () => (await openNodeStorage('memory', name)).kv };
}
async function dirPlace(): Promise<Place> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keynode-identity-'));
  dirs.push(dir);
  return { kind: 'dir', dir, open: async () => (await openNodeStorage({ dir }, 'unused')).kv };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}
function expectCode(err: unknown, code: ErrorCode): void {
  expect(isKeynodeError(err, code), String(err)).toBe(true);
  expect((err as Error).message.length).toBeGreaterThan(20);
}
const storedIdentity = (kv: KV) => kv.read((tx) => tx.get('keys', 'identity'));

const message = utf8.encode('sign me');

const BOX_LABEL = 'keynode/identity-test/v1';
/** Whether `identity` opens a box sealed to its NodeId (and only to exactly what was sealed). */
async function opensItsBoxes(identity: Identity): Promise<boolean> {
  const box = await sealTo(identity.nodeId, utf8.encode('for your eyes'), BOX_LABEL, 1024);
  const opened = await identity.unseal(box, BOX_LABEL, 1024);
  return opened !== undefined && utf8.decode(opened) === 'for your eyes';
}

describe.each([
  ['memory (IndexedDB)', memoryPlace],
  ['{ dir } (file log)', dirPlace],
])('identity on %s', (_label, makePlace) => {
  it('is created once with a 24-word code, and the same NodeId loads after a restart', async () => {
    const place = await makePlace();
    const kv = await place.open();
    const created = await loadOrCreateIdentity(kv);
    expect(isNodeId(created.nodeId)).toBe(true);
    const words = created.recoveryCode!.split(' ');
    expect(words).toHaveLength(24);
    for (const w of words) expect(wordlist).toContain(w);
    expect(await verify(created.nodeId, message, await created.sign(message))).toBe(true);

    const again = await loadOrCreateIdentity(kv);
    expect(again.nodeId).toBe(created.nodeId);
    expect(again.recoveryCode).toBeUndefined();
    await kv.close();

    const restarted = await place.open();
    const loaded = await loadOrCreateIdentity(restarted);
    expect(loaded.nodeId).toBe(created.nodeId);
    expect(loaded.publicKey).toEqual(created.publicKey);
    expect(loaded.recoveryCode).toBeUndefined();
    // The reloaded key signs as the same node.
    expect(await verify(created.nodeId, message, await loaded.sign(message))).toBe(true);
    await restarted.close();
  });

  it('the recovery code rebuilds the same NodeId in a fresh storage, and its signatures verify', async () => {
    const first = await (await makePlace()).open();
    const original = await loadOrCreateIdentity(first);
    const code = original.recoveryCode!;

    const fresh = await (await makePlace()).open();
    // Extra spaces, upper case and line breaks are forgiven.
    const restored = await loadOrCreateIdentity(fresh, { recoveryCode: `  ${code.toUpperCase().replace(/ /g, ' \n ')}  ` });
    expect(restored.nodeId).toBe(original.nodeId);
    expect(restored.recoveryCode).toBeUndefined();
    const sig = await restored.sign(message);
    expect(await verify(original.nodeId, message, sig)).toBe(true);
    expect(sig).toEqual(await original.sign(message)); // Ed25519 is deterministic: same key
    // Restoring the same code again into the same storage is fine.
    expect((await loadOrCreateIdentity(fresh, { recoveryCode: code })).nodeId).toBe(original.nodeId);
    await first.close();
    await fresh.close();
  });

  it('an invalid code is ErrorKeysRecoveryCodeInvalid and nothing is stored', async () => {
    const code = recoveryCodeFromSeed(new Uint8Array(32).fill(7));
    const words = code.split(' ');
    const swapped = [...words];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    const lastWord = words[23]!;
    const badChecksum = [...words.slice(0, 23), wordlist[(wordlist.indexOf(lastWord) + 1) % 2048]!].join(' ');
    const invalid = [
      words.slice(0, 23).join(' '), // 23 words
      [...words, words[0]].join(' '), // 25 words
      words.slice(0, 12).join(' '), // a valid-looking 12-word length
      badChecksum,
      swapped.join(' '),
      [...words.slice(0, 5), 'notaword', ...words.slice(6)].join(' '),
      '',
      'abandon '.repeat(24).trim(), // checksum fails
    ];
    expect(() => seedFromRecoveryCode(badChecksum)).toThrow();
    const place = await makePlace();
    const kv = await place.open();
    for (const bad of invalid) {
      expectCode(await rejection(loadOrCreateIdentity(kv, { recoveryCode: bad })), 'ErrorKeysRecoveryCodeInvalid');
      expect(await storedIdentity(kv)).toBeUndefined();
    }
    // The message never repeats the words back.
    const err = (await rejection(loadOrCreateIdentity(kv, { recoveryCode: badChecksum }))) as Error;
    expect(err.message).not.toContain(words[3]!);
    await kv.close();
    if (place.dir !== undefined) {
      const reopened = await place.open();
      expect(await storedIdentity(reopened)).toBeUndefined();
      await reopened.close();
    }
  });

  it('restoring a different code into a storage that already holds an identity is refused, and the old one stays', async () => {
    const kv = await (await makePlace()).open();
    const existing = await loadOrCreateIdentity(kv);
    const other = recoveryCodeFromSeed(new Uint8Array(32).fill(9));
    const err = await rejection(loadOrCreateIdentity(kv, { recoveryCode: other }));
    expect(isKeynodeError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/different keynode/);
    expect((await loadOrCreateIdentity(kv)).nodeId).toBe(existing.nodeId);
    await kv.close();
  });

  it('two keynodes starting at once on one empty storage end up with one identity', async () => {
    const kv = await (await makePlace()).open();
    const [a, b] = await Promise.all([loadOrCreateIdentity(kv), loadOrCreateIdentity(kv)]);
    const stored = await loadOrCreateIdentity(kv);
    expect(a.nodeId).toBe(stored.nodeId);
    expect(b.nodeId).toBe(stored.nodeId);
    // Exactly one of them was the creator and got the words to show.
    expect([a.recoveryCode, b.recoveryCode].filter((c) => c !== undefined)).toHaveLength(1);
    await kv.close();
  });
});

describe('identity with two browser tabs', () => {
  it('two connections to one IndexedDB database starting at once agree on one identity', async () => {
    const place = await memoryPlace();
    const [kvA, kvB] = await Promise.all([place.open(), place.open()]);
    const [a, b] = await Promise.all([loadOrCreateIdentity(kvA), loadOrCreateIdentity(kvB)]);
    expect(a.nodeId).toBe(b.nodeId);
    expect((await loadOrCreateIdentity(kvA)).nodeId).toBe(a.nodeId);
    await kvA.close();
    await kvB.close();
  });
});

describe('the X25519 key that opens sealed boxes', () => {
  it.each([
    ['memory (IndexedDB)', memoryPlace],
    ['{ dir } (file log)', dirPlace],
  ])('is made with the identity on %s and still opens boxes after a restart', async (_label, makePlace) => {
    const place = await makePlace();
    const kv = await place.open();
    const created = await loadOrCreateIdentity(kv);
    expect(await opensItsBoxes(created)).toBe(true);
    await kv.close();
    const again = await place.open();
    expect(await opensItsBoxes(await loadOrCreateIdentity(again))).toBe(true);
    const stored = (await storedIdentity(again)) as StoredKey;
    if (again.persistsCryptoKeys) {
      expect(stored.x25519).toBeInstanceOf(CryptoKey);
      expect(stored.x25519!.extractable).toBe(false);
    }
    await again.close();
  });

  it('an encrypted identity keeps it wrapped beside the signing key', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const wrapKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey']);
    const { record, identity } = await wrappedIdentity(seed, wrapKey, false);
    expect(record.x25519Wrapped?.data.length).toBeGreaterThan(32);
    expect(await opensItsBoxes(identity)).toBe(true);
    const loaded = await identityFromRecord(record, wrapKey);
    expect(loaded.upgraded).toBeUndefined();
    expect(await opensItsBoxes(loaded.identity)).toBe(true);
    // Another identity's key does not open this one's boxes.
    const other = await wrappedIdentity(crypto.getRandomValues(new Uint8Array(32)), wrapKey, false);
    const box = await sealTo(identity.nodeId, utf8.encode('x'), BOX_LABEL, 1024);
    expect(await other.identity.unseal(box, BOX_LABEL, 1024)).toBeUndefined();
  });

  it('an encrypted identity stored before there was one gets it at its first unlock, stored once', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const keyring = await createKeyring({ nodeId: 'v-unused', passphrase: 'identity test passphrase', seed, autoLockMs: null });
    const { keys } = keyring;
    const { record } = await wrappedIdentity(seed, keys.identity, false);
    const { x25519Wrapped: _, ...older } = record;
    const storage = await SecureStorage.open(await openNodeStorage('memory', `identity-upgrade-${process.pid}-${n++}`));
    await storage.becomeEncrypted(keyring.record, keys, older);
    const first = await storage.identity();
    expect(await opensItsBoxes(first)).toBe(true);
    const stored = await storage.kv.read((tx) => tx.get<StoredKey>('keys', 'identity'));
    expect(stored?.x25519Wrapped).toBeDefined();
    // Loaded again: no further upgrade, the same key.
    const again = await identityFromRecord(stored!, keys.identity);
    expect(again.upgraded).toBeUndefined();
    const box = await sealTo(first.nodeId, utf8.encode('same key'), BOX_LABEL, 1024);
    expect(utf8.decode((await again.identity.unseal(box, BOX_LABEL, 1024))!)).toBe('same key');
    await storage.close();
  });

  it('a plaintext IndexedDB identity of an earlier version (a signing CryptoKey only) says it has no key', async () => {
    const kv = await (await memoryPlace()).open();
    const made = await loadOrCreateIdentity(kv);
    const { x25519: _, ...older } = (await storedIdentity(kv)) as StoredKey;
    const { identity } = await identityFromRecord(older);
    expect(identity.nodeId).toBe(made.nodeId);
    const box = await sealTo(identity.nodeId, utf8.encode('x'), BOX_LABEL, 1024);
    expectCode(await rejection(identity.unseal(box, BOX_LABEL, 1024)), 'ErrorKeysNotFound');
    await kv.close();
  });
});

describe('identity secrets stay secret', () => {
  it('IndexedDB keeps a non-extractable CryptoKey and no seed', async () => {
    const kv = await (await memoryPlace()).open();
    await loadOrCreateIdentity(kv);
    const stored = (await storedIdentity(kv)) as { privateKey?: CryptoKey; seed?: unknown };
    expect(stored.privateKey).toBeInstanceOf(CryptoKey);
    expect(stored.privateKey!.extractable).toBe(false);
    expect(stored.seed).toBeUndefined();
    await expect(crypto.subtle.exportKey('pkcs8', stored.privateKey!)).rejects.toThrow();
    await kv.close();
  });

  it('{ dir }: the file holding the seed is 0600 and the private key never appears in any log output', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) => vi.spyOn(console, m));
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      const place = await dirPlace();
      const kv = await place.open();
      const identity = await loadOrCreateIdentity(kv);
      const code = identity.recoveryCode!;
      const seed = seedFromRecoveryCode(code);
      await kv.close();
      const again = await place.open();
      await loadOrCreateIdentity(again);
      await again.close();

      // Every file in the profile is owner-only; the seed is only in the kv log.
      const files = (await readdir(place.dir!, { recursive: true })).map((f) => path.join(place.dir!, String(f)));
      for (const f of files) {
        const s = await stat(f);
        if (s.isFile()) expect(s.mode & 0o077, f).toBe(0);
      }
      const log = path.join(place.dir!, 'keynode.kvlog');
      expect((await stat(log)).mode & 0o777).toBe(0o600);
      expect(await readFile(log, 'utf8')).toContain(base64urlEncode(seed));

      const secrets = [
        base64urlEncode(seed),
        Buffer.from(seed).toString('hex'),
        Buffer.from(seed).toString('base64'),
        code,
        code.split(' ').slice(0, 4).join(' '),
      ];
      const printed = [...spies, stdout, stderr].flatMap((s) => s.mock.calls.map((c) => c.map(String).join(' '))).join('\n');
      for (const secret of secrets) expect(printed).not.toContain(secret);
    } finally {
      for (const s of spies) s.mockRestore();
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('the identity object carries no private key material', async () => {
    const kv = await (await dirPlace()).open();
    const identity = await loadOrCreateIdentity(kv);
    const seed = seedFromRecoveryCode(identity.recoveryCode!);
    const { recoveryCode: _shownOnce, ...rest } = identity;
    const text = JSON.stringify(rest);
    expect(text).not.toContain(base64urlEncode(seed));
    expect(Object.keys(rest).sort()).toEqual(['nodeId', 'publicKey', 'sign', 'unseal']);
    await kv.close();
  });
});

describe('recovery code helpers', () => {
  it('seed ↔ 24 words round-trips, and normalising forgives case and spacing', () => {
    for (const fill of [0, 1, 0x7f, 0xff]) {
      const seed = new Uint8Array(32).fill(fill);
      const code = recoveryCodeFromSeed(seed);
      expect(code.split(' ')).toHaveLength(24);
      expect(seedFromRecoveryCode(code)).toEqual(seed);
    }
    expect(normaliseRecoveryCode('  Abandon\tABILITY\n able ')).toBe('abandon ability able');
  });
});
