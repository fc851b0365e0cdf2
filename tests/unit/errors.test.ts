// KeynodeError crosses postMessage and the peer channel as JSON and comes back with the same code,
// message, data and cause; anything unrecognisable becomes ErrorInternal instead of crashing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCodes, isKeynodeError, KeynodeError, wrapError } from '../../src/errors.js';

const viaJSON = (e: KeynodeError) => KeynodeError.fromJSON(JSON.parse(JSON.stringify(e)));

describe('KeynodeError JSON round trip', () => {
  it('keeps code, message, data and a nested KeynodeError cause', () => {
    const inner = new KeynodeError('ErrorNodeConnectionFailed', 'The node did not answer.', { data: { nodeId: 'vabc', tries: 3 } });
    const outer = new KeynodeError('ErrorVaultsPermissionDenied', 'The remote refused the clone.', {
      data: { vault: 'work', nested: { list: [1, 'two', null] } },
      cause: inner,
    });
    const back = viaJSON(outer);
    expect(back).toBeInstanceOf(KeynodeError);
    expect(back.code).toBe('ErrorVaultsPermissionDenied');
    expect(back.message).toBe('The remote refused the clone.');
    expect(back.data).toEqual({ vault: 'work', nested: { list: [1, 'two', null] } });
    expect(isKeynodeError(back.cause, 'ErrorNodeConnectionFailed')).toBe(true);
    const cause = back.cause as KeynodeError;
    expect(cause.message).toBe('The node did not answer.');
    expect(cause.data).toEqual({ nodeId: 'vabc', tries: 3 });
    expect(back.toJSON()).toEqual(outer.toJSON());
  });

  it('keeps a foreign cause as an Error with its name and message', () => {
    const e = new KeynodeError('ErrorInternal', 'Something failed.', { cause: new TypeError('x is not a function') });
    const back = viaJSON(e);
    expect(back.cause).toBeInstanceOf(Error);
    expect((back.cause as Error).name).toBe('TypeError');
    expect((back.cause as Error).message).toBe('x is not a function');
    const stringCause = viaJSON(new KeynodeError('ErrorInternal', 'Failed.', { cause: 'plain text' }));
    expect((stringCause.cause as Error).message).toBe('plain text');
  });

  it('round-trips every code with arbitrary messages and JSON data', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...errorCodes),
        fc.string(),
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
        (code, message, data) => {
          const back = viaJSON(new KeynodeError(code, message, { data }));
          expect(back.code).toBe(code);
          expect(back.message).toBe(message);
          expect(back.data).toEqual(JSON.parse(JSON.stringify(data)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('without data or cause, the JSON has neither', () => {
    const json = new KeynodeError('ErrorInvalidArgument', 'Bad.').toJSON();
    expect(json).toEqual({ name: 'KeynodeError', code: 'ErrorInvalidArgument', message: 'Bad.' });
  });

  it('turns unknown codes and garbage into ErrorInternal without throwing', () => {
    const unknown = KeynodeError.fromJSON({ name: 'KeynodeError', code: 'ErrorMadeUp', message: 'Hi.' });
    expect(unknown.code).toBe('ErrorInternal');
    expect(unknown.message).toBe('Hi.');
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      'ErrorVaultsVaultUndefined',
      [],
      {},
      { code: 42, message: { nested: true } },
      { code: 'toString', message: 'x' },
      { code: '__proto__', message: 'x' },
      { code: 'ErrorInternal', message: 'x', cause: null },
      { code: 'ErrorInternal', message: 'x', cause: 'a string' },
      { code: 'ErrorInternal', message: 'x', cause: 7 },
      { code: 'ErrorInternal', message: 'x', cause: { name: 'KeynodeError', code: 'nope' } },
      { code: 'ErrorInternal', message: 'x', data: 'not an object' },
    ];
    for (const g of garbage) {
      const e = KeynodeError.fromJSON(g);
      expect(e).toBeInstanceOf(KeynodeError);
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
      if (!(typeof g === 'object' && g !== null && (g as { code?: unknown }).code === 'ErrorInternal')) {
        expect(e.code).toBe('ErrorInternal');
      }
      expect(() => JSON.stringify(e)).not.toThrow();
    }
    fc.assert(
      fc.property(fc.anything(), (g) => {
        expect(KeynodeError.fromJSON(g)).toBeInstanceOf(KeynodeError);
      }),
      { numRuns: 300 },
    );
  });

  it('survives a hostile, deeply nested cause chain without blowing the stack', () => {
    let json: Record<string, unknown> = { name: 'KeynodeError', code: 'ErrorInternal', message: 'bottom' };
    for (let i = 0; i < 100_000; i++) json = { name: 'KeynodeError', code: 'ErrorInternal', message: `level ${i}`, cause: json };
    const e = KeynodeError.fromJSON(json);
    expect(e.code).toBe('ErrorInternal');
    expect(e.message).toBe('level 99999');
  });
});

describe('isKeynodeError', () => {
  it('recognises a JSON-revived error (a plain object) by name and code, no instanceof needed', () => {
    const plain = JSON.parse(JSON.stringify(new KeynodeError('ErrorSecretsSecretUndefined', 'No such secret.'))) as unknown;
    expect(plain).not.toBeInstanceOf(KeynodeError);
    expect(isKeynodeError(plain)).toBe(true);
    expect(isKeynodeError(plain, 'ErrorSecretsSecretUndefined')).toBe(true);
    expect(isKeynodeError(plain, 'ErrorSecretsSecretDefined')).toBe(false);
  });

  it('is false for other errors and non-objects', () => {
    for (const v of [new Error('x'), new TypeError('y'), null, undefined, 'KeynodeError', { code: 'ErrorInternal' }]) {
      expect(isKeynodeError(v)).toBe(false);
    }
  });

  it('a real KeynodeError has name, code and stack, and is an Error', () => {
    const e = new KeynodeError('ErrorStorageQuota', 'Full.');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('KeynodeError');
    expect(String(e)).toContain('Full.');
    expect(isKeynodeError(e, 'ErrorStorageQuota')).toBe(true);
  });
});

describe('wrapError', () => {
  it('keeps a KeynodeError as it is and wraps anything else with the cause attached', () => {
    const k = new KeynodeError('ErrorVaultsVaultUndefined', 'No vault.');
    expect(wrapError(k, 'ErrorInternal', 'ignored')).toBe(k);
    const raw = new RangeError('boom');
    const w = wrapError(raw, 'ErrorGitProtocol', 'The git exchange failed.');
    expect(w.code).toBe('ErrorGitProtocol');
    expect(w.message).toBe('The git exchange failed.');
    expect(w.cause).toBe(raw);
  });
});
