// The object store's loose objects: the header ("<type> <size>\0") is read and checked before
// the rest is inflated — a size in any form other than plain decimal is damage, a size over the
// cap is refused as too large, and the content must be exactly as long as the header says. And
// its packs: a delta chain that comes back to itself is damage, not endless recursion.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { deflate } from 'pako';
import { afterAll, describe, expect, it } from 'vitest';
import { createDelta } from '../../../src/git/delta.js';
import { writeIdx } from '../../../src/git/idx-writer.js';
import { objectId } from '../../../src/git/object-id.js';
import { ObjectStore } from '../../../src/git/object-store.js';
import { tempDir } from '../../wire/git-helpers.js';
import { BLOB, REF_DELTA, entry, handPack } from './hand-pack.js';

const { dir: root, cleanup } = tempDir('store');
afterAll(cleanup);
let n = 0;
const enc = new TextEncoder();

/** A repository holding one loose object whose inflated file is exactly `raw`. */
function looseRepo(raw: Uint8Array | string): { gitdir: string; oid: string } {
  const gitdir = join(root, `r${n++}.git`);
  const oid = 'c'.repeat(40);
  fs.mkdirSync(join(gitdir, 'objects', 'cc'), { recursive: true });
  fs.writeFileSync(join(gitdir, 'objects', 'cc', oid.slice(2)), deflate(typeof raw === 'string' ? enc.encode(raw) : raw));
  return { gitdir, oid };
}

async function readLoose(raw: Uint8Array | string, maxObjectBytes?: number): Promise<unknown> {
  const { gitdir, oid } = looseRepo(raw);
  const store = await ObjectStore.open({ fs, gitdir }, maxObjectBytes);
  return store.read(oid).catch((e: unknown) => e);
}

describe('ObjectStore loose objects', () => {
  it('reads well-formed ones of every type, including empty ones and ones longer than the header peek', async () => {
    expect(await readLoose('blob 5\0hello')).toEqual({ type: 'blob', content: enc.encode('hello') });
    expect(await readLoose('tree 0\0')).toEqual({ type: 'tree', content: new Uint8Array(0) });
    const long = 'x'.repeat(100_000);
    expect(await readLoose(`commit ${long.length}\0${long}`)).toEqual({ type: 'commit', content: enc.encode(long) });
    expect(await readLoose('tag 3\0abc')).toMatchObject({ type: 'tag' });
  });

  it('refuses headers that are not "<type> <decimal size>\\0", and sizes that lie', async () => {
    const damaged = { name: 'KeynodeError', code: 'ErrorStorageCorrupt' };
    for (const raw of [
      'blob 0x5\0hello',
      'blob 5e0\0hello',
      'blob 05\0hello',
      'blob +5\0hello',
      'blob  5\0hello',
      'blob -5\0hello',
      'blob 5 \0hello',
      'blob\0hello',
      'blub 5\0hello',
      'blob 5',
      `blob ${'1'.repeat(40)}\0`,
      'blob 6\0hello',
      'blob 4\0hello',
      'blob 5\0hello, and more',
    ])
      expect(await readLoose(raw)).toMatchObject(damaged);
    expect(await readLoose(new Uint8Array([1, 2, 3]).map(() => 0xff))).toMatchObject(damaged);
  });

  it('refuses an object over the cap from its header, before inflating the rest', async () => {
    expect(await readLoose(`blob 11\0${'x'.repeat(11)}`, 10)).toMatchObject({ code: 'ErrorGitPackTooLarge', data: { limit: 'object', bytes: 11, max: 10 } });
    expect(await readLoose(`blob 10\0${'x'.repeat(10)}`, 10)).toMatchObject({ type: 'blob' });
    // A header claiming a petabyte over a few bytes: refused on its word, nothing allocated.
    expect(await readLoose(`blob ${2 ** 50}\0abc`)).toMatchObject({ code: 'ErrorGitPackTooLarge' });
  });
});

describe('ObjectStore packs', () => {
  it('a ref-delta that names its own id is refused as damage', async () => {
    const blob = enc.encode('one secret');
    const oid = new Uint8Array(20);
    objectId('blob', blob, oid, 0);
    const toItself = createDelta(blob, blob);
    const whole = entry(BLOB, blob.length, new Uint8Array(0), blob);
    const pack = handPack([whole, entry(REF_DELTA, toItself.length, oid, toItself)]);
    // The index lists the id once, at the delta: finding its base finds the delta again.
    const checksum = pack.subarray(pack.length - 20);
    const idx = writeIdx({ count: 1, oids: oid, offsets: Float64Array.from([12 + whole.length]), crcs: new Uint32Array(1) }, checksum);
    const gitdir = join(root, `p${n++}.git`);
    fs.mkdirSync(join(gitdir, 'objects', 'pack'), { recursive: true });
    fs.writeFileSync(join(gitdir, 'objects', 'pack', 'pack-x.pack'), pack);
    fs.writeFileSync(join(gitdir, 'objects', 'pack', 'pack-x.idx'), idx);
    const store = await ObjectStore.open({ fs, gitdir });
    await expect(store.read(Buffer.from(oid).toString('hex'))).rejects.toMatchObject({
      code: 'ErrorStorageCorrupt',
      message: expect.stringMatching(/comes back to itself/),
    });
  });
});
