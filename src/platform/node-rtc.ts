// The WebRTC implementation for Node (tests, the command line): @roamhq/wrtc. Browsers use their
// globals instead, so only Node entry points import this file. wrtc has no `bufferedamountlow`
// event; the peer connection polls `bufferedAmount` where the event is missing.
import wrtc from '@roamhq/wrtc';
import type { RtcImpl } from '../network/byte-channel.js';

export function nodeRtc(): RtcImpl {
  return {
    RTCPeerConnection: wrtc.RTCPeerConnection as unknown as RtcImpl['RTCPeerConnection'],
    RTCSessionDescription: wrtc.RTCSessionDescription as unknown as RtcImpl['RTCSessionDescription'],
    RTCIceCandidate: wrtc.RTCIceCandidate as unknown as RtcImpl['RTCIceCandidate'],
  };
}
