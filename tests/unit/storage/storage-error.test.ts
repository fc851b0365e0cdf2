// storageError: what a caller sees when IndexedDB fails.
import { describe, expect, it } from 'vitest';
import { isKeynodeError, KeynodeError } from '../../../src/errors.js';
import { storageError } from '../../../src/storage/idb-kv.js';

describe('storageError', () => {
  it('maps a QuotaExceededError DOMException to ErrorStorageQuota with a sentence a person understands', () => {
    const dom = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const e = storageError(dom);
    expect(isKeynodeError(e, 'ErrorStorageQuota')).toBe(true);
    expect(e.message).toMatch(/^The browser refused to store more data/);
    expect(e.message).toMatch(/\.$/);
    expect(e.cause).toBe(dom);
    // Survives the trip to the page.
    expect(KeynodeError.fromJSON(JSON.parse(JSON.stringify(e))).code).toBe('ErrorStorageQuota');
  });

  it('keeps a KeynodeError and wraps anything else as ErrorInternal', () => {
    const k = new KeynodeError('ErrorVaultsVaultDefined', 'Exists.');
    expect(storageError(k)).toBe(k);
    for (const other of [new DOMException('x', 'InvalidStateError'), new Error('x'), null, undefined, 'text']) {
      const e = storageError(other);
      expect(isKeynodeError(e, 'ErrorInternal')).toBe(true);
      expect(e.message.length).toBeGreaterThan(10);
    }
  });

  it('a transaction used after it finished (awaiting something else inside it) is a KeynodeError', async () => {
    const { openNodeStorage } = await import('../../../src/platform/node-storage.js');
    const kv = (await openNodeStorage('memory', `storage-error-${Math.random()}`)).kv;
    const err = await kv
      .read(async (tx) => {
        await new Promise((r) => setTimeout(r, 5));
        return tx.get('vaults', 'a');
      })
      .catch((e: unknown) => e);
    expect(isKeynodeError(err), String(err)).toBe(true);
    await kv.close();
  });
});
