// upload-pack for one stateless-RPC request (smart HTTP v1, as isomorphic-git and `git` send it):
// negotiate like git's upload-pack.c (multi_ack_detailed, no-done), then stream a pack of only the
// objects the client lacks in side-band-64k frames — every frame, the last partial one included
// (Polykey's B2 dropped it) — then a flush. A pack that cannot be built ends in a side-band
// channel-3 error, never in a silently empty pack.
//
// What a request may cost is bounded: wants and haves arrive de-duplicated and capped
// (upload-request.ts), the wants are checked against master's history in one walk, and "ok to
// give up" is answered by one memoised walk for the whole request (ancestry.ts), so the work is
// one walk of the history however many times the client repeats itself.
import { KeynodeError } from '../errors.js';
import { CommonReach, notInHistory } from './ancestry.js';
import { readCloneList, writeCloneList } from './clone-list.js';
import { enumerateObjects } from './enumerate.js';
import { cloneRequest } from './fetch-pack.js';
import { ObjectStore } from './object-store.js';
import { writePack, type PackStats, type PackTarget } from './pack-writer.js';
import { FLUSH, encodePktLine } from './pkt-line.js';
import { readMaster } from './refs.js';
import type { GitRepo } from './types.js';
import { parseUploadRequest } from './upload-request.js';

/** Side-band-64k payload: a 65520-byte pkt-line minus its length and channel byte. */
const SIDE_BAND_64K = 65515;
const SIDE_BAND = 995;

export interface UploadPackOptions {
  /** Filled with what the pack carried, for tests and benchmarks. */
  stats?: PackStats;
}

/**
 * The last whole-history pack (a clone: no common commits) each object store wrote, for the next
 * clone of the same commits: enumerating 1,000 commits' trees and writing the pack is most of the
 * owner's part of a large clone, and its result depends only on the wants and the pack format.
 * Objects are named by their content, so the closure of a commit never changes; a want is checked
 * against master's current history before the kept pack is looked at, so master moving (or a
 * rewritten history) never serves anything outside it. It lives and dies with the store, which is
 * per repository and replaced when the repository's set of packs changes: nothing crosses vaults.
 */
interface KeptPack {
  key: string;
  chunks: Uint8Array[];
  stats: PackStats;
}
const keptPacks = new WeakMap<ObjectStore, KeptPack>();
/** prepareClone's runs in progress, by store: a second share of the vault, or a clone, waits for the first. */
const preparing = new WeakMap<ObjectStore, Promise<void>>();
/** Bigger packs are not kept: memory in a service worker is shared with everything else. */
export const MAX_KEPT_PACK_BYTES = 32 * 1024 * 1024;

function sideBand(channel: number, payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(payload.length + 1);
  framed[0] = channel;
  framed.set(payload, 1);
  return encodePktLine(framed);
}

export function uploadPack(repo: GitRepo, request: Uint8Array, opts: UploadPackOptions = {}): AsyncGenerator<Uint8Array> {
  return serve(repo, request, opts, true);
}

/** `awaitPrepared`: a whole-history request first waits for prepareClone's pack of the same store. */
async function* serve(repo: GitRepo, request: Uint8Array, opts: UploadPackOptions, awaitPrepared: boolean): AsyncGenerator<Uint8Array> {
  const req = parseUploadRequest(request);
  const store = await ObjectStore.open(repo);
  const master = await readMaster(repo);
  // A want must be master or one of its ancestors: master may have moved on between the
  // advertisement and this request, but nothing outside the vault's history is served.
  const outside = master === undefined ? req.wants : await notInHistory(store, master, req.wants);
  if (outside.length > 0) {
    throw new KeynodeError('ErrorGitProtocol', 'The git request wants an object this vault does not offer.', { data: { oid: outside[0] } });
  }
  const caps = req.capabilities;
  const detailed = caps.has('multi_ack_detailed');
  const multiAck = detailed || caps.has('multi_ack');
  const noDone = caps.has('no-done');

  const lines: string[] = [];
  const common: string[] = [];
  const reach = new CommonReach(store, req.wants);
  let gotOther = false;
  let sentReady = false;
  // Once every want reaches a common commit, more common commits cannot undo it.
  let ready = false;
  const okToGiveUp = async (): Promise<boolean> => (ready ||= await reach.allReach());
  for (const have of req.haves) {
    if (await store.has(have)) {
      common.push(have);
      reach.addCommon(have);
      if (detailed) lines.push(`ACK ${have} common`);
      else if (multiAck) lines.push(`ACK ${have} continue`);
      else if (common.length === 1) lines.push(`ACK ${have}`);
    } else {
      gotOther = true;
      if (multiAck && (await okToGiveUp())) {
        sentReady = true;
        lines.push(detailed ? `ACK ${have} ready` : `ACK ${have} continue`);
      }
    }
  }
  const last = common[common.length - 1];
  let sendPack: boolean;
  if (req.done) {
    if (last !== undefined) {
      if (multiAck) lines.push(`ACK ${last}`);
    } else lines.push('NAK');
    sendPack = true;
  } else {
    if (detailed && last !== undefined && !gotOther && (await okToGiveUp())) {
      sentReady = true;
      lines.push(`ACK ${last} ready`);
    }
    if (common.length === 0 || multiAck) lines.push('NAK');
    sendPack = noDone && sentReady && last !== undefined;
    if (sendPack) lines.push(`ACK ${last}`);
  }
  for (const line of lines) yield encodePktLine(`${line}\n`);
  if (!sendPack) return;

  const band = caps.has('side-band-64k') ? SIDE_BAND_64K : caps.has('side-band') ? SIDE_BAND : 0;
  const packOptions = { ofsDelta: caps.has('ofs-delta'), thin: caps.has('thin-pack'), chunkSize: band || 65536 };
  // A whole-history pack (no common commits, so nothing is thin) depends only on these.
  const wants = [...req.wants].sort().join(',');
  const key = common.length === 0 ? `${wants} ${packOptions.ofsDelta} ${packOptions.chunkSize}` : undefined;
  // A clone that arrives while the same pack is being prepared waits for it rather than build it twice.
  if (key !== undefined && awaitPrepared) await preparing.get(store);
  const kept = key === undefined ? undefined : keptPacks.get(store);
  if (kept !== undefined && kept.key === key) {
    if (opts.stats) Object.assign(opts.stats, kept.stats);
    // Copies: whoever reads the stream may transfer (detach) what it is given.
    for (const chunk of kept.chunks) yield band ? sideBand(1, chunk) : chunk.slice();
    if (band) yield FLUSH;
    return;
  }
  let items: PackTarget[];
  let listed: string[] | undefined;
  try {
    listed = key === undefined ? undefined : await readCloneList(repo, store, wants);
    items = listed?.map((oid) => ({ oid })) ?? (await enumerateObjects(store, req.wants, common));
  } catch (e) {
    yield* failure(e, band);
    return;
  }
  const stats: PackStats = opts.stats ?? { objects: 0, reused: 0, thinDeltas: 0, bytes: 0 };
  const pack = writePack(store, items, packOptions, stats);
  // Kept only once the whole pack has been written without an error.
  let keep: Uint8Array[] | undefined = key === undefined ? undefined : [];
  let keptBytes = 0;
  try {
    for await (const chunk of pack) {
      if (keep !== undefined) {
        keptBytes += chunk.length;
        if (keptBytes > MAX_KEPT_PACK_BYTES) keep = undefined;
        else keep.push(chunk);
      }
      yield band ? sideBand(1, chunk) : keep !== undefined ? chunk.slice() : chunk;
    }
  } catch (e) {
    yield* failure(e, band);
    return;
  }
  if (keep !== undefined && key !== undefined) keptPacks.set(store, { key, chunks: keep, stats: { ...stats } });
  if (band) yield FLUSH;
  // Master's own whole-history list is kept on disk for the clones after a restart; the client
  // has had the whole pack by now.
  if (key !== undefined && listed === undefined && wants === master) {
    await writeCloneList(
      repo,
      store,
      wants,
      items.map((i) => i.oid),
    );
  }
}

/**
 * Makes the next clone of master quick: writes its whole-history pack as our client asks for it
 * (kept in memory) and its object list (kept on disk). Called when a vault is shared, since the
 * other side's clone usually follows.
 */
export async function prepareClone(repo: GitRepo): Promise<void> {
  const store = await ObjectStore.open(repo);
  const running = preparing.get(store);
  if (running) return running;
  const prepare = (async () => {
    const master = await readMaster(repo);
    if (master === undefined) return;
    // Exactly what our client will send, so the clone finds the pack kept under its key.
    for await (const chunk of serve(repo, cloneRequest(master), {}, false)) void chunk;
  })().catch(() => undefined);
  preparing.set(store, prepare);
  await prepare;
  preparing.delete(store);
}

function* failure(e: unknown, band: number): Generator<Uint8Array> {
  const message = e instanceof KeynodeError ? e.message : 'The vault could not be packed.';
  // Without side-band there is no way to tell the client; breaking the stream is all that is left.
  if (!band) throw new KeynodeError('ErrorGitPackInvalid', message, { cause: e });
  yield sideBand(3, new TextEncoder().encode(`error: ${message}\n`));
}
