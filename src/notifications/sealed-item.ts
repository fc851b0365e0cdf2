// What the signaling mailbox holds: a notification token sealed to its recipient
// (src/keys/sealed-box.ts), as base64url text. The server sees its size — one of a few buckets —
// and who deposited it, never the token, its sender or what it shares. The recipient opens it,
// then verifies the token inside exactly as one that came over a peer channel (receive.ts); a box
// proves nothing about its maker, the token's signature does.
import { KeynodeError } from '../errors.js';
import type { NodeId } from '../ids/index.js';
import { base64urlDecode, base64urlEncode } from '../keys/crypto.js';
import type { Identity } from '../keys/identity.js';
import { sealedSize, sealTo } from '../keys/sealed-box.js';
import { maxTokenBytes } from './schema.js';
import { utf8 } from '../utils/bytes.js';

/** Separates mailbox boxes from any other use of sealed boxes. */
const LABEL = 'keynode/mailbox-item/v1';

/** The longest sealed item (the largest token's box, in base64url): the signaling server's bound. */
export const maxSealedItemChars = Math.ceil((sealedSize(maxTokenBytes) * 4) / 3);

function invalid(why: string): KeynodeError {
  return new KeynodeError('ErrorNotificationsSealedInvalid', `A mailbox item could not be opened: ${why}. It was dropped; nothing else was affected.`);
}

/** Seals a signed token for `to`'s mailbox. */
export async function sealForMailbox(to: NodeId, token: string): Promise<string> {
  return base64urlEncode(await sealTo(to, utf8.encode(token), LABEL, maxTokenBytes));
}

/**
 * The token inside a mailbox item sealed to `identity`; ErrorNotificationsSealedInvalid for
 * anything else. The length is checked before the text is decoded.
 *
 * Transition: a keynode of an earlier version leaves tokens unsealed (JSON text, so it starts with
 * "{", which base64url never does). They are passed on as they are, and receive.ts verifies and
 * binds them to the depositor all the same: refusing them would lose that sender's shares and
 * protect nobody, as only a sender decides whether the server can read its item. The branch can
 * go once earlier versions are no longer in use (docs/protocol.md, "Sealed mailbox items").
 */
export async function openMailboxItem(identity: Pick<Identity, 'unseal'>, text: string): Promise<string> {
  if (typeof text !== 'string' || text.length === 0) throw invalid('it is empty');
  if (text.startsWith('{')) return text;
  if (text.length > maxSealedItemChars) throw invalid(`it is longer than ${maxSealedItemChars} characters`);
  let box: Uint8Array;
  try {
    box = base64urlDecode(text);
  } catch {
    throw invalid('it is not base64url text');
  }
  const plaintext = await identity.unseal(box, LABEL, maxTokenBytes);
  if (plaintext === undefined) throw invalid('it is damaged, or not sealed to this keynode');
  try {
    return utf8.decode(plaintext);
  } catch {
    throw invalid('what it holds is not text');
  }
}
