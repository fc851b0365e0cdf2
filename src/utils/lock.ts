// Small async locks: a Mutex and a read-write lock. Waiters are served in arrival order, so a writer
// queued behind readers is not starved by readers that arrive after it.

type Waiter = { kind: 'read' | 'write'; wake: () => void };

export class RWLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  /** Runs fn while holding a shared lock: other readers may run at the same time, writers wait. */
  read<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold('read', fn);
  }

  /** Runs fn while holding the exclusive lock. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold('write', fn);
  }

  /** Whether anyone holds or waits for the lock (lets owners drop idle locks). */
  get idle(): boolean {
    return this.readers === 0 && !this.writer && this.queue.length === 0;
  }

  private async hold<T>(kind: 'read' | 'write', fn: () => Promise<T>): Promise<T> {
    await this.acquire(kind);
    try {
      return await fn();
    } finally {
      if (kind === 'read') this.readers -= 1;
      else this.writer = false;
      this.drain();
    }
  }

  private acquire(kind: 'read' | 'write'): Promise<void> {
    if (this.queue.length === 0 && this.canRun(kind)) {
      this.take(kind);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push({ kind, wake: resolve }));
  }

  private canRun(kind: 'read' | 'write'): boolean {
    return kind === 'read' ? !this.writer : !this.writer && this.readers === 0;
  }

  private take(kind: 'read' | 'write'): void {
    if (kind === 'read') this.readers += 1;
    else this.writer = true;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (!this.canRun(next.kind)) return;
      this.queue.shift();
      this.take(next.kind);
      next.wake();
    }
  }
}

export class Mutex {
  private readonly lock = new RWLock();

  /** Runs fn alone: concurrent callers wait their turn. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.write(fn);
  }
}
