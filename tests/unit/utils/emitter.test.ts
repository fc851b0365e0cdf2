// The one typed emitter (src/utils/emitter.ts): listeners in order, removal, and a throwing listener
// that neither stops the others nor reaches the code that emitted.
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/utils/emitter.js';

interface Events {
  tick: number;
  name: string;
}

describe('Emitter', () => {
  it('calls the listeners of that event only, in the order they were added', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('tick', (n) => seen.push(`a${n}`));
    e.on('name', (s) => seen.push(`name ${s}`));
    e.on('tick', (n) => seen.push(`b${n}`));
    e.emit('tick', 1);
    expect(seen).toEqual(['a1', 'b1']);
  });

  it('stops calling a listener removed by the returned function or by off', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    const first = (n: number) => seen.push(n);
    const second = (n: number) => seen.push(n * 10);
    const stop = e.on('tick', first);
    e.on('tick', second);
    e.emit('tick', 1);
    stop();
    e.emit('tick', 2);
    e.off('tick', second);
    e.emit('tick', 3);
    expect(seen).toEqual([1, 10, 20]);
  });

  it('keeps the list an emit started with: an added listener waits, a removed one is still called once', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    let stopLast = (): void => undefined;
    e.on('tick', (n) => {
      seen.push(`first ${n}`);
      e.on('tick', (m) => seen.push(`added ${m}`));
      stopLast();
    });
    stopLast = e.on('tick', (n) => seen.push(`last ${n}`));
    e.emit('tick', 1);
    expect(seen).toEqual(['first 1', 'last 1']);
  });

  it('runs the other listeners and returns normally when one throws', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('name', () => {
      throw new Error('a broken listener');
    });
    e.on('name', (s) => seen.push(s));
    expect(() => e.emit('name', 'still delivered')).not.toThrow();
    expect(seen).toEqual(['still delivered']);
  });
});
