// Vertex keys: nodes and (not yet implemented) identities both round-trip, and no key contains the
// '/' that separates the two ends of an adjacency entry — so the vertex type stays open for identities.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gestaltKey, linkKey, parseGestaltKey, type GestaltId } from '../../../src/gestalts/index.js';
import { randomNodeId } from '../acl/helpers.js';

describe('gestalt keys', () => {
  it('node and identity ids round-trip and never contain "/"', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (provider, identity) => {
        const ids: GestaltId[] = [
          ['node', randomNodeId()],
          ['identity', [provider, identity]],
        ];
        for (const id of ids) {
          const key = gestaltKey(id);
          expect(key).not.toContain('/');
          expect(parseGestaltKey(key)).toEqual(id);
        }
      }),
    );
  });

  it('a link has one key whichever end it is looked up from', () => {
    const [a, b] = [gestaltKey(['node', randomNodeId()]), gestaltKey(['identity', ['github.com', 'alice/x']])];
    expect(linkKey(a, b)).toBe(linkKey(b, a));
  });
});
