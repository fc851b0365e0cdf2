// Parses and checks an upload-pack request body (protocol v1, stateless RPC): want lines (the
// first carries the client's capabilities), a flush, have lines, then `done` or a flush when the
// client is still negotiating. Anything else is refused.
import { KeynodeError } from '../errors.js';
import { isOid } from './hex.js';
import { parsePktLines, pktText } from './pkt-line.js';

export interface UploadRequest {
  wants: string[];
  haves: string[];
  capabilities: Set<string>;
  done: boolean;
}

function refuse(message: string): KeynodeError {
  return new KeynodeError('ErrorGitProtocol', message);
}

export function parseUploadRequest(body: Uint8Array): UploadRequest {
  const pkts = parsePktLines(body);
  const req: UploadRequest = { wants: [], haves: [], capabilities: new Set(), done: false };
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
    if (req.wants.length === 0) for (const c of caps) if (c) req.capabilities.add(c);
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
    req.haves.push(oid);
  }
  throw refuse('The git request ended without "done" or a flush.');
}
