// Vault model scenarios 1–8 (docs/polykey.md §10) at the API level: create and its initial commit,
// duplicate and invalid names, one commit per batch, no empty commits, atomic batches, version
// checkout, write-after-checkout, bad references; plus list, rename and delete by name or id.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { Keynodes, codeOf } from './helpers.js';

const keynodes = new Keynodes();
let k: Keynode;
beforeEach(async () => {
  k = await keynodes.memory('vaults');
});
afterEach(() => keynodes.stopAll());

describe('vaults', () => {
  it('create and initial commit: a z… id and one "Initial Commit" by my NodeId (scenario 1)', async () => {
    const id = await k.vaults.create('v');
    expect(id).toMatch(/^z[1-9A-HJ-NP-Za-km-z]+$/);
    expect(await k.vaults.list()).toEqual([{ vaultName: 'v', vaultId: id }]);
    const log = await k.vaults.log('v');
    expect(log).toHaveLength(1);
    expect(log[0]!.message.split('\n')[0]).toBe('Initial Commit');
    expect(log[0]!.author).toBe(k.nodeId);
    expect(log[0]!.parents).toEqual([]);
    // B13: two vaults never share an initial commit id.
    await k.vaults.create('w');
    expect((await k.vaults.log('w'))[0]!.commitId).not.toBe(log[0]!.commitId);
  });

  it('a vault is found by name or by id', async () => {
    const id = await k.vaults.create('v');
    await k.secrets.add(id, 'a', '1');
    expect(await k.secrets.getText('v', 'a')).toBe('1');
    expect(await k.vaults.log(id)).toEqual(await k.vaults.log('v'));
    expect(await codeOf(k.vaults.log('nope'))).toBe('ErrorVaultsVaultUndefined');
  });

  it('duplicate name: create or rename to a taken name fails and changes nothing (scenario 2)', async () => {
    const v = await k.vaults.create('v');
    const w = await k.vaults.create('w');
    expect(await codeOf(k.vaults.create('v'))).toBe('ErrorVaultsVaultDefined');
    expect(await codeOf(k.vaults.rename('w', 'v'))).toBe('ErrorVaultsVaultDefined');
    const list = await k.vaults.list();
    expect(list.map((x) => [x.vaultName, x.vaultId]).sort()).toEqual(
      [
        ['v', v],
        ['w', w],
      ].sort(),
    );
  });

  it('concurrently creating a vault with the same name only creates 1 vault', async () => {
    const results = await Promise.allSettled([k.vaults.create('same'), k.vaults.create('same'), k.vaults.create('same')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('ErrorVaultsVaultDefined');
    expect(await k.vaults.list()).toHaveLength(1);
  });

  it('invalid vault names are refused with ErrorVaultsNameInvalid and nothing is created', async () => {
    await k.vaults.create('keep');
    for (const name of ['', 'a/b', 'a:b', 'tab\there', 'nl\n', '\u0000', 'x'.repeat(256), 'é'.repeat(128)]) {
      expect(await codeOf(k.vaults.create(name))).toBe('ErrorVaultsNameInvalid');
      expect(await codeOf(k.vaults.rename('keep', name))).toBe('ErrorVaultsNameInvalid');
    }
    expect((await k.vaults.list()).map((x) => x.vaultName)).toEqual(['keep']);
    // The limits themselves are allowed: 255 bytes, unicode, spaces.
    await k.vaults.create('x'.repeat(255));
    await k.vaults.create('mes secrets é 🔑');
    expect(await k.vaults.list()).toHaveLength(3);
  });

  it('can rename a vault: the id stays, the old name is gone', async () => {
    const id = await k.vaults.create('old');
    await k.vaults.rename('old', 'new');
    expect(await k.vaults.list()).toEqual([{ vaultName: 'new', vaultId: id }]);
    expect(await codeOf(k.vaults.log('old'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(k.vaults.rename('old', 'other'))).toBe('ErrorVaultsVaultUndefined');
  });

  it('can delete a vault: gone from the list, its name reusable with a new id', async () => {
    const id = await k.vaults.create('v');
    await k.secrets.add('v', 'a', 'secret');
    await k.vaults.delete('v');
    expect(await k.vaults.list()).toEqual([]);
    expect(await codeOf(k.secrets.get(id, 'a'))).toBe('ErrorVaultsVaultUndefined');
    expect(await codeOf(k.vaults.delete('v'))).toBe('ErrorVaultsVaultUndefined');
    const again = await k.vaults.create('v');
    expect(again).not.toBe(id);
    expect(await k.secrets.list('v')).toEqual([]);
  });

  it('one commit per batch, listing every path (scenario 3)', async () => {
    await k.vaults.create('v');
    await k.secrets.batch('v', [
      { op: 'add', path: 'a', content: '1' },
      { op: 'add', path: 'b', content: '2' },
    ]);
    const log = await k.vaults.log('v');
    expect(log).toHaveLength(2);
    expect(log[0]!.message.split('\n').sort()).toEqual(['a added', 'b added']);
    expect(log[0]!.parents).toEqual([log[1]!.commitId]);
    expect(log[0]!.author).toBe(k.nodeId);
  });

  it('no empty commits: unchanged writes and empty directories add no commit (scenario 4)', async () => {
    await k.vaults.create('v');
    await k.secrets.write('v', 'a', 'same');
    const before = await k.vaults.log('v');
    await k.secrets.write('v', 'a', 'same');
    await k.secrets.mkdir('v', 'empty/dir', { recursive: true });
    await k.secrets.batch('v', [
      { op: 'write', path: 'a', content: 'same' },
      { op: 'mkdir', path: 'other' },
    ]);
    await k.secrets.batch('v', []);
    expect(await k.vaults.log('v')).toEqual(before);
    // Empty directories are not listed (git keeps none).
    expect(await k.secrets.list('v')).toEqual([{ path: 'a', type: 'file' }]);
  });

  it('atomic batch: a batch that fails part-way leaves the vault as before (scenario 5)', async () => {
    await k.vaults.create('v');
    await k.secrets.add('v', 'keep', 'k');
    const before = await k.vaults.log('v');
    expect(
      await codeOf(
        k.secrets.batch('v', [
          { op: 'write', path: 'new', content: 'x' },
          { op: 'write', path: 'keep', content: 'changed' },
          { op: 'update', path: 'missing', content: 'y' },
        ]),
      ),
    ).toBe('ErrorSecretsSecretUndefined');
    expect(await k.vaults.log('v')).toEqual(before);
    expect(await k.secrets.list('v')).toEqual([{ path: 'keep', type: 'file' }]);
    expect(await k.secrets.getText('v', 'keep')).toBe('k');
    expect(await codeOf(k.secrets.get('v', 'new'))).toBe('ErrorSecretsSecretUndefined');
    // The vault still works normally afterwards.
    await k.secrets.add('v', 'new', 'later');
    expect(await k.vaults.log('v')).toHaveLength(before.length + 1);
  });

  it('version checkout: reads show the chosen commit, "last" returns to the newest (scenario 6)', async () => {
    await k.vaults.create('v');
    for (const n of ['1', '2', '3']) await k.secrets.write('v', 'a', n);
    const log = await k.vaults.log('v'); // [C4 a=3, C3 a=2, C2 a=1, C1 init]
    expect(log).toHaveLength(4);
    expect(await k.vaults.version('v', log[2]!.commitId)).toEqual({ latest: false });
    expect(await k.secrets.getText('v', 'a')).toBe('1');
    expect(await k.vaults.version('v', log[3]!.commitId)).toEqual({ latest: false });
    expect(await k.secrets.list('v')).toEqual([]);
    expect(await k.vaults.version('v', 'last')).toEqual({ latest: true });
    expect(await k.secrets.getText('v', 'a')).toBe('3');
    // log with ref and limit.
    expect(await k.vaults.log('v', { limit: 2 })).toEqual(log.slice(0, 2));
    expect(await k.vaults.log('v', { ref: log[2]!.commitId })).toEqual(log.slice(2));
  });

  it('write after checkout: the new commit is a child of that version and later ones are gone (scenario 7)', async () => {
    await k.vaults.create('v');
    for (const n of ['1', '2', '3']) await k.secrets.write('v', 'a', n);
    const [c4, c3, c2] = await k.vaults.log('v');
    await k.vaults.version('v', c2!.commitId);
    await k.secrets.write('v', 'b', 'branch');
    const log = await k.vaults.log('v');
    expect(log[0]!.parents).toEqual([c2!.commitId]);
    expect(log.map((e) => e.commitId)).not.toContain(c3!.commitId);
    expect(log.map((e) => e.commitId)).not.toContain(c4!.commitId);
    expect(await k.secrets.getText('v', 'a')).toBe('1');
    expect(await k.secrets.getText('v', 'b')).toBe('branch');
    expect(await codeOf(k.vaults.version('v', c4!.commitId))).toBe('ErrorVaultReferenceMissing');
    expect(await codeOf(k.vaults.version('v', c3!.commitId))).toBe('ErrorVaultReferenceMissing');
    // B3: everything still reachable is still readable after the clean-up.
    await k.vaults.version('v', c2!.commitId);
    expect(await k.secrets.getText('v', 'a')).toBe('1');
    await k.vaults.version('v', 'last');
    expect(await k.secrets.getText('v', 'b')).toBe('branch');
  });

  it('bad references: "foo" is invalid, an unknown 40-hex id is missing (scenario 8)', async () => {
    await k.vaults.create('v');
    for (const ref of ['foo', '', 'abc123', 'g'.repeat(40), '0'.repeat(39)]) {
      expect(await codeOf(k.vaults.version('v', ref))).toBe('ErrorVaultReferenceInvalid');
    }
    expect(await codeOf(k.vaults.version('v', 'a'.repeat(40)))).toBe('ErrorVaultReferenceMissing');
    expect(await codeOf(k.vaults.log('v', { ref: 'foo' }))).toBe('ErrorVaultReferenceInvalid');
    expect(await codeOf(k.vaults.log('v', { ref: 'b'.repeat(40) }))).toBe('ErrorVaultReferenceMissing');
    expect(await k.vaults.log('v')).toHaveLength(1);
  });
});
