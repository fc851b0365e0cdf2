// keynode's own fetch client (git protocol v1, one stateless round as smart HTTP makes it): reads
// the advertisement, asks for master with our recent commits as haves, demultiplexes the
// side-band response and hands the pack to our indexer. It talks to a plain transport — the
// advertisement's bytes, and a request in exchange for a response stream — so the peer channel,
// a restored backup and the tests' real HTTP to `git http-backend` all plug in the same way.
import { KeynodeError, wrapError } from '../errors.js';
import { AGENT } from './advertise.js';
import { isOid } from './object-id.js';
import { packLimits, type PackLimits } from './limits.js';
import { ObjectStore } from './object-store.js';
import { installPack } from './pack-install.js';
import { PackIndexer, invalid } from './pack-indexer.js';
import { encodePktLine, FLUSH, parsePktLines, peerText, PktLineParser, pktText, sideBandError } from './pkt-line.js';
import { parseCommit } from './parse.js';
import { MASTER, readMaster } from './refs.js';
import type { GitRepo } from './types.js';
import { concatBytes } from '../utils/bytes.js';

/**
 * How many of our newest commits we offer as haves. A pull fast-forwards, so our master is almost
 * always common at once; 256 haves cost ~13 kB of request and as much of ACKs for a 400-byte pack.
 */
const MAX_HAVES = 32;
// One round ending in `done`: without multi_ack the server answers with a single ACK (or NAK),
// not one `ACK … common` line per have.
const WANTED_CAPS = ['side-band-64k', 'ofs-delta', 'no-progress'];

/** What the fetch client talks to: one remote repository, for one fetch. */
export interface GitTransport {
  /** The remote's ref advertisement, as upload-pack (or smart HTTP's info/refs) sends it. */
  advertisement: Uint8Array;
  /** Sends an upload-pack request; the response (ACK/NAK lines, then the side-band pack) streams back. */
  pack(request: Uint8Array): AsyncIterable<Uint8Array>;
}

export interface FetchOptions {
  /**
   * Ask for a thin pack (deltas against objects we already have). Smallest pulls; the indexer
   * appends the missing bases before storing it, so the kept pack is complete for any git.
   */
  thinPack?: boolean;
  /** Budgets for the pack (limits.ts); DEFAULT_PACK_LIMITS for what is not given. */
  limits?: Partial<PackLimits>;
  /** Most bytes of pack we take (pack-indexer.ts says the default). */
  maxPackBytes?: number;
}

export interface FetchPackArgs extends GitRepo, FetchOptions {
  transport: GitTransport;
}

interface Advert {
  master: string | undefined;
  caps: Set<string>;
}

function protocol(why: string): KeynodeError {
  return new KeynodeError('ErrorGitProtocol', `The other keynode answered the vault request in a way git does not understand (${why}).`);
}

export function parseAdvert(bytes: Uint8Array): Advert {
  let master: string | undefined;
  let caps: Set<string> | undefined;
  for (const pkt of parsePktLines(bytes)) {
    if (typeof pkt === 'string') continue;
    const text = pktText(pkt);
    if (text.startsWith('#')) continue;
    if (text.startsWith('ERR ')) throw new KeynodeError('ErrorGitProtocol', `The other keynode could not list the vault: ${peerText(text.slice(4))}`);
    const nul = text.indexOf('\0');
    if (caps === undefined && nul >= 0)
      caps = new Set(
        text
          .slice(nul + 1)
          .split(' ')
          .filter(Boolean),
      );
    const [oid, ref] = (nul >= 0 ? text.slice(0, nul) : text).split(' ');
    if (ref === MASTER && oid !== undefined && isOid(oid)) master = oid;
  }
  return { master, caps: caps ?? new Set() };
}

/** Our newest commits (breadth-first from master), to tell the server what we already hold. */
async function recentCommits(store: ObjectStore, tip: string | undefined): Promise<string[]> {
  if (!tip) return [];
  const out: string[] = [];
  const seen = new Set<string>([tip]);
  const queue = [tip];
  while (queue.length > 0 && out.length < MAX_HAVES) {
    const oid = queue.shift() as string;
    const obj = await store.read(oid).catch(() => undefined);
    if (!obj || obj.type !== 'commit') continue;
    out.push(oid);
    for (const p of parseCommit(obj.content, oid).parents) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  return out;
}

function requestBody(want: string, caps: Set<string>, haves: string[], thinPack: boolean): Uint8Array {
  const ours = [...WANTED_CAPS, ...(thinPack ? ['thin-pack'] : [])].filter((c) => caps.has(c));
  const parts = [encodePktLine(`want ${want} ${[...ours, `agent=${AGENT}`].join(' ')}\n`), FLUSH];
  for (const h of haves) parts.push(encodePktLine(`have ${h}\n`));
  parts.push(encodePktLine('done\n'));
  return concatBytes(...parts);
}

/** The request our client sends to clone `want` from a server that offers all it asks for. */
export function cloneRequest(want: string): Uint8Array {
  return requestBody(want, new Set(WANTED_CAPS), [], false);
}

/** The transport's response, with whatever it throws (a lost channel, a refusal) as a KeynodeError. */
async function* send(transport: GitTransport, request: Uint8Array): AsyncGenerator<Uint8Array> {
  let chunks: AsyncIterable<Uint8Array>;
  try {
    chunks = transport.pack(request);
  } catch (e) {
    throw wrapError(e, 'ErrorGitProtocol', 'The other keynode refused the vault request.');
  }
  try {
    yield* chunks;
  } catch (e) {
    throw wrapError(e, 'ErrorGitProtocol', 'The vault transfer from the other keynode failed.');
  }
}

/**
 * How long, and over how many pieces, the receive loop indexes before it lets timers and other
 * messages in. Chunks already queued reach `for await` as microtasks, so without a pause a backlog
 * is indexed in one turn of the event loop, and a peer whose ping waits behind it presumes us
 * dead (the network benchmark under load saw it). A pause costs ~4 ms at worst (a browser's
 * clamped timer), a handful of times per clone.
 */
const PAUSE_AFTER_MS = 50;
const PAUSE_AFTER_PIECES = 16;

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Reads the upload-pack response: ACK/NAK lines, then the pack in side-band channel 1, handed to
 * the indexer piece by piece so that it is mostly indexed by the time its last byte arrives.
 */
async function receivePack(body: AsyncIterable<Uint8Array>, indexer: PackIndexer): Promise<void> {
  const parser = new PktLineParser();
  let inPack = false;
  let pieces = 0;
  let since = Date.now();
  for await (const chunk of body) {
    if (++pieces >= PAUSE_AFTER_PIECES || Date.now() - since >= PAUSE_AFTER_MS) {
      await pause();
      pieces = 0;
      since = Date.now();
    }
    for (const pkt of parser.push(chunk)) {
      if (typeof pkt === 'string' || pkt.length === 0) continue;
      const band = pkt[0] as number;
      if (!inPack && band > 3) {
        const text = pktText(pkt);
        if (text.startsWith('ACK ') || text === 'NAK') continue;
        if (text.startsWith('ERR ')) throw new KeynodeError('ErrorGitProtocol', `The other keynode could not send the vault: ${peerText(text.slice(4))}`);
        throw protocol(`unexpected line "${peerText(text.slice(0, 40))}"`);
      }
      inPack = true;
      if (band === 1) indexer.push(pkt.subarray(1));
      else if (band === 3) throw sideBandError(pkt);
      else if (band !== 2) throw protocol(`side-band channel ${band}`);
    }
  }
  if (parser.pending !== 0) throw invalid('the transfer stopped in the middle of a packet');
  if (!inPack) throw invalid('no pack was sent');
}

/**
 * Fetches master's objects into the repository (refs untouched) and returns master's commit id.
 * Nothing is written unless the whole pack checks out.
 */
export async function fetchPack(args: FetchPackArgs): Promise<string> {
  const advert = parseAdvert(args.transport.advertisement);
  const want = advert.master;
  if (!want) throw new KeynodeError('ErrorGitProtocol', 'The other keynode has no master branch for this vault.');
  if (!advert.caps.has('side-band-64k')) throw protocol('no side-band-64k');
  const limits = packLimits(args.limits);
  const store = await ObjectStore.open(args, limits.maxObjectBytes);
  if (await store.has(want)) return want;
  const haves = await recentCommits(store, await readMaster(args));
  const response = send(args.transport, requestBody(want, advert.caps, haves, args.thinPack === true));
  const indexer = new PackIndexer({ readBase: (oid) => store.read(oid), limits, maxPackBytes: args.maxPackBytes });
  await receivePack(response, indexer);
  const indexed = await indexer.finish();
  if (!indexed.has(want)) throw invalid(`the commit ${want} we asked for is not in it`);
  if (indexed.count > 0) await installPack(args, indexed);
  return want;
}
