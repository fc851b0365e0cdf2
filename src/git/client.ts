// Bare clone and fetch of a vault's master over any isomorphic-git style http client (ours is the
// peer channel), with keynode's own fetch client and pack indexer (fetch-pack.ts). Fetch never
// moves our refs: the vault layer checks the fast-forward (isDescendant) and moves master itself.
// Errors from the http client are translated here so none reaches a caller raw.
import type { HttpClient } from 'isomorphic-git';
import { KeynodeError, isKeynodeError } from '../errors.js';
import { reachesAncestor } from './ancestry.js';
import { fetchPack, parseAdvert } from './fetch-pack.js';
import { isOid } from './hex.js';
import { PREFETCH, type KeynodeHttpClient } from './http-plugin.js';
import type { PackLimits } from './limits.js';
import { ObjectStore } from './object-store.js';
import { initRepository, readMaster, setMaster } from './refs.js';
import type { GitRepo } from './types.js';

// http clients want a URL; our plugin ignores it. `.invalid` can never resolve.
const REMOTE_URL = 'http://keynode.invalid/vault';

export interface GitClientArgs extends GitRepo {
  http: HttpClient;
  /** What a received pack may make us allocate (limits.ts); the defaults suit a vault. */
  limits?: Partial<PackLimits>;
}

const PROTOCOL_CODES = new Set([
  'HttpError',
  'SmartHttpError',
  'ParseError',
  'UnknownTransportError',
  'UrlParseError',
  'EmptyServerResponseError',
  'RemoteCapabilityError',
  'NotFoundError',
  'UserCanceledError',
]);

function translate(e: unknown): KeynodeError {
  if (isKeynodeError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && PROTOCOL_CODES.has(code)) {
    return new KeynodeError('ErrorGitProtocol', 'The other keynode answered the vault request in a way git does not understand.', { cause: e });
  }
  return new KeynodeError('ErrorGitPackInvalid', 'The vault data from the other keynode could not be read.', { cause: e });
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
    head = await fetchPack({ ...args, url: REMOTE_URL });
  } catch (e) {
    throw translate(e);
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
  const http = args.http as Partial<KeynodeHttpClient>;
  if (typeof http[PREFETCH] === 'function') {
    const remoteHead = masterInAdvertisement(await http[PREFETCH]());
    if (!remoteHead) throw new KeynodeError('ErrorGitProtocol', 'The other keynode has no master branch for this vault.');
    const store = await ObjectStore.open(args);
    if (await store.has(remoteHead)) {
      // Consume the prefetched advertisement so a later fetch asks again.
      await http.request?.({ url: REMOTE_URL, method: 'GET', headers: {} });
      return { remoteHead };
    }
  }
  return { remoteHead: await runFetch(args) };
}

/** True when `ancestor` is a strict ancestor of `oid` (a pull from it is a fast-forward). */
export async function isDescendant(repo: GitRepo, oid: string, ancestor: string): Promise<boolean> {
  if (!isOid(oid) || !isOid(ancestor)) throw new KeynodeError('ErrorInvalidArgument', 'A commit id is 40 hexadecimal characters.');
  if (oid === ancestor) return false;
  return reachesAncestor(await ObjectStore.open(repo), oid, ancestor);
}

export { readMaster, setMaster };
