// docs/api.md is where a person looks up an error code: every code a caller can meet must be there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.js';

describe('docs/api.md', () => {
  it('lists every error code', () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Errors'));
    const missing = errorCodes.filter((code) => !table.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
