// The keynode's events (docs/api.md `on`): their names and payloads, on the one typed emitter, whose
// listeners can never break the operation that emitted.
import type { InboxItem, PullResult } from '../types.js';
import { Emitter } from '../utils/emitter.js';

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

export class Events extends Emitter<KeynodeEvents> {}
