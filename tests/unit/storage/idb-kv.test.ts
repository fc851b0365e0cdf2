// IndexedDB specifics: a keynode can be given its own IndexedDB factory without disturbing others.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openIdbKV } from '../../../src/storage/idb-kv.js';

describe('IndexedDB KV with its own factory', () => {
  it('concurrent opens on different factories are isolated and leave the global factory as it was', async () => {
    const original = globalThis.indexedDB;
    const envA = { indexedDB: new IDBFactory(), IDBKeyRange };
    const envB = { indexedDB: new IDBFactory(), IDBKeyRange };
    const [a, b] = await Promise.all([openIdbKV('same-name', envA), openIdbKV('same-name', envB)]);
    expect(globalThis.indexedDB).toBe(original);
    await a.write((tx) => tx.put('vaults', 'k', 'in A'));
    expect(await b.read((tx) => tx.get('vaults', 'k'))).toBeUndefined();
    expect(await a.read((tx) => tx.get('vaults', 'k'))).toBe('in A');
    // The global factory never saw that database.
    const globalKv = await openIdbKV('same-name');
    expect(await globalKv.read((tx) => tx.get('vaults', 'k'))).toBeUndefined();
    expect(a.persistsCryptoKeys).toBe(true);
    await Promise.all([a.close(), b.close(), globalKv.close()]);
  });

  it('a CryptoKey survives put and get, still non-extractable and usable', async () => {
    const kv = await openIdbKV(`cryptokey-${Math.random()}`);
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    await kv.write((tx) => tx.put('keys', 'k', { privateKey: pair.privateKey }));
    const back = (await kv.read((tx) => tx.get<{ privateKey: CryptoKey }>('keys', 'k')))!;
    expect(back.privateKey.extractable).toBe(false);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = await crypto.subtle.sign('Ed25519', back.privateKey, msg);
    expect(await crypto.subtle.verify('Ed25519', pair.publicKey, sig, msg)).toBe(true);
    await kv.close();
  });
});
