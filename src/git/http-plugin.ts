// An isomorphic-git style `http` client over keynode's peer channel (used by our fetch client,
// fetch-pack.ts): the URL is ignored, GET means the ref advertisement and POST the upload-pack
// exchange. Bodies go back as async iterables of Uint8Array (no ReadableStream).
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { KeynodeError, wrapError } from '../errors.js';
import { concatBytes } from '../keys/crypto.js';
import { checkPackResponse } from './pack-check.js';

export interface GitTransport {
  info(): Promise<Uint8Array> | AsyncIterable<Uint8Array>;
  pack(body: Uint8Array): AsyncIterable<Uint8Array>;
}

export interface HttpPluginOptions {
  /**
   * Ask for a thin pack (deltas against objects we already have). Smallest pulls; the indexer
   * appends the missing bases before storing it, so the kept pack is complete for any git.
   */
  thinPack?: boolean;
}

/** Lets fetchMaster read the advertisement once and hand it to isomorphic-git's own GET. */
export const PREFETCH = Symbol('keynode.git.prefetch');

export interface KeynodeHttpClient extends HttpClient {
  [PREFETCH]: () => Promise<Uint8Array>;
}

async function collect(body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  for await (const p of body) parts.push(p);
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* guarded(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (e) {
    throw wrapError(e, 'ErrorGitProtocol', 'The vault transfer from the other keynode failed.');
  }
}

const FIRST_WANT_END = 0x0a;

/** Adds a capability to the first want line of a request (rewriting that pkt-line's length). */
function addCapability(body: Uint8Array, cap: string): Uint8Array {
  const len = parseInt(new TextDecoder().decode(body.subarray(0, 4)), 16);
  if (!(len > 4) || body[len - 1] !== FIRST_WANT_END) return body;
  const line = new TextDecoder().decode(body.subarray(4, len - 1));
  if (!line.startsWith('want ') || line.split(' ').includes(cap)) return body;
  const next = new TextEncoder().encode(`${line} ${cap}\n`);
  const head = new TextEncoder().encode((next.length + 4).toString(16).padStart(4, '0'));
  return concatBytes(head, next, body.subarray(len));
}

export function httpPlugin(transport: GitTransport, options: HttpPluginOptions = {}): KeynodeHttpClient {
  let prefetched: Uint8Array | undefined;
  const info = async (): Promise<Uint8Array> => {
    try {
      return await collect(await transport.info());
    } catch (e) {
      throw wrapError(e, 'ErrorGitProtocol', 'The other keynode did not list the vault.');
    }
  };
  return {
    async [PREFETCH]() {
      prefetched = await info();
      return prefetched;
    },
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const base = { url: req.url, method: req.method ?? 'GET', statusCode: 200, statusMessage: 'OK' };
      if ((req.method ?? 'GET') === 'GET') {
        const bytes = prefetched ?? (await info());
        prefetched = undefined;
        return { ...base, headers: { 'content-type': 'application/x-git-upload-pack-advertisement' }, body: once(bytes) };
      }
      if (req.method === 'POST') {
        let body = await collect(req.body);
        if (options.thinPack) body = addCapability(body, 'thin-pack');
        let chunks: AsyncIterable<Uint8Array>;
        try {
          chunks = transport.pack(body);
        } catch (e) {
          throw wrapError(e, 'ErrorGitProtocol', 'The other keynode refused the vault request.');
        }
        return { ...base, headers: { 'content-type': 'application/x-git-upload-pack-result' }, body: checkPackResponse(guarded(chunks)) };
      }
      throw new KeynodeError('ErrorGitProtocol', `The git client made a ${String(req.method)} request, which the peer channel cannot carry.`);
    },
  };
}
