/** Unit tests, VRRP layer: dropped adverts' log lines are rate-limited per window, the rest summed by reason (pure, fake clock). */
import { describe, expect, it } from 'vitest';
import { DropLog } from '../../../src/vrrp/drop-log.js';

function setup(burst = 3, windowMs = 10_000) {
  let now = 0;
  const lines: string[] = [];
  const log = new DropLog(
    () => now,
    (l) => lines.push(l),
    '(VI_1)',
    { burst, windowMs },
  );
  return { log, lines, at: (t: number) => (now = t) };
}

describe('DropLog', () => {
  it('logs the first `burst` drops of a window one by one, then only counts them', () => {
    const { log, lines, at } = setup();
    let built = 0;
    for (let i = 0; i < 10_000; i++) {
      at(i); // 10,000 drops within one 10 s window
      log.note(i % 2 ? 'badTtl' : 'authMismatch', () => `drop ${++built}`);
    }
    expect(lines).toEqual(['drop 1', 'drop 2', 'drop 3']);
    expect(built).toBe(3); // the text of an unlogged drop is never built
  });

  it('tells the held-back count by reason in one line when the next window opens', () => {
    const { log, lines, at } = setup(1);
    at(0);
    log.note('badTtl', () => 'first');
    for (let i = 1; i <= 5; i++) log.note('badTtl', () => 'x');
    log.note('authMismatch', () => 'x');
    at(12_000);
    log.note('badChecksum', () => 'next window');
    expect(lines).toEqual(['first', '(VI_1) 6 more adverts dropped in 12 s, not logged one by one (badTtl 5, authMismatch 1)', 'next window']);
  });

  it('bounds the lines per window whatever the rate: at most burst + 1 lines per window', () => {
    const { log, lines, at } = setup(10, 10_000);
    // One hour of 10,000 drops a second, sampled every millisecond.
    for (let t = 0; t < 3_600_000; t += 1) {
      at(t);
      log.note('truncated', () => 'l');
    }
    expect(lines.length).toBeLessThanOrEqual(360 * 11);
    expect(lines.length).toBeGreaterThanOrEqual(360 * 10);
  });

  it('a quiet window says nothing extra', () => {
    const { log, lines, at } = setup(2);
    at(0);
    log.note('badTtl', () => 'a');
    at(20_000);
    log.note('badTtl', () => 'b');
    expect(lines).toEqual(['a', 'b']);
  });
});
