// Public entry of the signaling server package: start it, the limits it can be given, and its errors.
export { startSignalingServer, type SignalingServer, type SignalingServerOptions } from './server.js';
export { defaultLimits, type Limits } from './limits.js';
export { SignalingServerError, type ServerErrorCode } from './errors.js';
