/**
 * Unit tests, VRRP layer: keepalived's tracking rules (weights, reverse, FAULT, rise/fall), which feed
 * effectivePriorityChanged and fault events into the state machine.
 */
import { describe, expect, it } from 'vitest';
import { effectivePriority, nextScriptState } from '../../../src/vrrp/track.js';

describe('track_file rules (keepalived.conf(5) "Track files")', () => {
  const file = (value: number, weight: number, reverse = false) => ({ kind: 'file' as const, name: 'tf', up: value === 0, weight, reverse, value });
  it('weight 0: non-zero is a failure; otherwise value x weight is added; below -253 is FAULT', () => {
    expect(effectivePriority(100, [file(0, 0)])).toEqual({ priority: 100, fault: false });
    expect(effectivePriority(100, [file(3, 0)])).toMatchObject({ fault: true, faultBy: 'file tf' });
    expect(effectivePriority(100, [file(5, -10)])).toEqual({ priority: 50, fault: false });
    expect(effectivePriority(100, [file(5, 10)])).toEqual({ priority: 150, fault: false });
    expect(effectivePriority(100, [file(5, 10, true)])).toEqual({ priority: 50, fault: false });
    expect(effectivePriority(100, [file(-2, 10)])).toEqual({ priority: 80, fault: false });
    expect(effectivePriority(100, [file(25, -10)])).toEqual({ priority: 1, fault: false }); // -250: clamped to 1
    expect(effectivePriority(100, [file(26, -10)])).toMatchObject({ fault: true }); // -260 < -253
  });
});

describe('tracking rules', () => {
  const item = (up: boolean, weight: number, reverse = false) => ({ kind: 'script' as const, name: 'chk', up, weight, reverse });
  it('negative weight subtracts while down, positive adds while up, 0 means FAULT', () => {
    expect(effectivePriority(100, [item(true, -20)])).toEqual({ priority: 100, fault: false });
    expect(effectivePriority(100, [item(false, -20)])).toEqual({ priority: 80, fault: false });
    expect(effectivePriority(100, [item(true, 30)])).toEqual({ priority: 130, fault: false });
    expect(effectivePriority(100, [item(false, 30)])).toEqual({ priority: 100, fault: false });
    expect(effectivePriority(100, [item(false, 0)])).toMatchObject({ fault: true, faultBy: 'script chk' });
    expect(effectivePriority(100, [item(true, 0, true)])).toMatchObject({ fault: true });
    expect(effectivePriority(100, [item(false, 0, true)])).toMatchObject({ fault: false });
    // reverse: what would be added is subtracted and vice versa (keepalived's multiplier -1)
    expect(effectivePriority(100, [item(true, -20, true)])).toEqual({ priority: 100, fault: false });
    expect(effectivePriority(100, [item(false, -20, true)])).toEqual({ priority: 120, fault: false });
    expect(effectivePriority(100, [item(true, 20, true)])).toEqual({ priority: 80, fault: false });
    expect(effectivePriority(100, [item(false, 20, true)])).toEqual({ priority: 100, fault: false });
  });
  it('clamps to 1..254 and leaves the owner at 255', () => {
    expect(effectivePriority(250, [item(true, 100)]).priority).toBe(254);
    expect(effectivePriority(10, [item(false, -100)]).priority).toBe(1);
    expect(effectivePriority(255, [item(false, -100)]).priority).toBe(255);
  });
  it('rise and fall need that many results in a row', () => {
    let s = { up: true, streak: 0 };
    s = nextScriptState(s, false, 2, 3);
    s = nextScriptState(s, false, 2, 3);
    expect(s.up).toBe(true);
    s = nextScriptState(s, true, 2, 3); // a success resets the streak
    s = nextScriptState(s, false, 2, 3);
    s = nextScriptState(s, false, 2, 3);
    s = nextScriptState(s, false, 2, 3);
    expect(s.up).toBe(false);
    s = nextScriptState(s, true, 2, 3);
    expect(s.up).toBe(false);
    s = nextScriptState(s, true, 2, 3);
    expect(s.up).toBe(true);
  });
});
