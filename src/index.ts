// keynode's library entry for Node (tests, the command line, embedding): createKeynode with Node's
// defaults — 'memory' and { dir } storage, @roamhq/wrtc for WebRTC, `ws` for the signaling socket.
// Browser code (the service worker, pages) builds through src/keynode/keynode.ts directly.
import { randomBytes } from './ids/index.js';
import { base64urlEncode } from './keys/crypto.js';
import { KeynodeError } from './errors.js';
import { createKeynodeFrom, type Keynode, type KeynodeParts } from './keynode/keynode.js';
import type { RtcImpl } from './network/byte-channel.js';
import type { StorageSpec } from './storage/index.js';

/** The options handed on to the keynode as they are (KeynodeParts says what each means). */
const PASSED = [
  'recoveryCode',
  'passphrase',
  'autoLockMs',
  'signalingUrl',
  'iceServers',
  'clock',
  'logger',
  'baseUrl',
  'connectTimeoutMs',
  'idleMs',
  'lockGraceMs',
  'onProgress',
] as const;

export interface CreateKeynodeOptions extends Pick<KeynodeParts, (typeof PASSED)[number]> {
  storage?: StorageSpec;
  /** Storage namespace: several keynodes in one process or origin. */
  name?: string;
  /**
   * Unlocks (or, for a new keynode, sets) the key that encrypts everything stored. 'indexeddb' and
   * { dir } are never written in plaintext: without it, an existing keynode starts locked and a new
   * one cannot be made (ErrorKeynodeLocked). 'memory' without it stays unencrypted (tests).
   */
  passphrase?: string;
  /** Lock after this long without a user action (null = never, the default in Node). */
  autoLockMs?: number | null;
  /** e.g. 'ws://127.0.0.1:8787'; absent = no network (local only). */
  signalingUrl?: string;
  rtc?: Partial<RtcImpl> & Pick<RtcImpl, 'RTCPeerConnection'>;
  /** Clone and pull progress: { vault, phase, bytes, totalBytes? } (docs/api.md). */
  onProgress?: KeynodeParts['onProgress'];
}

export async function createKeynode(options: CreateKeynodeOptions = {}): Promise<Keynode> {
  const spec = options.storage ?? 'indexeddb';
  const isBrowser = typeof window !== 'undefined' || typeof (globalThis as { ServiceWorkerGlobalScope?: unknown }).ServiceWorkerGlobalScope !== 'undefined';
  let storage;
  if (isBrowser && spec === 'indexeddb') {
    const { openIndexedDbStorage } = await import('./storage/index.js');
    storage = await openIndexedDbStorage(options.name ?? 'default');
  } else {
    const { openNodeStorage } = await import('./platform/node-storage.js');
    const name = options.name ?? (spec === 'memory' ? `memory-${base64urlEncode(randomBytes(9))}` : 'default');
    storage = await openNodeStorage(spec, name);
  }
  let rtc: RtcImpl | undefined;
  let WebSocketImpl: unknown = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (options.signalingUrl !== undefined) {
    const g = globalThis as Partial<RtcImpl>;
    if (options.rtc !== undefined) {
      rtc = {
        RTCPeerConnection: options.rtc.RTCPeerConnection,
        RTCSessionDescription: options.rtc.RTCSessionDescription ?? (g.RTCSessionDescription as RtcImpl['RTCSessionDescription']),
        RTCIceCandidate: options.rtc.RTCIceCandidate ?? (g.RTCIceCandidate as RtcImpl['RTCIceCandidate']),
      };
    } else rtc = g.RTCPeerConnection !== undefined ? (g as RtcImpl) : (await import('./platform/node-rtc.js')).nodeRtc();
    if (WebSocketImpl === undefined) WebSocketImpl = (await import('ws')).default;
  }
  const persistent = spec === 'indexeddb' || (typeof spec === 'object' && 'dir' in spec);
  const parts: Parameters<typeof createKeynodeFrom>[0] = { storage, requireEncryption: persistent };
  if (!isBrowser) {
    parts.makeCipher = (await import('./platform/node-cipher.js')).nodeCipher;
    parts.autoLockMs = null; // a Node keynode (the command line, `serve`) stays unlocked while it runs
  }
  for (const key of PASSED) {
    if (options[key] !== undefined) (parts as unknown as Record<string, unknown>)[key] = options[key];
  }
  if (rtc !== undefined) parts.rtc = rtc;
  if (WebSocketImpl !== undefined) parts.WebSocket = WebSocketImpl as NonNullable<typeof parts.WebSocket>;
  const keynode = await createKeynodeFrom(parts);
  if (!(await keynode.lockState()).created) {
    await keynode.stop();
    throw new KeynodeError(
      'ErrorKeynodeLocked',
      'A new keynode in persistent storage needs a passphrase to encrypt what it stores (the passphrase option, or KEYNODE_PASSPHRASE for the command line).',
    );
  }
  return keynode;
}

export type { Keynode, KeynodeNotificationsExtra } from './keynode/keynode.js';
export type { KeynodeEvents } from './keynode/events.js';
export { KeynodeError, isKeynodeError, errorCodes, type ErrorCode } from './errors.js';
export * from './types.js';
