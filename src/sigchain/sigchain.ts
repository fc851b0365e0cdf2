// This keynode's sigchain: an append-only list of signed claims, hash-chained by prevDigest and
// stored in the `sigchain` store under `claim:<seq, zero-padded>`. prepare() fills in the chain
// fields for the next claim; append() accepts only a token that extends the current head and carries
// the owner's signature (and, for a ClaimLinkNode, the other end's too) — a half-signed link never
// lands on the chain. Signatures are checked before the storage transaction opens; the head is
// re-read and the hash recomputed inside it, so two appends can never both extend the same head.
import { randomBytes, type NodeId } from '../ids/index.js';
import { base64urlEncode } from '../keys/crypto.js';
import { verifiedSigners, type Signer } from '../keys/token.js';
import type { KV, Tx } from '../storage/kv.js';
import type { ClaimFields, ClaimPayload, SignedClaim } from './types.js';
import { checkClaimShape, claimDigest, isClaimLinkNode, sigchainInvalid } from './utils.js';
import { MAX_CHAIN_LENGTH } from './verify.js';

const CLAIM = 'claim:';

function claimKey(seq: number): string {
  return CLAIM + String(seq).padStart(12, '0');
}

/** A token whose shape and signatures were checked; only appendVerified takes it. */
export interface VerifiedAppend {
  readonly token: SignedClaim;
  readonly verifiedFor: NodeId;
}

export interface SigchainOptions {
  clock?: () => number;
  random?: (n: number) => Uint8Array;
}

export class Sigchain {
  private readonly clock: () => number;
  private readonly random: (n: number) => Uint8Array;

  constructor(
    private readonly kv: KV,
    private readonly signer: Signer,
    options: SigchainOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? randomBytes;
  }

  get nodeId(): NodeId {
    return this.signer.nodeId;
  }

  async head(): Promise<SignedClaim | undefined> {
    return this.kv.read((tx) => this.headIn(tx));
  }

  /** Every claim, oldest first: what a peer fetches to discover this keynode's links. */
  async claims(): Promise<SignedClaim[]> {
    return this.kv.read(async (tx) => (await tx.entries<SignedClaim>('sigchain', { prefix: CLAIM })).map(([, t]) => t));
  }

  /** The unsigned payload of the next claim: the given fields plus jti, seq, iat and prevDigest. */
  async prepare<F extends ClaimFields>(fields: F): Promise<F & ClaimPayload> {
    const head = await this.head();
    return {
      ...fields,
      jti: base64urlEncode(this.random(16)),
      seq: head === undefined ? 1 : head.payload.seq + 1,
      iat: Math.floor(this.clock() / 1000),
      prevDigest: head === undefined ? null : claimDigest(head),
    };
  }

  /** Checks a token's shape and signatures (async) so that it can be appended inside a transaction. */
  async verifyForAppend(value: unknown): Promise<VerifiedAppend> {
    const token = checkClaimShape(value);
    const signers = await verifiedSigners(token);
    if (!signers.has(this.nodeId)) throw sigchainInvalid('This claim is not signed by this keynode.');
    if (isClaimLinkNode(token)) {
      const { iss, sub } = token.payload;
      const other = iss === this.nodeId ? sub : sub === this.nodeId ? iss : undefined;
      if (other === undefined) throw sigchainInvalid('This link claim does not involve this keynode.');
      if (!signers.has(other)) throw sigchainInvalid("This link claim lacks the other keynode's signature.");
    }
    return { token, verifiedFor: this.nodeId };
  }

  /** Appends a verified token inside the caller's transaction if it extends the current head. */
  async appendVerified(tx: Tx, verified: VerifiedAppend): Promise<void> {
    if (verified.verifiedFor !== this.nodeId) throw sigchainInvalid('This claim was verified for another sigchain.');
    const { token } = verified;
    const head = await this.headIn(tx);
    const seq = head === undefined ? 1 : head.payload.seq + 1;
    const prevDigest = head === undefined ? null : claimDigest(head);
    if (seq > MAX_CHAIN_LENGTH) {
      throw sigchainInvalid(`The sigchain is full (${MAX_CHAIN_LENGTH} claims): no keynode would accept a longer one.`, { limit: MAX_CHAIN_LENGTH });
    }
    if (token.payload.seq !== seq || token.payload.prevDigest !== prevDigest) {
      throw sigchainInvalid('This claim does not extend the head of the sigchain (it is stale or out of order).', {
        expectedSeq: seq,
        seq: token.payload.seq,
      });
    }
    await tx.put('sigchain', claimKey(seq), token);
  }

  /**
   * A restored keynode taking back its chain from a copy another keynode kept: `claims` (verified by
   * the caller as this keynode's, with verifySigchain) replace the stored chain only if they extend
   * it. Returns how many claims were added.
   */
  async adoptIn(tx: Tx, claims: readonly SignedClaim[]): Promise<number> {
    const stored = await tx.entries<SignedClaim>('sigchain', { prefix: CLAIM });
    if (claims.length <= stored.length) return 0;
    const last = stored[stored.length - 1]?.[1];
    if (last !== undefined && claimDigest(claims[stored.length - 1]!) !== claimDigest(last)) {
      throw sigchainInvalid("The offered chain is not a continuation of this keynode's own chain.");
    }
    for (let i = stored.length; i < claims.length; i++) await tx.put('sigchain', claimKey(i + 1), claims[i]);
    return claims.length - stored.length;
  }

  async append(value: unknown): Promise<void> {
    const verified = await this.verifyForAppend(value);
    await this.kv.write((tx) => this.appendVerified(tx, verified));
  }

  private async headIn(tx: Tx): Promise<SignedClaim | undefined> {
    const last = await tx.entries<SignedClaim>('sigchain', { prefix: CLAIM, reverse: true, limit: 1 });
    return last[0]?.[1];
  }
}
