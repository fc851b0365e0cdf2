// Signed tokens: a JSON payload with one or more Ed25519 signatures, each naming its signer (kid).
// Used for notifications (one signature) and sigchain claims (ClaimLinkNode carries two).
// Signed bytes: base64url(canonicalJSON(payload)) + "." + base64url(canonicalJSON(protected)),
// payload first, as Polykey does.
import { KeynodeError } from '../errors.js';
import { isNodeId, type NodeId } from '../ids/index.js';
import { base64urlDecode, base64urlEncode, canonicalJSON, verify } from './crypto.js';
import { utf8 } from '../utils/bytes.js';

export interface TokenHeader {
  alg: 'EdDSA';
  kid: NodeId;
}

export interface TokenSignature {
  protected: string; // base64url(canonicalJSON(header))
  signature: string; // base64url(64-byte Ed25519 signature)
}

export interface SignedToken<P> {
  payload: P;
  signatures: TokenSignature[];
}

export type Signer = { nodeId: NodeId; sign(message: Uint8Array): Promise<Uint8Array> };

function signingInput(payload: unknown, protectedHeader: string): Uint8Array {
  return utf8.encode(base64urlEncode(utf8.encode(canonicalJSON(payload))) + '.' + protectedHeader);
}

export async function signToken<P>(payload: P, signer: Signer): Promise<SignedToken<P>> {
  return addSignature({ payload, signatures: [] }, signer);
}

export async function addSignature<P>(token: SignedToken<P>, signer: Signer): Promise<SignedToken<P>> {
  const header: TokenHeader = { alg: 'EdDSA', kid: signer.nodeId };
  const protectedHeader = base64urlEncode(utf8.encode(canonicalJSON(header)));
  const signature = await signer.sign(signingInput(token.payload, protectedHeader));
  return {
    payload: token.payload,
    signatures: [...token.signatures, { protected: protectedHeader, signature: base64urlEncode(signature) }],
  };
}

function readHeader(sig: TokenSignature): TokenHeader | undefined {
  try {
    const header = JSON.parse(utf8.decode(base64urlDecode(sig.protected))) as Partial<TokenHeader>;
    if (header.alg !== 'EdDSA' || !isNodeId(header.kid)) return undefined;
    return { alg: 'EdDSA', kid: header.kid };
  } catch {
    return undefined;
  }
}

/** The NodeIds whose signatures on the token verify. Malformed signatures are ignored, never thrown. */
export async function verifiedSigners(token: SignedToken<unknown>): Promise<Set<NodeId>> {
  const signers = new Set<NodeId>();
  if (!Array.isArray(token?.signatures)) return signers;
  // A payload that cannot be canonicalised (undefined, NaN) was never signed: nobody verifies.
  let payloadPart: string;
  try {
    payloadPart = base64urlEncode(utf8.encode(canonicalJSON(token.payload)));
  } catch {
    return signers;
  }
  for (const sig of token.signatures) {
    if (typeof sig?.protected !== 'string' || typeof sig.signature !== 'string') continue;
    const header = readHeader(sig);
    if (header === undefined) continue;
    let signature: Uint8Array;
    try {
      signature = base64urlDecode(sig.signature);
    } catch {
      continue;
    }
    if (await verify(header.kid, utf8.encode(payloadPart + '.' + sig.protected), signature)) signers.add(header.kid);
  }
  return signers;
}

/** Parses the JSON text form of a token, checking only its shape. */
export function parseToken(text: string, maxBytes = 64 * 1024): SignedToken<unknown> {
  // A character is at least one UTF-8 byte, so the cheap length test first, then the real size.
  if (typeof text !== 'string' || text.length > maxBytes || utf8.encode(text).length > maxBytes) {
    throw new KeynodeError('ErrorNotificationsParse', 'The signed token is missing or too large.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeynodeError('ErrorNotificationsParse', 'The signed token is not valid JSON.');
  }
  const t = value as Partial<SignedToken<unknown>>;
  if (typeof t !== 'object' || t === null || typeof t.payload !== 'object' || t.payload === null || !Array.isArray(t.signatures)) {
    throw new KeynodeError('ErrorNotificationsParse', 'The signed token does not have a payload and signatures.');
  }
  return { payload: t.payload, signatures: t.signatures };
}
