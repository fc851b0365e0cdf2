// The one typed event emitter (no Node `events`, so it runs in a page, a worker and Node alike).
// `E` maps each event name to its payload. A listener that throws fails on its own: the others
// still run and the code that emitted carries on, since it has already done its work.

type Listener<T> = (value: T) => void;

export class Emitter<E> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Adds `listener` for `event`; the function returned removes it again. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const set = this.listeners.get(event);
    if (set?.delete(listener) && set.size === 0) this.listeners.delete(event);
  }

  /**
   * Calls the listeners in the order they were added, as they were when emit began: one added by a
   * listener is first called at the next emit, one removed by a listener is still called this time.
   */
  emit<K extends keyof E>(event: K, value: E[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<E[K]>)(value);
      } catch {
        // The listener's failure is its own.
      }
    }
  }
}
