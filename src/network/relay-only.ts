// Forces every peer connection made with a WebRTC implementation through a TURN relay
// (`iceTransportPolicy: 'relay'`): no host or server-reflexive candidate is gathered, so a peer
// never learns this device's addresses, only the relay's, and a connection that works proves the
// relay carries it. Pass `relayOnly(rtc)` wherever an RtcImpl is taken (createKeynode's `rtc`, the
// network host). It needs TURN servers in the ICE list (the signaling server hands them out);
// without them no connection can be made.
import type { RtcImpl } from './byte-channel.js';

export function relayOnly(rtc: RtcImpl): RtcImpl {
  const Base = rtc.RTCPeerConnection;
  // A subclass keeps `instanceof`, static members and every method of the original.
  class RelayOnlyPeerConnection extends Base {
    constructor(config?: RTCConfiguration) {
      super({ ...config, iceTransportPolicy: 'relay' });
    }
  }
  return { ...rtc, RTCPeerConnection: RelayOnlyPeerConnection };
}
