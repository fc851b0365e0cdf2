// Checks a login: the signature must be the NodeId's Ed25519 signature over this connection's nonce
// and one of the URLs this server is reached at. Binding the URL means a server that relays our
// challenge to a victim gets a signature for its own URL, which the real server refuses.
import { randomBytes, type NodeId } from '../../src/ids/index.js';
import { base64urlDecode, base64urlEncode, verify } from '../../src/keys/crypto.js';
import { loginSignatureInput } from './protocol.js';

export function newNonce(): string {
  return base64urlEncode(randomBytes(32));
}

/** True when `signature` (base64url) signs the login input for `nonce` and any of `publicUrls`. */
export async function verifyLogin(nodeId: NodeId, nonce: string, signature: string, publicUrls: readonly string[]): Promise<boolean> {
  const sig = base64urlDecode(signature);
  for (const url of publicUrls) {
    if (await verify(nodeId, loginSignatureInput(nonce, url), sig)) return true;
  }
  return false;
}
