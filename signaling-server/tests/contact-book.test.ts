// The remembered contact lists stay bounded: they expire, and past a source's or the server's
// bound the oldest lists go, a source's own first, so minting identities evicts only its own.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ids/index.js';
import { ContactBook } from '../src/stores/contact-book.js';
import { makeIdentity } from './helpers.js';

const ids = async (n: number): Promise<NodeId[]> => Promise.all(Array.from({ length: n }, async () => (await makeIdentity()).nodeId));

describe('contact book', () => {
  it("evicts a source's own oldest lists past its bound, then the oldest overall past the total", async () => {
    let now = 0;
    const book = new ContactBook({ mailboxTtlMs: 1000, contactsSourceIds: 4, contactsTotalIds: 6 }, () => now);
    const [honest, a, b, c] = await ids(4);
    const two = await ids(2);
    book.set(honest!, two, 'honest-address');
    book.set(a!, two, 'attacker');
    book.set(b!, two, 'attacker');
    // A third list from the attacker's address pushes out its own oldest, not the honest one.
    book.set(c!, two, 'attacker');
    expect(book.get(a!)).toBeUndefined();
    expect(book.has(honest!, two[0]!)).toBe(true);
    expect(book.has(c!, two[1]!)).toBe(true);
    // Past the total (6), the oldest list overall goes: the honest one is oldest now.
    const [d] = await ids(1);
    book.set(d!, two, 'elsewhere');
    expect(book.get(honest!)).toBeUndefined();
    expect(book.get(b!)).toBeDefined();
    // Lists expire a mailbox lifetime after they were last set.
    now = 1000;
    expect(book.get(d!)).toBeUndefined();
  });
});
