// The errors the signaling server throws: to whoever starts it (options it cannot use), and inside
// itself when its Redis store is unreachable. Keynodes never see these objects: the wire carries
// only the codes in protocol/signaling.ts, which src/network/signaling-client.ts maps to its own
// errors. The codes are the ones keynodes use for the same failures (docs/api.md, "Errors"), so a
// caller of startSignalingServer compares `code` as it would with a keynode's error.
export type ServerErrorCode = 'ErrorInvalidArgument' | 'ErrorSignalingUnavailable';

export class SignalingServerError extends Error {
  override readonly name = 'SignalingServerError';

  constructor(
    readonly code: ServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for the error a Redis-backed store throws while Redis is unreachable. */
export function isUnavailable(e: unknown): boolean {
  return e instanceof SignalingServerError && e.code === 'ErrorSignalingUnavailable';
}
