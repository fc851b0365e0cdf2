// The smart-HTTP ref advertisement (`GET info/refs?service=git-upload-pack`): a vault shows only
// master, and HEAD at master's commit, so an old version that happens to be looked at locally
// never leaks to a peer.
import { FLUSH, encodePktLine } from './pkt-line.js';
import { MASTER, readMaster } from './refs.js';
import type { GitRepo } from './types.js';
import { concatBytes } from '../utils/bytes.js';

export const AGENT = 'keynode/0.1.0';

/**
 * What we implement, and nothing more: multi_ack_detailed and no-done follow upload-pack.c's
 * negotiation; thin-pack and ofs-delta are written by pack-writer.ts.
 */
export const CAPABILITIES = ['multi_ack_detailed', 'no-done', 'side-band-64k', 'thin-pack', 'ofs-delta', `symref=HEAD:${MASTER}`, `agent=${AGENT}`];

export async function advertiseRefs(repo: GitRepo): Promise<Uint8Array> {
  const master = await readMaster(repo);
  const caps = CAPABILITIES.join(' ');
  const lines = [encodePktLine('# service=git-upload-pack\n'), FLUSH];
  if (master === undefined) {
    // An empty repository still advertises its capabilities, on a placeholder line.
    lines.push(encodePktLine(`${'0'.repeat(40)} capabilities^{}\0${caps}\n`));
  } else {
    lines.push(encodePktLine(`${master} HEAD\0${caps}\n`), encodePktLine(`${master} ${MASTER}\n`));
  }
  lines.push(FLUSH);
  return concatBytes(...lines);
}
