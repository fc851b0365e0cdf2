// Random passwords and passphrases from crypto.getRandomValues, every choice uniform: a random
// 32-bit value v picks among n things as v mod n only when v is below the largest multiple of n
// that fits in 32 bits; above it, v is thrown away and another drawn (otherwise the first 2³² mod n
// choices would come up more often — modulo bias). A password that must hold one character of each
// chosen kind is drawn whole again until it does, which keeps it uniform among such passwords.

/** Fills `out` with random values (crypto.getRandomValues; tests pass their own). */
export type RandomSource = (out: Uint32Array) => void;

const cryptoSource: RandomSource = (out) => void crypto.getRandomValues(out);
const RANGE = 2 ** 32;

/** The values a 32-bit draw may take for n choices: [0, rejectionLimit(n)). A multiple of n. */
export function rejectionLimit(n: number): number {
  return RANGE - (RANGE % n);
}

/** A uniform whole number in [0, n). */
export function randomBelow(n: number, source: RandomSource = cryptoSource): number {
  if (!Number.isInteger(n) || n < 1 || n > RANGE) throw new RangeError('n must be a whole number from 1 to 2^32.');
  const limit = rejectionLimit(n);
  const draw = new Uint32Array(1);
  for (;;) {
    source(draw);
    if (draw[0]! < limit) return draw[0]! % n;
  }
}

export const CHARSETS = {
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  // No quotes, backslash or backtick: the password pastes safely into a shell or a .env file.
  symbols: '!#$%&()*+,-./:;<=>?@[]^_{|}~',
} as const;

export type Charset = keyof typeof CHARSETS;
const LOOK_ALIKES = /[Il1O0o|]/g;

export interface PasswordOptions {
  length: number;
  sets: Charset[];
  /** Leave out characters that are easy to misread (I l 1 O 0 o |). */
  avoidLookAlikes?: boolean;
}

function alphabets(opts: PasswordOptions): string[] {
  return opts.sets.map((s) => (opts.avoidLookAlikes === true ? CHARSETS[s].replace(LOOK_ALIKES, '') : CHARSETS[s]));
}

export function generatePassword(opts: PasswordOptions, source: RandomSource = cryptoSource): string {
  const kinds = alphabets(opts);
  if (kinds.length === 0) throw new RangeError('Choose at least one kind of character.');
  if (!Number.isInteger(opts.length) || opts.length < kinds.length || opts.length > 1024)
    throw new RangeError('The length cannot hold one character of each kind.');
  const all = [...kinds.join('')];
  for (;;) {
    const chars = Array.from({ length: opts.length }, () => all[randomBelow(all.length, source)]!);
    if (kinds.every((k) => chars.some((c) => k.includes(c)))) return chars.join('');
  }
}

export function generatePassphrase(words: readonly string[], count: number, separator: string, source: RandomSource = cryptoSource): string {
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError('A passphrase has 1 to 64 words.');
  return Array.from({ length: count }, () => words[randomBelow(words.length, source)]!).join(separator);
}

/** Bits of entropy of a generated password (slightly less when every kind must appear). */
export function passwordBits(opts: PasswordOptions): number {
  return opts.length * Math.log2(Math.max(1, alphabets(opts).join('').length));
}

export function passphraseBits(listLength: number, count: number): number {
  return count * Math.log2(listLength);
}
