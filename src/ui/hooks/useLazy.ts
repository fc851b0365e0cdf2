// Code a screen needs only sometimes (the generator, import, backups) stays out of the app's first
// JavaScript: `useLazy` loads its module the first time `wanted` is true, and re-renders with it.
import { useEffect, useState } from 'preact/hooks';

export function useLazy<M>(load: () => Promise<M>, wanted: boolean): { module: M | undefined; error: unknown } {
  const [loaded, setLoaded] = useState<{ module: M | undefined; error: unknown }>({ module: undefined, error: undefined });
  useEffect(() => {
    if (!wanted || loaded.module !== undefined) return;
    let live = true;
    load().then(
      (module) => live && setLoaded({ module, error: undefined }),
      (error: unknown) => live && setLoaded({ module: undefined, error }),
    );
    return () => {
      live = false;
    };
    // `load` is a fresh closure each render; what to load never changes for one caller.
  }, [wanted]);
  return loaded;
}
