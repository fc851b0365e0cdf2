// Big vaults (scenario 43, Polykey B2): a 10 MB secret and a multi-megabyte pack of many secrets and
// commits clone byte-exact. Bytes are counted at the WebRTC seam (the owner's data channels count
// what they send) to show the data really crossed the channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../../src/index.js';
import { countedOwnerAndPeer, Net, noise, shareWith } from '../../utils/keynodes.js';
import { bytesEqual } from '../../../src/utils/bytes.js';

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

describe('large vaults (B2)', () => {
  it('a pack between one and two 64 KiB chunks (where Polykey lost the tail) clones byte-exact', async () => {
    const content = noise(100 * 1024);
    await owner.vaults.create('hundred-kb');
    await owner.secrets.write('hundred-kb', 'blob.bin', content);
    await shareWith(owner, 'hundred-kb', peer);
    const id = await peer.vaults.clone('hundred-kb', owner.nodeId);
    expect(bytesEqual(await peer.secrets.get(id, 'blob.bin'), content)).toBe(true);
  });

  it('a 10 MB secret clones byte-exact', async () => {
    const content = noise(10 * 1024 * 1024);
    await owner.vaults.create('ten-mb');
    await owner.secrets.write('ten-mb', 'blob.bin', content);
    await shareWith(owner, 'ten-mb', peer);
    const { result: id, bytes } = await measure(() => peer.vaults.clone('ten-mb', owner.nodeId));
    expect(bytes).toBeGreaterThan(content.length); // it really went over the channel
    expect(bytesEqual(await peer.secrets.get(id, 'blob.bin'), content)).toBe(true);
    expect((await peer.vaults.log(id)).map((c) => c.commitId)).toEqual((await owner.vaults.log('ten-mb')).map((c) => c.commitId));
  });

  it('a vault whose pack is several MB (many secrets, many commits) clones byte-exact', async () => {
    const secrets = Array.from({ length: 20 }, (_, i) => ({ path: `dir${i % 4}/secret-${i}`, content: noise(150 * 1024 + i) }));
    await owner.vaults.create('many-mb');
    for (let i = 0; i < secrets.length; i += 6) {
      await owner.secrets.batch(
        'many-mb',
        secrets.slice(i, i + 6).map((s) => ({ op: 'write' as const, path: s.path, content: s.content })),
      );
    }
    await shareWith(owner, 'many-mb', peer);
    const { result: id, bytes } = await measure(() => peer.vaults.clone('many-mb', owner.nodeId));
    expect(bytes).toBeGreaterThan(2.5 * 1024 * 1024);
    for (const s of secrets) expect(bytesEqual(await peer.secrets.get(id, s.path), s.content)).toBe(true);
    expect((await peer.vaults.log(id)).length).toBe(5);
  });
});
