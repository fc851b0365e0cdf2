// Token buckets for message rates: a short burst is fine, a sustained flood runs dry. Time comes from
// a monotonic clock so changing the wall clock neither refills nor empties a bucket.

export type MonotonicClock = () => number;

export const monotonicNow: MonotonicClock = () => performance.now();

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: MonotonicClock = monotonicNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the message should be dropped). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Takes `n` tokens even into debt (a message already read cannot be unread) and returns how many
   * milliseconds until the bucket is out of debt; 0 when it is not in debt.
   */
  spend(n: number): number {
    this.refill();
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }

  /** True once the bucket has refilled completely, i.e. forgetting it would change nothing. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }
}

/**
 * Counts messages dropped for rate in a sliding 10 s window; a client that keeps flooding after
 * being told to slow down is disconnected instead of costing us parse-and-drop work forever.
 */
export class ViolationCounter {
  private count = 0;
  private windowStart: number;

  constructor(
    private readonly max: number,
    private readonly now: MonotonicClock = monotonicNow,
    private readonly windowMs = 10_000,
  ) {
    this.windowStart = now();
  }

  /** Records one violation; true when the limit is exceeded. `first` says whether to tell the client. */
  record(): { exceeded: boolean; first: boolean } {
    const t = this.now();
    if (t - this.windowStart > this.windowMs) {
      this.windowStart = t;
      this.count = 0;
    }
    this.count += 1;
    return { exceeded: this.count > this.max, first: this.count === 1 };
  }
}
