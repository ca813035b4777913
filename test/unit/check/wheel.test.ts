/** The checks' timer wheel on a fake clock: order, tick rounding, one host timer, re-entrancy, clear. */
import { describe, expect, it } from 'vitest';
import { TimerWheel } from '../../../src/check/wheel.js';
import type { Clock } from '../../../src/util/clock.js';

function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock & { advance(ms: number): void; pending(): number } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
  return clock;
}

describe('TimerWheel', () => {
  it('fires each item once, within half a tick of its due time, in due order, with one host timer', () => {
    const clock = fakeClock();
    const fired: Array<[string, number]> = [];
    const w = new TimerWheel<string>((x) => fired.push([x, clock.now()]), 10, clock);
    w.schedule('c', 995);
    w.schedule('a', 3);
    w.schedule('b', 500);
    w.schedule('a2', 7);
    expect(clock.pending()).toBe(1);
    clock.advance(2000);
    expect(fired.map(([x]) => x)).toEqual(['a', 'a2', 'b', 'c']);
    for (const [x, at] of fired) {
      const due = { a: 3, a2: 7, b: 500, c: 995 }[x]!;
      expect(at).toBeGreaterThanOrEqual(due - 5);
      expect(at).toBeLessThanOrEqual(due + 5);
    }
    expect(fired).toHaveLength(4);
    expect(clock.pending()).toBe(0);
  });

  it('an item scheduled while firing (a check re-arming itself) goes to a later tick, and earlier waiting slots keep their timer', () => {
    const clock = fakeClock();
    const fired: Array<[string, number]> = [];
    const w: TimerWheel<string> = new TimerWheel<string>(
      (x) => {
        fired.push([x, clock.now()]);
        if (x === 'loop' && fired.length < 5) w.schedule('loop', 0);
        if (x === 'first') w.schedule('late', 1000);
      },
      10,
      clock,
    );
    w.schedule('first', 10);
    w.schedule('loop', 10);
    w.schedule('mid', 50);
    clock.advance(100);
    // 'loop' re-arms with 0 ms: once per tick, never twice in one.
    const loops = fired.filter(([x]) => x === 'loop').map(([, t]) => t);
    expect(new Set(loops).size).toBe(loops.length);
    expect(fired.find(([x]) => x === 'mid')?.[1]).toBeLessThanOrEqual(60);
    clock.advance(1000);
    expect(fired.some(([x]) => x === 'late')).toBe(true);
  });

  it('clear() drops everything and its timer', () => {
    const clock = fakeClock();
    const fired: string[] = [];
    const w = new TimerWheel<string>((x) => fired.push(x), 10, clock);
    w.schedule('x', 100);
    w.clear();
    expect(clock.pending()).toBe(0);
    clock.advance(500);
    expect(fired).toEqual([]);
  });

  it('keeps 10,000 items spread over a second to about a hundred wake-ups', () => {
    const clock = fakeClock();
    let n = 0;
    let wakeups = 0;
    const base = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) =>
      base(() => {
        wakeups++;
        fn();
      }, ms);
    const w = new TimerWheel<number>(() => n++, 10, clock);
    for (let i = 0; i < 10_000; i++) w.schedule(i, (i / 10_000) * 1000);
    clock.advance(1100);
    expect(n).toBe(10_000);
    expect(wakeups).toBeLessThanOrEqual(102);
  });
});
