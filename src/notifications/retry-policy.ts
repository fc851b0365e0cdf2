// When the outbox tries a notification again. A PWA has no background timers, so nothing waits:
// each record stores `nextAttemptAt`, and the app flushes the outbox when it opens, when it
// reconnects, and when a peer comes online (that peer's items are tried at once, whatever is due).
//
// Defaults: 30 s after the first failure, doubling (30 s, 1 min, 2 min … capped at 6 h), 10 attempts
// in all: at least about 4¼ h from first to last, and in practice longer, because an attempt that
// fell due while the app was closed runs only once, when it opens again. Polykey waits 1 h doubling
// to 1 day over 9 attempts, which suits an always-on agent; a browser tab is open for minutes, so
// short first waits matter more here. After the last attempt the record stays, marked failed, so the
// user can see it and hand over a share link instead.
export interface RetryPolicy {
  /** Wait after the first failed attempt, in ms. */
  firstDelayMs: number;
  /** Longest wait between two attempts, in ms. */
  maxDelayMs: number;
  /** Attempts in all, the first included; after the last one the record is marked failed. */
  maxAttempts: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 6 * 60 * 60_000,
  maxAttempts: 10,
};

/** The wait before the next attempt, after `attempts` failed ones (attempts ≥ 1). */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempts - 1));
}
