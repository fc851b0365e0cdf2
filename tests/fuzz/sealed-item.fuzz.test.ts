// Fuzzing sealed mailbox items (src/notifications/sealed-item.ts over src/keys/sealed-box.ts): what
// any signaling server, or anyone who can deposit, may hand a keynode as a mailbox item.
// Properties: arbitrary text, random boxes of every plausible shape, and real items with bytes
// changed, cut or added are refused only with ErrorNotificationsSealedInvalid — and a changed real
// item never opens to anything but what was sealed; every token seals and opens to itself at a
// bucket's size; the whole mailbox path (open, then verify) refuses only with its three codes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotificationIdGenerator, type NodeId } from '../../src/ids/index.js';
import { base64urlEncode } from '../../src/keys/crypto.js';
import { loadOrCreateIdentity } from '../../src/keys/identity.js';
import { MIN_BUCKET, SEALED_BOX_OVERHEAD, SEALED_BOX_VERSION } from '../../src/keys/sealed-box.js';
import { signNotification, verifyNotification } from '../../src/notifications/index.js';
import { maxSealedItemChars, openMailboxItem, sealForMailbox } from '../../src/notifications/sealed-item.js';
import { openNodeStorage } from '../../src/platform/node-storage.js';
import { fuzzTimeout, refusalOf } from './refusals.js';
import { fuzzRuns } from './runs.js';

const sealedErrors = ['ErrorNotificationsSealedInvalid'] as const;
const mailboxErrors = ['ErrorNotificationsSealedInvalid', 'ErrorNotificationsParse', 'ErrorNotificationsVerificationFailed'] as const;

const identity = async (label: string) => loadOrCreateIdentity((await openNodeStorage('memory', `sealed-fuzz-${label}-${process.pid}`)).kv);
const [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
const ids = new NotificationIdGenerator();
const token = await signNotification(
  { typ: 'notification', iss: alice.nodeId, sub: bob.nodeId as NodeId, jti: ids.next(), iat: Date.now(), data: { type: 'General', message: 'fuzz me' } },
  alice,
);
const realItem = await sealForMailbox(bob.nodeId, token);
const realBox = Buffer.from(realItem, 'base64url');

/** Bytes changed as a broken or hostile carrier would: replaced, cut, inserted. */
function mutate(bytes: Uint8Array, edits: Array<[number, number, number]>): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const [at, byte, how] of edits) {
    const i = at % (out.length + 1);
    if (how === 0 && i < out.length) out[i] = out[i] === byte ? byte ^ 0xff : byte;
    else if (how === 1) out = out.slice(0, i);
    else out = Uint8Array.from([...out.subarray(0, i), byte, ...out.subarray(i)]);
  }
  return out;
}
const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 2 })), { minLength: 1, maxLength: 4 });

/** Boxes of every plausible shape: right or wrong version, bucket or not, random or real header. */
const boxish = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc
    .record({
      bucket: fc.constantFrom(512, 1024, 2048, 4096, 3 * 1024),
      version: fc.constantFrom(SEALED_BOX_VERSION, 0, 2, 0xff),
      fill: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    })
    .map(({ bucket, version, fill }) => {
      const box = new Uint8Array(bucket + SEALED_BOX_OVERHEAD);
      for (let i = 0; i < box.length; i += fill.length) box.set(fill.subarray(0, box.length - i), i);
      box[0] = version;
      return box;
    }),
  // The real item's header (a valid ephemeral key) over random ciphertext.
  fc.uint8Array({ minLength: realBox.length - 33, maxLength: realBox.length - 33 }).map((rest) => Uint8Array.from([...realBox.subarray(0, 33), ...rest])),
);

describe('sealed mailbox items (fuzz)', () => {
  it(
    'arbitrary text is refused with ErrorNotificationsSealedInvalid (an unsealed "{" token is passed on as it is)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.base64String({ maxLength: 1200 }),
            fc.string({ unit: fc.constantFrom('A', '-', '_', 'z', '9'), maxLength: maxSealedItemChars + 40 }),
          ),
          async (text) => {
            const outcome = await refusalOf(() => openMailboxItem(bob, text), sealedErrors);
            if ('value' in outcome) expect(text.startsWith('{') && outcome.value === text).toBe(true);
          },
        ),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'random boxes of every plausible shape are refused with ErrorNotificationsSealedInvalid',
    async () => {
      await fc.assert(
        fc.asyncProperty(boxish, async (box) => {
          const outcome = await refusalOf(() => openMailboxItem(bob, base64urlEncode(box)), sealedErrors);
          expect('code' in outcome).toBe(true);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a real item with bytes changed, cut or added is refused, or opens to exactly what was sealed',
    async () => {
      await fc.assert(
        fc.asyncProperty(edits, async (e) => {
          const outcome = await refusalOf(() => openMailboxItem(bob, base64urlEncode(mutate(realBox, e))), sealedErrors);
          if ('value' in outcome) expect(outcome.value).toBe(token);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    "every token text seals and opens to itself, at a bucket's size, and at nobody else",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 3000 }), async (text) => {
          const item = await sealForMailbox(bob.nodeId, text);
          expect(await openMailboxItem(bob, item)).toBe(text);
          const bucket = Buffer.from(item, 'base64url').length - SEALED_BOX_OVERHEAD;
          expect(bucket >= MIN_BUCKET && (bucket & (bucket - 1)) === 0).toBe(true);
          expect('code' in (await refusalOf(() => openMailboxItem(alice, item), sealedErrors))).toBe(true);
        }),
        { numRuns: fuzzRuns(100) },
      );
    },
    fuzzTimeout(),
  );

  it(
    'the whole mailbox path — open, then verify — refuses a mutated item only with its own codes',
    async () => {
      await fc.assert(
        fc.asyncProperty(edits, fc.boolean(), async (e, sealAgain) => {
          // Either the box is damaged, or a damaged token is sealed properly (a sealer that lies inside).
          const text = sealAgain
            ? await sealForMailbox(bob.nodeId, Buffer.from(mutate(Buffer.from(token), e)).toString('latin1'))
            : base64urlEncode(mutate(realBox, e));
          const outcome = await refusalOf(async () => verifyNotification(await openMailboxItem(bob, text)), mailboxErrors);
          if ('value' in outcome) expect(outcome.value.iss).toBe(alice.nodeId);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
