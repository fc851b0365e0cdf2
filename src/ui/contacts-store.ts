// Local nicknames for NodeIds, kept in this browser's localStorage only: the core never needs them
// and no other keynode ever sees them.
import { useEffect, useState } from 'preact/hooks';
import { shortId } from './format.js';

const KEY = 'keynode:nicknames';
const CHANGE = 'keynode:nicknames-changed';

function load(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function setNickname(nodeId: string, name: string): void {
  const all = load();
  const trimmed = name.trim();
  if (trimmed === '') delete all[nodeId];
  else all[nodeId] = trimmed;
  localStorage.setItem(KEY, JSON.stringify(all));
  window.dispatchEvent(new Event(CHANGE));
}

/** All nicknames, re-rendering when one changes (in this tab or another). */
export function useNicknames(): Record<string, string> {
  const [names, setNames] = useState(load);
  useEffect(() => {
    const update = (): void => setNames(load());
    window.addEventListener(CHANGE, update);
    window.addEventListener('storage', update);
    return () => {
      window.removeEventListener(CHANGE, update);
      window.removeEventListener('storage', update);
    };
  }, []);
  return names;
}

/** A contact's nickname, else a short NodeId. */
export const displayName = (names: Record<string, string>, nodeId: string): string => names[nodeId] ?? shortId(nodeId, 12);
