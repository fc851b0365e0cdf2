// Stands in for simple-peer in the service worker's bundle (vite.config.ts). A service worker has no
// RTCPeerConnection: its peer channels come from the network host tab through the bridge, so
// simple-peer and the Node shims it drags along (readable-stream, events, process) would only be
// dead weight there. Should anything in the worker still try to open a peer connection itself, it
// is refused, and peer-connection.ts turns that into a clear ErrorNodeConnectionFailed.
export default class NoWebRtcHere {
  constructor() {
    throw new Error('The service worker cannot open WebRTC connections; the network host tab does.');
  }
}
