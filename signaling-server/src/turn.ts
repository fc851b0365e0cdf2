// Short-lived TURN credentials in coturn's "use-auth-secret" scheme (also called the TURN REST
// scheme): the username is "<expiry unix seconds>:<NodeId>" and the password is
// base64(HMAC-SHA1(secret, username)). coturn, given the same secret, recomputes the password and
// refuses a username whose expiry has passed, so the server never stores per-user TURN accounts
// and a leaked credential is good only until it expires. The secret itself stays on the servers.
import { createHmac } from 'node:crypto';
import { SignalingServerError } from './errors.js';
import type { NodeId } from '../../protocol/node-id.js';

export interface TurnOptions {
  /** turn: / turns: URLs of the TURN server(s), e.g. 'turn:turn.example.org:3478?transport=udp'. */
  urls: string[];
  /** coturn's static-auth-secret. */
  secret: string;
  /** How long a credential is good for; default 6 hours. Keynodes get fresh ones at half that. */
  ttlS?: number;
}

const DEFAULT_TTL_S = 6 * 60 * 60;
/** Short enough for tests, long enough that a credential outlives connecting with it. */
const MIN_TTL_S = 2;

export function checkTurnOptions(turn: TurnOptions): Required<TurnOptions> {
  if (!Array.isArray(turn.urls) || turn.urls.length === 0 || !turn.urls.every((u) => typeof u === 'string' && /^turns?:/.test(u))) {
    throw new SignalingServerError('ErrorInvalidArgument', 'turn.urls must list at least one turn: or turns: URL.');
  }
  if (typeof turn.secret !== 'string' || turn.secret.length === 0) {
    throw new SignalingServerError('ErrorInvalidArgument', "turn.secret must be the TURN server's shared secret (coturn static-auth-secret).");
  }
  const ttlS = turn.ttlS ?? DEFAULT_TTL_S;
  if (!Number.isSafeInteger(ttlS) || ttlS < MIN_TTL_S) {
    throw new SignalingServerError('ErrorInvalidArgument', `turn.ttlS must be a whole number of seconds, at least ${MIN_TTL_S}.`);
  }
  return { urls: [...turn.urls], secret: turn.secret, ttlS };
}

/** TURN credentials for `nodeId`, good until `ttlS` seconds after `nowMs`. */
export function turnIceServer(turn: Required<TurnOptions>, nodeId: NodeId, nowMs: number): RTCIceServer {
  const username = `${Math.floor(nowMs / 1000) + turn.ttlS}:${nodeId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: turn.urls, username, credential };
}
