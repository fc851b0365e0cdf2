// The names a person gives their contacts. Kept by the core (so they are encrypted at rest with
// everything else) and never sent anywhere: other keynodes know nothing of them.
import { KeynodeError } from '../errors.js';
import { assertNodeId } from '../ids/index.js';
import type { KV } from '../storage/kv.js';

const PREFIX = 'nick:';
const MAX_LENGTH = 100;

export async function readNicknames(kv: KV): Promise<Record<string, string>> {
  const rows = await kv.read((tx) => tx.entries<string>('meta', { prefix: PREFIX }));
  return Object.fromEntries(rows.map(([key, name]) => [key.slice(PREFIX.length), name]));
}

/** Sets (or, with an empty name, removes) the nickname of `nodeId`. */
export async function writeNickname(kv: KV, nodeId: string, name: string): Promise<void> {
  const id = assertNodeId(nodeId);
  if (typeof name !== 'string') throw new KeynodeError('ErrorInvalidArgument', 'A nickname is text.');
  const trimmed = name.trim();
  if ([...trimmed].length > MAX_LENGTH) throw new KeynodeError('ErrorInvalidArgument', `A nickname may be at most ${MAX_LENGTH} characters.`);
  await kv.write((tx) => (trimmed === '' ? tx.delete('meta', PREFIX + id) : tx.put('meta', PREFIX + id, trimmed)));
}
