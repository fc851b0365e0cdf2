// The keynode's events (docs/api.md `on`): a tiny typed emitter whose listeners can never break the
// operation that emitted.
import type { InboxItem, PullResult } from '../types.js';

export interface KeynodeEvents {
  notification: { kind: 'inbox' | 'request'; item: InboxItem };
  /** After a pull that moved the vault, also where it came from (a queued pull has no caller to tell). */
  'vault-changed': { vaultId: string; reason: string } & Partial<Pick<PullResult, 'source' | 'via'>>;
  network: { signaling: 'connected' | 'connecting' | 'offline'; peers: string[] };
  /** The keynode was locked or unlocked (lockState() has the rest). */
  lock: { locked: boolean; nodeId: string };
  /** A contact's nickname changed, a keynode linked with us, or the pairing code shown here was taken by `nodeId` (gestalts.pairingStatus). */
  contacts: { nodeId: string };
}

export type KeynodeEventName = keyof KeynodeEvents;

export class Events {
  private readonly listeners = new Map<KeynodeEventName, Set<(value: never) => void>>();

  on<K extends KeynodeEventName>(event: K, listener: (value: KeynodeEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (value: never) => void);
    return () => {
      set.delete(listener as (value: never) => void);
    };
  }

  emit<K extends KeynodeEventName>(event: K, value: KeynodeEvents[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (value: KeynodeEvents[K]) => void)(value);
      } catch {
        // A listener's failure is its own; the operation that emitted has already succeeded.
      }
    }
  }
}
