// The valibot schemas every inbound notification passes before anything else looks at it: the
// payload envelope and one schema per data type. Strict objects, so a sender cannot smuggle fields
// (Polykey took `isRead` from the sender's payload, B8).
import * as v from 'valibot';
import { isNodeId, isNotificationId, isVaultId, type NodeId, type NotificationId } from '../ids/index.js';
import { vaultActions, type NotificationData, type VaultAction } from '../types.js';
import type { NotificationPayload } from './types.js';
import { utf8 } from '../utils/bytes.js';

/** Limits a person can be told about: a token, a vault name (as vault names are), a message. */
export const maxTokenBytes = 16 * 1024;
export const maxVaultNameBytes = 255;
export const maxMessageChars = 10_000;

const nodeId = v.custom<NodeId>(isNodeId, 'not a valid NodeId');
const notificationId = v.custom<NotificationId>(isNotificationId, 'not a valid notification id');
const vaultId = v.custom<string>(isVaultId, 'not a valid VaultId');
const vaultName = v.pipe(
  v.string(),
  v.minLength(1, 'the vault name is empty'),
  v.check((s) => utf8.encode(s).length <= maxVaultNameBytes, `the vault name is over ${maxVaultNameBytes} bytes`),
);
// The nonce of the pairing code an inviter scanned (src/gestalts/pairing-code.ts): 16 bytes, base64url.
const pairingNonce = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/, 'the pairing nonce is not 22 base64url characters'));
const actions = v.pipe(
  v.array(v.picklist(vaultActions as VaultAction[])),
  v.check((a) => new Set(a).size === a.length, 'an action is listed twice'),
);

export const notificationDataSchema = v.variant('type', [
  v.strictObject({ type: v.literal('VaultShare'), vaultId, vaultName, actions }),
  v.strictObject({ type: v.literal('VaultUnshare'), vaultId, vaultName }),
  v.strictObject({ type: v.literal('GestaltInvite'), pairing: v.optional(pairingNonce) }),
  v.strictObject({
    type: v.literal('General'),
    message: v.pipe(v.string(), v.maxLength(maxMessageChars, `the message is over ${maxMessageChars} characters`)),
  }),
]);

export const notificationPayloadSchema = v.strictObject({
  typ: v.literal('notification'),
  iss: nodeId,
  sub: nodeId,
  jti: notificationId,
  iat: v.pipe(v.number(), v.integer(), v.minValue(0)),
  data: notificationDataSchema,
});

function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'it does not match the expected shape';
  const path = issue.path?.map((p) => String(p.key)).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Checks notification data a caller wants to send; the sentence names the first problem. */
export function checkData(value: unknown): NotificationData | string {
  const result = v.safeParse(notificationDataSchema, value);
  return result.success ? (result.output as NotificationData) : firstIssue(result.issues);
}

export function checkPayload(value: unknown): NotificationPayload | string {
  const result = v.safeParse(notificationPayloadSchema, value);
  return result.success ? (result.output as NotificationPayload) : firstIssue(result.issues);
}
