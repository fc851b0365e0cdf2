// The messages between a page and the service worker that hosts the keynode core (docs/design.md §1).
// Requests go through `navigator.serviceWorker.controller.postMessage`, which wakes a stopped
// worker; every reply names the worker *instance* that sent it, so a page can tell when the worker
// it was talking to has been stopped and replaced (see client.ts for what happens then).
// Values cross by structured clone: Uint8Array arrives as Uint8Array, errors as KeynodeError JSON.
import type { KeynodeErrorJSON } from '../../errors.js';
import { API, METHODS, type ApiPath, type MethodSpec } from '../../keynode/api.js';

/** The BroadcastChannel on which the worker tells every tab about events and its own start. */
export const EVENTS_CHANNEL = 'keynode-sw-events';

/** Every Keynode method a page may call, by its dotted name (the API table, src/keynode/api.ts). */
export type Method = ApiPath;

/**
 * Calls that change nothing, so a page may repeat them after the worker was stopped mid-call.
 * Everything else is a mutation and is never repeated behind the user's back.
 */
export const REPEATABLE: ReadonlySet<string> = new Set(METHODS.filter((m) => (API[m] as MethodSpec).repeatable === true));

/** Page → worker. `hello` returns the NodeId (and the recovery code to the tab that created it). */
export type PageMessage =
  | { kn: 'call'; id: number; method: Method; args: unknown[] }
  | { kn: 'hello'; id: number }
  | { kn: 'ping'; id: number }
  /** Replaces this profile's keynode with the one the recovery code belongs to (profile.ts). */
  | { kn: 'restore'; id: number; code: string; passphrase: string }
  /** Asks for the unlocked data key (a non-extractable CryptoKey), which the tab keeps in memory. */
  | { kn: 'session'; id: number }
  /** Hands a kept data key back to a worker the browser restarted (or that asked: 'need-key'); null: this tab has none. */
  | { kn: 'resume'; id: number; key: CryptoKey | null }
  /** This tab is closing: with no tab left, the keynode locks. */
  | { kn: 'bye'; id: number }
  /** From the network host tab, with a MessagePort transferred (network-host/protocol.ts). */
  | { kn: 'host'; id: number };

/** Worker → page (to the one client that asked). */
export type WorkerMessage =
  /** Sent in the same task that received the call, before any work starts. */
  | { kn: 'ack'; id: number; instance: string }
  | { kn: 'result'; id: number; instance: string; ok: true; value: unknown }
  | { kn: 'result'; id: number; instance: string; ok: false; error: KeynodeErrorJSON }
  | { kn: 'pong'; id: number; instance: string };

/** Worker → every tab, on EVENTS_CHANNEL. */
export type BroadcastMessage =
  | { kn: 'event'; instance: string; event: string; value: unknown }
  | { kn: 'started'; instance: string }
  /** The keynode was replaced (a restore): every tab reloads to talk to the new one. */
  | { kn: 'replaced'; instance: string; nodeId: string }
  /** A (re)started worker found the keynode locked: a tab that kept the data key sends 'resume'. */
  | { kn: 'need-key'; instance: string };

export interface Hello {
  nodeId: string;
  recoveryCode?: string;
}

export function isWorkerMessage(data: unknown): data is WorkerMessage {
  return typeof data === 'object' && data !== null && typeof (data as { kn?: unknown }).kn === 'string' && typeof (data as { id?: unknown }).id === 'number';
}

export function isMethod(m: unknown): m is Method {
  return typeof m === 'string' && Object.hasOwn(API, m);
}
