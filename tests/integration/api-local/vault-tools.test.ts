// Issue 11 at the API level, on local keynodes: secrets.find over a whole vault (paths only, words in
// any order, ranked, following the checked-out version), secrets.import of .env, JSON, Bitwarden and
// KeePass exports (a dry run first, a report of what was skipped and why, one commit), and encrypted
// backups restored on another keynode with their history, refused with a wrong passphrase, and the
// reminder for vaults that exist only here.
import { afterEach, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { Keynodes, codeOf } from './helpers.js';

const keynodes = new Keynodes();
afterEach(() => keynodes.stopAll());

async function vaultWith(k: Keynode, name: string, secrets: Record<string, string>): Promise<void> {
  await k.vaults.create(name);
  await k.secrets.batch(
    name,
    Object.entries(secrets).map(([path, content]) => ({ op: 'write' as const, path, content })),
  );
}

describe('secrets.find', () => {
  it('finds secrets anywhere in the tree by every word of the query, names first', async () => {
    const k = await keynodes.memory('find');
    await vaultWith(k, 'v', {
      'prod/db/password': '1',
      'prod/db/user': '2',
      'staging/db/password': '3',
      'prod/api/db-token': '4',
      'password-hints': '5',
      'other/secret': 'password', // values are never searched
    });
    expect(await k.secrets.find('v', 'password')).toEqual({ paths: ['password-hints', 'prod/db/password', 'staging/db/password'], total: 3 });
    expect((await k.secrets.find('v', 'DB PROD')).paths.sort()).toEqual(['prod/api/db-token', 'prod/db/password', 'prod/db/user']);
    // The name starting with the word comes before a folder that holds it.
    expect(await k.secrets.find('v', 'db')).toEqual({ paths: ['prod/api/db-token', 'prod/db/user', 'prod/db/password', 'staging/db/password'], total: 4 });
    expect(await k.secrets.find('v', 'password', { limit: 1 })).toEqual({ paths: ['password-hints'], total: 3 });
    expect((await k.secrets.find('v', '')).total).toBe(6);
    expect(await k.secrets.find('v', 'nothing-like-this')).toEqual({ paths: [], total: 0 });
    expect(await codeOf(k.secrets.find('v', 'x', { limit: 0 }))).toBe('ErrorInvalidArgument');
    expect(await codeOf(k.secrets.find('nope', 'x'))).toBe('ErrorVaultsVaultUndefined');
  });

  it('follows changes and the version being viewed', async () => {
    const k = await keynodes.memory('find-versions');
    await vaultWith(k, 'v', { 'a/one': '1' });
    const first = (await k.vaults.log('v'))[0]!.commitId;
    expect((await k.secrets.find('v', 'one')).paths).toEqual(['a/one']);
    await k.secrets.rename('v', 'a/one', 'b/uno');
    expect((await k.secrets.find('v', 'one')).paths).toEqual([]);
    expect((await k.secrets.find('v', 'uno')).paths).toEqual(['b/uno']);
    await k.vaults.version('v', first);
    expect((await k.secrets.find('v', 'one')).paths).toEqual(['a/one']);
  });
});

describe('secrets.import', () => {
  it('a .env file: quotes, escapes, export, comments; a dry run writes nothing', async () => {
    const k = await keynodes.memory('import-env');
    await k.vaults.create('v');
    const text = [
      '# database',
      'DB_PASSWORD=hunter2',
      'export API_KEY="a\\"b\\nc"',
      "SINGLE='no $escapes here'",
      'INLINE=value # a comment',
      'MULTI="line one',
      'line two"',
      'not a line',
      '1BAD=x',
      'DB_PASSWORD=again',
    ].join('\n');
    const dry = await k.secrets.import('v', text, { dryRun: true, into: 'app' });
    expect(dry.format).toBe('dotenv');
    expect(dry.added.sort()).toEqual(['app/API_KEY', 'app/DB_PASSWORD', 'app/INLINE', 'app/MULTI', 'app/SINGLE']);
    expect(dry.skipped.map((s) => s.entry)).toEqual(['line 8', 'line 9', 'line 2']);
    expect(dry.skipped[2]!.reason).toMatch(/set again/);
    expect(await k.vaults.log('v')).toHaveLength(1);

    const before = (await k.vaults.log('v')).length;
    await k.secrets.import('v', text, { into: 'app' });
    expect(await k.vaults.log('v')).toHaveLength(before + 1);
    expect(await k.secrets.getText('v', 'app/DB_PASSWORD')).toBe('again');
    expect(await k.secrets.getText('v', 'app/API_KEY')).toBe('a"b\nc');
    expect(await k.secrets.getText('v', 'app/SINGLE')).toBe('no $escapes here');
    expect(await k.secrets.getText('v', 'app/INLINE')).toBe('value');
    expect(await k.secrets.getText('v', 'app/MULTI')).toBe('line one\nline two');

    // Again: everything exists, so everything is skipped unless overwriting is asked for.
    const again = await k.secrets.import('v', 'DB_PASSWORD=third', { into: 'app' });
    expect(again.added).toEqual([]);
    expect(again.skipped[0]!.reason).toMatch(/has a secret of that name/);
    const overwrite = await k.secrets.import('v', 'DB_PASSWORD=third', { into: 'app', existing: 'overwrite' });
    expect(overwrite.overwritten).toEqual(['app/DB_PASSWORD']);
    expect(await k.secrets.getText('v', 'app/DB_PASSWORD')).toBe('third');
  });

  it('JSON: nested objects become folders; lists, nulls and clashes are reported', async () => {
    const k = await keynodes.memory('import-json');
    await vaultWith(k, 'v', { taken: 'x' });
    const report = await k.secrets.import(
      'v',
      JSON.stringify({ db: { user: 'u', port: 5432, tls: true }, list: [1], gone: null, 'taken/inside': 'y', '..': 'z' }),
    );
    expect(report.format).toBe('json');
    expect(report.added.sort()).toEqual(['db/port', 'db/tls', 'db/user']);
    expect(report.skipped.map((s) => s.entry).sort()).toEqual(['..', 'gone', 'list', 'taken/inside']);
    expect(await k.secrets.getText('v', 'db/port')).toBe('5432');
    expect(await codeOf(k.secrets.import('v', '{not json', { format: 'json' }))).toBe('ErrorInvalidArgument');
  });

  it('Bitwarden CSV and JSON, KeePassXC and KeePass 2 CSV: one folder per entry, one secret per field', async () => {
    const k = await keynodes.memory('import-pm');
    await k.vaults.create('v');
    const bitwarden = [
      'folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp',
      'Work,,login,GitHub,"two\nlines",,0,https://github.com,octo,"p,ss""word",',
      'Work,,login,GitHub,,,0,,octo2,second,',
      ',,note,Wifi,guest network,"SSID: home",0,,,,',
      ',,card,Visa,,,0,,,,',
      ',,login,Empty,,,0,,,,',
    ].join('\n');
    const bw = await k.secrets.import('v', bitwarden, { into: 'bw' });
    expect(bw.format).toBe('bitwarden-csv');
    expect(bw.added.sort()).toEqual(
      [
        'bw/GitHub (2)/password',
        'bw/GitHub (2)/username',
        'bw/Work/GitHub/notes',
        'bw/Work/GitHub/password',
        'bw/Work/GitHub/url',
        'bw/Work/GitHub/username',
        'bw/Wifi/SSID',
        'bw/Wifi/notes',
      ]
        .map((p) => p.replace('bw/GitHub (2)', 'bw/Work/GitHub (2)'))
        .sort(),
    );
    expect(bw.skipped.map((s) => s.reason)).toEqual(['Bitwarden card items are not imported', 'it has nothing in it']);
    expect(await k.secrets.getText('v', 'bw/Work/GitHub/password')).toBe('p,ss"word');
    expect(await k.secrets.getText('v', 'bw/Work/GitHub/notes')).toBe('two\nlines');

    const json = JSON.stringify({
      encrypted: false,
      folders: [{ id: 'f1', name: 'Home' }],
      items: [
        { type: 1, name: 'Router', folderId: 'f1', login: { username: 'admin', password: 'pw', uris: [{ uri: 'http://192.168.1.1' }] } },
        { type: 3, name: 'Card' },
      ],
    });
    const bwj = await k.secrets.import('v', json, { into: 'bwj' });
    expect(bwj.format).toBe('bitwarden-json');
    expect(bwj.added.sort()).toEqual(['bwj/Home/Router/password', 'bwj/Home/Router/url', 'bwj/Home/Router/username']);
    expect(bwj.skipped).toHaveLength(1);

    const keepassxc = [
      '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"',
      '"Root/Email","Mail","me","m@il","","","","0","",""',
      '"Root","a/b","x","y","","","","0","",""',
    ].join('\r\n');
    const kx = await k.secrets.import('v', keepassxc, { into: 'kx' });
    expect(kx.format).toBe('keepass-csv');
    expect(kx.added.sort()).toEqual(['kx/Email/Mail/password', 'kx/Email/Mail/username', 'kx/a-b/password', 'kx/a-b/username']);

    const keepass2 = ['"Account","Login Name","Password","Web Site","Comments"', '"Bank","me","1234","https://bank","pin"', '"short row"'].join('\n');
    const k2 = await k.secrets.import('v', keepass2, { into: 'k2' });
    expect(k2.added.sort()).toEqual(['k2/Bank/notes', 'k2/Bank/password', 'k2/Bank/url', 'k2/Bank/username']);
    expect(k2.skipped[0]!.reason).toMatch(/columns/);
  });

  it('an encrypted Bitwarden export is refused with the way out', async () => {
    const k = await keynodes.memory('import-bw-encrypted');
    await k.vaults.create('v');
    const report = await k.secrets.import('v', JSON.stringify({ encrypted: true, items: [] }));
    expect(report.added).toEqual([]);
    expect(report.skipped[0]!.reason).toMatch(/unencrypted/);
  });
});

describe('encrypted backups', () => {
  it('restores on another keynode with the whole history, as an editable vault; a wrong passphrase opens nothing', async () => {
    const [a, b] = await Promise.all([keynodes.memory('backup-a'), keynodes.memory('backup-b')]);
    await vaultWith(a, 'prod', { 'db/password': 'one' });
    await a.secrets.write('prod', 'db/password', 'two');
    await a.secrets.write('prod', 'api/key', 'k');
    const history = (await a.vaults.log('prod')).map((c) => c.commitId);

    expect((await a.vaults.backupReminders()).map((r) => r.vaultName)).toEqual(['prod']);
    const file = await a.vaults.backup('prod', 'backup passphrase');
    expect(new TextDecoder().decode(file.subarray(0, 16))).toBe('keynode-backup 1');
    // Neither names nor values are readable in the file.
    const text = new TextDecoder('latin1').decode(file);
    for (const visible of ['prod', 'db/password', 'password', 'two']) expect(text.includes(visible)).toBe(false);
    expect(await a.vaults.backupReminders()).toEqual([]);
    await a.secrets.write('prod', 'later', 'x');
    expect((await a.vaults.backupReminders())[0]!.lastBackup).toBeTypeOf('number');

    expect(await codeOf(b.vaults.restoreBackup(file, 'not the passphrase'))).toBe('ErrorKeynodePassphraseInvalid');
    const flipped = file.slice();
    flipped[flipped.length - 5]! ^= 1;
    expect(await codeOf(b.vaults.restoreBackup(flipped, 'backup passphrase'))).toBe('ErrorKeynodePassphraseInvalid');
    expect(await codeOf(b.vaults.restoreBackup(new TextEncoder().encode('hello'), 'backup passphrase'))).toBe('ErrorInvalidArgument');
    expect(await b.vaults.list()).toEqual([]);

    const id = await b.vaults.restoreBackup(file, 'backup passphrase');
    expect(await b.vaults.list()).toEqual([{ vaultName: 'prod', vaultId: id }]);
    expect((await b.vaults.log(id)).map((c) => c.commitId)).toEqual(history);
    expect(await b.secrets.getText(id, 'db/password')).toBe('two');
    await b.vaults.version(id, history[2]!);
    expect(await b.secrets.getText(id, 'db/password')).toBe('one');
    await b.vaults.version(id, 'last');
    await b.secrets.write(id, 'new', 'editable');
    // A second restore takes the next free name.
    const again = await b.vaults.restoreBackup(file, 'backup passphrase');
    expect((await b.vaults.list()).find((v) => v.vaultId === again)!.vaultName).toBe('prod-1');
  });

  it('refuses a weak backup passphrase', async () => {
    const k = await keynodes.memory('backup-weak');
    await vaultWith(k, 'v', { a: '1' });
    expect(await codeOf(k.vaults.backup('v', 'short'))).toBe('ErrorInvalidArgument');
  });
});
