// Encodes gestalt vertices as storage keys and back. Keys never contain '/', which separates the two
// ends of an adjacency entry.
import type { NodeId } from '../ids/index.js';
import type { GestaltId, GestaltKey } from './types.js';

export function gestaltKey(id: GestaltId): GestaltKey {
  return id[0] === 'node' ? `node-${id[1]}` : `identity-${encodeURIComponent(JSON.stringify(id[1]))}`;
}

export function nodeKey(nodeId: NodeId): GestaltKey {
  return `node-${nodeId}`;
}

export function parseGestaltKey(key: GestaltKey): GestaltId {
  if (key.startsWith('node-')) return ['node', key.slice(5) as NodeId];
  const pair = JSON.parse(decodeURIComponent(key.slice('identity-'.length))) as [string, string];
  return ['identity', pair];
}

/** Links are stored once under the ordered pair of their ends, so both directions find the same link. */
export function linkKey(a: GestaltKey, b: GestaltKey): string {
  return a < b ? `${a}/${b}` : `${b}/${a}`;
}
