// Branded ids and their text encodings (docs/design.md §2):
//   NodeId          32-byte Ed25519 public key, multibase base32hex ('v' + lowercase, no padding);
//                   only a strong point is one: no small-order or non-canonical key. Its type and
//                   strict decoding live in protocol/node-id.ts, shared with the signaling server.
//   VaultId         16 random bytes, multibase base58btc ('z…')
//   NotificationId  16-byte time-sortable id (48-bit ms time + counter + random), base32hex ('v…')
// Decoding anything malformed throws a KeynodeError with a code naming the kind of id.
import { base58 } from '@scure/base';
import { isStrongPoint } from '../../protocol/ed25519-point.js';
import { decodeBase32hex, encodeBase32hex } from '../../protocol/encoding.js';
import { decodeNodeId, isNodeId, spelledPublicKey, type Brand, type NodeId } from '../../protocol/node-id.js';
import { KeynodeError } from '../errors.js';

export { decodeNodeId, isNodeId, type NodeId };

export type VaultId = Brand<string, 'VaultId'>;
export type NotificationId = Brand<string, 'NotificationId'>;

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${typeof value}`;
  return value.length > 64 ? `"${value.slice(0, 60)}…"` : `"${value}"`;
}

// ---- NodeId ----------------------------------------------------------------------------------

const unusableKey = 'are not a usable Ed25519 public key (off the curve, spelled non-canonically, or a weak point anyone could sign for)';

export function encodeNodeId(publicKey: Uint8Array): NodeId {
  if (publicKey.length !== 32) throw new KeynodeError('ErrorNodeIdInvalid', 'A NodeId is a 32-byte public key.');
  if (!isStrongPoint(publicKey)) {
    throw new KeynodeError('ErrorNodeIdInvalid', `These 32 bytes ${unusableKey}.`);
  }
  return encodeBase32hex(publicKey) as NodeId;
}

export function assertNodeId(value: unknown): NodeId {
  if (!isNodeId(value)) {
    const why =
      spelledPublicKey(value) !== undefined
        ? `is not a usable NodeId: its 32 bytes ${unusableKey}`
        : 'is not a valid NodeId (a NodeId starts with "v" and has 53 characters)';
    throw new KeynodeError('ErrorNodeIdInvalid', `${describe(value)} ${why}.`, {
      data: { value: typeof value === 'string' ? value.slice(0, 100) : typeof value },
    });
  }
  return value;
}

export function nodeIdToPublicKey(nodeId: NodeId): Uint8Array {
  const bytes = decodeNodeId(nodeId);
  if (bytes === undefined) throw new KeynodeError('ErrorNodeIdInvalid', `${describe(nodeId)} is not a valid NodeId.`);
  return bytes;
}

// ---- VaultId ---------------------------------------------------------------------------------

export function encodeVaultId(bytes: Uint8Array): VaultId {
  if (bytes.length !== 16) throw new KeynodeError('ErrorVaultIdInvalid', 'A VaultId is 16 bytes.');
  return ('z' + base58.encode(bytes)) as VaultId;
}

export function decodeVaultId(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length < 2 || text.length > 30 || text[0] !== 'z') return undefined;
  try {
    const bytes = base58.decode(text.slice(1));
    if (bytes.length !== 16 || encodeVaultId(bytes) !== text) return undefined;
    return bytes;
  } catch {
    return undefined;
  }
}

export function isVaultId(value: unknown): value is VaultId {
  return typeof value === 'string' && decodeVaultId(value) !== undefined;
}

export function assertVaultId(value: unknown): VaultId {
  if (!isVaultId(value)) {
    throw new KeynodeError('ErrorVaultIdInvalid', `${describe(value)} is not a valid VaultId.`);
  }
  return value;
}

export function generateVaultId(random: (n: number) => Uint8Array = randomBytes): VaultId {
  return encodeVaultId(random(16));
}

// ---- NotificationId --------------------------------------------------------------------------

export function isNotificationId(value: unknown): value is NotificationId {
  if (typeof value !== 'string' || value.length !== 27) return false;
  const bytes = decodeBase32hex(value);
  return bytes !== undefined && bytes.length === 16 && encodeBase32hex(bytes) === value;
}

export function assertNotificationId(value: unknown): NotificationId {
  if (!isNotificationId(value)) {
    throw new KeynodeError('ErrorNotificationIdInvalid', `${describe(value)} is not a valid notification id.`);
  }
  return value;
}

/**
 * Makes strictly increasing, time-sortable NotificationIds (the text sorts like the bytes, because
 * base32hex keeps byte order). `last` seeds the generator so ids keep increasing across restarts.
 */
export class NotificationIdGenerator {
  private lastTime = 0;
  private counter = 0;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly random: (n: number) => Uint8Array = randomBytes,
    last?: NotificationId,
  ) {
    if (last !== undefined) {
      const bytes = decodeBase32hex(last);
      if (bytes !== undefined && bytes.length === 16) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.lastTime = view.getUint16(0) * 2 ** 32 + view.getUint32(2);
        this.counter = view.getUint16(6);
      }
    }
  }

  next(): NotificationId {
    let now = Math.floor(this.clock());
    if (now <= this.lastTime) {
      now = this.lastTime;
      this.counter += 1;
      if (this.counter > 0xffff) {
        now += 1;
        this.counter = 0;
      }
    } else {
      this.counter = 0;
    }
    this.lastTime = now;
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, Math.floor(now / 2 ** 32));
    view.setUint32(2, now >>> 0);
    view.setUint16(6, this.counter);
    bytes.set(this.random(8), 8);
    return encodeBase32hex(bytes) as NotificationId;
  }
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
