// Bad input: malformed paths give ErrorSecretsPathInvalid from every operation and change nothing
// (the log and the listing stay the same). Property test: any valid path round-trips.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePath } from '../../../src/secrets/paths.js';
import { codeOf, openHarness, storageKinds, type Harness } from '../vaults/harness.js';

const badPaths = [
  '',
  '/abs',
  '/',
  'a//b',
  'a/',
  '..',
  '../x',
  'a/../b',
  '.',
  './a',
  'a/./b',
  '.git',
  '.git/config',
  'a/.git/HEAD',
  '.GIT/x',
  'nul\0byte',
  'x'.repeat(4097),
  'é'.repeat(2049),
];

describe.each(storageKinds)('bad secret paths on %s storage', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
    await h.vm.create('v');
    await h.secrets.add('v', 'a/b', 'content');
  });
  afterEach(async () => {
    await h.close();
  });

  it('every operation refuses a malformed path with ErrorSecretsPathInvalid and changes nothing', async () => {
    const s = h.secrets;
    const log = await h.vm.log('v');
    const listing = await s.list('v');
    for (const p of badPaths) {
      const calls: Array<Promise<unknown>> = [
        s.add('v', p, 'x'),
        s.update('v', p, 'x'),
        s.write('v', p, 'x'),
        s.get('v', p),
        s.getText('v', p),
        s.stat('v', p),
        s.mkdir('v', p, { recursive: true }),
        s.rename('v', 'a/b', p),
        s.rename('v', p, 'c'),
        s.delete('v', ['a/b', p], { recursive: true }),
        s.batch('v', [
          { op: 'write', path: 'ok', content: '1' },
          { op: 'write', path: p, content: '2' },
        ]),
        s.env('v', [p]),
      ];
      if (p !== '') calls.push(s.list('v', p));
      for (const call of calls) expect(await codeOf(call)).toBe('ErrorSecretsPathInvalid');
    }
    expect(await h.vm.log('v')).toEqual(log);
    expect(await s.list('v')).toEqual(listing);
    expect(await s.getText('v', 'a/b')).toBe('content');
  });

  it('content that is neither text nor bytes is refused', async () => {
    expect(await codeOf(h.secrets.write('v', 'x', 42 as never))).toBe('ErrorInvalidArgument');
    expect(await h.vm.log('v')).toHaveLength(2);
  });

  it('paths at the limits are ordinary secrets: 4,096 bytes, dots inside names, spaces, unicode', async () => {
    const long = `${'d'.repeat(200)}/${'x'.repeat(4096 - 201)}`;
    for (const p of [long, '...', '..a', 'a..', '.gitignore', 'with space/ünï 🔑', '.env']) {
      await h.secrets.write('v', p, p);
      expect(await h.secrets.getText('v', p)).toBe(p);
    }
  });
});

describe('path rules', () => {
  it('any path of valid components is accepted and split back into them', () => {
    const component = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((c) => !c.includes('/') && !c.includes('\0') && c !== '.' && c !== '..' && c.toLowerCase() !== '.git');
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 8 }), (parts) => {
        expect(parsePath(parts.join('/'))).toEqual(parts);
      }),
    );
  });
});
