// Object ids as 40-char lowercase hex and as 20 raw bytes, converted without per-call allocation
// of lookup tables (these run for every object of a pack).
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i] as number];
  return s;
}

function nibble(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/** Callers pass checked hex (isOid); every pack lookup goes through here, so no parseInt/slice. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return out;
}

const OID_RE = /^[0-9a-f]{40}$/;
export function isOid(s: string): boolean {
  return OID_RE.test(s);
}
