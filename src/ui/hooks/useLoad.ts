// Loads data from the keynode and reloads it when asked or when one of the keynode's events fires,
// so every screen shows what another tab or a peer just changed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import type { KeynodeEventName } from '../../keynode/events.js';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  reload: () => Promise<void>;
}

export function useLoad<T>(keynode: Keynode, load: () => Promise<T>, deps: unknown[], events: KeynodeEventName[] = ['vault-changed']): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const latest = useRef(load);
  latest.current = load;
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await latest.current();
      if (mine !== generation.current) return; // a newer load is on its way
      setData(value);
      setError(undefined);
    } catch (e) {
      if (mine === generation.current) setError(e);
    }
  }, []);

  useEffect(() => {
    void reload();
    const offs = events.map((name) => keynode.on(name, () => void reload()));
    return () => offs.forEach((off) => off());
    // Only the caller's deps restart the subscription: `load` changes on every render.
  }, [keynode, ...deps]);

  return { data, error, reload };
}
