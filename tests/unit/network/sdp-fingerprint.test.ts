import { describe, expect, it } from 'vitest';
import { sdpFingerprint } from '../../../src/network/sdp-fingerprint.js';

const fp = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

describe('sdpFingerprint', () => {
  it('reads the certificate fingerprint, normalised', () => {
    const sdp = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:SHA-256 ${fp.toLowerCase()}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
    expect(sdpFingerprint(sdp)).toBe(`sha-256 ${fp}`);
  });

  it('accepts the same fingerprint repeated per media section', () => {
    expect(sdpFingerprint(`a=fingerprint:sha-256 ${fp}\nm=application\na=fingerprint:sha-256 ${fp}\n`)).toBe(`sha-256 ${fp}`);
  });

  it('refuses an SDP without a fingerprint, or with two different ones', () => {
    expect(sdpFingerprint('v=0\r\nm=application 9\r\n')).toBeUndefined();
    expect(sdpFingerprint(`a=fingerprint:sha-256 ${fp}\na=fingerprint:sha-256 ${fp.replace('AB', '00')}\n`)).toBeUndefined();
    expect(sdpFingerprint('a=fingerprint:sha-256 not-hex\n')).toBeUndefined();
  });
});
