// Test helpers for sigchains: real Ed25519 identities on in-memory storage, and a builder for chains
// written by hand (so tests can produce chains our own Sigchain would refuse to write).
import { loadOrCreateIdentity, type Identity } from '../../../src/keys/identity.js';
import { addSignature, signToken, type Signer } from '../../../src/keys/token.js';
import { claimDigest, type ClaimFields, type SignedClaim } from '../../../src/sigchain/index.js';
import { memoryKV } from '../acl/helpers.js';

export async function newIdentity(label = 'id'): Promise<Identity> {
  return loadOrCreateIdentity(await memoryKV(label));
}

/** Builds a correctly chained list: claim i is signed by `owner` and then by each of `cosigners[i]`. */
export async function buildChain(owner: Signer, fields: ClaimFields[], cosigners: Signer[][] = []): Promise<SignedClaim[]> {
  const chain: SignedClaim[] = [];
  for (let i = 0; i < fields.length; i++) {
    const prev = chain[i - 1];
    const payload = { ...fields[i]!, jti: `claim-${i}`, seq: i + 1, iat: 1_700_000_000 + i, prevDigest: prev ? claimDigest(prev) : null };
    let token: SignedClaim = await signToken(payload, owner);
    for (const s of cosigners[i] ?? []) token = await addSignature(token, s);
    chain.push(token);
  }
  return chain;
}
