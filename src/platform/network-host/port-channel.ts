// A data channel carried over a MessagePort between the network host tab (which owns the
// RTCDataChannel) and the core in the service worker. The worker side is a plain ByteChannel with
// the DTLS fingerprints attached, so the handshake and the RPC cannot tell a page is in between.
// Bytes travel as transferred ArrayBuffers; the host acks what the data channel accepted, which is
// the worker side's back-pressure.
import { KeynodeError } from '../../errors.js';
import { closedError, CloseSignal, InboundQueue, MAX_MESSAGE_BYTES, type ByteChannel } from '../../network/byte-channel.js';
import type { ChannelControl } from './protocol.js';

// Bytes posted to the host but not yet accepted by its data channel.
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  // A copy: the view may share a larger buffer, and the transfer detaches what it sends.
  return bytes.slice().buffer as ArrayBuffer;
}

/** Worker side. */
export class PortByteChannel implements ByteChannel {
  private readonly inbound: InboundQueue;
  private readonly closeSignal = new CloseSignal();
  private inflight = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly port: MessagePort,
    readonly localFingerprint: string,
    readonly remoteFingerprint: string,
  ) {
    this.inbound = new InboundQueue(() => this.closeWith(new KeynodeError('ErrorNodeConnectionFailed', 'The peer sent more than we could hold.')));
    port.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (data instanceof ArrayBuffer) {
        if (!this.closed) this.inbound.deliver(new Uint8Array(data));
        return;
      }
      const control = data as ChannelControl;
      if (control.t === 'ack') {
        this.inflight -= control.n;
        if (this.inflight <= LOW_WATER) this.wakeSender();
      } else if (control.t === 'close') {
        this.closedNow(control.error === undefined ? undefined : KeynodeError.fromJSON(control.error));
      }
    };
  }

  get closed(): boolean {
    return this.closeSignal.closed;
  }

  async send(data: Uint8Array): Promise<void> {
    if (this.closed) throw closedError();
    if (data.byteLength > MAX_MESSAGE_BYTES) throw new KeynodeError('ErrorInternal', `A channel message is at most ${MAX_MESSAGE_BYTES} bytes.`);
    const buffer = ownBuffer(data);
    this.port.postMessage(buffer, [buffer]);
    this.inflight += data.byteLength;
    while (this.inflight > HIGH_WATER && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.closed) throw closedError();
  }

  onMessage(cb: (data: Uint8Array) => void): () => void {
    return this.inbound.subscribe(cb);
  }

  onClose(cb: (error?: KeynodeError) => void): () => void {
    return this.closeSignal.subscribe(cb);
  }

  close(): void {
    this.closeWith(undefined);
  }

  /** The host is gone (its tab closed, or another tab took over): this channel died with it. */
  closedNow(error?: KeynodeError): void {
    if (this.closed) return;
    this.inbound.clear();
    this.port.onmessage = null;
    this.port.close();
    this.closeSignal.fire(error);
    this.wakeSender();
  }

  private closeWith(error: KeynodeError | undefined): void {
    if (this.closed) return;
    const message: ChannelControl = error === undefined ? { t: 'close' } : { t: 'close', error: error.toJSON() };
    this.port.postMessage(message);
    this.closedNow(error);
  }

  private wakeSender(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Host side: pipes an opened data channel to a port until either end closes. */
export function pipeChannelToPort(channel: ByteChannel, port: MessagePort): () => void {
  let done = false;
  const finish = (message: ChannelControl | undefined): void => {
    if (done) return;
    done = true;
    stopMessages();
    stopClose();
    if (message !== undefined) port.postMessage(message);
    port.onmessage = null;
    port.close();
    channel.close();
  };
  const stopMessages = channel.onMessage((bytes) => {
    const buffer = ownBuffer(bytes);
    port.postMessage(buffer, [buffer]);
  });
  const stopClose = channel.onClose((error) => finish(error === undefined ? { t: 'close' } : { t: 'close', error: error.toJSON() }));
  port.onmessage = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (data instanceof ArrayBuffer) {
      const n = data.byteLength;
      channel.send(new Uint8Array(data)).then(
        () => {
          if (!done) port.postMessage({ t: 'ack', n } satisfies ChannelControl);
        },
        () => undefined, // the close that follows tells the worker
      );
      return;
    }
    if ((data as ChannelControl).t === 'close') finish(undefined);
  };
  return () => finish({ t: 'close' });
}
