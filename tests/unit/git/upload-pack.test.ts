// upload-pack as a client sees it: the advertisement, ACK/NAK negotiation, the pack (only what
// the client lacks, whole even when it spans many side-band frames), refusals, and what a
// request costs the owner, counted in object reads (never in milliseconds).
import LightningFS from '@isomorphic-git/lightning-fs';
import git from 'isomorphic-git';
import { describe, expect, it, vi } from 'vitest';
import {
  advertiseRefs,
  cloneBare,
  encodePktLine,
  FLUSH,
  fetchMaster,
  masterInAdvertisement,
  parsePktLines,
  prepareClone,
  uploadPack,
  type GitRepo,
  type PackStats,
} from '../../../src/git/index.js';
import { ObjectStore } from '../../../src/git/object-store.js';
import { MAX_HAVES, MAX_WANTS } from '../../../src/git/upload-request.js';
import { collect, commitAll, newRepo, secrets } from './fixture.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function req(lines: Array<string | null>): Promise<Uint8Array> {
  const parts = lines.map((l) => (l === null ? FLUSH : encodePktLine(`${l}\n`)));
  return collect(
    (async function* () {
      yield* parts;
    })(),
  );
}

/** Splits a response into its text lines (before the pack) and the pack bytes from side-band 1. */
function readResponse(bytes: Uint8Array): { lines: string[]; pack: Uint8Array; frames: number; errors: string[]; flushed: boolean } {
  const lines: string[] = [];
  const errors: string[] = [];
  const packParts: Uint8Array[] = [];
  let flushed = false;
  for (const p of parsePktLines(bytes)) {
    if (p === 'flush') flushed = true;
    else if (p === 'delim') continue;
    else if (p[0] === 1) packParts.push(p.subarray(1));
    else if (p[0] === 3) errors.push(dec.decode(p.subarray(1)));
    else if (p[0] !== 2) lines.push(dec.decode(p).trim());
  }
  const pack = new Uint8Array(packParts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of packParts) {
    pack.set(p, o);
    o += p.length;
  }
  return { lines, pack, frames: packParts.length, errors, flushed };
}

function objectCount(pack: Uint8Array): number {
  expect(dec.decode(pack.subarray(0, 4))).toBe('PACK');
  return new DataView(pack.buffer, pack.byteOffset).getUint32(8);
}

const CAPS = 'multi_ack_detailed no-done side-band-64k ofs-delta agent=test';

async function run(repo: GitRepo, lines: Array<string | null>, stats?: PackStats): Promise<ReturnType<typeof readResponse>> {
  return readResponse(await collect(uploadPack(repo, await req(lines), stats ? { stats } : {})));
}

describe('advertiseRefs', () => {
  it('lists HEAD (with capabilities) and master at master, between the service line and flushes', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: '1' });
    const text = dec.decode(await advertiseRefs(repo));
    const caps = 'multi_ack_detailed no-done side-band-64k thin-pack ofs-delta symref=HEAD:refs/heads/master agent=keynode/0.1.0';
    const line1 = `${head} HEAD\0${caps}\n`;
    const line2 = `${head} refs/heads/master\n`;
    const hex = (s: string): string => (enc.encode(s).length + 4).toString(16).padStart(4, '0');
    expect(text).toBe(`001e# service=git-upload-pack\n0000${hex(line1)}${line1}${hex(line2)}${line2}0000`);
  });

  it('our client reads master from it; an empty vault has none; an ERR line is ErrorGitProtocol', async () => {
    const repo = await newRepo();
    expect(masterInAdvertisement(await advertiseRefs(repo))).toBeUndefined();
    const head = await commitAll(repo, { a: '1' });
    expect(masterInAdvertisement(await advertiseRefs(repo))).toBe(head);
    const err = await req([`ERR no such vault\u0000\u001b[2J${'!'.repeat(500)}`]);
    expect(() => masterInAdvertisement(err)).toThrow(
      expect.objectContaining({
        code: 'ErrorGitProtocol',
        message: `The other keynode could not list the vault: no such vault  [2J${'!'.repeat(182)}…`,
      }),
    );
  });

  it('advertises HEAD at master even when HEAD points elsewhere', async () => {
    const repo = await newRepo();
    const old = await commitAll(repo, { a: '1' });
    const head = await commitAll(repo, { a: '2' });
    await git.writeRef({ ...repo, ref: 'HEAD', value: old, force: true });
    const text = dec.decode(await advertiseRefs(repo));
    expect(text).toContain(`${head} HEAD\0`);
    expect(text).not.toContain(old);
  });
});

describe('uploadPack negotiation', () => {
  it('clone (no haves): NAK, then a pack of every object, then a flush', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { 'a/b/c': 'x', d: 'y' });
    const r = await run(repo, [`want ${head} ${CAPS}`, null, 'done']);
    expect(r.lines).toEqual(['NAK']);
    expect(objectCount(r.pack)).toBe(6); // commit, 3 trees, 2 blobs
    expect(r.flushed).toBe(true);
  });

  it('ACKs the haves it has, then sends only what the client lacks', async () => {
    const repo = await newRepo();
    const files = secrets(120);
    const old = await commitAll(repo, files);
    files['env1/svc4/secret-4'] = 'rotated';
    const head = await commitAll(repo, files);
    const unknown = 'f'.repeat(40);
    const stats: PackStats = { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
    const r = await run(repo, [`want ${head} ${CAPS}`, null, `have ${unknown}`, `have ${old}`, 'done'], stats);
    expect(r.lines).toEqual([`ACK ${old} common`, `ACK ${old}`]);
    expect(objectCount(r.pack)).toBe(5); // commit, root, env1, env1/svc4, the blob
    expect(stats.objects).toBe(5);
  });

  it('says NAK when none of the haves are known', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: '1' });
    const r = await run(repo, [`want ${head} ${CAPS}`, null, `have ${'e'.repeat(40)}`, 'done']);
    expect(r.lines).toEqual(['NAK']);
    expect(objectCount(r.pack)).toBe(3);
  });

  it('a negotiation round without done answers ACK common / ready / NAK and, with no-done, the pack', async () => {
    const repo = await newRepo();
    const old = await commitAll(repo, { a: '1' });
    const head = await commitAll(repo, { a: '2' });
    const r = await run(repo, [`want ${head} ${CAPS}`, null, `have ${old}`, null]);
    expect(r.lines).toEqual([`ACK ${old} common`, `ACK ${old} ready`, 'NAK', `ACK ${old}`]);
    expect(objectCount(r.pack)).toBe(3);

    const noNoDone = await run(repo, [`want ${head} multi_ack_detailed side-band-64k`, null, `have ${old}`, null]);
    expect(noNoDone.lines).toEqual([`ACK ${old} common`, `ACK ${old} ready`, 'NAK']);
    expect(noNoDone.pack.length).toBe(0);
  });

  it('an up-to-date client gets an empty pack, and our client does not even ask', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: '1' });
    const r = await run(repo, [`want ${head} ${CAPS}`, null, `have ${head}`, 'done']);
    expect(objectCount(r.pack)).toBe(0);

    const clientFs = new LightningFS('git-unit-uptodate', { wipe: true });
    let posts = 0;
    const transport = { advertisement: await advertiseRefs(repo), pack: (b: Uint8Array) => (posts++, uploadPack(repo, b)) };
    await cloneBare({ fs: clientFs, gitdir: '/c', transport });
    expect(posts).toBe(1);
    expect((await fetchMaster({ fs: clientFs, gitdir: '/c', transport })).remoteHead).toBe(head);
    expect(posts).toBe(1);
  });

  it('a pack spanning many 64 KiB side-band frames arrives whole, last partial frame included', async () => {
    const repo = await newRepo();
    // Random bytes do not compress, so the pack really is ~300 KB: five side-band frames at least.
    const big = new Uint8Array(300_000);
    for (let o = 0; o < big.length; o += 65536) crypto.getRandomValues(big.subarray(o, o + 65536));
    const head = await commitAll(repo, { 'big.bin': big, small: 's' });
    const r = await run(repo, [`want ${head} ${CAPS}`, null, 'done']);
    expect(r.frames).toBeGreaterThanOrEqual(5);
    expect(objectCount(r.pack)).toBe(4);

    const clientFs = new LightningFS('git-unit-big', { wipe: true });
    const transport = { advertisement: await advertiseRefs(repo), pack: (b: Uint8Array) => uploadPack(repo, b) };
    const { head: got } = await cloneBare({ fs: clientFs, gitdir: '/c', transport });
    expect(got).toBe(head);
    const { blob } = await git.readBlob({ fs: clientFs, gitdir: '/c', oid: got, filepath: 'big.bin' });
    expect(Buffer.compare(blob, big)).toBe(0);
  });
});

describe('uploadPack cost', () => {
  /** Runs one request and counts the object reads and lookups it made through the repository's store. */
  async function counted(repo: GitRepo, lines: Array<string | null>): Promise<{ reads: number; lookups: number; r: Awaited<ReturnType<typeof run>> }> {
    const store = await ObjectStore.open(repo);
    const read = vi.spyOn(store, 'read');
    const has = vi.spyOn(store, 'has');
    try {
      const r = await run(repo, lines);
      return { reads: read.mock.calls.length, lookups: has.mock.calls.length, r };
    } finally {
      read.mockRestore();
      has.mockRestore();
    }
  }

  it('a clone of the same commit again is the kept pack, byte for byte, with no object read; a moved master is packed anew', async () => {
    const repo = await newRepo();
    const first = await commitAll(repo, secrets(40));
    const clone = [`want ${first} ${CAPS}`, null, 'done'];
    const cold = await counted(repo, clone);
    expect(cold.reads).toBeGreaterThan(40);
    const warm = await counted(repo, clone);
    expect(warm.reads).toBe(0);
    expect(warm.r.pack).toEqual(cold.r.pack);
    expect(warm.r.flushed).toBe(true);

    // master moves: the new commit's pack carries its new objects, and is what a fresh store builds.
    const second = await commitAll(repo, { ...secrets(40), 'env0/new-secret': 'after the kept pack' });
    const moved = await run(repo, [`want ${second} ${CAPS}`, null, 'done']);
    const fresh = await run({ ...repo, cache: {} }, [`want ${second} ${CAPS}`, null, 'done']);
    expect(moved.pack).toEqual(fresh.pack);
    expect(objectCount(moved.pack)).toBe(objectCount(cold.r.pack) + 4); // commit, root tree, env0's tree, the blob
    // The older commit is still in master's history: served, and still only its own objects.
    expect((await run(repo, clone)).pack).toEqual(cold.r.pack);
  });

  it('after a restart (the kept pack gone) a clone of master takes its object list from disk: the same pack, no walk', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, secrets(40));
    const clone = [`want ${head} ${CAPS}`, null, 'done'];
    const cold = await counted(repo, clone);
    const objects = objectCount(cold.r.pack);
    // The walk reads every commit and tree, and the writer reads every loose object once more.
    expect(cold.reads).toBeGreaterThan(objects);
    expect(await repo.fs.promises.readFile('/vault/keynode-clone-list', 'utf8')).toMatch(/^keynode-clone-list 1\nwant /);
    const restarted = await counted({ ...repo, cache: {} }, clone);
    expect(restarted.r.pack).toEqual(cold.r.pack);
    expect(restarted.reads).toBe(objects); // the writer's reads of loose objects, nothing walked

    // A damaged list, or one for another set of wants, is ignored: the walk runs and the pack is the same.
    const list = (await repo.fs.promises.readFile('/vault/keynode-clone-list', 'utf8')) as string;
    const cutAtLine = list.slice(0, list.lastIndexOf('\nloose ') + 1) + list.slice(list.lastIndexOf('\nend ') + 1);
    for (const bad of [list.slice(0, -30), cutAtLine, list.replace(head, '0'.repeat(40)), `${list}loose nothex\n`]) {
      await repo.fs.promises.writeFile('/vault/keynode-clone-list', bad, 'utf8');
      const again = await counted({ ...repo, cache: {} }, clone);
      expect(again.r.pack).toEqual(cold.r.pack);
      expect(again.reads).toBe(cold.reads);
    }
  });

  it('prepareClone (run when a vault is shared) leaves the next clone of master nothing to read', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, secrets(40));
    const once = await counted({ ...repo, cache: {} }, [`want ${head} ${CAPS}`, null, 'done']);
    // Sharing with three people at once prepares the pack once; a clone arriving meanwhile waits for it.
    const store = await ObjectStore.open(repo);
    const read = vi.spyOn(store, 'read');
    const during = run(repo, [`want ${head} ${CAPS}`, null, 'done']);
    await Promise.all([prepareClone(repo), prepareClone(repo), prepareClone(repo)]);
    expect((await during).pack).toEqual(once.r.pack);
    // One pack, from the object list the first clone kept: each loose object read once, not three times.
    expect(read.mock.calls.length).toBe(objectCount(once.r.pack));
    read.mockRestore();
    const clone = await counted(repo, [`want ${head} ${CAPS}`, null, 'done']);
    expect(clone.reads).toBe(0);
    expect(clone.r.pack).toEqual((await run({ ...repo, cache: {} }, [`want ${head} ${CAPS}`, null, 'done'])).pack);
    await prepareClone(await newRepo()); // an empty vault has nothing to prepare
  });

  it('keeps packs per vault: another repository sharing the cache gets its own objects', async () => {
    const a = await newRepo();
    const b = { ...(await newRepo()), cache: a.cache };
    const headA = await commitAll(a, { secret: 'of vault a' });
    const headB = await commitAll(b, { secret: 'of vault b' });
    const packA = (await run(a, [`want ${headA} ${CAPS}`, null, 'done'])).pack;
    const packB = (await run(b, [`want ${headB} ${CAPS}`, null, 'done'])).pack;
    expect(packB).not.toEqual(packA);
    expect((await run(b, [`want ${headB} ${CAPS}`, null, 'done'])).pack).toEqual(packB);
    // A want from another vault is refused, kept pack or not.
    const refused = await run(b, [`want ${headA} ${CAPS}`, null, 'done']).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ErrorGitProtocol' });
  });

  it('thousands of repeated wants and haves cost what the distinct ones cost: one walk of the history', async () => {
    const repo = await newRepo();
    const commits: string[] = [];
    for (let c = 0; c < 40; c++) commits.push(await commitAll(repo, { a: `${c}`, [`f${c % 5}`]: `${c}` }));
    const head = commits.at(-1) as string;
    const older = commits.slice(0, 20); // what the client has
    const newer = commits.slice(20); // what it wants (all in master's history)
    const unknown = Array.from({ length: 100 }, (_, i) => i.toString(16).padStart(40, 'e'));
    // Each have we hold is followed by one we do not, so "ok to give up" is asked again and again.
    const haveLines = older.flatMap((h, i) => [`have ${h}`, `have ${unknown[i]}`]);
    const distinct: Array<string | null> = [`want ${head} ${CAPS}`, ...newer.map((w) => `want ${w}`), null, ...haveLines, 'done'];
    const repeated: Array<string | null> = [
      `want ${head} ${CAPS}`,
      ...Array.from({ length: 200 }, () => newer.map((w) => `want ${w}`)).flat(),
      null,
      ...Array.from({ length: 50 }, () => haveLines).flat(),
      ...unknown.map((u) => `have ${u}`),
      'done',
    ];
    expect(repeated.length).toBeGreaterThan(6000);
    const once = await counted(repo, distinct);
    const many = await counted(repo, repeated);
    expect(many.r.lines).toEqual(
      once.r.lines.slice(0, -1).concat(
        unknown.slice(20).map((u) => `ACK ${u} ready`),
        once.r.lines.slice(-1),
      ),
    );
    expect(objectCount(many.r.pack)).toBe(objectCount(once.r.pack));
    // The pack: 20 commits, their root trees and blobs; the walks: each commit read a few times.
    expect(objectCount(once.r.pack)).toBeGreaterThan(40);
    expect(many.reads).toBe(once.reads);
    expect(once.reads).toBeLessThanOrEqual(4 * commits.length + 2 * objectCount(once.r.pack));
    expect(many.lookups).toBe(older.length + unknown.length);
  });

  it('refuses more distinct wants or haves than any client sends, before reading anything', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: '1' });
    const oid = (i: number): string => i.toString(16).padStart(40, '0');
    const wants = [`want ${head} ${CAPS}`, ...Array.from({ length: MAX_WANTS }, (_, i) => `want ${oid(i)}`), null, 'done'];
    const haves = [`want ${head} ${CAPS}`, null, ...Array.from({ length: MAX_HAVES + 1 }, (_, i) => `have ${oid(i)}`), 'done'];
    for (const [lines, limit] of [
      [wants, 'wants'],
      [haves, 'haves'],
    ] as const) {
      const { reads, lookups, r } = await counted(repo, lines).catch((e: unknown) => ({ reads: 0, lookups: 0, r: e }));
      expect(r).toMatchObject({ code: 'ErrorGitProtocol', data: { limit } });
      expect(reads + lookups).toBe(0);
    }
    // At the bound they are served.
    const atBound = [`want ${head} ${CAPS}`, null, ...Array.from({ length: MAX_HAVES }, (_, i) => `have ${oid(i)}`), 'done'];
    expect(objectCount((await run(repo, atBound)).pack)).toBe(3);
  });
});

describe('uploadPack refusals', () => {
  const refused = async (repo: GitRepo, body: Uint8Array): Promise<unknown> => {
    try {
      await collect(uploadPack(repo, body));
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('refuses malformed requests with ErrorGitProtocol', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: '1' });
    const other = await git.writeBlob({ ...repo, blob: enc.encode('not in history') });
    const cases: Uint8Array[] = [
      enc.encode('zzzzwant'),
      await req([`want ${head} ${CAPS}`]), // no flush
      await req([`wnat ${head}`, null, 'done']),
      await req([`want nothex`, null, 'done']),
      await req([null, 'done']),
      await req([`want ${head} ${CAPS}`, null, `have ${head}`]), // neither done nor flush
      await req([`want ${head} ${CAPS}`, null, 'hello', 'done']),
      await req([`want ${head} ${CAPS}`, 'deepen 1', null, 'done']),
      await req([`want ${other} ${CAPS}`, null, 'done']), // not reachable from master
      await req([`want ${'a'.repeat(40)} ${CAPS}`, null, 'done']),
    ];
    for (const body of cases) expect(await refused(repo, body)).toMatchObject({ code: 'ErrorGitProtocol' });
  });

  it('a pack that cannot be built ends in a side-band error, not an empty pack', async () => {
    const repo = await newRepo();
    const head = await commitAll(repo, { a: 'will vanish' });
    const { oid } = await git.readTree({ ...repo, oid: head });
    await repo.fs.promises.unlink(`/vault/objects/${oid.slice(0, 2)}/${oid.slice(2)}`);
    const r = await run({ ...repo, cache: {} }, [`want ${head} ${CAPS}`, null, 'done']);
    expect(r.pack.length).toBe(0);
    expect(r.errors.join('')).toMatch(/missing/);

    const clientFs = new LightningFS('git-unit-broken', { wipe: true });
    const transport = { advertisement: await advertiseRefs(repo), pack: (b: Uint8Array) => uploadPack({ ...repo, cache: {} }, b) };
    await expect(cloneBare({ fs: clientFs, gitdir: '/c', transport })).rejects.toMatchObject({ code: 'ErrorGitProtocol' });
  });

  it('a client refuses a pack damaged on the way with ErrorGitPackInvalid', async () => {
    const repo = await newRepo();
    await commitAll(repo, secrets(50));
    const clientFs = new LightningFS('git-unit-damaged', { wipe: true });
    const transport = {
      advertisement: await advertiseRefs(repo),
      async *pack(b: Uint8Array) {
        const bytes = await collect(uploadPack(repo, b));
        const at = bytes.length - 30; // inside the pack, before its checksum
        bytes[at] = (bytes[at] as number) ^ 0xff;
        yield bytes;
      },
    };
    await expect(cloneBare({ fs: clientFs, gitdir: '/c', transport })).rejects.toMatchObject({ code: 'ErrorGitPackInvalid' });
  });
});
