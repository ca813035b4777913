import { describe, expect, it } from 'vitest';
import { masterDownIntervalMs, skewTimeMs, syncGroupTarget, type FsmConfig } from '../../../src/vrrp/fsm.js';
import { Lan } from './lan.js';

const v3 = (advertIntMs: number): FsmConfig => ({ version: 3, advertIntMs, initialMaster: false, preempt: true, preemptDelayMs: 0, primaryAddress: new Uint8Array(4) });

describe('timer formulas', () => {
  it('RFC 5798: Master_Down_Interval = 3 x interval + (256 - prio) x interval / 256', () => {
    expect(skewTimeMs(v3(1000), { priority: 100, masterAdverIntMs: 1000 })).toBeCloseTo(609.375);
    expect(masterDownIntervalMs(v3(1000), { priority: 100, masterAdverIntMs: 1000 })).toBeCloseTo(3609.375);
    expect(masterDownIntervalMs(v3(10), { priority: 50, masterAdverIntMs: 10 })).toBeCloseTo(38.046875);
  });
  it('RFC 3768: v2 skew is (256 - prio)/256 s whatever the interval', () => {
    const cfg = { ...v3(3000), version: 2 as const };
    expect(masterDownIntervalMs(cfg, { priority: 50, masterAdverIntMs: 3000 })).toBeCloseTo(9000 + 804.6875);
  });
});

describe('election and failover on a simulated LAN', () => {
  it('the higher priority becomes MASTER, the other stays BACKUP', () => {
    const lan = new Lan();
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(10_000);
    expect(lan.masters()).toEqual(['a']);
    expect(b.s.state).toBe('BACKUP');
    expect(a.vips && !b.vips).toBe(true);
  });
  it('kill -9 of the MASTER: the BACKUP takes over exactly Master_Down_Interval after the last advert', () => {
    const lan = new Lan(0);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(10_500);
    const lastAdvert = a.lastAdvertAtMs;
    expect(lastAdvert).toBeGreaterThan(9_000);
    lan.crash(a);
    lan.run(20_000);
    const takeover = b.transitions.find((t) => t.to === 'MASTER')!;
    expect(takeover.atMs - lastAdvert).toBeCloseTo(3 * 1000 + ((256 - 100) * 1000) / 256);
    expect(b.vips).toBe(true);
  });
  it('graceful shutdown of the MASTER: the BACKUP takes over after Skew_Time', () => {
    const lan = new Lan(0);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(5_200);
    lan.shutdown(a);
    expect(a.vips).toBe(false);
    lan.run(6_000);
    const takeover = b.transitions.find((t) => t.to === 'MASTER')!;
    expect(takeover.atMs - 5_200).toBeCloseTo(((256 - 100) * 1000) / 256);
  });
  it('preempt: a returning higher-priority router takes MASTER back; nopreempt: it does not', () => {
    for (const preempt of [true, false]) {
      const lan = new Lan();
      const a = lan.add('a', 150, { preempt });
      const b = lan.add('b', 100, { preempt });
      lan.start(b);
      lan.run(5_000);
      expect(lan.masters()).toEqual(['b']);
      lan.start(a);
      lan.run(20_000);
      expect(lan.masters()).toEqual(preempt ? ['a'] : ['b']);
    }
  });
  it('preempt_delay holds off preemption for its duration after startup', () => {
    const lan = new Lan();
    const a = lan.add('a', 150, { preemptDelayMs: 30_000 });
    const b = lan.add('b', 100);
    lan.start(b);
    lan.run(5_000);
    lan.start(a);
    lan.run(30_000);
    expect(lan.masters()).toEqual(['b']);
    lan.run(40_000);
    expect(lan.masters()).toEqual(['a']);
  });
  it('equal priority: the higher primary address wins', () => {
    const lan = new Lan();
    const lo = lan.add('lo', 100, {}, '192.0.2.9');
    const hi = lan.add('hi', 100, {}, '192.0.2.10');
    lan.start(lo);
    lan.start(hi);
    lan.run(20_000);
    expect(lan.masters()).toEqual(['hi']);
  });
  it('state MASTER starts as master and steps down to a higher priority; the owner (255) wins at once', () => {
    const lan = new Lan();
    const low = lan.add('low', 100, { initialMaster: true });
    const owner = lan.add('owner', 255);
    lan.start(low);
    expect(low.s.state).toBe('MASTER');
    lan.start(owner);
    expect(owner.s.state).toBe('MASTER');
    lan.run(1_000);
    expect(lan.masters()).toEqual(['owner']);
    expect(low.vips).toBe(false);
  });
  it('a v3 BACKUP adopts the MASTER advert interval', () => {
    const lan = new Lan();
    const a = lan.add('a', 200, { advertIntMs: 500 });
    const b = lan.add('b', 100, { advertIntMs: 2000 });
    lan.start(a);
    lan.start(b);
    lan.run(5_000);
    expect(b.s.masterAdverIntMs).toBe(500);
    lan.crash(a);
    const t0 = lan.nowMs;
    lan.run(20_000);
    const takeover = b.transitions.find((t) => t.to === 'MASTER')!.atMs;
    expect(takeover - t0).toBeLessThan(3 * 500 + 500); // not 3 x 2000
  });
  it('FAULT releases mastership with priority 0, recovery returns to BACKUP', () => {
    const lan = new Lan(0);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(3_000);
    lan.deliver(a, { type: 'fault', down: true });
    expect(a.s.state).toBe('FAULT');
    expect(a.vips).toBe(false);
    lan.run(3_700);
    expect(lan.masters()).toEqual(['b']);
    lan.deliver(a, { type: 'fault', down: false });
    lan.run(10_000);
    expect(lan.masters()).toEqual(['a']);
  });
  it('no spurious transitions over two simulated hours at advert_int 0.01 s', () => {
    const lan = new Lan(0.2);
    const a = lan.add('a', 200, { advertIntMs: 10 });
    const b = lan.add('b', 100, { advertIntMs: 10 });
    const c = lan.add('c', 50, { advertIntMs: 10 });
    for (const r of [a, b, c]) lan.start(r);
    lan.run(2 * 3600 * 1000);
    expect(a.transitions.map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
    expect(b.transitions.map((t) => t.to)).toEqual(['BACKUP']);
    expect(c.transitions.map((t) => t.to)).toEqual(['BACKUP']);
    expect(a.advertsSent).toBeGreaterThanOrEqual(2 * 3600 * 100 - 10); // one advert every 10 ms once master (~40 ms after start)
  });
});

describe('sync groups', () => {
  it('members follow a member into MASTER/BACKUP, and any FAULT faults the group', () => {
    expect(syncGroupTarget(['BACKUP', 'BACKUP'], 'MASTER')).toBe('MASTER');
    expect(syncGroupTarget(['MASTER'], 'BACKUP')).toBe('BACKUP');
    expect(syncGroupTarget(['MASTER', 'FAULT'], 'MASTER')).toBe('FAULT');
    expect(syncGroupTarget(['MASTER'], 'FAULT')).toBe('FAULT');
    expect(syncGroupTarget(['MASTER'], 'INIT')).toBeNull();
  });
});

describe('tracking rules', async () => {
  const { effectivePriority, nextScriptState } = await import('../../../src/vrrp/track.js');
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

describe('sync-group follow events', () => {
  it('a BACKUP follows into MASTER and a MASTER follows into BACKUP; others ignore', async () => {
    const { Lan } = await import('./lan.js');
    const lan = new Lan();
    const a = lan.add('a', 100);
    lan.start(a);
    expect(a.s.state).toBe('BACKUP');
    lan.deliver(a, { type: 'follow', state: 'MASTER' });
    expect(a.s.state).toBe('MASTER');
    expect(a.vips).toBe(true);
    lan.deliver(a, { type: 'follow', state: 'MASTER' });
    expect(a.transitions.map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
    lan.deliver(a, { type: 'follow', state: 'BACKUP' });
    expect(a.s.state).toBe('BACKUP');
    expect(a.vips).toBe(false);
    expect(a.timers.masterDown).toBeDefined();
  });
});
