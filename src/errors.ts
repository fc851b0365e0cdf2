// One error type for every failure a caller can meet. The `code` is stable (docs/api.md) and is what
// callers compare; `message` is a sentence a person understands. Errors cross postMessage and the
// peer channel as plain JSON (toJSON / fromJSON).

export const errorCodes = [
  'ErrorVaultsVaultUndefined',
  'ErrorVaultsVaultDefined',
  'ErrorVaultsNameInvalid',
  'ErrorVaultsPermissionDenied',
  'ErrorVaultRemoteDefined',
  'ErrorVaultRemoteUndefined',
  'ErrorVaultsMergeConflict',
  'ErrorVaultsNameConflict',
  'ErrorVaultReferenceInvalid',
  'ErrorVaultReferenceMissing',
  'ErrorVaultsCreateVaultId',
  'ErrorSecretsSecretDefined',
  'ErrorSecretsSecretUndefined',
  'ErrorSecretsIsDirectory',
  'ErrorSecretsIsSecret',
  'ErrorSecretsPathInvalid',
  'ErrorSecretsDirectoryUndefined',
  'ErrorSecretsEnvInvalid',
  'ErrorSecretsEnvDuplicate',
  'ErrorVaultsRecursive',
  'ErrorGestaltsGraphNodeIdMissing',
  'ErrorGestaltsInvalidAction',
  'ErrorNodeIdInvalid',
  'ErrorVaultIdInvalid',
  'ErrorNotificationIdInvalid',
  'ErrorNodePermissionDenied',
  'ErrorNodeConnectionFailed',
  'ErrorNodeAuthenticationFailed',
  'ErrorNotificationsVerificationFailed',
  'ErrorNotificationsInvalidDestination',
  'ErrorNotificationsPermissionsNotFound',
  'ErrorNotificationsReplay',
  'ErrorNotificationsParse',
  'ErrorNotificationsUndefined',
  'ErrorSigchainInvalid',
  'ErrorKeysRecoveryCodeInvalid',
  'ErrorKeysNotFound',
  'ErrorStorageQuota',
  'ErrorStorageCorrupt',
  'ErrorGitPackInvalid',
  'ErrorGitProtocol',
  'ErrorRpcMethodUnknown',
  'ErrorRpcFrameInvalid',
  'ErrorRpcTooLarge',
  'ErrorRpcTimeout',
  'ErrorRpcStreamClosed',
  'ErrorSignalingProtocol',
  'ErrorSignalingLoginFailed',
  'ErrorSignalingReplaced',
  'ErrorSignalingMailboxFull',
  'ErrorSignalingRateLimited',
  'ErrorSignalingNotConnected',
  'ErrorKeynodeStopped',
  'ErrorInvalidArgument',
  'ErrorInternal',
  'ErrorKeynodeInterrupted',
  'ErrorKeynodeLocked',
  'ErrorKeynodePassphraseInvalid',
  'ErrorStorageInUse',
  'ErrorSignalingReceiverBusy',
  'ErrorGitPackTooLarge',
  'ErrorNotificationsExpired',
  'ErrorNotificationsClockSkew',
  'ErrorNotificationsSealedInvalid',
  'ErrorSignalingUnavailable',
  'ErrorGestaltsPairingCodeInvalid',
  'ErrorGestaltsPairingCodeSignature',
  'ErrorGestaltsPairingCodeExpired',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

const knownCodes: ReadonlySet<string> = new Set(errorCodes);

export interface KeynodeErrorJSON {
  name: 'KeynodeError';
  code: ErrorCode;
  message: string;
  data?: Record<string, unknown>;
  cause?: KeynodeErrorJSON | { name: string; message: string };
}

export class KeynodeError extends Error {
  override readonly name = 'KeynodeError';
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
  }

  toJSON(): KeynodeErrorJSON {
    const json: KeynodeErrorJSON = { name: 'KeynodeError', code: this.code, message: this.message };
    if (this.data !== undefined) json.data = this.data;
    if (this.cause !== undefined) json.cause = causeToJSON(this.cause);
    return json;
  }

  /** Rebuilds an error that crossed a boundary; anything unrecognisable becomes ErrorInternal. */
  static fromJSON(json: unknown): KeynodeError {
    return errorFromJSON(json, 0);
  }
}

// A peer controls this JSON: a cause that is not an object is dropped rather than crashing, and a
// cause chain is cut after a few levels so a deeply nested one cannot exhaust the stack.
const MAX_CAUSE_DEPTH = 8;

function errorFromJSON(json: unknown, depth: number): KeynodeError {
  if (typeof json !== 'object' || json === null) {
    return new KeynodeError('ErrorInternal', 'An unreadable error was received.');
  }
  const j = json as Partial<KeynodeErrorJSON>;
  const code: ErrorCode = typeof j.code === 'string' && knownCodes.has(j.code) ? j.code : 'ErrorInternal';
  const message = typeof j.message === 'string' ? j.message : 'An error without a message was received.';
  const options: { data?: Record<string, unknown>; cause?: unknown } = typeof j.data === 'object' && j.data !== null ? { data: j.data } : {};
  const cause: unknown = j.cause;
  if (typeof cause === 'object' && cause !== null && depth < MAX_CAUSE_DEPTH) {
    const c = cause as { name?: unknown; message?: unknown };
    options.cause =
      c.name === 'KeynodeError'
        ? errorFromJSON(c, depth + 1)
        : Object.assign(new Error(typeof c.message === 'string' ? c.message : 'An error without a message.'), {
            name: typeof c.name === 'string' ? c.name : 'Error',
          });
  }
  return new KeynodeError(code, message, options);
}

function causeToJSON(cause: unknown): KeynodeErrorJSON | { name: string; message: string } {
  if (cause instanceof KeynodeError) return cause.toJSON();
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return { name: 'Error', message: String(cause) };
}

export function isKeynodeError(e: unknown, code?: ErrorCode): e is KeynodeError {
  return (
    typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'KeynodeError' && (code === undefined || (e as { code?: unknown }).code === code)
  );
}

/** Wraps a foreign error (isomorphic-git, simple-peer, IndexedDB) so no raw error leaks to a caller. */
export function wrapError(e: unknown, code: ErrorCode, message: string): KeynodeError {
  if (isKeynodeError(e)) return e;
  return new KeynodeError(code, message, { cause: e });
}
