// The pairing code: the text a keynode shows (as a QR code) so that its person's other, already
// set-up keynode can scan it and link the two in one step (docs/gestalts.md, "Pairing").
//
//   keynode-pair:1:<NodeId>.<nonce>.<expires>.<signature>
//
// NodeId: the keynode to be linked (53 characters); nonce: 16 random bytes, base64url (22); expires:
// seconds since 1970, decimal; signature: that NodeId's Ed25519 signature (base64url, 86) over the
// text before the last dot. The signed text starts with "keynode-pair:", whose ':' no token, peer
// handshake or signaling login input can contain, so no signature made for those can pass as one here.
// The code is not a credential: it lets its holder offer a link, which the shown keynode takes only
// once, only before it expires, and shows at once with a way to undo it.
import { KeynodeError } from '../errors.js';
import { isNodeId, randomBytes, type NodeId } from '../ids/index.js';
import { base64urlDecode, base64urlEncode, verify } from '../keys/crypto.js';
import type { Signer } from '../keys/token.js';
import { utf8 } from '../utils/bytes.js';

export const PAIRING_PREFIX = 'keynode-pair:';
const VERSION = '1';
/** How long a code may be valid: long enough to walk to the other device, short enough to go stale. */
export const MAX_PAIRING_TTL_MS = 10 * 60_000;
/** How far the shown device's clock may run ahead of the scanning one's before a code is refused. */
export const MAX_PAIRING_CLOCK_SKEW_MS = 2 * 60_000;
/** Longer than any well-formed code (about 190 characters): nothing longer is even looked at. */
export const MAX_PAIRING_CODE_CHARS = 256;
const NONCE_BYTES = 16;

const SHAPE = /^keynode-pair:1:(v[0-9a-v]{52})\.([A-Za-z0-9_-]{22})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{86})$/;

export interface PairingOffer {
  nodeId: NodeId;
  /** base64url of 16 random bytes. */
  nonce: string;
  /** Milliseconds since 1970 (a whole second). */
  expiresAt: number;
}

export function newPairingNonce(random: (n: number) => Uint8Array = randomBytes): string {
  return base64urlEncode(random(NONCE_BYTES));
}

/** Signs an offer into its text form. `expiresAt` is rounded down to the second the code carries. */
export async function encodePairingCode(offer: { nonce: string; expiresAt: number }, signer: Signer): Promise<{ code: string; expiresAt: number }> {
  const seconds = Math.floor(offer.expiresAt / 1000);
  const body = `${PAIRING_PREFIX}${VERSION}:${signer.nodeId}.${offer.nonce}.${seconds}`;
  const signature = await signer.sign(utf8.encode(body));
  return { code: `${body}.${base64urlEncode(signature)}`, expiresAt: seconds * 1000 };
}

/** True when the text is meant to be a pairing code (so a field can say so instead of "not a NodeId"). */
export const looksLikePairingCode = (text: string): boolean => text.trim().startsWith(PAIRING_PREFIX);

function invalid(why: string): KeynodeError {
  return new KeynodeError('ErrorGestaltsPairingCodeInvalid', `This is not a usable pairing code: ${why}`);
}

/**
 * Parses and checks a code (strictly: one spelling per code, every size bounded before anything is
 * decoded), its signature and its expiry against `now`. Surrounding whitespace is forgiven.
 */
export async function verifyPairingCode(text: unknown, now: number): Promise<PairingOffer> {
  if (typeof text !== 'string') throw invalid('it is not text.');
  if (text.length > MAX_PAIRING_CODE_CHARS) throw invalid(`it is longer than ${MAX_PAIRING_CODE_CHARS} characters.`);
  const code = text.trim();
  if (!code.startsWith(PAIRING_PREFIX)) throw invalid('it does not start with “keynode-pair:”.');
  const version = code.slice(PAIRING_PREFIX.length).split(':', 1)[0];
  if (version !== VERSION) throw invalid(`it is of version ${JSON.stringify(version?.slice(0, 8))}, which this keynode does not know. Update keynode.`);
  const m = SHAPE.exec(code);
  if (m === null) throw invalid('part of it is missing or damaged. Scan or copy it again.');
  const [, nodeId, nonce, seconds, sig] = m as unknown as [string, string, string, string, string];
  if (!isNodeId(nodeId)) throw invalid('the NodeId in it is not a valid NodeId.');
  // base64url of 16 or 64 bytes has spare bits in its last character: only one spelling is taken.
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(sig);
    if (base64urlEncode(base64urlDecode(nonce)) !== nonce || base64urlEncode(signature) !== sig) throw new Error('non-canonical');
  } catch {
    throw invalid('part of it is damaged. Scan or copy it again.');
  }
  const body = code.slice(0, code.length - sig.length - 1);
  if (!(await verify(nodeId, utf8.encode(body), signature))) {
    throw new KeynodeError(
      'ErrorGestaltsPairingCodeSignature',
      'This pairing code is not signed by the keynode it names: it was altered or made up. Do not link.',
    );
  }
  const expiresAt = Number(seconds) * 1000;
  if (expiresAt <= now) {
    throw new KeynodeError('ErrorGestaltsPairingCodeExpired', 'This pairing code has expired. Show a new one on the other keynode and scan that.', {
      data: { expiresAt },
    });
  }
  if (expiresAt > now + MAX_PAIRING_TTL_MS + MAX_PAIRING_CLOCK_SKEW_MS) {
    throw invalid('it claims to stay valid for longer than 10 minutes, which no keynode makes. Check both devices’ clocks.');
  }
  return { nodeId, nonce, expiresAt };
}
