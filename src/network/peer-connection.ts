// One WebRTC peer connection with one ordered, reliable data channel, exposed as a ByteChannel.
// This is the only module that imports simple-peer, so it can be swapped without touching the rest.
import SimplePeer from 'simple-peer';
import { KeynodeError } from '../errors.js';
import { closedError, CloseSignal, InboundQueue, MAX_MESSAGE_BYTES, type ByteChannel, type RtcImpl } from './byte-channel.js';
import { sdpFingerprint } from './sdp-fingerprint.js';

export interface PeerConnectionOptions {
  initiator: boolean;
  rtc: RtcImpl;
  /** Always our own list: simple-peer would otherwise use public STUN servers. */
  iceServers: RTCIceServer[];
  /** Carries our offer/answer/candidates to the other side (through the signaling server). */
  sendSignal: (data: unknown) => void;
  channelName?: string;
  /** How long to wait for the data channel to open. */
  timeoutMs?: number;
}

export interface PeerConnection {
  /** Feeds a signal the other side sent us; malformed signals fail the connection, never throw. */
  signal(data: unknown): void;
  ready: Promise<ByteChannel>;
  /** Safe to call any number of times. */
  destroy(): void;
}

// Send pacing: stop queueing above HIGH_WATER, resume below LOW_WATER. Well under the 16 MiB cap
// at which send() throws, and large enough that the transport never runs dry on loopback.
const HIGH_WATER = 2 * 1024 * 1024;
const LOW_WATER = 512 * 1024;
const POLL_MS = 2;
// How long close() lets already queued bytes (an error frame, say) drain before tearing down.
const DRAIN_MS = 1000;

interface SimplePeerInternals {
  _channel?: RTCDataChannel | null;
}

export function openPeerConnection(options: PeerConnectionOptions): PeerConnection {
  let peer: SimplePeer.Instance;
  try {
    peer = new SimplePeer({
      initiator: options.initiator,
      wrtc: options.rtc,
      config: { iceServers: options.iceServers },
      channelName: options.channelName ?? 'keynode',
      trickle: true,
    });
  } catch (e) {
    throw new KeynodeError('ErrorNodeConnectionFailed', 'WebRTC is not available here, so no peer connection can be made.', { cause: e });
  }
  let localFingerprint: string | undefined;
  let remoteFingerprint: string | undefined;
  let channel: PeerByteChannel | undefined;
  let destroyed = false;
  // Created before the channel opens: the peer may speak first, before our 'connect' event fires.
  const inbound = new InboundQueue(() => destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer sent more than we could hold.')));
  let settle: { resolve: (c: ByteChannel) => void; reject: (e: KeynodeError) => void } | undefined;
  const ready = new Promise<ByteChannel>((resolve, reject) => (settle = { resolve, reject }));
  // Callers that never await `ready` (a connection destroyed early) must not see an unhandled rejection.
  ready.catch(() => {});

  const timer = setTimeout(
    () => destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer connection did not open in time.')),
    options.timeoutMs ?? 20_000,
  );

  function destroy(error?: KeynodeError): void {
    if (destroyed) return;
    destroyed = true;
    clearTimeout(timer);
    if (settle !== undefined) {
      settle.reject(error ?? new KeynodeError('ErrorNodeConnectionFailed', 'The peer connection was closed before it opened.'));
      settle = undefined;
    }
    peer.destroy();
    inbound.clear();
    channel?.closedNow(error);
  }

  peer.on('signal', (data: SimplePeer.SignalData) => {
    const sdp = (data as { sdp?: unknown }).sdp;
    if (typeof sdp === 'string') {
      localFingerprint = sdpFingerprint(sdp);
      if (localFingerprint === undefined) {
        destroy(new KeynodeError('ErrorNodeConnectionFailed', 'Our own session description has no single DTLS fingerprint.'));
        return;
      }
    }
    try {
      options.sendSignal(data);
    } catch (e) {
      destroy(new KeynodeError('ErrorNodeConnectionFailed', 'Our connection signal could not be sent.', { cause: e }));
    }
  });

  peer.on('connect', () => {
    if (destroyed || settle === undefined) return;
    const raw = (peer as unknown as SimplePeerInternals)._channel;
    if (localFingerprint === undefined || remoteFingerprint === undefined || raw == null) {
      destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The data channel opened without both DTLS fingerprints.'));
      return;
    }
    clearTimeout(timer);
    channel = new PeerByteChannel(peer, raw, inbound, localFingerprint, remoteFingerprint, () => destroy());
    settle.resolve(channel);
    settle = undefined;
  });

  peer.on('data', (chunk: Uint8Array) => {
    if (!destroyed && channel?.closed !== true) inbound.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });

  peer.on('error', (e: Error) => {
    destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer connection failed.', { cause: e }));
  });
  peer.on('close', () => destroy());

  return {
    signal(data: unknown): void {
      if (destroyed) return;
      if (!isSignal(data)) {
        destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer sent a malformed connection signal.'));
        return;
      }
      if (typeof data.sdp === 'string') {
        if (remoteFingerprint !== undefined) {
          // One offer/answer per connection: a second description could swap the certificate.
          destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer sent a second session description.'));
          return;
        }
        remoteFingerprint = sdpFingerprint(data.sdp);
        if (remoteFingerprint === undefined) {
          destroy(new KeynodeError('ErrorNodeConnectionFailed', "The peer's session description has no single DTLS fingerprint."));
          return;
        }
      }
      try {
        peer.signal(data as SimplePeer.SignalData);
      } catch (e) {
        destroy(new KeynodeError('ErrorNodeConnectionFailed', 'The peer sent a signal that could not be applied.', { cause: e }));
      }
    },
    ready,
    destroy: () => destroy(),
  };
}

function isSignal(data: unknown): data is { type?: string; sdp?: string; candidate?: unknown } {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  if (typeof d.sdp === 'string') return (d.type === 'offer' || d.type === 'answer') && d.sdp.length < 64 * 1024;
  return typeof d.candidate === 'object' && d.candidate !== null;
}

class PeerByteChannel implements ByteChannel {
  private readonly closeSignal = new CloseSignal();
  private readonly pending: Array<{ data: Uint8Array; resolve: () => void; reject: (e: KeynodeError) => void }> = [];
  private pumping = false;
  private closing = false;
  private readonly hasLowEvent: boolean;
  private lowWaiter: (() => void) | undefined;

  constructor(
    private readonly peer: SimplePeer.Instance,
    private readonly raw: RTCDataChannel,
    private readonly inbound: InboundQueue,
    readonly localFingerprint: string,
    readonly remoteFingerprint: string,
    private readonly teardown: () => void,
  ) {
    // wrtc lacks the event (docs/measurements.md §7): there we poll bufferedAmount instead.
    this.hasLowEvent = typeof raw.bufferedAmountLowThreshold === 'number';
    if (this.hasLowEvent) {
      raw.bufferedAmountLowThreshold = LOW_WATER;
      raw.addEventListener('bufferedamountlow', () => {
        const waiter = this.lowWaiter;
        this.lowWaiter = undefined;
        waiter?.();
      });
    }
  }

  get closed(): boolean {
    return this.closeSignal.closed || this.closing;
  }

  send(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (data.byteLength > MAX_MESSAGE_BYTES) {
      return Promise.reject(new KeynodeError('ErrorInternal', `A channel message is at most ${MAX_MESSAGE_BYTES} bytes.`));
    }
    if (!this.pumping && this.pending.length === 0 && this.raw.bufferedAmount <= HIGH_WATER) {
      try {
        this.peer.send(data);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(this.sendFailed(e));
      }
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ data, resolve, reject });
      void this.pump();
    });
  }

  onMessage(cb: (data: Uint8Array) => void): () => void {
    return this.inbound.subscribe(cb);
  }

  onClose(cb: (error?: KeynodeError) => void): () => void {
    return this.closeSignal.subscribe(cb);
  }

  close(): void {
    if (this.closed) return;
    this.closing = true;
    // Let what is already queued (typically a final error frame) reach the peer before teardown.
    const started = Date.now();
    const wait = (): void => {
      if (this.closeSignal.closed) return;
      if (this.raw.bufferedAmount > 0 && Date.now() - started < DRAIN_MS) {
        setTimeout(wait, POLL_MS * 5);
        return;
      }
      this.teardown();
    };
    wait();
  }

  closedNow(error?: KeynodeError): void {
    for (const p of this.pending.splice(0)) p.reject(closedError());
    this.lowWaiter?.();
    this.closeSignal.fire(error);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0 && !this.closeSignal.closed) {
        if (this.raw.bufferedAmount > HIGH_WATER) await this.drained();
        if (this.closeSignal.closed) break;
        const next = this.pending.shift()!;
        try {
          this.peer.send(next.data);
          next.resolve();
        } catch (e) {
          next.reject(this.sendFailed(e));
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private drained(): Promise<void> {
    // With the event we still poll, slowly: a missed event must never stall a stream for good.
    const interval = this.hasLowEvent ? 50 : POLL_MS;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.lowWaiter = undefined;
        resolve();
      };
      const poll = (): void => {
        if (this.closeSignal.closed || this.raw.bufferedAmount <= LOW_WATER) done();
        else timer = setTimeout(poll, interval);
      };
      if (this.hasLowEvent) this.lowWaiter = done;
      timer = setTimeout(poll, interval);
    });
  }

  private sendFailed(e: unknown): KeynodeError {
    const error = new KeynodeError('ErrorNodeConnectionFailed', 'Sending to the peer failed; the connection is closed.', { cause: e });
    this.teardown();
    return error;
  }
}
