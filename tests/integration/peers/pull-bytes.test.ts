// What a pull moves on the wire (Polykey B7): an up-to-date pull moves no pack, and a pull after one
// changed secret in a vault of 2,000 secrets moves a few KB, not the vault. Bytes are counted at
// the WebRTC seam: the owner's data channels count what they send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { randomBytes } from '../../../src/ids/index.js';
import { base64urlEncode } from '../../../src/keys/crypto.js';
import { countedOwnerAndPeer, Net, shareWith } from '../../utils/keynodes.js';

let net: Net;
let owner: Keynode;
let peer: Keynode;
/** Bytes the owner sends over its peer channels while `fn` runs (only the peer talks to it here). */
let measure: Awaited<ReturnType<typeof countedOwnerAndPeer>>['measure'];

beforeAll(async () => {
  ({ net, owner, peer, measure } = await countedOwnerAndPeer());
});
afterAll(async () => {
  await net?.stopAll();
});

describe('what a pull moves (B7)', () => {
  let cloneId: string;
  let cloneBytes: number;

  beforeAll(async () => {
    await owner.vaults.create('two-thousand');
    const ops = Array.from({ length: 2000 }, (_, i) => ({
      op: 'write' as const,
      path: `group-${String(i % 40).padStart(2, '0')}/secret-${i}`,
      content: `value ${i} ${base64urlEncode(randomBytes(150))}`, // incompressible: the clone is big on the wire
    }));
    await owner.secrets.batch('two-thousand', ops);
    await shareWith(owner, 'two-thousand', peer);
    const measured = await measure(() => peer.vaults.clone('two-thousand', owner.nodeId));
    cloneId = measured.result;
    cloneBytes = measured.bytes;
  });

  it('an up-to-date pull moves no pack', async () => {
    const { result, bytes } = await measure(() => peer.vaults.pull(cloneId));
    expect(result.from).toBe(result.to);
    expect(bytes).toBeLessThan(2048); // the ref advertisement and RPC frames only
  });

  it('a pull after one changed secret moves a few KB, not the vault', async () => {
    await owner.secrets.update('two-thousand', 'group-07/secret-7', 'changed');
    const { result, bytes } = await measure(() => peer.vaults.pull(cloneId));
    expect(result.from).not.toBe(result.to);
    expect(await peer.secrets.getText(cloneId, 'group-07/secret-7')).toBe('changed');
    expect(cloneBytes).toBeGreaterThan(200 * 1024);
    expect(bytes).toBeLessThan(16 * 1024);
    expect(bytes * 50).toBeLessThan(cloneBytes);
  });
});
