// The page's network host, loaded after the app is on screen (src/main.tsx): simple-peer and the
// Node shims it needs (Buffer, process, events, streams) are most of the page's weight, and the
// app is usable before the first peer connection. The shims come first, before simple-peer runs.
import '../browser-shims.js';

export { startNetworkHost } from './host.js';
