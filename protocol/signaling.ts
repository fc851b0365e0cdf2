// The signaling wire protocol (docs/protocol.md, "Signaling"): one valibot schema per JSON message,
// shared by signaling-server/ and src/network/signaling-client.ts so both sides check the same shapes.
// Platform-neutral on purpose: the browser bundle imports this file, so no Node modules here.
import * as v from 'valibot';
import { isNodeId, type NodeId } from './node-id.js';

/** Domain separation for the login signature, so it can never be mistaken for another signed text. */
export const LOGIN_CONTEXT = 'keynode-signaling-login';

/**
 * The server URL as both sides write it into the login signature: the WHATWG serialization
 * (`new URL(url).href`, e.g. `ws://127.0.0.1:8787/`), so "ws://h:1" and "ws://h:1/" sign the same.
 */
export function normalizeServerUrl(url: string): string {
  return new URL(url).href;
}

/** Exactly the bytes a keynode signs to log in: utf8 of the context, the nonce and the server URL. */
export function loginSignatureInput(nonce: string, serverUrl: string): Uint8Array {
  return new TextEncoder().encode(`${LOGIN_CONTEXT}\n${nonce}\n${normalizeServerUrl(serverUrl)}`);
}

/** The default largest message either side sends; servers may be configured lower or higher. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * The deepest nesting of arrays and objects either side accepts in one message. SDP and ICE need
 * four levels; without a bound, a 64 KiB message nested 30,000 deep parses, but re-serializing it to
 * relay it (JSON.stringify recurses) overflows the stack.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` nests arrays and objects deeper than `limit`. Counted on the text, skipping
 * strings, so a message is refused before JSON.parse builds anything. Invalid JSON may count
 * wrongly; JSON.parse refuses it afterwards anyway.
 */
export function jsonNestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Close codes the server uses, so a client can tell why it was dropped even if it missed the error. */
export const closeCodes = {
  shutdown: 1001,
  tooLarge: 1009,
  internal: 1011,
  replaced: 4001,
  loginFailed: 4002,
  loginTimeout: 4003,
  rateLimited: 4004,
  serverFull: 4005,
  slowConsumer: 4006,
  dead: 4007,
  /** The server's store (Redis) is unreachable: reconnect in a while. */
  unavailable: 1013,
} as const;

/** Codes carried by `{type:'error', code}`; docs/protocol.md explains each. */
export const wireErrorCodes = [
  'bad-json',
  'binary-not-supported',
  'too-large',
  'unknown-type',
  'invalid-message',
  'not-logged-in',
  'already-logged-in',
  'login-failed',
  'login-timeout',
  'replaced',
  'rate-limited',
  'too-many',
  'mailbox-full',
  'server-full',
  'internal',
  'too-deep',
  'too-many-connections',
  'receiver-busy',
  'mailbox-quota',
  'unavailable',
] as const;
export type WireErrorCode = (typeof wireErrorCodes)[number];

// ---- shared pieces -----------------------------------------------------------------------------

const base64url = (bytes: number) =>
  v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`), `must be ${bytes} bytes in base64url`));

export const NodeIdSchema = v.custom<NodeId>(isNodeId, 'must be a NodeId ("v" followed by 52 lowercase base32hex characters)');
export const NonceSchema = base64url(32);
export const SignatureSchema = base64url(64);
export const MailboxIdSchema = base64url(16);
/** A number the client picks to match a reply or an error to its request; echoed back as is. */
export const RidSchema = v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0)));
/** Opaque JSON (SDP or ICE): the server checks only that it is present and within the size limit. */
export const OpaqueJsonSchema = v.custom<unknown>((x) => x !== undefined, 'is required (any JSON value)');

export const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

export const MailboxItemSchema = v.object({
  id: MailboxIdSchema,
  from: NodeIdSchema,
  token: v.string(),
  at: v.number(),
});
export type MailboxItem = v.InferOutput<typeof MailboxItemSchema>;

// ---- client → server ---------------------------------------------------------------------------

/** The default most contacts a keynode may list; 1000 NodeIds fit in one message under MAX_MESSAGE_BYTES. */
export const MAX_CONTACTS = 1000;

export const clientMessageSchemas = {
  login: v.object({ type: v.literal('login'), nodeId: NodeIdSchema, signature: SignatureSchema }),
  signal: v.object({ type: v.literal('signal'), to: NodeIdSchema, data: OpaqueJsonSchema, rid: RidSchema }),
  watch: v.object({ type: v.literal('watch'), nodeIds: v.array(NodeIdSchema), rid: RidSchema }),
  /** The NodeIds this keynode accepts as contacts: they may see its presence and put to its mailbox first. */
  contacts: v.object({ type: v.literal('contacts'), nodeIds: v.array(NodeIdSchema), rid: RidSchema }),
  'mailbox.put': v.object({
    type: v.literal('mailbox.put'),
    to: NodeIdSchema,
    token: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
    rid: RidSchema,
  }),
  'mailbox.ack': v.object({
    type: v.literal('mailbox.ack'),
    ids: v.pipe(v.array(MailboxIdSchema), v.maxLength(1000, 'may hold at most 1000 ids')),
    rid: RidSchema,
  }),
} as const;
export const ClientMessageSchema = v.variant('type', Object.values(clientMessageSchemas));
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;

// ---- server → client ---------------------------------------------------------------------------

export const RelayedSignalSchema = v.object({ type: v.literal('signal'), from: NodeIdSchema, data: OpaqueJsonSchema });
export const MailboxDeliverySchema = v.object({ type: v.literal('mailbox'), items: v.array(MailboxItemSchema) });

export const ServerMessageSchema = v.variant('type', [
  v.object({ type: v.literal('challenge'), nonce: NonceSchema }),
  v.object({
    type: v.literal('welcome'),
    nodeId: NodeIdSchema,
    iceServers: v.array(IceServerSchema),
    mailbox: v.array(MailboxItemSchema),
  }),
  /** Fresh ICE servers for a long-lived login, sent before the TURN credentials of the last ones expire. */
  v.object({ type: v.literal('ice-servers'), iceServers: v.array(IceServerSchema) }),
  RelayedSignalSchema,
  v.object({ type: v.literal('peer-offline'), nodeId: NodeIdSchema, rid: RidSchema }),
  v.object({ type: v.literal('peer-online'), nodeId: NodeIdSchema }),
  MailboxDeliverySchema,
  v.object({
    type: v.literal('mailbox.stored'),
    id: MailboxIdSchema,
    delivered: v.boolean(),
    rid: RidSchema,
  }),
  v.object({
    type: v.literal('error'),
    code: v.string(),
    message: v.string(),
    rid: RidSchema,
  }),
]);
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
/** What the server builds; `code` is narrowed to the codes it actually sends. */
export type ServerMessageOut = Exclude<ServerMessage, { type: 'error' }> | { type: 'error'; code: WireErrorCode; message: string; rid?: number };

/** One readable sentence out of valibot's issues, e.g. `"to" must be a NodeId (…)`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'The message does not match its schema.';
  const path = v.getDotPath(issue);
  const message = /^Invalid key: .* but received undefined$/.test(issue.message)
    ? 'is required'
    : issue.message.replace(/^Invalid type: Expected (.*) but received (.*)$/, 'must be $1, not $2');
  // valibot quotes the received value; a huge one must not make the error reply huge.
  const short = message.length > 200 ? `${message.slice(0, 200)}…` : message;
  return path === null ? `The message ${short}.` : `Field "${path}" ${short}.`;
}
