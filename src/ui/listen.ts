// Window events a screen follows while it is shown.

/** Calls `fn` on each of the `types` of event on `window`; returns a function that stops it. */
export function listen<E extends Event>(types: string[], fn: (e: E) => void, opts?: AddEventListenerOptions): () => void {
  for (const type of types) window.addEventListener(type, fn as EventListener, opts);
  return () => {
    for (const type of types) window.removeEventListener(type, fn as EventListener, opts);
  };
}
