/**
 * Unit tests, VRRP layer: the state machine. Timer formulas; step() as a table (state x event ->
 * state + actions); random event sequences keep the invariants; and elections on the simulated LAN of
 * lan.ts, where timers fire in exact simulated milliseconds: takeover times are asserted to the bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareAddr,
  initialFsm,
  masterDownIntervalMs,
  skewTimeMinMs,
  skewTimeMs,
  step,
  syncGroupTransitions,
  type FsmAction,
  type FsmEvent,
  type FsmState,
  type TimerName,
  type VrrpParams,
  type VrrpState,
} from '../../../src/vrrp/fsm.js';
import { ipToBytes } from '../../../src/net/ip.js';
import { assertInvariants, Lan, type Router } from './lan.js';

const ME = '192.0.2.10';
const P = (o: Partial<VrrpParams> = {}): VrrpParams => ({
  vrid: 51,
  priority: 100,
  version: 3,
  advertIntMs: 1000,
  preemptMode: true,
  preemptDelayMs: 0,
  acceptMode: false,
  initialState: 'BACKUP',
  primaryAddr: ipToBytes(ME),
  ...o,
});
/** A machine in `state`, as if it had got there (timers per the invariants are the caller's business). */
const S = (state: VrrpState, o: Partial<FsmState> = {}, p: Partial<VrrpParams> = {}): FsmState => ({ ...initialFsm(P(p)), state, ...o });
const adv = (priority: number, from = '192.0.2.20', advertIntMs = 1000): FsmEvent => ({
  type: 'advertReceived',
  priority,
  srcAddr: ipToBytes(from),
  advertIntMs,
});
const fire = (timer: TimerName): FsmEvent => ({ type: 'timerFired', timer });
const arm = (timer: TimerName, ms: number): FsmAction => ({ type: 'armTimer', timer, ms });
const cancel = (timer: TimerName): FsmAction => ({ type: 'cancelTimer', timer });
const send = (priority: number): FsmAction => ({ type: 'sendAdvert', priority });
const notify = (state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): FsmAction => ({ type: 'notify', state });
const BECOME_MASTER = (priority = 100, accept = false, advertIntMs = 1000): FsmAction[] => [
  cancel('masterDown'),
  send(priority),
  { type: 'addVips', acceptMode: accept },
  { type: 'announce' },
  arm('adver', advertIntMs),
  notify('MASTER'),
];

describe('timer formulas', () => {
  it('RFC 5798 §6.1: Skew_Time = (256 - Priority) x Master_Adver_Interval / 256, Master_Down_Interval = 3 x interval + skew', () => {
    expect(skewTimeMs(3, 100, 1000)).toBe(609.375);
    expect(masterDownIntervalMs(3, 100, 1000)).toBe(3609.375);
    expect(masterDownIntervalMs(3, 150, 1000)).toBe(3414.0625);
    expect(masterDownIntervalMs(3, 50, 10)).toBe(38.046875);
    expect(masterDownIntervalMs(3, 254, 40_950)).toBe(3 * 40_950 + (2 * 40_950) / 256);
    expect(skewTimeMs(3, 255, 1000)).toBe(3.90625);
  });
  it('RFC 3768 §6.1: v2 Skew_Time is (256 - Priority) / 256 s whatever the interval', () => {
    expect(skewTimeMs(2, 100, 3000)).toBe(609.375);
    expect(masterDownIntervalMs(2, 50, 3000)).toBe(9000 + 804.6875);
    expect(masterDownIntervalMs(2, 100, 1000)).toBe(masterDownIntervalMs(3, 100, 1000));
  });
  it("keepalived's minimum skew (priority 255's) for an initial MASTER", () => {
    expect(skewTimeMinMs(3, 1000)).toBe(1000 / 256);
    expect(skewTimeMinMs(2, 5000)).toBe(1000 / 256);
  });
  it('addresses compare as unsigned big-endian integers', () => {
    expect(compareAddr(ipToBytes('10.0.0.128'), ipToBytes('10.0.0.127'))).toBe(1);
    expect(compareAddr(ipToBytes('10.0.0.1'), ipToBytes('192.0.2.1'))).toBe(-1);
    expect(compareAddr(ipToBytes('fe80::1:0'), ipToBytes('fe80::ff'))).toBe(1);
    expect(compareAddr(ipToBytes(ME), ipToBytes(ME))).toBe(0);
  });
  it('initialFsm() refuses impossible parameters', () => {
    for (const bad of [
      { priority: 0 },
      { priority: 256 },
      { vrid: 0 },
      { advertIntMs: 0 },
      { preemptDelayMs: -1 },
      { version: 4 as 3 },
      { primaryAddr: new Uint8Array(5) },
    ]) {
      expect(() => initialFsm(P(bad))).toThrow(RangeError);
    }
  });
});

interface Row {
  name: string;
  from: FsmState;
  ev: FsmEvent;
  now?: number;
  to: Partial<FsmState> & { state: VrrpState };
  actions: FsmAction[];
}

const rows: Row[] = [
  // RFC 5798 §6.4.1 Initialize
  {
    name: 'INIT startup -> BACKUP, Master_Down_Timer = Master_Down_Interval',
    from: S('INIT'),
    ev: { type: 'startup' },
    now: 7,
    to: { state: 'BACKUP', masterDownAtMs: 7 + 3609.375, sinceMs: 7 },
    actions: [arm('masterDown', 3609.375), notify('BACKUP')],
  },
  {
    name: 'INIT startup, v2 3 s -> v2 Master_Down_Interval',
    from: S('INIT', {}, { version: 2, advertIntMs: 3000 }),
    ev: { type: 'startup' },
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 9609.375), notify('BACKUP')],
  },
  {
    name: 'INIT startup, owner (255) -> MASTER at once, always accepting',
    from: S('INIT', { priority: 255 }, { priority: 255 }),
    ev: { type: 'startup' },
    to: { state: 'MASTER' },
    actions: BECOME_MASTER(255, true),
  },
  {
    name: 'INIT startup, state MASTER -> BACKUP for one interval + minimum skew (keepalived)',
    from: S('INIT', {}, { initialState: 'MASTER' }),
    ev: { type: 'startup' },
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 1003.90625), notify('BACKUP')],
  },
  {
    name: 'INIT startup while faulty -> FAULT',
    from: S('INIT', { faulty: true }),
    ev: { type: 'startup' },
    to: { state: 'FAULT', faulty: true },
    actions: [notify('FAULT')],
  },
  { name: 'startup when already running: nothing', from: S('BACKUP'), ev: { type: 'startup' }, to: { state: 'BACKUP' }, actions: [] },
  // RFC 5798 §6.4.2 Backup
  {
    name: 'BACKUP Master_Down_Timer fires -> MASTER',
    from: S('BACKUP', { masterDownAtMs: 5 }),
    ev: fire('masterDown'),
    to: { state: 'MASTER', masterDownAtMs: null },
    actions: BECOME_MASTER(),
  },
  {
    name: 'BACKUP -> MASTER passes Accept_Mode on',
    from: S('BACKUP', {}, { acceptMode: true }),
    ev: fire('masterDown'),
    to: { state: 'MASTER' },
    actions: BECOME_MASTER(100, true),
  },
  { name: 'BACKUP stale Adver_Timer: ignored', from: S('BACKUP'), ev: fire('adver'), to: { state: 'BACKUP' }, actions: [] },
  {
    name: 'BACKUP priority 0 -> Master_Down_Timer = Skew_Time',
    from: S('BACKUP'),
    ev: adv(0),
    now: 100,
    to: { state: 'BACKUP', masterDownAtMs: 709.375 },
    actions: [arm('masterDown', 609.375)],
  },
  {
    name: 'BACKUP priority 0, v3 learnt interval -> skew of that interval',
    from: S('BACKUP', { masterAdverIntervalMs: 500 }),
    ev: adv(0),
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 304.6875)],
  },
  {
    name: 'BACKUP higher priority (v3) -> adopts Master_Adver_Interval, resets the timer',
    from: S('BACKUP'),
    ev: adv(200, '192.0.2.20', 500),
    to: { state: 'BACKUP', masterAdverIntervalMs: 500 },
    actions: [arm('masterDown', 1804.6875)],
  },
  {
    name: 'BACKUP higher priority (v2) -> keeps its own interval',
    from: S('BACKUP', {}, { version: 2 }),
    ev: adv(200, '192.0.2.20', 3000),
    to: { state: 'BACKUP', masterAdverIntervalMs: 1000 },
    actions: [arm('masterDown', 3609.375)],
  },
  { name: 'BACKUP equal priority -> accepted', from: S('BACKUP'), ev: adv(100, '192.0.2.1'), to: { state: 'BACKUP' }, actions: [arm('masterDown', 3609.375)] },
  {
    name: 'BACKUP lower priority, preempt -> discarded (timer runs on)',
    from: S('BACKUP', { masterDownAtMs: 3000 }),
    ev: adv(50),
    to: { state: 'BACKUP', masterDownAtMs: 3000 },
    actions: [],
  },
  {
    name: 'BACKUP lower priority, nopreempt -> accepted (no preemption)',
    from: S('BACKUP', {}, { preemptMode: false }),
    ev: adv(50),
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 3609.375)],
  },
  {
    name: 'BACKUP lower priority, preempt_delay idle -> accepted, delay starts',
    from: S('BACKUP', {}, { preemptDelayMs: 30_000 }),
    ev: adv(50),
    to: { state: 'BACKUP', preemptDelay: 'running' },
    actions: [arm('masterDown', 3609.375), arm('preemptDelay', 30_000)],
  },
  {
    name: 'BACKUP lower priority, preempt_delay running -> accepted',
    from: S('BACKUP', { preemptDelay: 'running' }, { preemptDelayMs: 30_000 }),
    ev: adv(50),
    to: { state: 'BACKUP', preemptDelay: 'running' },
    actions: [arm('masterDown', 3609.375)],
  },
  {
    name: 'BACKUP lower priority, preempt_delay expired -> discarded',
    from: S('BACKUP', { preemptDelay: 'expired' }, { preemptDelayMs: 30_000 }),
    ev: adv(50),
    to: { state: 'BACKUP', preemptDelay: 'expired' },
    actions: [],
  },
  {
    name: 'BACKUP higher priority while delaying -> delay stopped',
    from: S('BACKUP', { preemptDelay: 'running' }, { preemptDelayMs: 30_000 }),
    ev: adv(150),
    to: { state: 'BACKUP', preemptDelay: 'idle' },
    actions: [arm('masterDown', 3609.375), cancel('preemptDelay')],
  },
  {
    name: 'BACKUP preempt_delay timer fires -> expired',
    from: S('BACKUP', { preemptDelay: 'running' }, { preemptDelayMs: 30_000 }),
    ev: fire('preemptDelay'),
    to: { state: 'BACKUP', preemptDelay: 'expired' },
    actions: [],
  },
  { name: 'stale preempt_delay timer: ignored', from: S('MASTER'), ev: fire('preemptDelay'), to: { state: 'MASTER' }, actions: [] },
  // RFC 5798 §6.4.3 Master
  // keepalived: a tracked VIP, virtual route or rule deleted by someone else
  {
    name: 'MASTER owned address deleted -> priority 0, released, BACKUP, election after its Skew_Time',
    from: S('MASTER'),
    ev: { type: 'ownedDeleted' },
    now: 50,
    to: { state: 'BACKUP', masterDownAtMs: 50 + 609.375 },
    actions: [cancel('adver'), send(0), { type: 'removeVips' }, arm('masterDown', 609.375), notify('BACKUP')],
  },
  { name: 'BACKUP owned address deleted: nothing (it holds none)', from: S('BACKUP'), ev: { type: 'ownedDeleted' }, to: { state: 'BACKUP' }, actions: [] },
  { name: 'FAULT owned address deleted: nothing', from: S('FAULT'), ev: { type: 'ownedDeleted' }, to: { state: 'FAULT' }, actions: [] },
  // keepalived's down_timer_adverts, lower_prio_no_advert, higher_prio_send_advert
  {
    name: 'down_timer_adverts 5: Master_Down_Interval = 5 intervals + skew',
    from: S('INIT', {}, { downTimerAdverts: 5 }),
    ev: { type: 'startup' },
    now: 0,
    to: { state: 'BACKUP', masterDownAtMs: 5609.375 },
    actions: [arm('masterDown', 5609.375), notify('BACKUP')],
  },
  {
    name: 'down_timer_adverts 1: an advert re-arms one interval + skew',
    from: S('BACKUP', {}, { downTimerAdverts: 1 }),
    ev: adv(150),
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 1609.375)],
  },
  {
    name: 'lower_prio_no_advert: a MASTER ignores a lower priority (RFC)',
    from: S('MASTER', {}, { lowerPrioNoAdvert: true }),
    ev: adv(99, '192.0.2.200'),
    to: { state: 'MASTER' },
    actions: [],
  },
  {
    name: 'higher_prio_send_advert: one advert of ours before stepping down',
    from: S('MASTER', {}, { higherPrioSendAdvert: true }),
    ev: adv(101, '192.0.2.1'),
    to: { state: 'BACKUP' },
    actions: [send(100), cancel('adver'), { type: 'removeVips' }, arm('masterDown', 3609.375), notify('BACKUP')],
  },
  { name: 'MASTER Adver_Timer -> advert + re-arm', from: S('MASTER'), ev: fire('adver'), to: { state: 'MASTER' }, actions: [send(100), arm('adver', 1000)] },
  { name: 'MASTER stale Master_Down_Timer: ignored', from: S('MASTER'), ev: fire('masterDown'), to: { state: 'MASTER' }, actions: [] },
  {
    name: 'MASTER priority 0 -> advert at once, Adver_Timer reset',
    from: S('MASTER'),
    ev: adv(0),
    to: { state: 'MASTER' },
    actions: [send(100), arm('adver', 1000)],
  },
  {
    name: 'MASTER higher priority -> BACKUP with the sender interval',
    from: S('MASTER'),
    ev: adv(101, '192.0.2.1', 2000),
    now: 10,
    to: { state: 'BACKUP', masterAdverIntervalMs: 2000, masterDownAtMs: 10 + 6000 + 1218.75 },
    actions: [cancel('adver'), { type: 'removeVips' }, arm('masterDown', 7218.75), notify('BACKUP')],
  },
  {
    name: 'MASTER equal priority, higher address -> BACKUP',
    from: S('MASTER'),
    ev: adv(100, '192.0.2.11'),
    to: { state: 'BACKUP' },
    actions: [cancel('adver'), { type: 'removeVips' }, arm('masterDown', 3609.375), notify('BACKUP')],
  },
  {
    name: 'MASTER equal priority, lower address -> advert at once (keepalived)',
    from: S('MASTER'),
    ev: adv(100, '192.0.2.9'),
    to: { state: 'MASTER' },
    actions: [send(100)],
  },
  { name: 'MASTER equal priority, our own address (looped back) -> nothing', from: S('MASTER'), ev: adv(100, ME), to: { state: 'MASTER' }, actions: [] },
  {
    name: 'MASTER lower priority -> advert at once so it steps down (keepalived)',
    from: S('MASTER'),
    ev: adv(99, '192.0.2.200'),
    to: { state: 'MASTER' },
    actions: [send(100)],
  },
  {
    name: 'owner MASTER stays against anything but another owner',
    from: S('MASTER', { priority: 255 }, { priority: 255 }),
    ev: adv(254, '192.0.2.200'),
    to: { state: 'MASTER' },
    actions: [send(255)],
  },
  // Shutdown
  {
    name: 'MASTER shutdown -> priority 0, addresses removed, INIT',
    from: S('MASTER'),
    ev: { type: 'shutdown' },
    to: { state: 'INIT' },
    actions: [cancel('adver'), send(0), { type: 'removeVips' }, notify('STOP')],
  },
  {
    name: 'BACKUP shutdown -> INIT',
    from: S('BACKUP', { masterDownAtMs: 9 }),
    ev: { type: 'shutdown' },
    to: { state: 'INIT', masterDownAtMs: null },
    actions: [cancel('masterDown'), notify('STOP')],
  },
  {
    name: 'BACKUP shutdown while delaying preemption',
    from: S('BACKUP', { preemptDelay: 'running' }),
    ev: { type: 'shutdown' },
    to: { state: 'INIT', preemptDelay: 'idle' },
    actions: [cancel('masterDown'), cancel('preemptDelay'), notify('STOP')],
  },
  { name: 'FAULT shutdown -> INIT', from: S('FAULT', { faulty: true }), ev: { type: 'shutdown' }, to: { state: 'INIT' }, actions: [notify('STOP')] },
  { name: 'INIT shutdown: nothing', from: S('INIT'), ev: { type: 'shutdown' }, to: { state: 'INIT' }, actions: [] },
  // Fault (keepalived)
  {
    name: 'MASTER fault -> priority 0, addresses removed, FAULT',
    from: S('MASTER'),
    ev: { type: 'fault', down: true },
    to: { state: 'FAULT', faulty: true },
    actions: [cancel('adver'), send(0), { type: 'removeVips' }, notify('FAULT')],
  },
  {
    name: 'BACKUP fault -> FAULT',
    from: S('BACKUP'),
    ev: { type: 'fault', down: true },
    to: { state: 'FAULT', faulty: true },
    actions: [cancel('masterDown'), notify('FAULT')],
  },
  { name: 'INIT fault -> remembered for startup', from: S('INIT'), ev: { type: 'fault', down: true }, to: { state: 'INIT', faulty: true }, actions: [] },
  {
    name: 'FAULT cleared -> BACKUP with our own interval',
    from: S('FAULT', { faulty: true, masterAdverIntervalMs: 500 }),
    ev: { type: 'fault', down: false },
    to: { state: 'BACKUP', faulty: false, masterAdverIntervalMs: 1000 },
    actions: [arm('masterDown', 3609.375), notify('BACKUP')],
  },
  {
    name: 'FAULT cleared, owner -> MASTER',
    from: S('FAULT', { faulty: true, priority: 255 }, { priority: 255 }),
    ev: { type: 'fault', down: false },
    to: { state: 'MASTER' },
    actions: BECOME_MASTER(255, true),
  },
  { name: 'fault repeated: nothing', from: S('FAULT', { faulty: true }), ev: { type: 'fault', down: true }, to: { state: 'FAULT' }, actions: [] },
  { name: 'FAULT ignores adverts', from: S('FAULT', { faulty: true }), ev: adv(0), to: { state: 'FAULT' }, actions: [] },
  { name: 'INIT ignores adverts and timers', from: S('INIT'), ev: fire('masterDown'), to: { state: 'INIT' }, actions: [] },
  // Tracking (keepalived vrrp_set_effective_priority)
  {
    name: 'MASTER priority change: next advert carries it, nothing now',
    from: S('MASTER'),
    ev: { type: 'effectivePriorityChanged', priority: 90 },
    to: { state: 'MASTER', priority: 90 },
    actions: [],
  },
  {
    name: 'BACKUP priority change moves the Master_Down_Timer by the skew difference',
    from: S('BACKUP', { masterDownAtMs: 5000 }),
    ev: { type: 'effectivePriorityChanged', priority: 200 },
    now: 2000,
    to: { state: 'BACKUP', priority: 200, masterDownAtMs: 4609.375 },
    actions: [arm('masterDown', 2609.375)],
  },
  {
    name: 'priority clamps to 1..254',
    from: S('BACKUP'),
    ev: { type: 'effectivePriorityChanged', priority: 300 },
    to: { state: 'BACKUP', priority: 254 },
    actions: [],
  },
  { name: 'priority clamps at 1', from: S('FAULT'), ev: { type: 'effectivePriorityChanged', priority: -5 }, to: { state: 'FAULT', priority: 1 }, actions: [] },
  {
    name: 'the owner keeps 255',
    from: S('MASTER', { priority: 255 }, { priority: 255 }),
    ev: { type: 'effectivePriorityChanged', priority: 100 },
    to: { state: 'MASTER', priority: 255 },
    actions: [],
  },
  // Nonsense in, nothing out
  { name: 'advert with an impossible priority: ignored', from: S('BACKUP'), ev: adv(300), to: { state: 'BACKUP' }, actions: [] },
  { name: 'advert with a zero interval: ignored', from: S('BACKUP'), ev: adv(200, '192.0.2.20', 0), to: { state: 'BACKUP' }, actions: [] },
  // Sync groups (keepalived vrrp_sync.c)
  { name: 'follow MASTER from BACKUP', from: S('BACKUP'), ev: { type: 'follow', state: 'MASTER' }, to: { state: 'MASTER' }, actions: BECOME_MASTER() },
  {
    name: 'follow BACKUP from MASTER: no priority 0',
    from: S('MASTER'),
    ev: { type: 'follow', state: 'BACKUP' },
    to: { state: 'BACKUP' },
    actions: [cancel('adver'), { type: 'removeVips' }, arm('masterDown', 3609.375), notify('BACKUP')],
  },
  {
    name: 'follow FAULT from MASTER: priority 0, not faulty itself',
    from: S('MASTER'),
    ev: { type: 'follow', state: 'FAULT' },
    to: { state: 'FAULT', faulty: false },
    actions: [cancel('adver'), send(0), { type: 'removeVips' }, notify('FAULT')],
  },
  {
    name: 'follow BACKUP out of group FAULT',
    from: S('FAULT'),
    ev: { type: 'follow', state: 'BACKUP' },
    to: { state: 'BACKUP' },
    actions: [arm('masterDown', 3609.375), notify('BACKUP')],
  },
  { name: 'follow MASTER out of group FAULT', from: S('FAULT'), ev: { type: 'follow', state: 'MASTER' }, to: { state: 'MASTER' }, actions: BECOME_MASTER() },
  {
    name: 'a member with its own fault does not follow',
    from: S('FAULT', { faulty: true }),
    ev: { type: 'follow', state: 'MASTER' },
    to: { state: 'FAULT' },
    actions: [],
  },
  { name: 'INIT does not follow', from: S('INIT'), ev: { type: 'follow', state: 'MASTER' }, to: { state: 'INIT' }, actions: [] },
  { name: 'follow into the state it is in: nothing', from: S('MASTER'), ev: { type: 'follow', state: 'MASTER' }, to: { state: 'MASTER' }, actions: [] },
];

describe('step(): state x event table (RFC 5798 §6.4, keepalived)', () => {
  it.each(rows)('$name', ({ from, ev, now, to, actions }) => {
    const frozen = structuredClone(from);
    const r = step(from, ev, now ?? 0);
    expect(r.actions).toEqual(actions);
    expect(r.state).toMatchObject(to);
    expect(from).toEqual(frozen); // pure: the input state is untouched
    expect(step(from, ev, now ?? 0)).toEqual(r); // and deterministic
  });
});

describe('random event sequences keep the invariants', () => {
  it('MASTER <-> Adver_Timer + VIPs, BACKUP <-> Master_Down_Timer, FAULT/INIT <-> neither; never throws', () => {
    const evArb = fc.oneof(
      fc.constant<FsmEvent>({ type: 'startup' }),
      fc.constant<FsmEvent>({ type: 'shutdown' }),
      fc.record({
        type: fc.constant('advertReceived' as const),
        priority: fc.integer({ min: -1, max: 256 }),
        srcAddr: fc.constantFrom(ipToBytes('192.0.2.1'), ipToBytes(ME), ipToBytes('192.0.2.200')),
        advertIntMs: fc.constantFrom(0, 10, 500, 1000),
      }),
      fc.record({ type: fc.constant('timerFired' as const), timer: fc.constantFrom<TimerName>('adver', 'masterDown', 'preemptDelay') }),
      fc.record({ type: fc.constant('effectivePriorityChanged' as const), priority: fc.integer({ min: -10, max: 300 }) }),
      fc.record({ type: fc.constant('fault' as const), down: fc.boolean() }),
      fc.record({ type: fc.constant('follow' as const), state: fc.constantFrom('MASTER' as const, 'BACKUP' as const, 'FAULT' as const) }),
      fc.constant<FsmEvent>({ type: 'ownedDeleted' }),
    );
    const paramsArb = fc.record({
      priority: fc.constantFrom(1, 100, 254, 255),
      version: fc.constantFrom(2 as const, 3 as const),
      preemptMode: fc.boolean(),
      preemptDelayMs: fc.constantFrom(0, 5000),
      initialState: fc.constantFrom('BACKUP' as const, 'MASTER' as const),
    });
    fc.assert(
      fc.property(paramsArb, fc.array(fc.tuple(evArb, fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), (p, events) => {
        const lan = new Lan(0);
        const r = lan.add('r', p.priority, { ...p, address: ME });
        let t = 0;
        for (const [ev, dt] of events) {
          t += dt;
          lan.nowMs = t;
          // A timer event is either the armed timer firing (removed first, as the glue does) or stale.
          if (ev.type === 'timerFired') delete r.timers[ev.timer];
          lan.deliver(r, ev); // lan checks the invariants after every step
          assertInvariants(r);
          expect(r.s.priority).toBeGreaterThanOrEqual(1);
          expect(r.s.priority).toBeLessThanOrEqual(255);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

const at = (r: Router, to: VrrpState) => r.transitions.filter((t) => t.to === to).map((t) => t.atMs);
const path = (r: Router) => r.transitions.map((t) => t.to);

describe('elections on a simulated LAN (adverts go through the codec)', () => {
  const L = 0.25; // one-way latency, ms (exact in binary)

  it('two routers: the higher priority is MASTER exactly when its Master_Down_Interval ends', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(60_000);
    expect(lan.masters()).toEqual(['a']);
    expect(at(a, 'MASTER')).toEqual([3414.0625]);
    expect(path(b)).toEqual(['BACKUP']);
    expect(a.vips && !b.vips).toBe(true);
    expect(a.announces).toBe(1);
    expect(a.sent.map((s) => s.atMs).slice(0, 3)).toEqual([3414.0625, 4414.0625, 5414.0625]);
    expect(Object.values(b.drops).every((n) => n === 0)).toBe(true);
  });

  it('three routers: kill -9 of the MASTER, the next one takes over exactly Master_Down_Interval after the last advert it heard', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 200);
    const b = lan.add('b', 150);
    const c = lan.add('c', 100);
    for (const r of [a, b, c]) lan.start(r);
    lan.run(10_500);
    expect(lan.masters()).toEqual(['a']);
    expect(at(a, 'MASTER')).toEqual([3218.75]); // 3 x 1000 + 56 x 1000 / 256
    const last = a.lastAdvertAtMs;
    lan.crash(a);
    lan.run(60_000);
    expect(at(b, 'MASTER')).toEqual([last + L + 3414.0625]);
    expect(path(c)).toEqual(['BACKUP']); // 3609.375 > 3414.0625 + latency: c hears b first
    expect(lan.masters()).toEqual(['b']);
    // The old master comes back with preemption: takes over after its own Master_Down_Interval.
    lan.at(61_000, () => lan.start(a));
    lan.run(120_000);
    expect(at(a, 'MASTER').at(-1)).toBe(61_000 + 3218.75);
    expect(at(b, 'BACKUP').at(-1)).toBe(61_000 + 3218.75 + L);
    expect(lan.masters()).toEqual(['a']);
  });

  it('graceful shutdown of the MASTER: the BACKUP takes over Skew_Time after the priority 0 advert', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(5_200);
    lan.shutdown(a);
    expect(a.sent.at(-1)).toEqual({ atMs: 5_200, priority: 0 });
    expect(a.vips).toBe(false);
    expect(a.notifies.at(-1)).toEqual({ atMs: 5_200, state: 'STOP' });
    lan.run(10_000);
    expect(at(b, 'MASTER')).toEqual([5_200 + L + 609.375]);
  });

  it('preempt: a returning higher priority takes MASTER back after its Master_Down_Interval; nopreempt: never', () => {
    for (const preemptMode of [true, false]) {
      const lan = new Lan(L);
      const a = lan.add('a', 150, { preemptMode });
      const b = lan.add('b', 100, { preemptMode });
      lan.start(b);
      lan.run(5_000);
      expect(lan.masters()).toEqual(['b']);
      lan.start(a);
      lan.run(3_600_000);
      if (preemptMode) {
        expect(at(a, 'MASTER')).toEqual([5_000 + 3414.0625]);
        expect(at(b, 'BACKUP')).toEqual([0, 5_000 + 3414.0625 + L]);
      } else {
        expect(lan.masters()).toEqual(['b']);
        expect(path(a)).toEqual(['BACKUP']);
      }
    }
  });

  it('preempt_delay (keepalived): lower-priority adverts are accepted for the delay after the first one, then the timer runs out', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150, { preemptDelayMs: 30_500 });
    const b = lan.add('b', 100);
    lan.start(b);
    lan.run(5_000);
    expect(at(b, 'MASTER')).toEqual([3609.375]);
    lan.start(a);
    lan.run(120_000);
    // b advertises at 3609.375 + k x 1000; a hears the first at 5609.625 -> delay until 36109.625;
    // the last accepted advert arrives at 35609.625, the Master_Down_Timer ends 3414.0625 later.
    expect(at(a, 'MASTER')).toEqual([35_609.625 + 3414.0625]);
    expect(lan.masters()).toEqual(['a']);
    // The delay is not remembered: after a round as BACKUP (a higher master), it starts afresh.
    expect(a.s.preemptDelay).toBe('idle');
  });

  it('equal priority: the higher primary address wins, compared as unsigned bytes (IPv4 and IPv6)', () => {
    for (const [lo, hi] of [
      ['10.0.0.127', '10.0.0.128'],
      ['fe80::ff', 'fe80::1:0'],
    ] as const) {
      const lan = new Lan(L);
      const l = lan.add('lo', 100, { address: lo });
      const h = lan.add('hi', 100, { address: hi });
      lan.start(l);
      lan.start(h);
      lan.run(3_600_000);
      expect(lan.masters()).toEqual(['hi']);
      // Both time out together and claim MASTER; the lower address steps down one latency later.
      expect(path(l)).toEqual(['BACKUP', 'MASTER', 'BACKUP']);
      expect(at(l, 'BACKUP').at(-1)).toBe(3609.375 + L);
      expect(path(h)).toEqual(['BACKUP', 'MASTER']);
    }
  });

  it('a v3 BACKUP adopts the MASTER advert interval and times out on it', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 200, { advertIntMs: 500 });
    const b = lan.add('b', 100, { advertIntMs: 2000 });
    lan.start(a);
    lan.start(b);
    lan.run(5_000);
    expect(b.s.masterAdverIntervalMs).toBe(500);
    const last = a.lastAdvertAtMs;
    lan.crash(a);
    lan.run(30_000);
    expect(at(b, 'MASTER')).toEqual([last + L + 3 * 500 + (156 * 500) / 256]); // not 3 x 2000 + ...
    expect(b.s.masterAdverIntervalMs).toBe(2000); // a MASTER advertises its own
    expect(b.sent[1]!.atMs - b.sent[0]!.atMs).toBe(2000);
  });

  it('VRRPv2 with PASS authentication: v2 timers; a wrong password is dropped and both become MASTER', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150, { version: 2, advertIntMs: 3000, pass: 'secret' });
    const b = lan.add('b', 100, { version: 2, advertIntMs: 3000, pass: 'secret' });
    lan.start(a);
    lan.start(b);
    lan.run(20_000);
    expect(at(a, 'MASTER')).toEqual([9000 + 414.0625]); // v2 skew: (256 - 150) / 256 s
    const last = a.lastAdvertAtMs;
    lan.crash(a);
    lan.run(40_000);
    expect(at(b, 'MASTER')).toEqual([last + L + 9000 + 609.375]);

    const lan2 = new Lan(L);
    const c = lan2.add('c', 150, { version: 2, pass: 'secret' });
    const d = lan2.add('d', 100, { version: 2, pass: 'Secret' });
    lan2.start(c);
    lan2.start(d);
    lan2.run(20_000);
    expect(lan2.masters()).toEqual(['c', 'd']);
    expect(d.drops.authMismatch).toBeGreaterThan(10);
  });

  it('the address owner (255) is MASTER at startup and displaces a lower master within one latency', () => {
    const lan = new Lan(L);
    const b = lan.add('b', 100);
    const owner = lan.add('owner', 255);
    lan.start(b);
    lan.run(10_000);
    lan.start(owner);
    expect(owner.s.state).toBe('MASTER');
    expect(owner.transitions).toEqual([{ atMs: 10_000, from: 'INIT', to: 'MASTER' }]);
    lan.run(60_000);
    expect(at(b, 'BACKUP').at(-1)).toBe(10_000 + L);
    expect(lan.masters()).toEqual(['owner']);
  });

  it('state MASTER claims mastership after one interval when alone, and not at all under a higher master', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 100, { initialState: 'MASTER' });
    lan.start(a);
    lan.run(5_000);
    expect(at(a, 'MASTER')).toEqual([1000 + 1000 / 256]);

    const lan2 = new Lan(L);
    const hi = lan2.add('hi', 200);
    const lo = lan2.add('lo', 100, { initialState: 'MASTER' });
    lan2.start(hi);
    lan2.run(5_000);
    lan2.start(lo);
    lan2.run(60_000);
    expect(path(lo)).toEqual(['BACKUP']);
  });

  it('split brain heals at once: the MASTER answers a lower-priority advert immediately', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(10_000);
    lan.partition(a, b);
    lan.run(20_000);
    expect(lan.masters().sort()).toEqual(['a', 'b']);
    lan.heal();
    lan.run(40_000);
    expect(lan.masters()).toEqual(['a']);
    // b's first advert after the heal reaches a, a answers at that instant (off its 1 s grid),
    // b steps down one latency later.
    const bFirst = b.sent.find((s) => s.atMs > 20_000)!.atMs;
    expect(a.sent.some((s) => s.atMs === bFirst + L)).toBe(true);
    expect(at(b, 'BACKUP').at(-1)).toBe(bFirst + 2 * L);
  });

  it('tracking lowers the MASTER priority below the BACKUP: the BACKUP preempts when its timer runs out', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(10_200);
    lan.deliver(a, { type: 'effectivePriorityChanged', priority: 90 });
    const lastAccepted = a.lastAdvertAtMs; // the next advert (priority 90) is discarded by b
    lan.run(30_000);
    expect(at(b, 'MASTER')).toEqual([lastAccepted + L + 3609.375]);
    expect(lan.masters()).toEqual(['b']);
    expect(a.s.state).toBe('BACKUP');
  });

  it('FAULT releases mastership with priority 0; recovery comes back as BACKUP and preempts', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 150);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    lan.run(5_000);
    lan.deliver(a, { type: 'fault', down: true });
    expect(a.s.state).toBe('FAULT');
    expect(a.vips).toBe(false);
    expect(a.sent.at(-1)).toEqual({ atMs: 5_000, priority: 0 });
    lan.run(20_000);
    expect(at(b, 'MASTER')).toEqual([5_000 + L + 609.375]);
    lan.deliver(a, { type: 'fault', down: false });
    lan.run(40_000);
    expect(at(a, 'MASTER').at(-1)).toBe(20_000 + 3414.0625);
    expect(path(a)).toEqual(['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
  });

  it('six simulated hours of crash/restart cycles: every takeover lands exactly on Master_Down_Interval', () => {
    const lan = new Lan(L);
    const a = lan.add('a', 200);
    const b = lan.add('b', 100);
    lan.start(a);
    lan.start(b);
    const cycleMs = 10 * 60_000;
    const takeovers: number[] = [];
    for (let t = cycleMs; t < 6 * 3_600_000; t += cycleMs) {
      lan.run(t);
      const last = a.lastAdvertAtMs;
      lan.crash(a);
      lan.run(t + 60_000);
      takeovers.push(at(b, 'MASTER').at(-1)! - last - L);
      lan.start(a);
    }
    expect(takeovers.length).toBe(35);
    expect(new Set(takeovers)).toEqual(new Set([3609.375]));
  });

  it('no spurious transitions over two simulated hours at advert_int 0.01 s (three routers)', () => {
    const lan = new Lan(0.2);
    lan.checkInvariants = false; // 1.4 M steps: keep it quick; invariants are covered above
    const a = lan.add('a', 200, { advertIntMs: 10 });
    const b = lan.add('b', 100, { advertIntMs: 10 });
    const c = lan.add('c', 50, { advertIntMs: 10 });
    for (const r of [a, b, c]) lan.start(r);
    lan.run(2 * 3_600_000);
    expect(path(a)).toEqual(['BACKUP', 'MASTER']);
    expect(at(a, 'MASTER')).toEqual([30 + (56 * 10) / 256]);
    expect(path(b)).toEqual(['BACKUP']);
    expect(path(c)).toEqual(['BACKUP']);
    // One advert every 10 ms from 32.1875 ms to the end, none lost, none dropped.
    expect(a.advertsSent).toBe(Math.floor((7_200_000 - 32.1875) / 10) + 1);
    for (const r of [b, c]) expect(Object.values(r.drops).every((n) => n === 0)).toBe(true);
  }, 60_000);
});

describe('sync groups', () => {
  const m = (name: string, state: VrrpState, faulty = false) => ({ name, state, faulty });

  it('syncGroupTransitions(): the others follow into MASTER or BACKUP; any own fault puts the group in FAULT', () => {
    expect(syncGroupTransitions([m('a', 'MASTER'), m('b', 'BACKUP'), m('c', 'BACKUP')], 'a')).toEqual([
      { name: 'b', to: 'MASTER' },
      { name: 'c', to: 'MASTER' },
    ]);
    expect(syncGroupTransitions([m('a', 'BACKUP'), m('b', 'MASTER')], 'a')).toEqual([{ name: 'b', to: 'BACKUP' }]);
    expect(syncGroupTransitions([m('a', 'FAULT', true), m('b', 'MASTER'), m('c', 'BACKUP')], 'a')).toEqual([
      { name: 'b', to: 'FAULT' },
      { name: 'c', to: 'FAULT' },
    ]);
    // a leaves FAULT while b still has its own fault: a goes back to FAULT.
    expect(syncGroupTransitions([m('a', 'BACKUP'), m('b', 'FAULT', true)], 'a')).toEqual([{ name: 'a', to: 'FAULT' }]);
    // The last own fault clears: members held in FAULT by the group follow it out.
    expect(syncGroupTransitions([m('a', 'BACKUP'), m('b', 'FAULT'), m('c', 'FAULT')], 'a')).toEqual([
      { name: 'b', to: 'BACKUP' },
      { name: 'c', to: 'BACKUP' },
    ]);
    // Shutdown drives nobody; stopped members are never driven.
    expect(syncGroupTransitions([m('a', 'INIT'), m('b', 'MASTER')], 'a')).toEqual([]);
    expect(syncGroupTransitions([m('a', 'MASTER'), m('b', 'INIT')], 'a')).toEqual([]);
    expect(syncGroupTransitions([m('a', 'MASTER')], 'zz')).toEqual([]);
  });

  it('a member whose Master_Down timer runs out waits in BACKUP until every other member wants MASTER', () => {
    const p: VrrpParams = {
      vrid: 1,
      priority: 100,
      version: 2,
      advertIntMs: 1000,
      preemptMode: true,
      preemptDelayMs: 0,
      acceptMode: false,
      initialState: 'BACKUP',
      primaryAddr: new Uint8Array([192, 0, 2, 2]),
    };
    let s = step(initialFsm(p), { type: 'startup' }, 0).state;
    const held = step(s, { type: 'timerFired', timer: 'masterDown', groupReady: false }, 3_609);
    expect(held.state.state).toBe('BACKUP');
    expect(held.state.wantMaster).toBe(true);
    expect(held.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', ms: 3_609.375 }]);
    s = held.state;
    // An advert from the master: keepalived's wantstate goes back to BACKUP.
    const rx = step(s, { type: 'advertReceived', priority: 150, srcAddr: new Uint8Array([192, 0, 2, 1]), advertIntMs: 1000 }, 4_000);
    expect(rx.state.wantMaster).toBe(false);
    // Ready (or not in a group): MASTER.
    expect(step(s, { type: 'timerFired', timer: 'masterDown', groupReady: true }, 7_218).state.state).toBe('MASTER');
    expect(step(s, { type: 'timerFired', timer: 'masterDown' }, 7_218).state.state).toBe('MASTER');
  });

  it('on the LAN: a priority-0 advert on one member does not move the group before the others time out (keepalived)', () => {
    const lan = new Lan(0.25);
    const a1 = lan.add('a1', 150, { vrid: 51, address: '192.0.2.1' });
    const a2 = lan.add('a2', 150, { vrid: 52, address: '192.0.2.1' });
    const b1 = lan.add('b1', 100, { vrid: 51, address: '192.0.2.2' });
    const b2 = lan.add('b2', 100, { vrid: 52, address: '192.0.2.2' });
    lan.syncGroup([a1, a2]);
    lan.syncGroup([b1, b2]);
    for (const r of [a1, a2, b1, b2]) lan.start(r);
    lan.run(10_000);
    expect(lan.masters()).toEqual(['a1', 'a2']);
    // The MASTER host dies: a2 manages a priority-0 advert (its link still up), a1 falls silent.
    lan.shutdown(a2);
    lan.crash(a1);
    lan.run(10_700);
    expect(b2.s.state).toBe('BACKUP'); // its timer ran out after the skew time, but b1 does not want MASTER yet
    expect(b2.s.wantMaster).toBe(true);
    lan.run(20_000);
    expect(lan.masters()).toEqual(['b1', 'b2']);
    // Both took over when b1's Master_Down_Interval ran out (last advert from a1 + 3 s + skew).
    const t = at(b1, 'MASTER')[0]!;
    expect(t).toBeGreaterThan(12_500);
    expect(at(b2, 'MASTER')).toEqual([t]);
  });

  it('on the LAN: one instance of the MASTER host faulting moves the whole group to the other host, and back', () => {
    const lan = new Lan(0.25);
    const a1 = lan.add('a1', 150, { vrid: 51, address: '192.0.2.1' });
    const a2 = lan.add('a2', 150, { vrid: 52, address: '192.0.2.1' });
    const b1 = lan.add('b1', 100, { vrid: 51, address: '192.0.2.2' });
    const b2 = lan.add('b2', 100, { vrid: 52, address: '192.0.2.2' });
    lan.syncGroup([a1, a2]);
    lan.syncGroup([b1, b2]);
    for (const r of [a1, a2, b1, b2]) lan.start(r);
    lan.run(10_000);
    expect(lan.masters()).toEqual(['a1', 'a2']);
    lan.deliver(a2, { type: 'fault', down: true }); // only a2 tracks the failed object
    expect([a1.s.state, a2.s.state]).toEqual(['FAULT', 'FAULT']);
    expect([a1.s.faulty, a2.s.faulty]).toEqual([false, true]);
    expect(a1.sent.at(-1)).toEqual({ atMs: 10_000, priority: 0 });
    lan.run(20_000);
    expect(lan.masters()).toEqual(['b1', 'b2']);
    expect(at(b1, 'MASTER')).toEqual([10_000 + 0.25 + 609.375]);
    lan.deliver(a2, { type: 'fault', down: false });
    expect([a1.s.state, a2.s.state]).toEqual(['BACKUP', 'BACKUP']);
    lan.run(40_000);
    expect(lan.masters()).toEqual(['a1', 'a2']);
    expect([b1.s.state, b2.s.state]).toEqual(['BACKUP', 'BACKUP']);
  });
});
