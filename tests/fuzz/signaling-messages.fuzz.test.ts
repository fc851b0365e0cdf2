// Fuzzing the signaling parsers both sides share (protocol/signaling.ts), which see every message a
// hostile client sends the server and a hostile server sends a keynode. Properties: the depth check
// that runs before JSON.parse counts exactly the nesting the parse would build, whatever the strings
// hold; the schemas never throw on any JSON, and a refusal reads as one bounded sentence; every
// well-formed message survives the wire unchanged.
import fc from 'fast-check';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientMessageSchema, describeIssues, jsonNestedDeeperThan, ServerMessageSchema, type ClientMessage } from '../../protocol/signaling.js';
import { encodeNodeId, type NodeId } from '../../src/ids/index.js';
import { base64urlEncode, keyPairFromSeed } from '../../src/keys/crypto.js';
import { fuzzTimeout } from './refusals.js';
import { fuzzRuns } from './runs.js';

/** How deep JSON.parse nests `value`: 0 for a scalar, 1 for a flat array or object. */
function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

// Strings full of the characters the depth count must skip inside strings: brackets, quotes, escapes.
const tricky = fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ':');
const shallow = fc.jsonValue({ maxDepth: 4, stringUnit: tricky });
/** A JSON value wrapped in up to 40 more arrays and objects, so depths on both sides of a limit occur. */
const nested = fc
  .tuple(shallow, fc.array(fc.boolean(), { maxLength: 40 }))
  .map(([inner, wraps]) => wraps.reduce<unknown>((x, asArray) => (asArray ? [x] : { '[{': x }), inner));

let nodeIds: NodeId[] = [];
beforeAll(async () => {
  nodeIds = await Promise.all([1, 2, 3].map(async (n) => encodeNodeId((await keyPairFromSeed(new Uint8Array(32).fill(n))).publicKey)));
});

function clientMessage(): fc.Arbitrary<ClientMessage> {
  const nodeId = fc.constantFrom(...nodeIds);
  const b64 = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(base64urlEncode);
  // Requests carry a rid, or not.
  const request = <T extends object>(fields: fc.Arbitrary<T>) =>
    fc.tuple(fields, fc.option(fc.nat(), { nil: undefined })).map(([m, rid]) => (rid === undefined ? m : { ...m, rid }));
  return fc.oneof(
    fc.record({ type: fc.constant('login' as const), nodeId, signature: b64(64) }),
    request(fc.record({ type: fc.constant('signal' as const), to: nodeId, data: shallow.filter((d) => d !== null) })),
    request(fc.record({ type: fc.constantFrom('watch' as const, 'contacts' as const), nodeIds: fc.array(nodeId, { maxLength: 5 }) })),
    request(fc.record({ type: fc.constant('mailbox.put' as const), to: nodeId, token: fc.string({ minLength: 1 }) })),
    request(fc.record({ type: fc.constant('mailbox.ack' as const), ids: fc.array(b64(16), { maxLength: 5 }) })),
  ) as fc.Arbitrary<ClientMessage>;
}

/** A well-formed message with one field replaced by any JSON value, or removed. */
function mangled(): fc.Arbitrary<unknown> {
  return fc.tuple(clientMessage(), fc.nat(), fc.option(fc.jsonValue({ maxDepth: 3 }))).map(([m, at, value]) => {
    const keys = Object.keys(m);
    const key = keys[at % keys.length]!;
    const out: Record<string, unknown> = { ...m };
    if (value === null) delete out[key];
    else out[key] = value;
    return out;
  });
}

describe('signaling messages (fuzz)', () => {
  it(
    'the depth check before JSON.parse counts exactly the nesting the parse builds',
    () => {
      fc.assert(
        fc.property(nested, fc.nat({ max: 40 }), fc.boolean(), (value, limit, pretty) => {
          const text = JSON.stringify(value, null, pretty ? 1 : undefined);
          expect(jsonNestedDeeperThan(text, limit)).toBe(depth(JSON.parse(text)) > limit);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'the schemas take any JSON without throwing, and refuse with one short sentence',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mangled()), (value) => {
          for (const schema of [ClientMessageSchema, ServerMessageSchema]) {
            const parsed = v.safeParse(schema, value);
            if (parsed.success) continue;
            const sentence = describeIssues(parsed.issues);
            expect(sentence).toMatch(/^(Field "[^"]+"|The message) /);
            expect(sentence.length).toBeLessThanOrEqual(300);
          }
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'every well-formed client message crosses the wire unchanged',
    () => {
      fc.assert(
        fc.property(clientMessage(), (message) => {
          // What the wire carries (JSON has no -0, for one), which the schema must pass on untouched.
          const sent: unknown = JSON.parse(JSON.stringify(message));
          const parsed = v.safeParse(ClientMessageSchema, sent);
          expect(parsed.success ? parsed.output : describeIssues(parsed.issues)).toEqual(sent);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
