// A passphrase strength hint: a rough estimate of how many guesses it would take, from its length
// and the kinds of characters in it, discounted for what guessers try first (repeats, runs, the
// most common passwords, all digits). It is a hint for the person choosing, not a gate: the core
// refuses only passphrases under 8 characters (src/keys/keyring.ts).

export type Strength = 'too-short' | 'weak' | 'fair' | 'good' | 'strong';

const COMMON = new Set([
  'password',
  'password1',
  'password123',
  '12345678',
  '123456789',
  '1234567890',
  'qwertyuiop',
  'qwerty123',
  'iloveyou',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'welcome1',
  'letmein1',
  'passw0rd',
  'trustno1',
  'superman',
  'abc12345',
  'keynode1',
  'changeme',
  'whatever',
  'starwars',
  'dragon12',
  'monkey12',
  'computer',
  'internet',
  'michelle',
  'jennifer',
]);

/** Estimated bits of entropy (an upper-bound-ish guess, deliberately conservative). */
export function estimateBits(passphrase: string): number {
  const chars = [...passphrase];
  if (chars.length === 0) return 0;
  if (COMMON.has(passphrase.toLowerCase())) return 10;
  const words = passphrase
    .trim()
    .split(/[\s\-_.]+/)
    .filter((w) => w.length > 0);
  // Several words: count them as words from a large list (~13 bits each) rather than letters.
  if (words.length >= 3 && words.every((w) => /^\p{L}+$/u.test(w))) return Math.min(words.length * 13, chars.length * 4.5);
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^A-Za-z0-9]/.test(passphrase)) pool += 33;
  // Characters that repeat or continue a run add little.
  let effective = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!.codePointAt(0)!;
    const prev = i > 0 ? chars[i - 1]!.codePointAt(0)! : undefined;
    effective += prev !== undefined && (c === prev || c === prev + 1 || c === prev - 1) ? 0.25 : 1;
  }
  return effective * Math.log2(Math.max(pool, 10));
}

export function strength(passphrase: string): Strength {
  if ([...passphrase].length < 8) return 'too-short';
  const bits = estimateBits(passphrase);
  return bits < 35 ? 'weak' : bits < 55 ? 'fair' : bits < 75 ? 'good' : 'strong';
}

export const strengthWords: Record<Strength, string> = {
  'too-short': 'Too short: use at least 8 characters (four or more random words are easier to remember and stronger).',
  weak: 'Weak: easy to guess. Add more words or characters.',
  fair: 'Fair: it would slow a guesser down, but a longer one is safer.',
  good: 'Good.',
  strong: 'Strong.',
};
