// Binary frames of the peer RPC (docs/protocol.md "Peer RPC"). Every frame is one channel message:
//   kind (1 byte) | stream id (4 bytes, big-endian) | payload
// Decoding checks structure only; what a frame means for a stream is rpc.ts's business.
import { KeynodeError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from './byte-channel.js';
import { utf8 } from '../utils/bytes.js';

export const FrameKind = {
  open: 1, // caller → callee: u8 method length, method (UTF-8), JSON header
  reply: 2, // callee → caller: JSON header of the response
  data: 3, // either way: body bytes
  end: 4, // either way: no more body bytes
  error: 5, // either way: JSON {code, message, data}; ends the stream both ways (stream 0: the connection)
  cancel: 6, // either way: "stop sending me this stream's body"
  credit: 7, // either way: u32 more body bytes the sender may send (flow control)
  ping: 8, // either way, stream 0 only: "are you there?" (heartbeat, rpc-heartbeat.ts)
  pong: 9, // either way, stream 0 only: the answer to a ping
} as const;
export type FrameKindName = keyof typeof FrameKind;

export const FRAME_HEADER_BYTES = 5;
/** The most body bytes one data frame carries, so that a frame stays within MAX_MESSAGE_BYTES. */
export const MAX_DATA_PAYLOAD = MAX_MESSAGE_BYTES - FRAME_HEADER_BYTES;
const METHOD_PATTERN = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/;
const MAX_METHOD_LENGTH = 64;

const kindNames = new Map<number, FrameKindName>((Object.entries(FrameKind) as Array<[FrameKindName, number]>).map(([name, n]) => [n, name]));

export type Frame =
  | { kind: 'open'; id: number; method: string; header: Uint8Array }
  | { kind: 'reply'; id: number; header: Uint8Array }
  | { kind: 'data'; id: number; data: Uint8Array }
  | { kind: 'end' | 'cancel' | 'ping' | 'pong'; id: number }
  | { kind: 'error'; id: number; error: Uint8Array }
  | { kind: 'credit'; id: number; bytes: number };

export function isMethodName(method: string): boolean {
  return method.length <= MAX_METHOD_LENGTH && METHOD_PATTERN.test(method);
}

export function encodeFrame(frame: Frame): Uint8Array {
  let payload: Uint8Array;
  switch (frame.kind) {
    case 'open': {
      const method = utf8.encode(frame.method);
      payload = new Uint8Array(1 + method.length + frame.header.length);
      payload[0] = method.length;
      payload.set(method, 1);
      payload.set(frame.header, 1 + method.length);
      break;
    }
    case 'reply':
      payload = frame.header;
      break;
    case 'data':
      payload = frame.data;
      break;
    case 'error':
      payload = frame.error;
      break;
    case 'credit':
      payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, frame.bytes);
      break;
    default:
      payload = new Uint8Array(0);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = FrameKind[frame.kind];
  new DataView(out.buffer).setUint32(1, frame.id);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Parses one message; anything malformed is ErrorRpcFrameInvalid (ErrorRpcTooLarge when oversized). */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    throw new KeynodeError('ErrorRpcTooLarge', `An RPC frame is at most ${MAX_MESSAGE_BYTES} bytes; this one had ${bytes.byteLength}.`);
  }
  if (bytes.byteLength < FRAME_HEADER_BYTES) throw invalid('An RPC frame is shorter than its header.');
  const kind = kindNames.get(bytes[0]!);
  if (kind === undefined) throw invalid(`Unknown RPC frame kind ${bytes[0]}.`);
  const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  switch (kind) {
    case 'open': {
      const n = payload[0];
      if (n === undefined || n === 0 || payload.length < 1 + n) throw invalid('An RPC open frame has a broken method name.');
      let method: string;
      try {
        method = utf8.decode(payload.subarray(1, 1 + n));
      } catch {
        throw invalid('An RPC method name is not UTF-8.');
      }
      if (!isMethodName(method)) throw invalid('An RPC method name has characters that are not allowed.');
      return { kind, id, method, header: payload.subarray(1 + n) };
    }
    case 'reply':
      return { kind, id, header: payload };
    case 'data':
      if (payload.length === 0) throw invalid('An RPC data frame carries no bytes.');
      return { kind, id, data: payload };
    case 'error':
      return { kind, id, error: payload };
    case 'credit': {
      if (payload.length !== 4) throw invalid('An RPC credit frame carries 4 bytes.');
      return { kind, id, bytes: new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) };
    }
    default:
      if ((kind === 'ping' || kind === 'pong') && id !== 0) throw invalid(`An RPC ${kind} frame belongs to stream 0.`);
      if (payload.length !== 0) throw invalid(`An RPC ${kind} frame carries no payload.`);
      return { kind, id };
  }
}

export function invalid(message: string): KeynodeError {
  return new KeynodeError('ErrorRpcFrameInvalid', message);
}
