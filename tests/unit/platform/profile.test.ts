// Restoring a browser profile's keynode from a recovery code (src/platform/profile.ts), on
// IndexedDB (fake-indexeddb) and lightning-fs as in the browser: the restored keynode is built in a
// fresh storage before the profile points at it; the replaced storage is deleted; a wrong code, a
// profile holding vaults, or a failing build change nothing.
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../../src/errors.js';
import { createKeynode } from '../../../src/index.js';
import { createKeynodeFrom, type Keynode } from '../../../src/keynode/keynode.js';
import { checkRestore, currentStorageName, replaceWithRestored, storageDatabases, sweepReplacedStorages } from '../../../src/platform/profile.js';
import { openIndexedDbStorage } from '../../../src/storage/index.js';
import { codeOf, eventually } from '../../utils/keynodes.js';

async function databases(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}

/** The profile's keynode, as the service worker or the page opens it. */
async function openProfile(): Promise<Keynode> {
  return createKeynodeFrom({ storage: await openIndexedDbStorage(await currentStorageName()) });
}

/** Another keynode's recovery code and NodeId (created elsewhere, in memory). */
async function someoneElse(): Promise<{ code: string; nodeId: string }> {
  const kn = await createKeynode({ storage: 'memory' });
  const code = kn.recoveryCode!;
  await kn.stop();
  return { code, nodeId: kn.nodeId };
}

describe('restoring a browser profile from a recovery code', () => {
  it('replaces a fresh keynode with the restored one, points the profile at it, and deletes the old storage', async () => {
    const other = await someoneElse();
    expect(await currentStorageName()).toBe('default');
    const fresh = await openProfile();
    expect(fresh.recoveryCode).toBeDefined();
    await fresh.gestalts.trust(other.nodeId); // contacts of the replaced keynode go with it

    expect(await checkRestore(fresh, other.code)).toBe(true);
    await fresh.stop();
    const restored = await replaceWithRestored((storage) => createKeynodeFrom({ storage, recoveryCode: other.code }));
    expect(restored.nodeId).toBe(other.nodeId);
    expect(restored.recoveryCode).toBeUndefined(); // a restore never shows the code again
    const name = await currentStorageName();
    expect(name).toMatch(/^restored-[0-9a-f]{12}$/);
    await restored.vaults.create('kept');
    await restored.stop();

    await sweepReplacedStorages();
    const left = await databases();
    for (const db of storageDatabases('default')) expect(left).not.toContain(db);
    expect(left).toContain(`keynode-${name}`);

    // The next start (a reload, a restarted worker) opens the restored keynode, with its vault.
    const again = await openProfile();
    expect(again.nodeId).toBe(other.nodeId);
    expect((await again.vaults.list()).map((v) => v.vaultName)).toEqual(['kept']);
    // Its own code is nothing to do; anyone else's is refused while the vault is here.
    expect(await checkRestore(again, other.code)).toBe(false);
    const third = await someoneElse();
    const refused = checkRestore(again, third.code);
    expect(await codeOf(refused)).toBe('ErrorInvalidArgument');
    await expect(checkRestore(again, third.code)).rejects.toThrow(/already holds a vault \(“kept”\).*new browser profile/);
    // Not a recovery code at all.
    expect(await codeOf(checkRestore(again, 'correct horse battery staple'))).toBe('ErrorKeysRecoveryCodeInvalid');
    expect(await codeOf(checkRestore(again, Array(24).fill('abandon').join(' ')))).toBe('ErrorKeysRecoveryCodeInvalid');
    expect(await currentStorageName()).toBe(name);
    await again.stop();
  });

  it('a restore whose build fails leaves the profile on the old keynode and deletes the half-made storage', async () => {
    const before = await currentStorageName();
    const kept = await openProfile();
    const nodeId = kept.nodeId;
    await kept.stop();
    const failed = replaceWithRestored(async (storage) => {
      await storage.kv.write((tx) => tx.put('keys', 'scribble', 1));
      throw new KeynodeError('ErrorStorageQuota', 'The browser refused to store more data.');
    });
    expect(await codeOf(failed)).toBe('ErrorStorageQuota');
    expect(await currentStorageName()).toBe(before);
    const reopened = await openProfile();
    expect(reopened.nodeId).toBe(nodeId);
    await reopened.stop();
    await sweepReplacedStorages();
    await eventually(async () => (await databases()).filter((d) => d.includes('restored-') && !d.includes(before)).length === 0);
  });
});
