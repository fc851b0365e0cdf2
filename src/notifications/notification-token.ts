// Signing a notification into its text form (JSON of a one-signature token) and turning received
// text back into a payload we can trust: size, JSON, shape, then exactly one valid signature by `iss`.
import { KeynodeError } from '../errors.js';
import { parseToken, signToken, verifiedSigners, type Signer } from '../keys/token.js';
import { checkPayload, maxTokenBytes } from './schema.js';
import type { NotificationPayload } from './types.js';
import { utf8 } from '../utils/bytes.js';

export async function signNotification(payload: NotificationPayload, signer: Signer): Promise<string> {
  const text = JSON.stringify(await signToken(payload, signer));
  if (utf8.encode(text).length > maxTokenBytes) {
    throw new KeynodeError('ErrorInvalidArgument', `This notification is too large to send (over ${maxTokenBytes / 1024} KiB signed).`);
  }
  return text;
}

/** Parses and schema-checks a token without trusting it yet. */
export function parseNotification(text: string): { payload: NotificationPayload; raw: unknown; signatures: unknown[] } {
  if (typeof text !== 'string' || utf8.encode(text).length > maxTokenBytes) {
    throw new KeynodeError('ErrorNotificationsParse', `The notification is missing or larger than ${maxTokenBytes / 1024} KiB.`);
  }
  const token = parseToken(text, maxTokenBytes);
  const payload = checkPayload(token.payload);
  if (typeof payload === 'string') {
    throw new KeynodeError('ErrorNotificationsParse', `The notification is not in a form keynode understands (${payload}).`);
  }
  return { payload, raw: token.payload, signatures: token.signatures };
}

/** Parses, schema-checks and verifies: the only signature must be a valid one by the sender `iss`. */
export async function verifyNotification(text: string): Promise<NotificationPayload> {
  const { payload, raw, signatures } = parseNotification(text);
  // Verify over the payload exactly as received, not the schema's copy of it.
  const signers = signatures.length === 1 ? await verifiedSigners({ payload: raw, signatures: signatures as never }) : new Set<string>();
  if (!signers.has(payload.iss)) {
    throw new KeynodeError(
      'ErrorNotificationsVerificationFailed',
      'The notification is not validly signed by the keynode it claims to come from; it may have been altered.',
      { data: { iss: payload.iss } },
    );
  }
  return payload;
}
