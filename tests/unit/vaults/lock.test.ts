// The read-write lock behind per-vault locking: readers share, writers are exclusive, and waiters are
// served in arrival order so a writer is not starved by a stream of readers.
import { describe, expect, it } from 'vitest';
import { Mutex, RWLock } from '../../../src/utils/lock.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('RWLock', () => {
  it('readers run together; a writer waits for them and later readers wait for the writer', async () => {
    const lock = new RWLock();
    const events: string[] = [];
    let releaseReaders!: () => void;
    const readersHeld = new Promise<void>((r) => (releaseReaders = r));
    const r1 = lock.read(async () => {
      events.push('r1 in');
      await readersHeld;
      events.push('r1 out');
    });
    const r2 = lock.read(async () => {
      events.push('r2 in');
      await readersHeld;
      events.push('r2 out');
    });
    const w = lock.write(async () => {
      events.push('w');
    });
    const r3 = lock.read(async () => {
      events.push('r3');
    });
    await tick();
    expect(events).toEqual(['r1 in', 'r2 in']);
    releaseReaders();
    await Promise.all([r1, r2, w, r3]);
    expect(events).toEqual(['r1 in', 'r2 in', 'r1 out', 'r2 out', 'w', 'r3']);
    expect(lock.idle).toBe(true);
  });

  it('a failing holder releases the lock', async () => {
    const lock = new RWLock();
    await expect(lock.write(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.read(async () => 'ok')).resolves.toBe('ok');
  });

  it('Mutex runs one at a time in order', async () => {
    const m = new Mutex();
    const out: number[] = [];
    let running = 0;
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        m.run(async () => {
          running += 1;
          expect(running).toBe(1);
          await tick();
          out.push(n);
          running -= 1;
        }),
      ),
    );
    expect(out).toEqual([1, 2, 3, 4]);
  });
});
