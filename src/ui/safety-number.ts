// The safety number two people compare to be sure each holds the other's real NodeId: SHA-256 of
// both NodeIds in sorted order (so both sides compute the same), shown as six groups of 5 digits.
import { sha256 } from '@noble/hashes/sha2.js';

export function safetyNumber(a: string, b: string): string {
  const [first, second] = [a, b].sort();
  const digest = sha256(new TextEncoder().encode(`${first}${second}`));
  const groups: string[] = [];
  // Each group: 5 bytes read as a number, reduced to 5 digits (Signal's scheme).
  for (let i = 0; i + 5 <= 30; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) value = value * 256 + digest[i + j]!;
    groups.push(String(value % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}
