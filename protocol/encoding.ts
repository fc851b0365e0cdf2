// The two text encodings the signaling wire and the keynodes share: base32hex for ids (it sorts like
// the bytes) and base64url for keys, nonces and signatures. Each decoder accepts exactly one spelling
// per byte string, so a value cannot be re-spelled to look new; it answers undefined for anything else.
import { base32hexnopad, base64urlnopad } from '@scure/base';

/** 'v' + lowercase base32hex without padding (multibase base32hex). */
export function encodeBase32hex(bytes: Uint8Array): string {
  return 'v' + base32hexnopad.encode(bytes).toLowerCase();
}

export function decodeBase32hex(text: string): Uint8Array | undefined {
  if (!/^v[0-9a-v]+$/.test(text)) return undefined;
  try {
    return base32hexnopad.decode(text.slice(1).toUpperCase());
  } catch {
    return undefined;
  }
}

// @scure/base, not btoa/atob: spreading bytes into String.fromCharCode took about 1 s per MB in
// Node, and its decoder refuses every non-canonical spelling (4n+1 lengths, stray low bits).
export function base64urlEncode(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

export function decodeBase64url(text: string): Uint8Array | undefined {
  try {
    return base64urlnopad.decode(text);
  } catch {
    return undefined;
  }
}
