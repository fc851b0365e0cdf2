// Checks a login: the signature must be the NodeId's Ed25519 signature over this connection's nonce
// and one of the URLs this server is reached at. Binding the URL means a server that relays our
// challenge to a victim gets a signature for its own URL, which the real server refuses.
import { randomBytes } from 'node:crypto';
import { decodeBase64url } from '../../protocol/encoding.js';
import { verify, type NodeId } from '../../protocol/node-id.js';
import { loginSignatureInput } from '../../protocol/signaling.js';

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `signature` (base64url, in its one canonical spelling) signs the login input for `nonce` and any of `publicUrls`. */
export async function verifyLogin(nodeId: NodeId, nonce: string, signature: string, publicUrls: readonly string[]): Promise<boolean> {
  const sig = decodeBase64url(signature);
  if (sig === undefined) return false;
  for (const url of publicUrls) {
    if (await verify(nodeId, loginSignatureInput(nonce, url), sig)) return true;
  }
  return false;
}
