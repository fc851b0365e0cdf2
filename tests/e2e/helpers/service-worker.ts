// Stopping a profile's service worker the way the browser does when it is idle (CDP
// ServiceWorker.stopAllWorkers), waiting until Chromium reports it stopped.
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

type VersionUpdate = { versions: Array<{ versionId: string; runningStatus: string; status: string }> };

/** Watches the running state of a profile's service workers through CDP. */
export class WorkerWatch {
  private running = new Map<string, string>();
  /** How many times a worker version has reported 'stopped' (a restart may follow at once). */
  private stops = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly cdp: CDPSession) {
    cdp.on('ServiceWorker.workerVersionUpdated', (e: VersionUpdate) => {
      for (const v of e.versions) {
        if (v.runningStatus === 'stopped' && this.running.get(v.versionId) !== 'stopped') this.stops++;
        this.running.set(v.versionId, v.runningStatus);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async attach(context: BrowserContext, page: Page): Promise<WorkerWatch> {
    const cdp = await context.newCDPSession(page);
    const watch = new WorkerWatch(cdp);
    await cdp.send('ServiceWorker.enable');
    return watch;
  }

  /** True when some worker version reports `status`. */
  some(status: 'running' | 'stopped' | 'starting' | 'stopping'): boolean {
    return [...this.running.values()].includes(status);
  }

  /** Resolves when `test` holds, re-checked on every report Chromium sends (no polling). */
  async until(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Stops every service worker of the profile and waits until Chromium reports the running one
   * stopped. It may be started again right after (an open tab wakes it): that is the point.
   */
  async stopAll(): Promise<void> {
    await this.until(() => this.some('running'), 'a running service worker');
    const before = this.stops;
    await this.cdp.send('ServiceWorker.stopAllWorkers');
    await this.until(() => this.stops > before, 'the service worker to stop');
  }
}
