// How a stored value becomes JSON and back, for the stores that keep values as text or bytes (the
// file log, and the encrypted store, which seals the JSON). Uint8Array travels as { $bytes }.
import { KeynodeError } from '../errors.js';
import { base64urlDecode, base64urlEncode } from '../keys/crypto.js';

// Values are written as JSON, with Uint8Array as { $bytes }. Only what reads back equal after a
// restart is accepted: anything JSON would silently change (NaN, undefined in an array, Date, Map,
// other binary types; -0 is let through as 0) is refused when the transaction commits, so both stores behave alike. A
// stored object that itself looks like a tag (one key starting with '$') is wrapped in { $obj }, so
// data from a peer such as { "$bytes": "…" } comes back as the same object, never as bytes.
function unstorable(what: string): KeynodeError {
  return new KeynodeError('ErrorInternal', `${what} cannot be stored: it would not read back the same after a restart.`);
}

export function encode(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw unstorable(`The number ${String(value)}`);
    return value;
  }
  if (value instanceof Uint8Array) return { $bytes: base64urlEncode(value) };
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (item === undefined) throw unstorable('undefined inside a list');
      return encode(item);
    });
  }
  if (typeof value === 'object') {
    if (typeof CryptoKey !== 'undefined' && value instanceof CryptoKey) {
      throw new KeynodeError('ErrorInternal', 'A CryptoKey cannot be stored.');
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw unstorable(`A ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'special'} object`);
    }
    // Object.fromEntries makes own properties, so a '__proto__' key stays data.
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    const out = Object.fromEntries(entries.map(([k, v]) => [k, encode(v)]));
    return entries.length === 1 && entries[0]![0].startsWith('$') ? { $obj: out } : out;
  }
  throw unstorable(`A ${typeof value}`);
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof o.$bytes === 'string') return base64urlDecode(o.$bytes);
    const plain = keys.length === 1 && keys[0] === '$obj' && typeof o.$obj === 'object' && o.$obj !== null ? (o.$obj as Record<string, unknown>) : o;
    return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}
