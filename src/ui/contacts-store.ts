// The person's names for their contacts, as the screens see them: one copy for the whole page, read
// from the keynode (which keeps them encrypted with everything else) and refreshed when one changes
// in this tab or another. Nicknames an earlier version kept in this browser's localStorage — in
// plaintext — are moved into the keynode once, and removed from there.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../keynode/keynode.js';
import { shortId } from './format.js';

const LEGACY_KEY = 'keynode:nicknames';

let keynode: Keynode | undefined;
let names: Record<string, string> = {};
const listeners = new Set<(names: Record<string, string>) => void>();

function publish(next: Record<string, string>): void {
  names = next;
  for (const cb of [...listeners]) cb(names);
}

async function refresh(): Promise<void> {
  if (keynode === undefined) return;
  try {
    publish(await keynode.gestalts.nicknames());
  } catch {
    // Locked: the names come back with the next unlock.
  }
}

/** Moves localStorage nicknames of an earlier version into the keynode (once it is unlocked). */
async function adoptLegacy(k: Keynode): Promise<void> {
  const raw = localStorage.getItem(LEGACY_KEY);
  if (raw === null) return;
  let legacy: unknown;
  try {
    legacy = JSON.parse(raw);
  } catch {
    legacy = {};
  }
  for (const [nodeId, name] of Object.entries(typeof legacy === 'object' && legacy !== null ? legacy : {})) {
    if (typeof name === 'string') await k.gestalts.setNickname(nodeId, name).catch(() => undefined);
  }
  localStorage.removeItem(LEGACY_KEY);
}

/** Ties the nicknames to `k` (App does this once); returns a function that unties them. */
export function bindNicknames(k: Keynode): () => void {
  keynode = k;
  const load = (): void => {
    void adoptLegacy(k)
      .catch(() => undefined)
      .then(refresh);
  };
  load();
  const offContacts = k.on('contacts', () => void refresh());
  const offLock = k.on('lock', ({ locked }) => (locked ? publish({}) : load()));
  return () => {
    offContacts();
    offLock();
    if (keynode === k) keynode = undefined;
  };
}

export async function setNickname(nodeId: string, name: string): Promise<void> {
  if (keynode === undefined) return;
  await keynode.gestalts.setNickname(nodeId, name);
  await refresh();
}

/** All nicknames, re-rendering when one changes. */
export function useNicknames(): Record<string, string> {
  const [current, setCurrent] = useState(names);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(names);
    return () => void listeners.delete(setCurrent);
  }, []);
  return current;
}

/** A contact's nickname, else a short NodeId. */
export const displayName = (names: Record<string, string>, nodeId: string): string => names[nodeId] ?? shortId(nodeId, 12);
