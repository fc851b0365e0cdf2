// Fuzzing the peer RPC's frames (src/network/rpc-frames.ts) and its body reader
// (src/network/rpc-body.ts), which see every byte a hostile peer sends after the handshake.
// Properties: arbitrary and mutated frames never crash the decoder and are refused only with
// ErrorRpcFrameInvalid / ErrorRpcTooLarge; every valid frame round-trips, and every frame the decoder
// accepts re-encodes to the same bytes (one encoding per frame); the body reader never buffers more
// than its window, never passes its limit, hands out exactly the accepted bytes in order, and
// throws nothing but the error it was failed with.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeynodeError } from '../../src/errors.js';
import { MAX_MESSAGE_BYTES } from '../../src/network/byte-channel.js';
import { InboundBody } from '../../src/network/rpc-body.js';
import { decodeFrame, encodeFrame, FrameKind, type Frame } from '../../src/network/rpc-frames.js';
import { fuzzTimeout, refusalOf } from './refusals.js';
import { fuzzRuns } from './runs.js';

const frameErrors = ['ErrorRpcFrameInvalid', 'ErrorRpcTooLarge'] as const;

const id = fc.nat({ max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const methodPart = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), fc.string({ unit: fc.constantFrom(...'abcXYZ019'), maxLength: 8 }))
  .map(([a, b]) => a + b);
const method = fc
  .array(methodPart, { minLength: 1, maxLength: 4 })
  .map((p) => p.join('.'))
  .filter((m) => m.length <= 64);

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), id, method, header: bytes(64) }),
  fc.record({ kind: fc.constant('reply' as const), id, header: bytes(64) }),
  fc.record({ kind: fc.constant('data' as const), id, data: fc.uint8Array({ minLength: 1, maxLength: 128 }) }),
  fc.record({ kind: fc.constantFrom('end' as const, 'cancel' as const), id }),
  fc.record({ kind: fc.constant('error' as const), id, error: bytes(64) }),
  fc.record({ kind: fc.constant('credit' as const), id, bytes: fc.nat({ max: 0xffffffff }) }),
  // Heartbeats live on stream 0 only.
  fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), id: fc.constant(0) }),
);

/** A valid frame's bytes, changed the way a broken or hostile peer would: flipped, cut, grown, re-kinded. */
const mutated = fc
  .tuple(frame.map(encodeFrame), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 4 })), { minLength: 1, maxLength: 4 }))
  .map(([b, edits]) => {
    let out = b;
    for (const [at, value, how] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (how === 0 && out.length > 0) (out = out.slice())[i] = value;
      else if (how === 1) out = out.subarray(0, i);
      else if (how === 2) out = Uint8Array.from([...out, value]);
      else if (how === 3 && out.length > 0) (out = out.slice())[0] = value % 9;
      else out = Uint8Array.from([...out.subarray(0, i), value, ...out.subarray(i)]);
    }
    return out;
  });

/** Bytes that start like a frame (a kind 0–10 and an id) more often than pure noise would. */
const arbitraryMessage = fc.oneof(
  bytes(200),
  fc.tuple(fc.nat({ max: 10 }), fc.oneof(id, fc.constant(0)), bytes(100)).map(([k, i, p]) => encodeRaw(k, i, p)),
);

function encodeRaw(kind: number, streamId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, streamId);
  out.set(payload, 5);
  return out;
}

describe('RPC frames (fuzz)', () => {
  it(
    'arbitrary and mutated messages are decoded or refused with a frame error; whatever decodes re-encodes to the same bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(arbitraryMessage, mutated), async (message) => {
          const outcome = await refusalOf(() => decodeFrame(message), frameErrors);
          if ('value' in outcome) expect(encodeFrame(outcome.value)).toEqual(message);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'every valid frame round-trips',
    () => {
      fc.assert(
        fc.property(frame, (f) => {
          const decoded = decodeFrame(encodeFrame(f));
          expect({ ...decoded }).toEqual({ ...f });
          expect(FrameKind[decoded.kind]).toBe(FrameKind[f.kind]);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a message over the size limit is ErrorRpcTooLarge whatever it holds',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 10 }), fc.integer({ min: 1, max: 4096 }), async (kind, extra) => {
          const message = new Uint8Array(MAX_MESSAGE_BYTES + extra);
          message[0] = kind;
          expect(await refusalOf(() => decodeFrame(message), frameErrors)).toEqual({ code: 'ErrorRpcTooLarge' });
        }),
        { numRuns: Math.min(fuzzRuns(), 1000) },
      );
    },
    fuzzTimeout(),
  );
});

type BodyOp = { op: 'push'; size: number } | { op: 'read' } | { op: 'end' } | { op: 'fail' } | { op: 'return' };
const bodyOp: fc.Arbitrary<BodyOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('push' as const), size: fc.integer({ min: 0, max: 48 }) }), weight: 4 },
  { arbitrary: fc.constant({ op: 'read' as const }), weight: 3 },
  fc.constant({ op: 'end' as const }),
  fc.constant({ op: 'fail' as const }),
  fc.constant({ op: 'return' as const }),
);

describe('RPC body reader (fuzz)', () => {
  it(
    'any sequence of pushes, reads, ends, failures and early returns keeps the window, the limit and the order',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 160 }), fc.array(bodyOp, { maxLength: 40 }), async (window, limit, ops) => {
          const consumed: number[] = [];
          let cancelled = 0;
          const body = new InboundBody({ consumed: (n) => consumed.push(n), cancelled: () => (cancelled += 1) }, window, limit);
          const reader = body[Symbol.asyncIterator]();
          // The model: what a correct reader holds and has handed out.
          const queue: Uint8Array[] = [];
          let buffered = 0;
          let received = 0;
          let ended = false;
          let failure: KeynodeError | undefined;
          let counter = 0;
          for (const step of ops) {
            const done = ended || failure !== undefined;
            if (step.op === 'push') {
              const chunk = new Uint8Array(step.size).fill(++counter & 0xff);
              const expected = done ? 'ok' : buffered + step.size > window ? 'overflow' : received + step.size > limit ? 'too-large' : 'ok';
              expect(body.push(chunk)).toBe(expected);
              if (!done && expected === 'ok') {
                queue.push(chunk);
                buffered += step.size;
                received += step.size;
              }
            } else if (step.op === 'end') {
              body.end();
              ended = true;
            } else if (step.op === 'fail') {
              const error = new KeynodeError('ErrorRpcStreamClosed', `failed at step ${counter}`);
              body.fail(error);
              if (!done) {
                failure = error;
                queue.length = 0;
                buffered = 0;
              }
            } else if (step.op === 'return') {
              const before = cancelled;
              await reader.return!();
              // Only a reader that stops early tells the sender to stop, and only once.
              expect(cancelled).toBe(before + (done ? 0 : 1));
              if (!done) {
                ended = true;
                queue.length = 0;
                buffered = 0;
              }
            } else {
              // A read that the model says would wait is not made: nothing would ever wake it.
              if (queue.length === 0 && !ended && failure === undefined) continue;
              const outcome = await reader.next().then(
                (r) => ({ r }),
                (e: unknown) => ({ e }),
              );
              if (queue.length > 0) {
                const chunk = queue.shift()!;
                buffered -= chunk.length;
                expect(outcome).toEqual({ r: { value: chunk, done: false } });
                expect(consumed.at(-1)).toBe(chunk.length);
              } else if (failure !== undefined) {
                expect('e' in outcome && outcome.e).toBe(failure);
              } else {
                expect(outcome).toEqual({ r: { value: undefined, done: true } });
              }
            }
            expect(buffered).toBeLessThanOrEqual(window);
            expect(received).toBeLessThanOrEqual(limit);
            expect(body.done).toBe(ended || failure !== undefined);
          }
          expect(cancelled).toBeLessThanOrEqual(1);
        }),
        { numRuns: fuzzRuns() },
      );
    },
    fuzzTimeout(),
  );
});
