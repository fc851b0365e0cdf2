// Identity through createKeynode: a 53-character NodeId, the 24-word recovery code shown only when
// the identity is created, the same NodeId after a restart on the same storage, the same NodeId
// rebuilt from the recovery code in a fresh storage, and bad codes refused.
import { afterEach, describe, expect, it } from 'vitest';
import { createKeynode } from '../../../src/index.js';
import { Keynodes, codeOf, freshName } from './helpers.js';

const keynodes = new Keynodes();
afterEach(() => keynodes.stopAll());

describe('identity', () => {
  it('a new keynode has a 53-character NodeId and a 24-word recovery code', async () => {
    const k = await keynodes.memory('id');
    expect(k.nodeId).toMatch(/^v[0-9a-v]{52}$/);
    expect(k.nodeId).toHaveLength(53);
    expect(k.recoveryCode?.split(' ')).toHaveLength(24);
    const other = await keynodes.memory('id2');
    expect(other.nodeId).not.toBe(k.nodeId);
    expect(other.recoveryCode).not.toBe(k.recoveryCode);
  });

  it('a restart keeps the NodeId and does not show the recovery code again', async () => {
    const name = freshName('restart');
    const first = await keynodes.start({ storage: 'memory', name });
    expect(first.recoveryCode).toBeDefined();
    await first.stop();
    const second = await keynodes.start({ storage: 'memory', name });
    expect(second.nodeId).toBe(first.nodeId);
    expect(second.recoveryCode).toBeUndefined();
  });

  it('a { dir } keynode keeps its NodeId across a restart', async () => {
    const dir = keynodes.tempDir();
    const first = await keynodes.start({ storage: { dir } });
    await first.stop();
    const second = await keynodes.start({ storage: { dir } });
    expect(second.nodeId).toBe(first.nodeId);
    expect(second.recoveryCode).toBeUndefined();
  });

  it('the recovery code rebuilds the same NodeId in a fresh storage', async () => {
    const original = await keynodes.memory('orig');
    const code = original.recoveryCode!;
    const restored = await keynodes.start({ storage: 'memory', name: freshName('restored'), recoveryCode: code });
    expect(restored.nodeId).toBe(original.nodeId);
    // A restored identity is not new: the code is not shown back.
    expect(restored.recoveryCode).toBeUndefined();
    // Extra spaces and capitals are forgiven.
    const shouted = `  ${code.toUpperCase().split(' ').join('   ')}  `;
    const again = await keynodes.start({ storage: { dir: keynodes.tempDir() }, recoveryCode: shouted });
    expect(again.nodeId).toBe(original.nodeId);
  });

  it('the restored keynode signs as the original: its share link opens as coming from the original', async () => {
    const original = await keynodes.memory('orig');
    const receiver = await keynodes.memory('recv');
    const restored = await keynodes.memory('restored', { recoveryCode: original.recoveryCode! });
    await restored.vaults.create('v');
    const link = await restored.vaults.shareLink('v', receiver.nodeId);
    const opened = await receiver.notifications.openLink(link);
    expect(opened.from).toBe(original.nodeId);
  });

  it('bad recovery codes are refused with ErrorKeysRecoveryCodeInvalid and create nothing', async () => {
    const good = (await keynodes.memory('good')).recoveryCode!;
    const words = good.split(' ');
    const bad = [
      '',
      'not a recovery code',
      words.slice(0, 23).join(' '), // 23 words
      [...words.slice(0, 23), words[23] === 'abandon' ? 'zoo' : 'abandon'].join(' '), // checksum broken
      [...words.slice(0, 23), 'notaword'].join(' '),
    ];
    const name = freshName('bad');
    for (const recoveryCode of bad) {
      expect(await codeOf(createKeynode({ storage: 'memory', name, recoveryCode }))).toBe('ErrorKeysRecoveryCodeInvalid');
    }
    // Nothing was stored: the same storage then makes a brand-new identity.
    const fresh = await keynodes.start({ storage: 'memory', name });
    expect(fresh.recoveryCode).toBeDefined();
  });

  it('a keynode that fails to start leaves its storage closed (the profile can be deleted at once)', async () => {
    const name = freshName('closed');
    expect(await codeOf(createKeynode({ storage: 'memory', name, recoveryCode: 'not a code' }))).toBe('ErrorKeysRecoveryCodeInvalid');
    // 'memory' storage is IndexedDB (fake-indexeddb): a connection left open blocks the delete.
    const outcome = await new Promise<string>((resolve) => {
      const request = indexedDB.deleteDatabase(`keynode-${name}`);
      request.onsuccess = () => resolve('deleted');
      request.onblocked = () => resolve('blocked');
      request.onerror = () => resolve('error');
    });
    expect(outcome).toBe('deleted');
  });
});
