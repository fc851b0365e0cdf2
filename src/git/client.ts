// Bare clone and fetch of a vault's master over a plain transport (fetch-pack.ts: the
// advertisement, and an upload-pack request for a response stream), with keynode's own fetch
// client and pack indexer. Fetch never moves our refs: the vault layer checks the fast-forward
// (isDescendant) and moves master itself. Every failure reaches the caller as a KeynodeError.
import { KeynodeError, isKeynodeError } from '../errors.js';
import { reachesAncestor } from './ancestry.js';
import { fetchPack, parseAdvert, type FetchOptions, type GitTransport } from './fetch-pack.js';
import { isOid } from './object-id.js';
import { ObjectStore } from './object-store.js';
import { initRepository, readMaster, setMaster } from './refs.js';
import type { GitRepo } from './types.js';

export interface GitClientArgs extends GitRepo, FetchOptions {
  transport: GitTransport;
}

/**
 * master's commit id in a smart-HTTP advertisement, or undefined when it has none. A malformed
 * advertisement, or one that is an `ERR` line, is ErrorGitProtocol.
 */
export function masterInAdvertisement(advert: Uint8Array): string | undefined {
  return parseAdvert(advert).master;
}

async function runFetch(args: GitClientArgs): Promise<string> {
  let head: string;
  try {
    head = await fetchPack(args);
  } catch (e) {
    // The transport's and the indexer's own failures are KeynodeErrors already; anything else
    // is a pack that broke a reader in a way nobody foresaw.
    if (isKeynodeError(e)) throw e;
    throw new KeynodeError('ErrorGitPackInvalid', 'The vault data from the other keynode could not be read.', { cause: e });
  }
  // The pack was verified as it was indexed; make sure the commit itself is readable too.
  const store = await ObjectStore.open(args);
  const commit = await store.read(head).catch(() => undefined);
  if (!commit || commit.type !== 'commit') throw new KeynodeError('ErrorGitPackInvalid', 'The vault data from the other keynode is incomplete.');
  return head;
}

/** Creates a bare repository at `gitdir` holding the remote's master, with HEAD → master. */
export async function cloneBare(args: GitClientArgs): Promise<{ head: string }> {
  await initRepository(args);
  const head = await runFetch(args);
  await setMaster(args, head);
  return { head };
}

/**
 * Brings the remote master's objects into the repository without touching our refs. When we
 * already have the remote's commit, no pack is requested at all.
 */
export async function fetchMaster(args: GitClientArgs): Promise<{ remoteHead: string }> {
  return { remoteHead: await runFetch(args) };
}

/** True when `ancestor` is a strict ancestor of `oid` (a pull from it is a fast-forward). */
export async function isDescendant(repo: GitRepo, oid: string, ancestor: string): Promise<boolean> {
  if (!isOid(oid) || !isOid(ancestor)) throw new KeynodeError('ErrorInvalidArgument', 'A commit id is 40 hexadecimal characters.');
  if (oid === ancestor) return false;
  return reachesAncestor(await ObjectStore.open(repo), oid, ancestor);
}

export { readMaster, setMaster };
