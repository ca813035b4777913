/** Unit tests, checker layer: keepalived's retry rule for one checker (pure). */
import { describe, expect, it } from 'vitest';
import { afterResult, fileCheckStatus, initialCheckerState } from '../../../src/check/state.js';

const t = { retry: 2, delayBeforeRetryS: 1, delayLoopS: 5, alpha: false };

describe('checker state', () => {
  it('starts up, or down with alpha', () => {
    expect(initialCheckerState({ alpha: false })).toEqual({ up: true, failures: 0 });
    expect(initialCheckerState({ alpha: true })).toEqual({ up: false, failures: 0 });
  });
  it('retry 2: two failures retry after delay_before_retry, the third marks it down; a success brings it back', () => {
    let s = initialCheckerState(t);
    let r = afterResult(s, false, t);
    expect(r).toEqual({ state: { up: true, failures: 1 }, changed: false, nextMs: 1000 });
    r = afterResult(r.state, false, t);
    expect(r).toEqual({ state: { up: true, failures: 2 }, changed: false, nextMs: 1000 });
    r = afterResult(r.state, false, t);
    expect(r).toEqual({ state: { up: false, failures: 0 }, changed: true, nextMs: 5000 });
    // Still failing while down: no change, regular interval after the retries.
    r = afterResult(r.state, false, t);
    expect(r.changed).toBe(false);
    s = r.state;
    r = afterResult(s, true, t);
    expect(r).toEqual({ state: { up: true, failures: 0 }, changed: true, nextMs: 5000 });
  });
  it('a success between failures resets the count (flapping does not add up)', () => {
    let r = afterResult(initialCheckerState(t), false, t);
    r = afterResult(r.state, false, t);
    r = afterResult(r.state, true, t);
    expect(r.state).toEqual({ up: true, failures: 0 });
    r = afterResult(r.state, false, t);
    expect(r.state).toEqual({ up: true, failures: 1 });
  });
  it('retry 0: the first failure marks it down; alpha comes up on the first success', () => {
    const t0 = { ...t, retry: 0, alpha: true };
    expect(afterResult({ up: true, failures: 0 }, false, t0)).toEqual({ state: { up: false, failures: 0 }, changed: true, nextMs: 5000 });
    expect(afterResult(initialCheckerState(t0), true, t0).changed).toBe(true);
  });
});

describe('FILE_CHECK status (keepalived track_file for checkers)', () => {
  it('weight 0: a non-zero value fails, reverse flips it', () => {
    expect(fileCheckStatus(0, 0, false)).toEqual({ up: true, delta: 0 });
    expect(fileCheckStatus(5, 0, false)).toEqual({ up: false, delta: 0 });
    expect(fileCheckStatus(0, 0, true)).toEqual({ up: false, delta: 0 });
    expect(fileCheckStatus(-1, 0, true)).toEqual({ up: true, delta: 0 });
  });
  it('otherwise value x weight (negated by reverse) is added; only the bottom of the 32-bit range fails', () => {
    expect(fileCheckStatus(3, 2, false)).toEqual({ up: true, delta: 6 });
    expect(fileCheckStatus(3, 2, true)).toEqual({ up: true, delta: -6 });
    expect(fileCheckStatus(-2000000000, 2, false)).toEqual({ up: false, delta: 0 });
    expect(fileCheckStatus(2000000000, 2, false)).toEqual({ up: true, delta: 2 ** 31 - 1 });
  });
});
