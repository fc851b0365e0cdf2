// What the git fuzz suites share: the rule every refusal must follow (a KeynodeError with one of
// the codes that format may give), structure-aware mutations of valid inputs, and a watch on
// typed-array allocations, so that "never allocates beyond the budgets" is checked on what the
// code really asked for, not on what it says it counted.
import fc from 'fast-check';
import { expect } from 'vitest';
import { isKeynodeError, type ErrorCode } from '../../src/errors.js';
import { concatBytes } from '../../src/utils/bytes.js';
export { fuzzTimeout } from './runs.js';

/** Asserts that `e` is a refusal the format may give: a KeynodeError with one of `codes`. */
export function expectRefusal(e: unknown, codes: readonly ErrorCode[]): void {
  if (!isKeynodeError(e) || !codes.includes(e.code)) {
    throw new Error(`expected a KeynodeError with one of ${codes.join(', ')}, got ${String((e as Error)?.stack ?? e)}`);
  }
  expect(e.message.length).toBeGreaterThan(0);
}

/** `fn`'s result, or undefined after checking that what it threw is an allowed refusal. */
export function outcome<T>(fn: () => T, codes: readonly ErrorCode[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    expectRefusal(e, codes);
    return undefined;
  }
}

export async function outcomeAsync<T>(fn: () => Promise<T>, codes: readonly ErrorCode[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    expectRefusal(e, codes);
    return undefined;
  }
}

const ARRAYS = ['Uint8Array', 'Int32Array', 'Uint32Array', 'Float64Array', 'ArrayBuffer'] as const;

/**
 * Replaces the global typed-array constructors with ones that remember the largest byte size
 * asked for by length (`new Uint8Array(n)`, where a header-driven allocation would show).
 * Everything else (views, copies, `from`) passes through unchanged. `stop()` puts them back.
 */
export function watchAllocations(): { largest(): number; reset(): void; stop(): void } {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = ARRAYS.map((name) => [name, g[name]] as const);
  let largest = 0;
  for (const [name, real] of saved) {
    const perItem = name === 'ArrayBuffer' ? 1 : (real as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    g[name] = new Proxy(real as new (...a: unknown[]) => object, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') largest = Math.max(largest, args[0] * perItem);
        return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
      },
    });
  }
  return {
    largest: () => largest,
    reset: () => {
      largest = 0;
    },
    stop: () => {
      for (const [name, real] of saved) g[name] = real;
    },
  };
}

interface Mutation {
  kind: 'flip' | 'set' | 'cut' | 'insert' | 'drop' | 'repeat';
  at: number;
  len: number;
  byte: number;
  bytes: Uint8Array;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'cut', 'insert', 'drop', 'repeat'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 64 }),
  byte: fc.integer({ min: 0, max: 255 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

function apply(input: Uint8Array, m: Mutation): Uint8Array {
  if (input.length === 0) return m.kind === 'insert' ? m.bytes : input;
  const at = m.at % input.length;
  const end = Math.min(input.length, at + m.len);
  switch (m.kind) {
    case 'flip': {
      const r = input.slice();
      r[at] = (r[at] as number) ^ (1 << (m.byte & 7));
      return r;
    }
    case 'set': {
      const r = input.slice();
      r[at] = m.byte;
      return r;
    }
    case 'cut':
      return input.slice(0, at);
    case 'insert':
      return concatBytes(input.subarray(0, at), m.bytes, input.subarray(at));
    case 'drop':
      return concatBytes(input.subarray(0, at), input.subarray(end));
    case 'repeat':
      return concatBytes(input.subarray(0, end), input.subarray(at, end), input.subarray(end));
  }
}

/** `valid` with one to four byte-level mutations: flipped or set bytes, cuts, inserts, drops, repeats. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([v, ms]) => ms.reduce(apply, v));
}

export const oid: fc.Arbitrary<string> = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex'));
