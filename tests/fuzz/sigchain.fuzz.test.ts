// Fuzzing sigchains (src/sigchain/verify.ts, utils.ts): what `discover` verifies when it fetches
// another keynode's chain. Properties: arbitrary values and mutated real chains — a field changed,
// a signature or header damaged, signatures dropped or shuffled, claims dropped, swapped, repeated or
// replaced — are refused only with ErrorSigchainInvalid, and whatever a mutated chain still yields
// is exactly what the owner signed (a link only with both signatures); every valid chain verifies
// whole, its doubly-signed links reported with their other end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeNodeId, type NodeId } from '../../src/ids/index.js';
import { canonicalJSON, keyPairFromSeed, sign } from '../../src/keys/crypto.js';
import type { Signer } from '../../src/keys/token.js';
import { checkClaimShape, verifySigchain, type ClaimFields, type SignedClaim } from '../../src/sigchain/index.js';
import { buildChain } from '../unit/sigchain/helpers.js';
import { fuzzTimeout, refusalOf } from './refusals.js';
import { fuzzRuns } from './runs.js';

const chainErrors = ['ErrorSigchainInvalid'] as const;

async function signer(seed: number): Promise<Signer> {
  const pair = await keyPairFromSeed(new Uint8Array(32).fill(seed));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (m) => sign(pair.privateKey, m) };
}
const [owner, laptop, phone, stranger] = await Promise.all([signer(11), signer(12), signer(13), signer(14)]);

/**
 * Valid chains, built once (signing is the slow part): notes and links, links signed by both ends
 * or (dropped by the verifier, not refused) by the owner only.
 */
type Spec = { fields: ClaimFields; cosigners: Signer[] };
const specs: Spec[][] = [];
for (let n = 0; n < 12; n++) {
  const chain: Spec[] = [];
  for (let i = 0; i < 1 + (n % 5); i++) {
    const other = (n + i) % 2 === 0 ? laptop : phone;
    const kind = (n * 7 + i) % 4;
    if (kind === 0) chain.push({ fields: { typ: 'Note', text: `note ${n}.${i}` }, cosigners: [] });
    else if (kind === 1) chain.push({ fields: { typ: 'ClaimLinkNode', iss: owner.nodeId, sub: other.nodeId }, cosigners: [other] });
    else if (kind === 2) chain.push({ fields: { typ: 'ClaimLinkNode', iss: other.nodeId, sub: owner.nodeId }, cosigners: [other] });
    else chain.push({ fields: { typ: 'ClaimLinkNode', iss: owner.nodeId, sub: other.nodeId }, cosigners: [] });
  }
  specs.push(chain);
}
const chains: SignedClaim[][] = await Promise.all(
  specs.map((s) =>
    buildChain(
      owner,
      s.map((c) => c.fields),
      s.map((c) => c.cosigners),
    ),
  ),
);

/** What the owner signed at each seq, to compare anything a mutated chain still yields. */
const signedPayload = (chain: SignedClaim[], seq: number) => canonicalJSON(chain[seq - 1]!.payload);

type Mutation = { at: number; how: number; value: unknown; char: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  how: fc.nat({ max: 10 }),
  value: fc.jsonValue({ maxDepth: 2 }),
  char: fc.constantFrom('A', 'B', '_', '-', '0', '!'),
});

function damage(text: string, at: number, char: string): string {
  const i = at % Math.max(1, text.length);
  return text.slice(0, i) + (text[i] === char ? 'Z' : char) + text.slice(i + 1);
}

function mutate(original: SignedClaim[], mutations: Mutation[]): unknown[] {
  const chain = structuredClone(original) as Array<{ payload: Record<string, unknown>; signatures: Array<Record<string, string>> } | unknown>;
  for (const m of mutations) {
    if (chain.length === 0) break;
    const i = m.at % chain.length;
    const claim = chain[i] as { payload: Record<string, unknown>; signatures: Array<Record<string, string>> };
    // A claim an earlier mutation replaced by some other value has no fields left to change.
    const whole = typeof claim === 'object' && claim !== null && typeof claim.payload === 'object' && claim.payload !== null && Array.isArray(claim.signatures);
    if (!whole && m.how <= 5) continue;
    const fields = ['typ', 'iss', 'sub', 'jti', 'seq', 'iat', 'prevDigest', 'text', 'extra'];
    switch (m.how) {
      case 0: {
        const field = fields[m.at % fields.length]!;
        claim.payload[field] = field === 'iss' || field === 'sub' ? [owner, laptop, phone][m.at % 3]!.nodeId : m.value;
        break;
      }
      case 1:
        if (typeof claim.signatures[0]?.signature === 'string') claim.signatures[0].signature = damage(claim.signatures[0].signature, m.at, m.char);
        break;
      case 2:
        if (typeof claim.signatures[0]?.protected === 'string') claim.signatures[0].protected = damage(claim.signatures[0].protected, m.at, m.char);
        break;
      case 3:
        claim.signatures.splice(m.at % Math.max(1, claim.signatures.length), 1);
        break;
      case 4:
        claim.signatures.reverse();
        break;
      case 5:
        claim.signatures.push(...claim.signatures.slice(0, 1));
        break;
      case 6:
        chain.splice(i, 1);
        break;
      case 7:
        chain.splice(i, 0, chain[(i + 1) % chain.length]);
        break;
      case 8: {
        const j = (m.at >> 3) % chain.length;
        [chain[i], chain[j]] = [chain[j], chain[i]];
        break;
      }
      case 9:
        chain[i] = m.value;
        break;
      default:
        if (whole) claim.signatures = m.value as never;
    }
  }
  return chain;
}

describe('sigchains (fuzz)', () => {
  it(
    'arbitrary values are verified or refused with ErrorSigchainInvalid, never a crash',
    async () => {
      const claimish = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({
          payload: fc.dictionary(fc.constantFrom('typ', 'iss', 'sub', 'jti', 'seq', 'iat', 'prevDigest'), fc.jsonValue({ maxDepth: 1 })),
          signatures: fc.jsonValue({ maxDepth: 2 }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.array(claimish, { maxLength: 4 })), async (value) => {
          await refusalOf(() => verifySigchain(owner.nodeId, value), chainErrors);
          if (Array.isArray(value)) for (const c of value) await refusalOf(() => checkClaimShape(c), chainErrors);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'every valid chain verifies whole; doubly-signed links name their other end, half-signed ones are dropped',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: chains.length - 1 }), async (n) => {
          const verified = await verifySigchain(owner.nodeId, structuredClone(chains[n]!));
          const expected = specs[n]!.flatMap((s, i) => (s.fields.typ === 'ClaimLinkNode' && s.cosigners.length === 0 ? [] : [i + 1]));
          expect(verified.map((c) => c.seq)).toEqual(expected);
          for (const c of verified) {
            const spec = specs[n]![c.seq - 1]!;
            expect(c.linked).toBe(spec.fields.typ === 'ClaimLinkNode' ? spec.cosigners[0]!.nodeId : undefined);
          }
          // Against the NodeId of a keynode that signed none of it, the same chain is refused.
          expect(await refusalOf(() => verifySigchain(stranger.nodeId as NodeId, chains[n]!), chainErrors)).toEqual({ code: 'ErrorSigchainInvalid' });
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a mutated chain is refused, or yields only what the owner signed',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: chains.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (n, mutations) => {
          const original = chains[n]!;
          const outcome = await refusalOf(() => verifySigchain(owner.nodeId, mutate(original, mutations)), chainErrors);
          if (!('value' in outcome)) return;
          for (const c of outcome.value) {
            expect(canonicalJSON(c.payload)).toBe(signedPayload(original, c.seq));
            if (c.linked !== undefined) {
              const spec = specs[n]![c.seq - 1]!;
              expect(spec.cosigners.map((s) => s.nodeId)).toContain(c.linked);
            }
          }
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
