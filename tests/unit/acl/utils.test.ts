// The pure permission algebra: union (what a merge produces), equality and action parsing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyPermission, parseGestaltAction, parseVaultAction, permEqual, permUnion, type Permission } from '../../../src/acl/index.js';

const vaultKeys = ['zA', 'zB', 'zC'];
const permArb: fc.Arbitrary<Permission> = fc.record({
  gestalt: fc.subarray(['notify', 'scan', 'claim'] as const).map((a) => [...a]),
  vaults: fc.dictionary(
    fc.constantFrom(...vaultKeys),
    fc.subarray(['clone', 'pull'] as const, { minLength: 1 }).map((a) => [...a]),
  ),
});

describe('acl utils', () => {
  it('merging permissions unions gestalt actions, vault keys, and the actions of a vault in both', () => {
    const a: Permission = { gestalt: ['notify'], vaults: { zA: ['pull'], zB: ['clone'] } };
    const b: Permission = { gestalt: ['scan', 'notify'], vaults: { zA: ['clone'], zC: ['pull'] } };
    expect(permUnion(a, b)).toEqual({
      gestalt: ['notify', 'scan'],
      vaults: { zA: ['clone', 'pull'], zB: ['clone'], zC: ['pull'] },
    });
  });

  it('union is commutative, associative, idempotent, with the empty record as identity', () => {
    fc.assert(
      fc.property(permArb, permArb, permArb, (a, b, c) => {
        expect(permEqual(permUnion(a, b), permUnion(b, a))).toBe(true);
        expect(permEqual(permUnion(permUnion(a, b), c), permUnion(a, permUnion(b, c)))).toBe(true);
        expect(permEqual(permUnion(a, a), a)).toBe(true);
        expect(permEqual(permUnion(a, emptyPermission()), a)).toBe(true);
      }),
    );
  });

  it('an unknown action name is ErrorGestaltsInvalidAction, naming every valid action', () => {
    for (const bad of ['push', '', 'NOTIFY', 42, undefined]) {
      expect(() => parseGestaltAction(bad)).toThrow(expect.objectContaining({ code: 'ErrorGestaltsInvalidAction' }));
      expect(() => parseVaultAction(bad)).toThrow(expect.objectContaining({ code: 'ErrorGestaltsInvalidAction' }));
    }
    expect(() => parseGestaltAction('x')).toThrow(/notify, scan or claim/);
    expect(parseGestaltAction('claim')).toBe('claim');
    expect(parseVaultAction('pull')).toBe('pull');
  });
});
