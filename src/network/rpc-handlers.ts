// The server side of the peer RPC: which methods this keynode answers and with what limits. One
// registry is shared by every peer connection; handlers learn who is asking only from
// `ctx.remoteNodeId`, the NodeId the handshake authenticated (never from the request itself).
import { KeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import { isMethodName } from './rpc-frames.js';

export interface RpcContext {
  remoteNodeId: NodeId;
  /** Aborted when the caller cancels, the stream times out or the connection closes. */
  signal: AbortSignal;
}

export interface RpcResult {
  header?: unknown;
  body?: AsyncIterable<Uint8Array> | Uint8Array;
}

export type RpcHandler = (ctx: RpcContext, header: unknown, body: AsyncIterable<Uint8Array>) => Promise<RpcResult>;

export interface RpcMethodLimits {
  /** Largest JSON request header, in bytes. */
  maxHeaderBytes?: number;
  /** Largest request body, in bytes; more is ErrorRpcTooLarge. */
  maxRequestBytes?: number;
}

// Room for a signed token of 16 KiB (the mailbox limit) inside a JSON header.
export const DEFAULT_MAX_HEADER_BYTES = 32 * 1024;
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

export interface RegisteredHandler {
  handler: RpcHandler;
  maxHeaderBytes: number;
  maxRequestBytes: number;
}

export class RpcHandlers {
  private readonly methods = new Map<string, RegisteredHandler>();

  handle(method: string, handler: RpcHandler, limits: RpcMethodLimits = {}): void {
    if (!isMethodName(method)) {
      throw new KeynodeError('ErrorInvalidArgument', `"${method}" is not a valid RPC method name.`);
    }
    this.methods.set(method, {
      handler,
      maxHeaderBytes: limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxRequestBytes: limits.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    });
  }

  /** JSON in, JSON out: the request body must be empty and the response has none. */
  handleUnary(method: string, handler: (ctx: RpcContext, request: unknown) => Promise<unknown>, limits: Omit<RpcMethodLimits, 'maxRequestBytes'> = {}): void {
    this.handle(method, async (ctx, header) => ({ header: await handler(ctx, header) }), { ...limits, maxRequestBytes: 0 });
  }

  get(method: string): RegisteredHandler | undefined {
    return this.methods.get(method);
  }
}
