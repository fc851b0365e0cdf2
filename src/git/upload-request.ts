// Parses and checks an upload-pack request body (protocol v1, stateless RPC): want lines (the
// first carries the client's capabilities), a flush, have lines, then `done` or a flush when the
// client is still negotiating. Anything else is refused.
//
// Wants and haves are de-duplicated here (in the order first seen), and their distinct numbers
// bounded, because each distinct one costs the owner a lookup and a place in the walk: a request
// of thousands of copies of one want is one want, and a request of more distinct ones than any
// client of a one-branch vault sends is refused before anything is read.
import { KeynodeError } from '../errors.js';
import { isOid } from './object-id.js';
import { parsePktLines, pktText } from './pkt-line.js';

/**
 * A vault advertises one commit (HEAD and master), and a want must be in its history; `git`
 * and keynode send one. 256 leaves room for any client that asks for older commits too.
 */
export const MAX_WANTS = 256;
/**
 * Keynode's client sends at most 32 haves; `git` sends rounds that grow to 16,384 new haves in
 * stateless mode, but only when its history shares nothing with ours for that long. Each
 * distinct have costs an object lookup (a file stat for a vault of loose objects).
 */
export const MAX_HAVES = 8192;

export interface UploadRequest {
  /** Distinct, in the order first seen. */
  wants: string[];
  /** Distinct, in the order first seen. */
  haves: string[];
  capabilities: Set<string>;
  done: boolean;
}

function refuse(message: string, data?: Record<string, unknown>): KeynodeError {
  return new KeynodeError('ErrorGitProtocol', message, data ? { data } : {});
}

export function parseUploadRequest(body: Uint8Array): UploadRequest {
  const pkts = parsePktLines(body);
  const req: UploadRequest = { wants: [], haves: [], capabilities: new Set(), done: false };
  const wants = new Set<string>();
  const haves = new Set<string>();
  let i = 0;
  for (; i < pkts.length; i++) {
    const pkt = pkts[i] as (typeof pkts)[number];
    if (pkt === 'flush') break;
    if (pkt === 'delim') throw refuse('The git request has a delimiter where a want was expected.');
    const line = pktText(pkt);
    if (!line.startsWith('want ')) {
      const verb = line.split(' ')[0] ?? '';
      throw refuse(
        ['shallow', 'deepen', 'deepen-since', 'deepen-not', 'filter'].includes(verb)
          ? `Shallow and filtered fetches are not supported (the request said "${verb}").`
          : 'The git request has a line that is not a want.',
      );
    }
    const [, oid, ...caps] = line.split(' ');
    if (oid === undefined || !isOid(oid)) throw refuse('The git request wants something that is not an object id.');
    if (i === 0) for (const c of caps) if (c) req.capabilities.add(c);
    if (wants.has(oid)) continue;
    if (wants.size === MAX_WANTS) {
      throw refuse(`The git request wants more than ${MAX_WANTS} different commits; a vault offers one branch.`, { limit: 'wants', max: MAX_WANTS });
    }
    wants.add(oid);
    req.wants.push(oid);
  }
  if (i >= pkts.length) throw refuse('The git request ended before its list of wants was closed.');
  if (req.wants.length === 0) throw refuse('The git request does not want anything.');
  for (i++; i < pkts.length; i++) {
    const pkt = pkts[i] as (typeof pkts)[number];
    if (pkt === 'flush') {
      if (i !== pkts.length - 1) throw refuse('The git request goes on after its final flush.');
      return req;
    }
    if (pkt === 'delim') throw refuse('The git request has a delimiter where a have was expected.');
    const line = pktText(pkt);
    if (line === 'done') {
      if (i !== pkts.length - 1) throw refuse('The git request goes on after "done".');
      req.done = true;
      return req;
    }
    const [verb, oid, extra] = line.split(' ');
    if (verb !== 'have' || oid === undefined || !isOid(oid) || extra !== undefined) {
      throw refuse('The git request has a line that is neither a have nor "done".');
    }
    if (haves.has(oid)) continue;
    if (haves.size === MAX_HAVES) {
      throw refuse(`The git request lists more than ${MAX_HAVES} different commits it has.`, { limit: 'haves', max: MAX_HAVES });
    }
    haves.add(oid);
    req.haves.push(oid);
  }
  throw refuse('The git request ended without "done" or a flush.');
}
