import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeynodeError } from '../../../src/errors.js';
import { decodeFrame, encodeFrame, MAX_DATA_PAYLOAD, type Frame } from '../../../src/network/rpc-frames.js';

const id = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const method = fc.constantFrom('vaults.gitPack', 'sigchain.get', 'a', 'notifications.send');
const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), id, method, header: bytes(0, 200) }),
  fc.record({ kind: fc.constant('reply' as const), id, header: bytes(0, 200) }),
  fc.record({ kind: fc.constant('data' as const), id, data: bytes(1, 300) }),
  fc.record({ kind: fc.constantFrom('end' as const, 'cancel' as const), id }),
  fc.record({ kind: fc.constant('error' as const), id, error: bytes(0, 100) }),
  fc.record({ kind: fc.constant('credit' as const), id, bytes: fc.integer({ min: 0, max: 0xffffffff }) }),
);

describe('RPC frames', () => {
  it('decode(encode(frame)) is the frame', () => {
    fc.assert(
      fc.property(frame, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
    );
  });

  it('arbitrary bytes decode to a frame or to an RPC KeynodeError, never anything else', () => {
    fc.assert(
      fc.property(bytes(0, 80), (b) => {
        try {
          decodeFrame(b);
        } catch (e) {
          expect(isKeynodeError(e, 'ErrorRpcFrameInvalid') || isKeynodeError(e, 'ErrorRpcTooLarge')).toBe(true);
        }
      }),
    );
  });

  it('keeps a full data frame within 64 KiB and refuses anything larger', () => {
    expect(encodeFrame({ kind: 'data', id: 1, data: new Uint8Array(MAX_DATA_PAYLOAD) }).byteLength).toBe(64 * 1024);
    expect(() => decodeFrame(new Uint8Array(64 * 1024 + 1).fill(3))).toThrow(expect.objectContaining({ code: 'ErrorRpcTooLarge' }));
  });

  it('refuses method names with characters outside the protocol', () => {
    const open = encodeFrame({ kind: 'open', id: 1, method: 'vaults.gitPack', header: new Uint8Array(0) });
    open[6] = 0x2f; // 'v' becomes '/'
    expect(() => decodeFrame(open)).toThrow(expect.objectContaining({ code: 'ErrorRpcFrameInvalid' }));
  });
});
