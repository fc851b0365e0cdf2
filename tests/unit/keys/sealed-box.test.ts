// Sealed boxes (src/keys/sealed-box.ts): a box opens for its recipient only, to exactly what was
// sealed; anything else — another recipient, another label, a changed, cut, lengthened or
// oversized box, a low-order ephemeral key, padding a sealer never writes — does not open.
import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { encodeNodeId, type NodeId } from '../../../src/ids/index.js';
import { keyPairFromSeed } from '../../../src/keys/crypto.js';
import {
  bucketFor,
  MIN_BUCKET,
  openBox,
  SEALED_BOX_OVERHEAD,
  sealedSize,
  sealTo,
  x25519KeyFromSeed,
  x25519Pkcs8FromSeed,
  x25519PublicKeyOf,
} from '../../../src/keys/sealed-box.js';
import { concatBytes, utf8 } from '../../../src/utils/bytes.js';

const LABEL = 'keynode/test-box/v1';
const MAX = 16 * 1024;

interface Recipient {
  nodeId: NodeId;
  key: CryptoKey;
  pub: Uint8Array;
  open(box: Uint8Array, label?: string, max?: number): Promise<Uint8Array | undefined>;
}

async function recipient(fill: number): Promise<Recipient> {
  const seed = new Uint8Array(32).fill(fill);
  const nodeId = encodeNodeId((await keyPairFromSeed(seed)).publicKey);
  const key = await x25519KeyFromSeed(seed);
  const pub = x25519PublicKeyOf(nodeId);
  return { nodeId, key, pub, open: (box, label = LABEL, max = MAX) => openBox(key, pub, box, label, max) };
}

const [bob, carol] = await Promise.all([recipient(2), recipient(3)]);
const text = (s: string) => utf8.encode(s);

/** The AES-GCM layer of a box re-made by hand with chosen padded contents (what a hostile sealer could send). */
async function handMadeBox(to: Recipient, padded: Uint8Array): Promise<Uint8Array> {
  const eph = x25519.utils.randomSecretKey();
  const epk = x25519.getPublicKey(eph);
  const shared = x25519.getSharedSecret(eph, to.pub);
  const base = await crypto.subtle.importKey('raw', shared as BufferSource, 'HKDF', false, ['deriveKey']);
  const info = concatBytes(text(LABEL), Uint8Array.of(0), epk, to.pub);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: info as BufferSource },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const header = concatBytes(Uint8Array.of(1), epk);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: header as BufferSource }, key, padded as BufferSource),
  );
  return concatBytes(header, ct);
}

function paddedOf(length: number, plaintext: Uint8Array, bucket: number): Uint8Array {
  const padded = new Uint8Array(4 + bucket);
  new DataView(padded.buffer).setUint32(0, length);
  padded.set(plaintext, 4);
  return padded;
}

describe('the X25519 key of a NodeId', () => {
  it("is the birational image of the Ed25519 key, and the seed's X25519 key is its private half", async () => {
    const seed = new Uint8Array(32).fill(7);
    const nodeId = encodeNodeId((await keyPairFromSeed(seed)).publicKey);
    const pkcs8 = x25519Pkcs8FromSeed(seed);
    // noble computes the public key of the scalar WebCrypto is given: the map and the scalar agree.
    expect(x25519.getPublicKey(pkcs8.slice(16))).toEqual(x25519PublicKeyOf(nodeId));
    const key = await x25519KeyFromSeed(seed);
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', key)).rejects.toThrow();
    expect(seed).toEqual(new Uint8Array(32).fill(7)); // the caller's seed is left alone
  });
});

describe('sealTo / openBox', () => {
  it('round-trips, at every size up to the limit, in the smallest bucket that fits', async () => {
    for (const n of [0, 1, 1023, 1024, 1025, 4000, MAX]) {
      const plaintext = crypto.getRandomValues(new Uint8Array(n));
      const box = await sealTo(bob.nodeId, plaintext, LABEL, MAX);
      expect(box.length).toBe(sealedSize(n));
      expect(box.length - SEALED_BOX_OVERHEAD).toBe(bucketFor(n));
      expect(await bob.open(box)).toEqual(plaintext);
    }
    expect([bucketFor(0), bucketFor(1024), bucketFor(1025), bucketFor(MAX)]).toEqual([MIN_BUCKET, 1024, 2048, MAX]);
  });

  it('seals the same plaintext differently each time (a fresh ephemeral key) and names nobody', async () => {
    const plaintext = text('{"iss":"someone","vaultName":"payroll"}');
    const [a, b] = await Promise.all([sealTo(bob.nodeId, plaintext, LABEL, MAX), sealTo(bob.nodeId, plaintext, LABEL, MAX)]);
    expect(a).not.toEqual(b);
    expect(Buffer.from(a).includes(Buffer.from('payroll'))).toBe(false);
    expect(Buffer.from(a).includes(Buffer.from(bob.pub))).toBe(false);
  });

  it('does not open for another recipient, or under another label', async () => {
    const box = await sealTo(bob.nodeId, text('for bob'), LABEL, MAX);
    expect(await carol.open(box)).toBeUndefined();
    expect(await bob.open(box, 'keynode/other-use/v1')).toBeUndefined();
    expect(await bob.open(box)).toEqual(text('for bob'));
  });

  it('does not open once any byte is changed: version, ephemeral key, ciphertext or tag', async () => {
    const box = await sealTo(bob.nodeId, text('tamper with me'), LABEL, MAX);
    for (const at of [0, 1, 20, 32, 33, 40, 300, box.length - 17, box.length - 1]) {
      const changed = box.slice();
      changed[at]! ^= 0x01;
      expect(await bob.open(changed), `byte ${at}`).toBeUndefined();
    }
  });

  it('does not open truncated, lengthened or off-bucket boxes', async () => {
    const box = await sealTo(bob.nodeId, text('cut me'), LABEL, MAX);
    for (const cut of [0, 1, 33, 37, 100, box.length - 16, box.length - 1]) expect(await bob.open(box.subarray(0, cut)), `cut ${cut}`).toBeUndefined();
    expect(await bob.open(concatBytes(box, new Uint8Array(1)))).toBeUndefined();
    expect(await bob.open(concatBytes(box, new Uint8Array(MIN_BUCKET)))).toBeUndefined();
  });

  it('refuses to seal more than the limit, and refuses a box of a bucket above the limit without decrypting it', async () => {
    await expect(sealTo(bob.nodeId, new Uint8Array(MAX + 1), LABEL, MAX)).rejects.toMatchObject({ code: 'ErrorInvalidArgument' });
    const big = await sealTo(bob.nodeId, new Uint8Array(MAX + 1), LABEL, 2 * MAX);
    expect(await bob.open(big, LABEL, 2 * MAX)).toHaveLength(MAX + 1);
    expect(await bob.open(big)).toBeUndefined();
    // A huge box is judged by its length alone.
    const huge = new Uint8Array(1024 * 1024 + SEALED_BOX_OVERHEAD);
    huge[0] = 1;
    expect(await bob.open(huge)).toBeUndefined();
  });

  it('refuses a low-order ephemeral key (an all-zero shared secret)', async () => {
    const box = await sealTo(bob.nodeId, text('x'), LABEL, MAX);
    // u = 0, u = 1 and the order-8 point of Curve25519: every X25519 with them is all zeros.
    const lowOrder = [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
    ];
    for (const point of lowOrder) {
      const forged = box.slice();
      forged.set(point, 1);
      expect(await bob.open(forged)).toBeUndefined();
    }
  });

  it('refuses padding a sealer never writes: a length beyond the bucket, a larger bucket than needed, bytes after the plaintext', async () => {
    const body = text('hello');
    expect(await bob.open(await handMadeBox(bob, paddedOf(body.length, body, MIN_BUCKET)))).toEqual(body); // the hand-made box is a real one
    expect(await bob.open(await handMadeBox(bob, paddedOf(MIN_BUCKET + 1, body, MIN_BUCKET)))).toBeUndefined();
    expect(await bob.open(await handMadeBox(bob, paddedOf(body.length, body, 2 * MIN_BUCKET)))).toBeUndefined();
    const dirty = paddedOf(body.length, body, MIN_BUCKET);
    dirty[200] = 1;
    expect(await bob.open(await handMadeBox(bob, dirty))).toBeUndefined();
    expect(await bob.open(await handMadeBox(bob, paddedOf(0xffffffff, body, MIN_BUCKET)))).toBeUndefined();
  });
});
