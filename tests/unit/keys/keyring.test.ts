// The key hierarchy (src/keys/keyring.ts): the data key is reached with the passphrase or the
// recovery seed and nothing else, rewrapping changes only the wrapping, a handed-back key is
// recognised, and no key can be exported from WebCrypto.
import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  KDF_DEFAULTS,
  kdfIsOutdated,
  openWithPassphrase,
  openWithRecovery,
  rewrapPassphrase,
  sessionFromDataKey,
  type SessionKeys,
} from '../../../src/keys/keyring.js';
import { webCipher } from '../../../src/storage/cipher.js';
import { codeOf } from '../../utils/keynodes.js';

const seed = new Uint8Array(32).fill(9);
const otherSeed = new Uint8Array(32).fill(10);

async function sealWith(keys: SessionKeys, text: string): Promise<Uint8Array> {
  return webCipher(keys).seal(new TextEncoder().encode(text), 'aad');
}

async function openWith(keys: SessionKeys, sealed: Uint8Array): Promise<string> {
  return new TextDecoder().decode(await webCipher(keys).open(sealed, 'aad', 'test'));
}

describe('keyring', () => {
  it('the passphrase and the recovery seed each reach the same data key; anything else is refused', async () => {
    const { record, keys } = await createKeyring({ nodeId: 'vnode', passphrase: 'first passphrase', seed, autoLockMs: null });
    expect(record.kdf).toMatchObject({ alg: 'argon2id', ...KDF_DEFAULTS });
    expect(record.kdf.salt).toHaveLength(16);
    const sealed = await sealWith(keys, 'the secret');
    expect(await openWith(await openWithPassphrase(record, 'first passphrase'), sealed)).toBe('the secret');
    expect(await openWith(await openWithRecovery(record, seed), sealed)).toBe('the secret');
    expect(await codeOf(openWithPassphrase(record, 'first passphrasE'))).toBe('ErrorKeynodePassphraseInvalid');
    expect(await codeOf(openWithRecovery(record, otherSeed))).toBe('ErrorKeysRecoveryCodeInvalid');
    // The same passphrase in another Unicode normal form is the same passphrase.
    const { record: accented } = await createKeyring({ nodeId: 'vnode', passphrase: 'caf\u00e9 au lait', seed, autoLockMs: null });
    await openWithPassphrase(accented, 'cafe\u0301 au lait');
  });

  it('a record bound to one NodeId does not open as another’s', async () => {
    const { record } = await createKeyring({ nodeId: 'vnode-a', passphrase: 'first passphrase', seed, autoLockMs: null });
    expect(await codeOf(openWithPassphrase({ ...record, nodeId: 'vnode-b' }, 'first passphrase'))).toBe('ErrorKeynodePassphraseInvalid');
  });

  it('rewrapping changes the passphrase, not the data key; the recovery seed can set a new one', async () => {
    const { record, keys } = await createKeyring({ nodeId: 'vnode', passphrase: 'first passphrase', seed, autoLockMs: 60_000 });
    const sealed = await sealWith(keys, 'kept');
    const second = await rewrapPassphrase(record, { passphrase: 'first passphrase' }, 'second passphrase');
    expect(second.byRecovery).toEqual(record.byRecovery);
    expect(second.check).toEqual(record.check);
    expect(second.autoLockMs).toBe(60_000);
    expect(await codeOf(openWithPassphrase(second, 'first passphrase'))).toBe('ErrorKeynodePassphraseInvalid');
    expect(await openWith(await openWithPassphrase(second, 'second passphrase'), sealed)).toBe('kept');
    expect(await codeOf(rewrapPassphrase(second, { passphrase: 'wrong one!' }, 'third passphrase'))).toBe('ErrorKeynodePassphraseInvalid');
    const third = await rewrapPassphrase(second, { seed }, 'third passphrase');
    expect(await openWith(await openWithPassphrase(third, 'third passphrase'), sealed)).toBe('kept');
    expect(await codeOf(rewrapPassphrase(second, { seed: otherSeed }, 'third passphrase'))).toBe('ErrorKeysRecoveryCodeInvalid');
    expect(await codeOf(rewrapPassphrase(second, { passphrase: 'second passphrase' }, 'short'))).toBe('ErrorInvalidArgument');
  });

  it('recognises its own data key handed back by a tab, and not another keynode’s', async () => {
    const a = await createKeyring({ nodeId: 'vnode', passphrase: 'first passphrase', seed, autoLockMs: null });
    const b = await createKeyring({ nodeId: 'vnode', passphrase: 'first passphrase', seed, autoLockMs: null });
    const again = await sessionFromDataKey(a.record, a.keys.dataKey);
    expect(again).toBeDefined();
    expect(await openWith(again!, await sealWith(a.keys, 'x'))).toBe('x');
    expect(await sessionFromDataKey(a.record, b.keys.dataKey)).toBeUndefined();
  });

  it('no session key can be exported, and every one is a CryptoKey that structured clone can carry', async () => {
    const { keys } = await createKeyring({ nodeId: 'vnode', passphrase: 'first passphrase', seed, autoLockMs: null });
    for (const key of Object.values(keys)) {
      expect(key).toBeInstanceOf(CryptoKey);
      expect(key.extractable).toBe(false);
      await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
      expect(structuredClone(key)).toBeInstanceOf(CryptoKey);
    }
  });

  it('says when the stored KDF parameters are below today’s', () => {
    expect(kdfIsOutdated({ alg: 'argon2id', ...KDF_DEFAULTS, salt: new Uint8Array(16) })).toBe(false);
    expect(kdfIsOutdated({ alg: 'argon2id', ...KDF_DEFAULTS, memoryKiB: 19 * 1024, salt: new Uint8Array(16) })).toBe(true);
    expect(kdfIsOutdated({ alg: 'argon2id', ...KDF_DEFAULTS, iterations: 1, salt: new Uint8Array(16) })).toBe(true);
  });
});
