// What every fuzz property of this folder's formats checks about a failure: it is a KeynodeError
// whose code is one the format may answer with. Anything else (a TypeError, a RangeError, an
// unknown code) is rethrown, so fast-check reports it with the input that caused it.
import { errorCodes, isKeynodeError, type ErrorCode } from '../../src/errors.js';
export { fuzzTimeout } from './runs.js';

/** Runs `fn`; its value, or the code of the allowed KeynodeError it threw. */
export async function refusalOf<T>(fn: () => T | Promise<T>, allowed: readonly ErrorCode[]): Promise<{ value: T } | { code: ErrorCode }> {
  try {
    return { value: await fn() };
  } catch (e) {
    if (isKeynodeError(e) && (errorCodes as readonly string[]).includes(e.code) && allowed.includes(e.code)) return { code: e.code };
    throw e;
  }
}
