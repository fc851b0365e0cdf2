// The plain byte channel the keynode core talks over. In Node it wraps a data channel directly; in
// the browser a page owns the RTCPeerConnection and pipes bytes to the service worker, so the core
// must never depend on anything WebRTC-specific beyond the two DTLS fingerprints (docs/design.md §1, §5).
import { KeynodeError } from '../errors.js';

/** Largest message any layer puts on a channel: Chromium's limit is 256 KiB; 64 KiB is the sweet spot. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface ByteChannel {
  /** Resolves once the message is queued under the high-water mark (back-pressure); rejects when closed. */
  send(data: Uint8Array): Promise<void>;
  /** One consumer at a time; messages that arrive while nobody listens are kept until somebody does. */
  onMessage(cb: (data: Uint8Array) => void): () => void;
  /** Called once when the channel closes (at once if it already has); `error` says why, if known. */
  onClose(cb: (error?: KeynodeError) => void): () => void;
  close(): void;
  readonly closed: boolean;
  /** DTLS certificate fingerprints as the SDPs carry them, e.g. "sha-256 AB:CD:…". */
  readonly localFingerprint: string;
  readonly remoteFingerprint: string;
}

export function closedError(): KeynodeError {
  return new KeynodeError('ErrorNodeConnectionFailed', 'The connection to the peer is closed.');
}

/** The WebRTC implementation to use: the browser's globals, or @roamhq/wrtc in Node. */
export interface RtcImpl {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

/**
 * Hands inbound messages to the single current listener, and holds them while there is none.
 * The handshake reads one message at a time and the RPC layer subscribes only afterwards, so
 * nothing that arrives in between may be lost. The hold is bounded: a peer that floods a channel
 * nobody reads is cut off instead of filling memory.
 */
export class InboundQueue {
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private listener: ((data: Uint8Array) => void) | undefined;

  constructor(
    private readonly onOverflow: () => void,
    private readonly maxHeldBytes = 8 * 1024 * 1024,
  ) {}

  deliver(data: Uint8Array): void {
    if (this.listener !== undefined && this.held.length === 0) {
      this.listener(data);
      return;
    }
    this.held.push(data);
    this.heldBytes += data.byteLength;
    if (this.heldBytes > this.maxHeldBytes) {
      this.clear();
      this.onOverflow();
    }
  }

  subscribe(cb: (data: Uint8Array) => void): () => void {
    if (this.listener !== undefined) {
      throw new KeynodeError('ErrorInternal', 'A byte channel has only one reader at a time.');
    }
    this.listener = cb;
    // Flushed in a microtask, so the subscriber holds its unsubscribe function before the first
    // message arrives and can let go after any one of them (the handshake reads one at a time).
    if (this.held.length > 0) queueMicrotask(() => this.flush(cb));
    return () => {
      if (this.listener === cb) this.listener = undefined;
    };
  }

  private flush(cb: (data: Uint8Array) => void): void {
    while (this.held.length > 0 && this.listener === cb) {
      const next = this.held.shift()!;
      this.heldBytes -= next.byteLength;
      cb(next);
    }
  }

  clear(): void {
    this.held.length = 0;
    this.heldBytes = 0;
  }
}

/** Calls close listeners exactly once, including listeners added after the close. */
export class CloseSignal {
  private readonly listeners = new Set<(error?: KeynodeError) => void>();
  private done = false;
  private error: KeynodeError | undefined;

  get closed(): boolean {
    return this.done;
  }

  subscribe(cb: (error?: KeynodeError) => void): () => void {
    if (this.done) {
      const error = this.error;
      queueMicrotask(() => cb(error));
      return () => {};
    }
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  fire(error?: KeynodeError): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const cb of listeners) cb(error);
  }
}
