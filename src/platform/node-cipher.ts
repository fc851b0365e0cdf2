// The encrypted stores' cipher in Node on its synchronous crypto, on the very same non-extractable
// keys: Node's WebCrypto answers each call through its thread pool (about 150 µs a record measured
// here, against 15 µs synchronously), which would make one secret write several milliseconds slower.
// KeyObject.from gives Node's own handle on a CryptoKey; its bytes are never exported.
import { KeyObject, createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { SessionKeys } from '../keys/keyring.js';
import { cipherOn, type Cipher } from '../storage/cipher.js';

const TAG = 16;

export function nodeCipher(keys: SessionKeys): Cipher {
  const aes = { content: KeyObject.from(keys.content), names: KeyObject.from(keys.names) };
  const mac = KeyObject.from(keys.mac);
  return cipherOn({
    encrypt(key, iv, aad, data) {
      const c = createCipheriv('aes-256-gcm', aes[key], iv);
      c.setAAD(aad);
      const head = c.update(data);
      const tail = c.final();
      const out = new Uint8Array(head.length + tail.length + TAG);
      out.set(head);
      out.set(tail, head.length);
      out.set(c.getAuthTag(), head.length + tail.length);
      return out;
    },
    decrypt(key, iv, aad, data) {
      const d = createDecipheriv('aes-256-gcm', aes[key], iv);
      d.setAAD(aad);
      d.setAuthTag(data.subarray(data.length - TAG));
      const head = d.update(data.subarray(0, data.length - TAG));
      const tail = d.final(); // throws when the tag does not match
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    },
    mac: (data) => new Uint8Array(createHmac('sha256', mac).update(data).digest()),
  });
}
