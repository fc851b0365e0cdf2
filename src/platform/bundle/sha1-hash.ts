// Replaces sha.js's SHA-1 class for isomorphic-git in the browser bundles (vite.config.ts), with the
// SHA-1 that src/vaults already uses. sha.js pulls in about twenty small Node-compatibility
// packages (to-buffer, get-intrinsic, call-bind, …). isomorphic-git calls only
// `new Hash().update(bytes)…digest()` (a Buffer) and `digest('hex')`, and in a browser only where
// WebCrypto has no SHA-1.
import { sha1 } from '@noble/hashes/legacy.js';
import { Buffer } from 'buffer';

export default class Sha1Hash {
  private readonly hash = sha1.create();

  update(data: Uint8Array | string): this {
    this.hash.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return this;
  }

  digest(): Buffer;
  digest(encoding: 'hex'): string;
  digest(encoding?: 'hex'): Buffer | string {
    const bytes = Buffer.from(this.hash.digest());
    return encoding === 'hex' ? bytes.toString('hex') : bytes;
  }
}
