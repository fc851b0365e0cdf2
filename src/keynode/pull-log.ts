// The owner's record of what each peer fetched (docs/api.md vaults.pullLog): one entry per clone or pull
// this keynode served in full — who, which commit, when — kept locally, encrypted like every record,
// never sent anywhere. From it, exposure(): the secrets a peer has seen that still have the value it
// saw, which is what to rotate after unsharing.
//
// Recording: peer-service.ts hands every 'vaults.gitPack' response through recordWhenServed, which
// logs it once its last byte went out (a transfer cut off half-way is not).
import { parsePktLines } from '../git/index.js';
import type { VaultId } from '../ids/index.js';
import type { KV } from '../storage/kv.js';
import type { CoreContext } from './context.js';
import type { VaultIndex } from './vault-index.js';
import type { PullLogEntry } from '../types.js';

export type PullRecord = PullLogEntry;

export interface Exposed {
  path: string;
  /** The latest version that peer fetched: the secret has not changed since. */
  since: string;
}

const STORE = 'vaults';
const key = (vaultId: VaultId): string => `pulls:${vaultId}`;
/** Entries kept per vault; past it the oldest go, except each peer's latest (exposure needs it). */
const MAX_RECORDS = 1000;

/** The vault's pull log, newest first. */
export async function readPulls(kv: KV, vaultId: VaultId): Promise<PullRecord[]> {
  const rows = (await kv.read((tx) => tx.get<PullRecord[]>(STORE, key(vaultId)))) ?? [];
  return [...rows].reverse();
}

export async function appendPull(kv: KV, vaultId: VaultId, record: PullRecord): Promise<void> {
  await kv.write(async (tx) => {
    let rows = [...((await tx.get<PullRecord[]>(STORE, key(vaultId))) ?? []), record];
    if (rows.length > MAX_RECORDS) {
      const latest = new Map(rows.map((r, i) => [r.nodeId, i]));
      const keep = new Set(latest.values());
      let over = rows.length - MAX_RECORDS;
      rows = rows.filter((_, i) => keep.has(i) || over-- <= 0);
    }
    await tx.put(STORE, key(vaultId), rows);
  });
}

export async function removePulls(kv: KV, vaultId: VaultId): Promise<void> {
  await kv.write((tx) => tx.delete(STORE, key(vaultId)));
}

/** The secrets of master that `nodeId` has fetched, unchanged since. */
export async function exposure(kv: KV, index: VaultIndex, vaultId: VaultId, nodeId: string): Promise<Exposed[]> {
  const fetched = (await readPulls(kv, vaultId)).filter((r) => r.nodeId === nodeId);
  if (fetched.length === 0) return [];
  const since = fetched[0]!.commitId;
  const { blobs, missing } = await index.reachable(
    vaultId,
    fetched.map((r) => r.commitId),
  );
  const current = await index.master(vaultId);
  // Every version they fetched was dropped from the history: what they hold cannot be told apart, so all of it counts.
  const all = missing.length === new Set(fetched.map((r) => r.commitId)).size;
  return current.filter((b) => all || blobs.has(b.oid)).map((b) => ({ path: b.path, since }));
}

/** The commit a git upload request asks for first (its first want line). */
function firstWant(request: Uint8Array): string | undefined {
  const first = parsePktLines(request)[0];
  if (first === undefined || typeof first === 'string') return undefined;
  const [verb, oid] = new TextDecoder().decode(first).trim().split(' ');
  return verb === 'want' ? oid : undefined;
}

/**
 * `stream`, the answer to a 'vaults.gitPack' request, then — once its last byte went out — the pull
 * log entry for it (a transfer cut off half-way is not logged).
 */
export async function* recordWhenServed(
  ctx: CoreContext,
  stream: AsyncIterable<Uint8Array>,
  served: { nodeId: string; vaultId: string; action: 'clone' | 'pull'; request: Uint8Array },
): AsyncGenerator<Uint8Array> {
  yield* stream;
  try {
    const commitId = firstWant(served.request);
    if (commitId === undefined) return;
    const vaultId = await ctx.vaults.resolve(served.vaultId);
    await appendPull(ctx.storage.kv, vaultId, { nodeId: served.nodeId, commitId, at: ctx.clock(), kind: served.action });
  } catch (e) {
    // The peer has what it asked for either way; a record that could not be written is only logged.
    ctx.logger.warn('A served pack could not be written to the pull log.', { error: String(e) });
  }
}
