// `npm run signaling`: runs the signaling server until SIGINT/SIGTERM. Configured by environment:
// PORT or SIGNALING_PORT (default 8787), HOST (default 127.0.0.1), PUBLIC_URL (comma-separated URLs
// clients dial, needed behind a proxy), ICE_SERVERS (a JSON array of RTCIceServer), TRUSTED_PROXIES
// (how many reverse proxies append to X-Forwarded-For; default 0: the header is ignored), REDIS_URL
// (several instances share one deployment through it; docs/deploy.md), TURN_URLS (comma-separated
// turn: URLs) with TURN_SECRET (coturn's static-auth-secret) and TURN_TTL_S (credential lifetime).
import { startSignalingServer } from './index.js';

const port = Number(process.env.PORT ?? process.env.SIGNALING_PORT ?? 8787);
const host = process.env.HOST ?? '127.0.0.1';
const publicUrl = process.env.PUBLIC_URL?.split(',')
  .map((u) => u.trim())
  .filter(Boolean);
const trustedProxies = Number(process.env.TRUSTED_PROXIES ?? 0);
const redisUrl = process.env.REDIS_URL || undefined;
const turnUrls =
  process.env.TURN_URLS?.split(',')
    .map((u) => u.trim())
    .filter(Boolean) ?? [];

try {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT "${process.env.PORT ?? process.env.SIGNALING_PORT}" is not a port number.`);
  const iceServers = process.env.ICE_SERVERS === undefined ? [] : (JSON.parse(process.env.ICE_SERVERS) as RTCIceServer[]);
  if (turnUrls.length > 0 && !process.env.TURN_SECRET) throw new Error('TURN_URLS is set but TURN_SECRET is not: both are needed.');
  const turn =
    turnUrls.length === 0
      ? undefined
      : { urls: turnUrls, secret: process.env.TURN_SECRET!, ...(process.env.TURN_TTL_S ? { ttlS: Number(process.env.TURN_TTL_S) } : {}) };
  const server = await startSignalingServer({
    port,
    host,
    iceServers,
    trustedProxies,
    ...(publicUrl?.length ? { publicUrl } : {}),
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(turn === undefined ? {} : { turn }),
  });
  console.log(
    `keynode signaling server listening on ${server.url}${redisUrl ? ' (sharing state through Redis)' : ''}${turn ? ` (TURN: ${turn.urls.join(', ')})` : ''}`,
  );
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  console.error(`keynode signaling server did not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
