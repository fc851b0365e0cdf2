// Public entry of the signaling server package: start it, and the limits it can be given.
export { startSignalingServer, type SignalingServer, type SignalingServerOptions } from './server.js';
export { defaultLimits, type Limits } from './limits.js';
