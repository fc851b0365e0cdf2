// Liveness of one RPC connection (docs/protocol.md "Heartbeat"). A WebRTC path can die without
// anything closing: a peer whose network vanished, a frozen tab, a transport torn down on one side
// only. The data channel then stays "open" for WebRTC's own ~30 s, and every call on it hangs
// until its stream times out. So each side pings when it has heard nothing from the other for
// `intervalMs`, the other answers with a pong, and a connection that hears no frame at all for
// `deadAfterMs` is declared dead.
//
// What a ping is NOT: progress. Pings and pongs touch no stream (a stuck stream still fails by its
// own no-progress timeout) and do not count as activity for the peer manager's idle close, so a
// peer cannot keep a connection or a stream alive with pings alone. Pings and pongs beyond a small
// budget per interval are ignored (no pong goes back) and each costs the sender a strike, so a
// flood closes the connection after a few frames.

/** Pings plus pongs accepted from the peer per interval; an honest peer sends at most two. */
const FRAMES_PER_INTERVAL = 4;

export interface HeartbeatOptions {
  /** Ping after this long without hearing from the peer. */
  intervalMs: number;
  /** Declare the connection dead after this long without any frame from the peer. */
  deadAfterMs: number;
  send(kind: 'ping' | 'pong'): void;
  /** The peer went silent; called once, after which the heartbeat has stopped. */
  dead(silentMs: number): void;
  /** The peer sent a ping or pong beyond the budget of this interval. */
  abuse(): void;
}

export class Heartbeat {
  private lastHeard = Date.now();
  private lastTick = Date.now();
  private lastPing = 0;
  private windowStart = 0;
  private inWindow = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  // Checked a few times per interval, so death is noticed at most a third of an interval late.
  private readonly tickMs: number;

  constructor(private readonly options: HeartbeatOptions) {
    this.tickMs = Math.max(10, Math.floor(options.intervalMs / 3));
    this.schedule();
  }

  /** Any frame arrived from the peer: the path works. */
  heard(): void {
    this.lastHeard = Date.now();
  }

  /** A ping or pong arrived (heard() was called for it already). */
  received(kind: 'ping' | 'pong'): void {
    if (this.stopped) return;
    const now = Date.now();
    if (now - this.windowStart >= this.options.intervalMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow += 1;
    if (this.inWindow > FRAMES_PER_INTERVAL) {
      this.options.abuse();
      return;
    }
    if (kind === 'ping') this.options.send('pong');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), this.tickMs);
    // Liveness checks alone must not keep a Node process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    // A tick far later than scheduled means this side was not running (a long synchronous task, a
    // suspended worker): frames that arrived meanwhile are still queued behind this timer, so the
    // stall is not held against the peer.
    const stalled = now - this.lastTick - this.tickMs;
    this.lastTick = now;
    if (stalled > this.tickMs) this.lastHeard = Math.min(now, this.lastHeard + stalled);
    const silent = now - this.lastHeard;
    if (silent >= this.options.deadAfterMs) {
      this.stop();
      this.options.dead(silent);
      return;
    }
    if (silent >= this.options.intervalMs && now - this.lastPing >= this.options.intervalMs) {
      this.lastPing = now;
      this.options.send('ping');
    }
    this.schedule();
  }
}
