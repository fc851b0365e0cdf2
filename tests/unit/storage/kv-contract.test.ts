// The KV contract, run against every implementation: IndexedDB ('memory', fake-indexeddb), the
// file log ({ dir }), and the encrypted store over each of them. Same inputs, same observable results.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { openNodeStorage } from '../../../src/platform/node-storage.js';
import type { KV, RangeOptions } from '../../../src/storage/index.js';
import { webCipher } from '../../../src/storage/cipher.js';
import { EncryptedKV } from '../../../src/storage/encrypted-kv.js';
import { nodeCipher } from '../../../src/platform/node-cipher.js';
import { testSessionKeys } from './session-keys.js';

const dirs: string[] = [];
let n = 0;

interface Backend {
  name: string;
  /** A fresh, empty store and a way to reopen the same one (as after a restart). */
  fresh(): Promise<{ kv: KV; reopen(): Promise<KV> }>;
}

const backends: Backend[] = [
  {
    name: 'IndexedDB (memory)',
    async fresh() {
      const name = `kv-contract-${process.pid}-${n++}-${Math.random().toString(36).slice(2)}`;
      const kv = (await openNodeStorage('memory', name)).kv;
      return { kv, reopen: async () => (await openNodeStorage('memory', name)).kv };
    },
  },
  {
    name: 'file log ({ dir })',
    async fresh() {
      const dir = await mkdtemp(path.join(tmpdir(), 'keynode-kv-'));
      dirs.push(dir);
      const kv = (await openNodeStorage({ dir }, 'unused')).kv;
      return { kv, reopen: async () => (await openNodeStorage({ dir }, 'unused')).kv };
    },
  },
];

// The encrypted store over each plain one, with WebCrypto over IndexedDB and Node's cipher over
// the file log (the two pairings the product uses), on keys made once for the module.
for (const [plain, makeCipher] of [
  [backends[0]!, webCipher],
  [backends[1]!, nodeCipher],
] as const) {
  backends.push({
    name: `encrypted over ${plain.name}`,
    async fresh() {
      const cipher = makeCipher(await testSessionKeys());
      const { kv, reopen } = await plain.fresh();
      return { kv: new EncryptedKV(kv, () => cipher), reopen: async () => new EncryptedKV(await reopen(), () => cipher) };
    },
  });
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const put = (kv: KV, entries: Array<[string, unknown]>, store: 'vaults' | 'acl' = 'vaults') =>
  kv.write(async (tx) => {
    for (const [k, v] of entries) await tx.put(store, k, v);
  });

const keysOf = (kv: KV, range?: RangeOptions) => kv.read(async (tx) => (await tx.entries('vaults', range)).map(([k]) => k));

/** The reference: what entries() must return, computed on a plain sorted array. */
function expected(keys: string[], r: RangeOptions): string[] {
  let out = [...new Set(keys)]
    .filter((k) => (r.prefix === undefined || k.startsWith(r.prefix)) && (r.gte === undefined || k >= r.gte) && (r.lt === undefined || k < r.lt))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (r.reverse) out.reverse();
  if (r.limit !== undefined) out = out.slice(0, Math.max(0, r.limit));
  return out;
}

describe.each(backends)('KV contract: $name', (backend) => {
  it('get, put, overwrite and delete', async () => {
    const { kv } = await backend.fresh();
    expect(await kv.read((tx) => tx.get('vaults', 'a'))).toBeUndefined();
    await put(kv, [['a', { name: 'work', n: 1 }]]);
    expect(await kv.read((tx) => tx.get('vaults', 'a'))).toEqual({ name: 'work', n: 1 });
    await put(kv, [['a', { name: 'home' }]]);
    expect(await kv.read((tx) => tx.get('vaults', 'a'))).toEqual({ name: 'home' });
    // Stores are separate namespaces.
    expect(await kv.read((tx) => tx.get('acl', 'a'))).toBeUndefined();
    await kv.write((tx) => tx.delete('vaults', 'a'));
    expect(await kv.read((tx) => tx.get('vaults', 'a'))).toBeUndefined();
    await kv.write((tx) => tx.delete('vaults', 'never-there'));
    // Inside one transaction a write is visible to later reads.
    const seen = await kv.write(async (tx) => {
      await tx.put('vaults', 'b', 1);
      const first = await tx.get('vaults', 'b');
      await tx.delete('vaults', 'b');
      return [first, await tx.get('vaults', 'b'), await tx.count('vaults')];
    });
    expect(seen).toEqual([1, undefined, 0]);
    // Values of every JSON kind come back equal.
    const values: unknown[] = [0, -1.5, 'text', '', true, false, null, [], [1, [2, { x: 'y' }]], { deep: { er: { est: [null] } } }];
    await put(
      kv,
      values.map((v, i) => [`v${i}`, v]),
    );
    expect(await kv.read((tx) => Promise.all(values.map((_, i) => tx.get('vaults', `v${i}`))))).toEqual(values);
    await kv.close();
  });

  it('the result of the callback is returned by read and write', async () => {
    const { kv } = await backend.fresh();
    expect(await kv.write(async () => 'w')).toBe('w');
    expect(await kv.read(async () => ({ r: 1 }))).toEqual({ r: 1 });
    await kv.close();
  });

  it('entries honours prefix, gte, lt, reverse and limit in code-unit order; count honours prefix', async () => {
    const { kv } = await backend.fresh();
    const keys = ['a', 'a:', 'a:1', 'a:10', 'a:2', 'a;', 'b', 'B', 'name:x', 'name:y', 'namf', 'é', 'Z', '', '\u{1F600}', '\uffee', 'z'];
    await put(
      kv,
      keys.map((k) => [k, k.length]),
    );
    await put(kv, [['a:1', 'other store']], 'acl');
    expect(await keysOf(kv)).toEqual(expected(keys, {}));
    expect(await keysOf(kv, { prefix: 'a:' })).toEqual(['a:', 'a:1', 'a:10', 'a:2']);
    expect(await keysOf(kv, { prefix: 'name:' })).toEqual(['name:x', 'name:y']);
    expect(await keysOf(kv, { prefix: 'a:', reverse: true, limit: 2 })).toEqual(['a:2', 'a:10']);
    expect(await keysOf(kv, { gte: 'a:1', lt: 'b' })).toEqual(['a:1', 'a:10', 'a:2', 'a;']);
    expect(await keysOf(kv, { gte: 'b', lt: 'a' })).toEqual([]);
    expect(await keysOf(kv, { prefix: 'b', lt: 'a' })).toEqual([]);
    expect(await keysOf(kv, { limit: 0 })).toEqual([]);
    expect(await keysOf(kv, { prefix: 'nothing' })).toEqual([]);
    // Astral characters are two code units (0xd83d…) and sort below U+FFEE, as IndexedDB compares.
    expect(await keysOf(kv, { gte: '\ud800' })).toEqual(['\u{1F600}', '\uffee']);
    const withValues = await kv.read((tx) => tx.entries<number>('vaults', { prefix: 'a:1' }));
    expect(withValues).toEqual([
      ['a:1', 3],
      ['a:10', 4],
    ]);
    expect(await kv.read((tx) => tx.count('vaults'))).toBe(keys.length);
    expect(await kv.read((tx) => tx.count('vaults', { prefix: 'a' }))).toBe(6);
    expect(await kv.read((tx) => tx.count('vaults', { prefix: 'zz' }))).toBe(0);
    expect(await kv.read((tx) => tx.count('acl'))).toBe(1);
    await kv.close();
  });

  it('edge keys: U+FFFF after the prefix is inside the prefix, and an empty range matches no key at all', async () => {
    const { kv } = await backend.fresh();
    const keys = ['a', 'a\uffff', 'a\uffffb', 'a\uffff\uffff', 'b', '\uffff', '\uffffx', '\u0000empty-range\u0000', '\u0000'];
    await put(
      kv,
      keys.map((k) => [k, 1]),
    );
    expect(await keysOf(kv, { prefix: 'a' })).toEqual(['a', 'a\uffff', 'a\uffffb', 'a\uffff\uffff']);
    expect(await keysOf(kv, { prefix: 'a\uffff' })).toEqual(['a\uffff', 'a\uffffb', 'a\uffff\uffff']);
    expect(await keysOf(kv, { prefix: '\uffff' })).toEqual(['\uffff', '\uffffx']);
    expect(await keysOf(kv, { prefix: '' })).toEqual(expected(keys, {}));
    expect(await kv.read((tx) => tx.count('vaults', { prefix: 'a' }))).toBe(4);
    expect(await kv.read((tx) => tx.count('vaults', { prefix: '' }))).toBe(keys.length);
    for (const empty of [
      { gte: 'b', lt: 'a' },
      { gte: 'a', lt: 'a' },
      { prefix: 'b', gte: 'c' },
      { prefix: 'b', lt: 'b' },
    ]) {
      expect(await keysOf(kv, empty)).toEqual([]);
    }
    await kv.close();
  });

  it('entries matches a reference model for random keys and ranges', async () => {
    const { kv } = await backend.fresh();
    const alphabet = fc.constantFrom('a', 'b', ':', '0', 'é', '\uffff', '\u{1F600}');
    const keyArb = fc.array(alphabet, { maxLength: 4 }).map((c) => c.join(''));
    const keys = fc.sample(fc.uniqueArray(keyArb, { minLength: 30, maxLength: 60 }), { numRuns: 1, seed: 42 })[0]!;
    await put(
      kv,
      keys.map((k) => [k, null]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ prefix: keyArb, gte: keyArb, lt: keyArb, reverse: fc.boolean(), limit: fc.integer({ min: -1, max: 70 }) }, { requiredKeys: [] }),
        async (range) => {
          expect(await keysOf(kv, range)).toEqual(expected(keys, range));
          if (range.prefix !== undefined) {
            expect(await kv.read((tx) => tx.count('vaults', { prefix: range.prefix! }))).toBe(expected(keys, { prefix: range.prefix }).length);
          }
        },
      ),
      { numRuns: 150 },
    );
    await kv.close();
  });

  it('a write transaction whose callback throws commits nothing, in any store', async () => {
    const { kv, reopen } = await backend.fresh();
    await put(kv, [['keep', 1]]);
    const boom = new Error('changed my mind');
    await expect(
      kv.write(async (tx) => {
        await tx.put('vaults', 'keep', 2);
        await tx.put('vaults', 'new', 1);
        await tx.put('acl', 'perm', { actions: ['pull'] });
        await tx.put('outbox', 'msg', 'hello');
        await tx.delete('vaults', 'keep');
        throw boom;
      }),
    ).rejects.toBe(boom);
    const check = async (k: KV) =>
      k.read(async (tx) => [await tx.get('vaults', 'keep'), await tx.get('vaults', 'new'), await tx.get('acl', 'perm'), await tx.get('outbox', 'msg')]);
    expect(await check(kv)).toEqual([1, undefined, undefined, undefined]);
    // The store still works after the failed transaction.
    await put(kv, [['after', true]]);
    await kv.close();
    const again = await reopen();
    expect(await check(again)).toEqual([1, undefined, undefined, undefined]);
    expect(await again.read((tx) => tx.get('vaults', 'after'))).toBe(true);
    await again.close();
  });

  it('a KeynodeError thrown by the callback comes out unchanged', async () => {
    const { kv } = await backend.fresh();
    const { KeynodeError } = await import('../../../src/errors.js');
    const err = new KeynodeError('ErrorVaultsVaultDefined', 'A vault named "work" already exists.');
    await expect(kv.write(async () => Promise.reject(err))).rejects.toBe(err);
    await expect(kv.read(async () => Promise.reject(err))).rejects.toBe(err);
    await kv.close();
  });

  it('concurrent write transactions serialise: 50 read-modify-write increments give 50', async () => {
    const { kv, reopen } = await backend.fresh();
    await put(kv, [['counter', 0]], 'acl');
    await Promise.all(
      Array.from({ length: 50 }, () =>
        kv.write(async (tx) => {
          const v = (await tx.get<number>('acl', 'counter'))!;
          await tx.put('acl', 'counter', v + 1);
          await tx.put('vaults', `log:${String(v).padStart(3, '0')}`, v);
        }),
      ),
    );
    expect(await kv.read((tx) => tx.get('acl', 'counter'))).toBe(50);
    expect(await kv.read((tx) => tx.count('vaults', { prefix: 'log:' }))).toBe(50);
    await kv.close();
    const again = await reopen();
    expect(await again.read((tx) => tx.get('acl', 'counter'))).toBe(50);
    await again.close();
  });

  it('reads running alongside writes see whole transactions only', async () => {
    const { kv } = await backend.fresh();
    await put(kv, [
      ['x', 0],
      ['y', 0],
    ]);
    const tasks: Array<Promise<unknown>> = [];
    const torn: unknown[] = [];
    for (let i = 1; i <= 20; i++) {
      tasks.push(
        kv.write(async (tx) => {
          await tx.put('vaults', 'x', i);
          await tx.put('vaults', 'y', i);
        }),
      );
      tasks.push(
        kv.read(async (tx) => {
          const x = await tx.get('vaults', 'x');
          const y = await tx.get('vaults', 'y');
          if (x !== y) torn.push([x, y]);
        }),
      );
    }
    await Promise.all(tasks);
    expect(torn).toEqual([]);
    await kv.close();
  });

  it('Uint8Array values round-trip byte-exact, including 1 MB and empty, also after reopen', async () => {
    const { kv, reopen } = await backend.fresh();
    const big = new Uint8Array(1024 * 1024);
    crypto.getRandomValues(big.subarray(0, 65536));
    for (let i = 65536; i < big.length; i += 65536) big.copyWithin(i, 0, 65536);
    big[big.length - 1] = 0xff;
    const small = Uint8Array.from([0, 1, 254, 255]);
    const record = { publicKey: small, nested: [new Uint8Array(0), { b: Uint8Array.from([7]) }] };
    await put(kv, [
      ['big', big],
      ['empty', new Uint8Array(0)],
      ['record', record],
    ]);
    const check = async (k: KV) => {
      const [b, e, r] = await k.read((tx) =>
        Promise.all([tx.get<Uint8Array>('vaults', 'big'), tx.get<Uint8Array>('vaults', 'empty'), tx.get<typeof record>('vaults', 'record')]),
      );
      expect(b).toBeInstanceOf(Uint8Array);
      expect(b!.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(b!), Buffer.from(big))).toBe(0);
      expect(e).toBeInstanceOf(Uint8Array);
      expect(e!.length).toBe(0);
      expect(r!.publicKey).toBeInstanceOf(Uint8Array);
      expect(r).toEqual(record);
    };
    await check(kv);
    await kv.close();
    const again = await reopen();
    await check(again);
    await again.close();
  });

  it('values are copies: mutating what was put or what was read does not change the store', async () => {
    const { kv } = await backend.fresh();
    const value = { list: [1, 2], bytes: Uint8Array.from([1, 2, 3]) };
    await put(kv, [['v', value]]);
    value.list.push(99);
    value.bytes[0] = 99;
    const read1 = (await kv.read((tx) => tx.get<typeof value>('vaults', 'v')))!;
    expect(read1).toEqual({ list: [1, 2], bytes: Uint8Array.from([1, 2, 3]) });
    read1.list.push(42);
    read1.bytes[1] = 42;
    const [, read2] = (await kv.read((tx) => tx.entries<typeof value>('vaults')))[0]!;
    read2.list.length = 0;
    expect(await kv.read((tx) => tx.get('vaults', 'v'))).toEqual({ list: [1, 2], bytes: Uint8Array.from([1, 2, 3]) });
    // Also inside a write transaction before commit.
    await kv.write(async (tx) => {
      const v = (await tx.get<typeof value>('vaults', 'v'))!;
      v.list.push(7);
      expect(await tx.get('vaults', 'v')).toEqual({ list: [1, 2], bytes: Uint8Array.from([1, 2, 3]) });
    });
    await kv.close();
  });

  it('data persists across close and reopen', async () => {
    const { kv, reopen } = await backend.fresh();
    await put(kv, [
      ['a', { n: 1 }],
      ['b', 'two'],
      ['c', [3]],
    ]);
    await kv.write((tx) => tx.delete('vaults', 'b'));
    await put(kv, [['p', 1]], 'acl');
    await kv.close();
    const again = await reopen();
    expect(await again.read((tx) => tx.entries('vaults'))).toEqual([
      ['a', { n: 1 }],
      ['c', [3]],
    ]);
    expect(await again.read((tx) => tx.get('acl', 'p'))).toBe(1);
    await again.close();
  });

  it('a write inside a read transaction is refused with a KeynodeError and changes nothing', async () => {
    const { kv } = await backend.fresh();
    const err = await kv.read((tx) => tx.put('vaults', 'x', 1)).catch((e: unknown) => e);
    expect(isKeynodeError(err), String(err)).toBe(true);
    expect(await kv.read((tx) => tx.get('vaults', 'x'))).toBeUndefined();
    await kv.close();
  });
});
