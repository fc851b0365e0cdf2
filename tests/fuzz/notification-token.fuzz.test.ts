// Fuzzing notification tokens (src/notifications/notification-token.ts over src/keys/token.ts) and
// the share-link wrapper around them (src/notifications/share-link.ts): what arrives from any peer,
// any mailbox and any pasted link. Properties: arbitrary text and mutated real tokens are refused
// only with ErrorNotificationsParse / ErrorNotificationsVerificationFailed, and a token that still
// verifies after a mutation says exactly what was signed (nothing was forged); every valid
// notification signs, verifies and survives a share link unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotificationIdGenerator, encodeNodeId, generateVaultId, type NodeId } from '../../src/ids/index.js';
import { canonicalJSON, keyPairFromSeed, sign } from '../../src/keys/crypto.js';
import type { Signer } from '../../src/keys/token.js';
import { buildShareLink, signNotification, tokenFromLink, verifyNotification, type NotificationPayload } from '../../src/notifications/index.js';
import { fuzzTimeout, refusalOf } from './refusals.js';
import { fuzzRuns } from './runs.js';

const tokenErrors = ['ErrorNotificationsParse', 'ErrorNotificationsVerificationFailed'] as const;

async function signer(seed: number): Promise<Signer> {
  const pair = await keyPairFromSeed(new Uint8Array(32).fill(seed));
  return { nodeId: encodeNodeId(pair.publicKey), sign: (m) => sign(pair.privateKey, m) };
}
const [alice, bob] = await Promise.all([signer(1), signer(2)]);
const ids = new NotificationIdGenerator();

const data = fc.oneof(
  fc.record({
    type: fc.constant('VaultShare' as const),
    vaultId: fc.constant(null).map(() => generateVaultId()),
    vaultName: fc.string({ minLength: 1, maxLength: 40 }),
    actions: fc.subarray(['clone', 'pull'] as Array<'clone' | 'pull'>),
  }),
  fc.record({
    type: fc.constant('VaultUnshare' as const),
    vaultId: fc.constant(null).map(() => generateVaultId()),
    vaultName: fc.string({ minLength: 1, maxLength: 40 }),
  }),
  fc.constant({ type: 'GestaltInvite' as const }),
  fc.record({ type: fc.constant('General' as const), message: fc.string({ maxLength: 200 }) }),
);

const payload: fc.Arbitrary<NotificationPayload> = fc.record({ iat: fc.nat({ max: 2 ** 45 }), data, toBob: fc.boolean() }).map(({ iat, data: d, toBob }) => ({
  typ: 'notification' as const,
  iss: alice.nodeId,
  sub: (toBob ? bob.nodeId : alice.nodeId) as NodeId,
  jti: ids.next(),
  iat,
  data: d,
}));

/** Text changed as a broken or hostile carrier would: characters replaced, cut, inserted. */
function mutate(text: string, edits: Array<[number, string, number]>): string {
  let out = text;
  for (const [at, ch, how] of edits) {
    const i = at % (out.length + 1);
    if (how === 0) out = out.slice(0, i) + ch + out.slice(i + 1);
    else if (how === 1) out = out.slice(0, i);
    else out = out.slice(0, i) + ch + out.slice(i);
  }
  return out;
}
const edits = fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', '{', '}', ',', ':', '0', 'a', 'v', '\\', ' ', 'é', '\u0000'), fc.nat({ max: 2 })), {
  minLength: 1,
  maxLength: 3,
});

/** JSON that looks more and more like a token: an object with payload and signatures of any shape. */
const tokenish = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record({ payload: fc.jsonValue({ maxDepth: 3 }), signatures: fc.array(fc.record({ protected: fc.string(), signature: fc.string() }), { maxLength: 3 }) })
    .map((v) => JSON.stringify(v)),
);

describe('notification tokens (fuzz)', () => {
  it(
    'arbitrary text is verified or refused with a notification error, never a crash',
    async () => {
      await fc.assert(
        fc.asyncProperty(tokenish, async (text) => {
          await refusalOf(() => verifyNotification(text), tokenErrors);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'every valid notification signs, verifies to itself, and survives a share link',
    async () => {
      await fc.assert(
        fc.asyncProperty(payload, async (p) => {
          const text = await signNotification(p, alice);
          expect(await verifyNotification(text)).toEqual(p);
          expect(tokenFromLink(buildShareLink('https://keynode.example/', text))).toBe(text);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a mutated real token is refused, or verifies as exactly what was signed',
    async () => {
      await fc.assert(
        fc.asyncProperty(payload, edits, async (p, e) => {
          const text = await signNotification(p, alice);
          const outcome = await refusalOf(() => verifyNotification(mutate(text, e)), tokenErrors);
          if ('value' in outcome) expect(canonicalJSON(outcome.value)).toBe(canonicalJSON(p));
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a real token with its payload changed field by field is refused (the signature covers every field)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          payload,
          fc.constantFrom('iss', 'sub', 'jti', 'iat', 'data', 'typ', 'extra'),
          fc.jsonValue({ maxDepth: 2 }),
          async (p, field, value) => {
            const token = JSON.parse(await signNotification(p, alice)) as { payload: Record<string, unknown> };
            const before = canonicalJSON(token.payload);
            token.payload[field] = field === 'iss' ? bob.nodeId : field === 'sub' ? (p.sub === bob.nodeId ? alice.nodeId : bob.nodeId) : value;
            fc.pre(canonicalJSON(token.payload) !== before);
            const outcome = await refusalOf(() => verifyNotification(JSON.stringify(token)), tokenErrors);
            expect('code' in outcome).toBe(true);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'arbitrary pasted text as a share link is a token text or ErrorNotificationsParse',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.string({ maxLength: 120 }).map((s) => `https://k.example/#share=${s}`),
          ),
          async (text) => {
            await refusalOf(() => tokenFromLink(text), ['ErrorNotificationsParse']);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
