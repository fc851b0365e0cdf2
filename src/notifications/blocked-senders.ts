// Senders the user blocked from the requests list. Kept in `meta` under `notifications:blocked:`;
// a token from a blocked sender is dropped without a word to the sender, wherever it came from
// except a link the user opened themselves.
import type { NodeId } from '../ids/index.js';
import type { Tx } from '../storage/kv.js';

const prefix = 'notifications:blocked:';

export async function isBlocked(tx: Tx, nodeId: NodeId): Promise<boolean> {
  return (await tx.get<number>('meta', prefix + nodeId)) !== undefined;
}

export async function block(tx: Tx, nodeId: NodeId, at: number): Promise<void> {
  await tx.put('meta', prefix + nodeId, at);
}

export async function unblock(tx: Tx, nodeId: NodeId): Promise<void> {
  await tx.delete('meta', prefix + nodeId);
}

export async function listBlocked(tx: Tx): Promise<NodeId[]> {
  return (await tx.entries<number>('meta', { prefix })).map(([key]) => key.slice(prefix.length) as NodeId);
}
