// When the outbox tries a notification again. A PWA has no background timers, so nothing waits:
// each record stores `nextAttemptAt`, and the app flushes the outbox when it opens, when it
// reconnects, and when a peer comes online (that peer's items are tried at once, whatever is due).
//
// Defaults: 30 s after the first failure, doubling (30 s, 1 min, 2 min …) up to 6 h between two
// attempts, and then every 6 h for as long as it takes: a notification that could not be handed
// over is never given up by itself (a share the recipient never hears of is a share lost). Only the
// recipient's refusal ends the attempts (outbox-store.ts), and the user can stop them. Polykey waits
// 1 h doubling to 1 day and gives up after 9 attempts, which suits an always-on agent; a browser tab
// is open for minutes, so short first waits matter more here, and an attempt that fell due while the
// app was closed runs when it opens again.
export interface RetryPolicy {
  /** Wait after the first failed attempt, in ms. */
  firstDelayMs: number;
  /** Longest wait between two attempts, in ms. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 6 * 60 * 60_000,
};

/** The wait before the next attempt, after `attempts` failed ones (attempts ≥ 1). */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  // Capped before it is computed, so thousands of attempts never overflow to Infinity.
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(Math.max(0, attempts - 1), 40));
}
