// Secret operations (Polykey VaultOps titles, docs/polykey.md §9.3) and scenarios 3–5 and 11–13, on both storages.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf, openHarness, storageKinds, type Harness } from '../vaults/harness.js';

describe.each(storageKinds)('secret operations on %s storage', (kind) => {
  let h: Harness;
  let s: Harness['secrets'];
  const commits = async () => (await h.vm.log('v')).length;
  const lastMessage = async () => (await h.vm.log('v', { limit: 1 }))[0]!.message;
  beforeEach(async () => {
    h = await openHarness(kind);
    s = h.secrets;
    await h.vm.create('v');
  });
  afterEach(async () => {
    await h.close();
  });

  describe('addSecret', () => {
    it('adding a secret', async () => {
      await s.add('v', 'secret-1', 'secret-content');
      expect(await s.getText('v', 'secret-1')).toBe('secret-content');
      expect(await lastMessage()).toBe('secret-1 added');
    });
    it('add a secret under an existing directory', async () => {
      await s.add('v', 'dir/a', '1');
      await s.add('v', 'dir/b', '2');
      expect(await s.list('v', 'dir')).toEqual([
        { path: 'dir/a', type: 'file' },
        { path: 'dir/b', type: 'file' },
      ]);
    });
    it('add a secret creating directory', async () => {
      await s.add('v', 'a/b/c/d', 'deep');
      expect(await s.stat('v', 'a/b/c')).toEqual({ type: 'directory', size: 1 });
      expect(await s.getText('v', 'a/b/c/d')).toBe('deep');
    });
    it('adding a secret multiple times', async () => {
      for (let i = 0; i < 5; i++) await s.add('v', `s${i}`, `${i}`);
      expect((await s.list('v')).map((e) => e.path)).toEqual(['s0', 's1', 's2', 's3', 's4']);
      expect(await commits()).toBe(6);
    });
    it('adding a secret that already exists should fail (scenario 11); write overwrites with a "modified" commit', async () => {
      await s.add('v', 'a', 'first');
      const n = await commits();
      expect(await codeOf(s.add('v', 'a', 'second'))).toBe('ErrorSecretsSecretDefined');
      expect(await commits()).toBe(n);
      expect(await s.getText('v', 'a')).toBe('first');
      await s.write('v', 'a', 'second');
      expect(await s.getText('v', 'a')).toBe('second');
      expect(await lastMessage()).toBe('a modified');
    });
    it('adding a hidden secret', async () => {
      await s.add('v', '.hidden', 'h');
      await s.add('v', '.dir/.inner', 'i');
      expect((await s.list('v')).map((e) => e.path)).toEqual(['.dir', '.hidden']);
      expect(await s.getText('v', '.dir/.inner')).toBe('i');
    });
    it('a file/directory clash: writing under a secret, or a secret over a directory, fails', async () => {
      await s.add('v', 'a', 'file');
      await s.add('v', 'd/x', 'in dir');
      const n = await commits();
      expect(await codeOf(s.add('v', 'a/b', 'x'))).toBe('ErrorSecretsIsSecret');
      expect(await codeOf(s.write('v', 'a/b/c', 'x'))).toBe('ErrorSecretsIsSecret');
      expect(await codeOf(s.write('v', 'd', 'x'))).toBe('ErrorSecretsIsDirectory');
      expect(await codeOf(s.add('v', 'd', 'x'))).toBe('ErrorSecretsIsDirectory');
      expect(await commits()).toBe(n);
    });
  });

  describe('updateSecret and writeSecret', () => {
    it('updating secret content, within a directory and multiple times', async () => {
      await s.add('v', 'a', '1');
      await s.add('v', 'd/b', '1');
      await s.update('v', 'a', '2');
      await s.update('v', 'd/b', '2');
      await s.update('v', 'd/b', '3');
      expect(await s.getText('v', 'a')).toBe('2');
      expect(await s.getText('v', 'd/b')).toBe('3');
      expect(await lastMessage()).toBe('d/b modified');
    });
    it('updating a secret that does not exist should fail', async () => {
      expect(await codeOf(s.update('v', 'missing', 'x'))).toBe('ErrorSecretsSecretUndefined');
      expect(await commits()).toBe(1);
    });
    it('updating hidden secret content within a hidden directory', async () => {
      await s.add('v', '.d/.s', 'a');
      await s.update('v', '.d/.s', 'b');
      expect(await s.getText('v', '.d/.s')).toBe('b');
    });
    it('writeSecret: creates new secret if it does not exist, updates existing (hidden) secret', async () => {
      await s.write('v', '.s', 'a');
      expect(await lastMessage()).toBe('.s added');
      await s.write('v', '.s', 'b');
      expect(await lastMessage()).toBe('.s modified');
      expect(await s.getText('v', '.s')).toBe('b');
    });
    it('no commit added if no mutation: the same bytes again make no commit', async () => {
      await s.write('v', 'a', 'same');
      const n = await commits();
      await s.write('v', 'a', 'same');
      await s.update('v', 'a', new TextEncoder().encode('same'));
      await s.batch('v', [
        { op: 'write', path: 'a', content: 'changed' },
        { op: 'write', path: 'a', content: 'same' },
      ]);
      expect(await commits()).toBe(n);
    });
    it('secrets are bytes: binary content and an empty secret round-trip', async () => {
      const bytes = new Uint8Array(256).map((_, i) => i);
      await s.write('v', 'bin', bytes);
      await s.write('v', 'empty', '');
      expect(Array.from(await s.get('v', 'bin'))).toEqual(Array.from(bytes));
      expect((await s.get('v', 'empty')).length).toBe(0);
      expect(await s.stat('v', 'empty')).toEqual({ type: 'file', size: 0 });
    });
  });

  describe('getSecret and statSecret', () => {
    it('can get a secret, a hidden one, and their stat', async () => {
      await s.add('v', 'd/.h', 'hidden value');
      expect(await s.getText('v', 'd/.h')).toBe('hidden value');
      expect(await s.stat('v', 'd/.h')).toEqual({ type: 'file', size: 12 });
      expect(await s.stat('v', 'd')).toEqual({ type: 'directory', size: 1 });
    });
    it('getting a secret that does not exist should fail; getting a directory should fail', async () => {
      await s.add('v', 'd/x', '1');
      expect(await codeOf(s.get('v', 'nope'))).toBe('ErrorSecretsSecretUndefined');
      expect(await codeOf(s.get('v', 'd/x/y'))).toBe('ErrorSecretsSecretUndefined');
      expect(await codeOf(s.get('v', 'd'))).toBe('ErrorSecretsIsDirectory');
      expect(await codeOf(s.getText('v', 'd'))).toBe('ErrorSecretsIsDirectory');
      expect(await codeOf(s.stat('v', 'nope'))).toBe('ErrorSecretsSecretUndefined');
    });
  });

  describe('listSecrets', () => {
    it('can list secrets; secrets in directories are listed one level at a time', async () => {
      await s.batch('v', [
        { op: 'add', path: 'b', content: '1' },
        { op: 'add', path: 'a/x', content: '2' },
        { op: 'add', path: 'a/y/z', content: '3' },
      ]);
      expect(await s.list('v')).toEqual([
        { path: 'a', type: 'directory' },
        { path: 'b', type: 'file' },
      ]);
      expect(await s.list('v', 'a')).toEqual([
        { path: 'a/x', type: 'file' },
        { path: 'a/y', type: 'directory' },
      ]);
    });
    it('empty vault list no secrets', async () => {
      expect(await s.list('v')).toEqual([]);
      expect(await s.list('v', '')).toEqual([]);
    });
    it('a missing directory or a secret cannot be listed', async () => {
      await s.add('v', 'f', '1');
      expect(await codeOf(s.list('v', 'nope'))).toBe('ErrorSecretsDirectoryUndefined');
      expect(await codeOf(s.list('v', 'f'))).toBe('ErrorSecretsIsSecret');
    });
    it('empty directories are not listed', async () => {
      await s.mkdir('v', 'empty');
      await s.add('v', 'full/x', '1');
      expect(await s.list('v')).toEqual([{ path: 'full', type: 'directory' }]);
    });
  });

  describe('mkdir', () => {
    it('can create directory: no commit, since git keeps no empty directories (scenario 4)', async () => {
      await s.mkdir('v', 'd');
      await s.mkdir('v', 'a/b/c', { recursive: true });
      await s.mkdir('v', '.hidden');
      await s.batch('v', []);
      expect(await commits()).toBe(1);
    });
    it('creating directories fails without recursive', async () => {
      expect(await codeOf(s.mkdir('v', 'a/b'))).toBe('ErrorSecretsDirectoryUndefined');
    });
    it('creating existing directory should fail; creating existing secret should fail', async () => {
      await s.add('v', 'd/x', '1');
      expect(await codeOf(s.mkdir('v', 'd'))).toBe('ErrorSecretsSecretDefined');
      await s.mkdir('v', 'd', { recursive: true });
      expect(await codeOf(s.mkdir('v', 'd/x'))).toBe('ErrorSecretsIsSecret');
      expect(await codeOf(s.mkdir('v', 'd/x/y', { recursive: true }))).toBe('ErrorSecretsIsSecret');
      expect(
        await codeOf(
          s.batch('v', [
            { op: 'mkdir', path: 'n' },
            { op: 'mkdir', path: 'n' },
          ]),
        ),
      ).toBe('ErrorSecretsSecretDefined');
    });
    it('mkdir then add into it in one batch makes one commit', async () => {
      await s.batch('v', [
        { op: 'mkdir', path: 'new' },
        { op: 'mkdir', path: 'new/sub' },
        { op: 'add', path: 'new/sub/s', content: 'x' },
      ]);
      expect(await lastMessage()).toBe('new/sub/s added');
    });
  });

  describe('renameSecret', () => {
    it('renaming a secret, within a directory, and a hidden one in a hidden directory', async () => {
      await s.add('v', 'a', '1');
      await s.rename('v', 'a', 'b');
      expect(await lastMessage()).toBe('a deleted\nb added');
      await s.add('v', 'd/x', '2');
      await s.rename('v', 'd/x', 'd/y');
      await s.add('v', '.h/.s', '3');
      await s.rename('v', '.h/.s', '.h/.t');
      expect(await s.getText('v', 'b')).toBe('1');
      expect(await s.getText('v', 'd/y')).toBe('2');
      expect(await s.getText('v', '.h/.t')).toBe('3');
      expect(await codeOf(s.get('v', 'a'))).toBe('ErrorSecretsSecretUndefined');
    });
    it('renaming a directory moves every secret under it in one commit', async () => {
      await s.batch('v', [
        { op: 'add', path: 'd/a', content: '1' },
        { op: 'add', path: 'd/e/b', content: '2' },
      ]);
      await s.rename('v', 'd', 'z/moved');
      expect(await lastMessage()).toBe('d/a deleted\nd/e/b deleted\nz/moved/a added\nz/moved/e/b added');
      expect(await s.getText('v', 'z/moved/e/b')).toBe('2');
      expect(await codeOf(s.rename('v', 'z', 'z/inside'))).toBe('ErrorSecretsPathInvalid');
    });
    it('renaming a secret that does not exist should fail; onto an existing one too', async () => {
      await s.add('v', 'a', '1');
      await s.add('v', 'b', '2');
      const n = await commits();
      expect(await codeOf(s.rename('v', 'missing', 'c'))).toBe('ErrorSecretsSecretUndefined');
      expect(await codeOf(s.rename('v', 'a', 'b'))).toBe('ErrorSecretsSecretDefined');
      expect(await commits()).toBe(n);
    });
  });

  describe('deleteSecret', () => {
    it('deleting a secret, a secret in a directory, and a hidden secret in a hidden directory', async () => {
      await s.batch('v', [
        { op: 'add', path: 'a', content: '1' },
        { op: 'add', path: 'd/b', content: '2' },
        { op: 'add', path: 'd/c', content: '3' },
        { op: 'add', path: '.h/.s', content: '4' },
      ]);
      await s.delete('v', 'a');
      await s.delete('v', 'd/b');
      await s.delete('v', '.h/.s');
      expect(await s.list('v')).toEqual([{ path: 'd', type: 'directory' }]);
      expect(await lastMessage()).toBe('.h/.s deleted');
    });
    it('deleting a directory with a file should fail; with recursive it goes in one commit (scenario 12)', async () => {
      await s.batch('v', [
        { op: 'add', path: 'd/a', content: '1' },
        { op: 'add', path: 'd/sub/b', content: '2' },
        { op: 'add', path: 'keep', content: '3' },
      ]);
      const n = await commits();
      expect(await codeOf(s.delete('v', 'd'))).toBe('ErrorVaultsRecursive');
      expect(await commits()).toBe(n);
      await s.delete('v', 'd', { recursive: true });
      expect(await commits()).toBe(n + 1);
      expect(await lastMessage()).toBe('d/a deleted\nd/sub/b deleted');
      expect(await s.list('v')).toEqual([{ path: 'keep', type: 'file' }]);
    });
    it('deleting multiple secrets should add only one new log message (scenario 13)', async () => {
      await s.batch('v', [
        { op: 'add', path: 'a', content: '1' },
        { op: 'add', path: 'b', content: '2' },
        { op: 'add', path: 'c/d', content: '3' },
      ]);
      const n = await commits();
      await s.delete('v', ['a', 'b', 'c/d']);
      expect(await commits()).toBe(n + 1);
      expect(await lastMessage()).toBe('a deleted\nb deleted\nc/d deleted');
      expect(await s.list('v')).toEqual([]);
    });
    it('deleting a secret that does not exist should fail, and deletes nothing else', async () => {
      await s.add('v', 'a', '1');
      const n = await commits();
      expect(await codeOf(s.delete('v', ['a', 'missing']))).toBe('ErrorSecretsSecretUndefined');
      expect(await commits()).toBe(n);
      expect(await s.getText('v', 'a')).toBe('1');
    });
  });

  describe('batches', () => {
    it('one commit per batch: adding a and b lists both as added (scenario 3)', async () => {
      await s.batch('v', [
        { op: 'add', path: 'a', content: '1' },
        { op: 'add', path: 'b', content: '2' },
      ]);
      expect(await commits()).toBe(2);
      expect(await lastMessage()).toBe('a added\nb added');
    });
    it('commit message contains all actions made in the commit', async () => {
      await s.batch('v', [
        { op: 'add', path: 'mod', content: '1' },
        { op: 'add', path: 'del', content: '2' },
      ]);
      await s.batch('v', [
        { op: 'update', path: 'mod', content: 'changed' },
        { op: 'delete', path: 'del' },
        { op: 'write', path: 'new', content: '3' },
      ]);
      expect(await lastMessage()).toBe('del deleted\nmod modified\nnew added');
    });
    it('no mutation to vault when part of a commit operation fails (scenario 5)', async () => {
      await s.add('v', 'existing', 'before');
      const log = await h.vm.log('v');
      expect(
        await codeOf(
          s.batch('v', [
            { op: 'write', path: 'new-file', content: 'x' },
            { op: 'update', path: 'existing', content: 'after' },
            { op: 'update', path: 'missing', content: 'boom' },
          ]),
        ),
      ).toBe('ErrorSecretsSecretUndefined');
      // An edit that throws after writing a file (Polykey's writeF that throws).
      const id = await h.vm.resolve('v');
      await expect(
        h.vm.mutate(id, async (t) => {
          await t.writeFile(['thrown'], new TextEncoder().encode('x'), 'write');
          throw new Error('the callback failed');
        }),
      ).rejects.toThrow('the callback failed');
      expect(await h.vm.log('v')).toEqual(log);
      expect(await s.list('v')).toEqual([{ path: 'existing', type: 'file' }]);
      expect(await s.getText('v', 'existing')).toBe('before');
    });
    it('unknown ops and missing fields are refused before anything is written', async () => {
      expect(
        await codeOf(
          s.batch('v', [
            { op: 'write', path: 'a', content: '1' },
            { op: 'chmod' as never, path: 'a' },
          ]),
        ),
      ).toBe('ErrorInvalidArgument');
      expect(await codeOf(s.batch('v', [{ op: 'write', path: 'a' }]))).toBe('ErrorInvalidArgument');
      expect(await codeOf(s.batch('v', [{ op: 'rename', path: 'a' }]))).toBe('ErrorSecretsPathInvalid');
      expect(await commits()).toBe(1);
    });
  });
});
