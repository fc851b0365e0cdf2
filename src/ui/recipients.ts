// People, not browsers: permission rows, pull-log entries and exposure are per NodeId, but a share
// covers a person's whole gestalt (their linked browsers), so the Sharing screens group by it.
import { displayName } from './contacts-store.js';

export interface Person {
  /** The person's name: the first of their browsers with a nickname, else a short NodeId. */
  name: string;
  nodeIds: string[];
}

/** The NodeIds grouped by gestalt (nodes outside any known gestalt stand alone), in first-seen order. */
export function groupByPerson(nodeIds: string[], gestalts: Array<{ nodes: string[] }>, names: Record<string, string>): Person[] {
  const groups = new Map<string, string[]>();
  for (const nodeId of nodeIds) {
    const members = gestalts.find((g) => g.nodes.includes(nodeId))?.nodes ?? [nodeId];
    const key = [...members].sort().join(' ');
    const group = groups.get(key) ?? [];
    if (!group.includes(nodeId)) group.push(nodeId);
    groups.set(key, group);
  }
  return [...groups.values()].map((ids) => ({ name: displayName(names, ids.find((n) => names[n] !== undefined) ?? ids[0]!), nodeIds: ids }));
}
