/**
 * VRRP layer, pure: the state machine of one virtual router, RFC 5798 §6 (and RFC 3768 §6 for v2),
 * with keepalived's additions (initial state MASTER, preempt_delay, FAULT, asserting mastership against
 * a lower-priority master). `step(state, event, nowMs)` returns the next state and a list of actions as
 * plain data; the instance glue (I/O, real timers) carries them out. No clock, no sockets here.
 */
import { compareIp } from '../net/ip.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
export type TimerName = 'adver' | 'masterDown';

export interface FsmConfig {
  version: 2 | 3;
  /** Advertisement_Interval we send, ms (v3: a multiple of 10; v2: whole seconds). */
  advertIntMs: number;
  /** keepalived `state MASTER`: start as master rather than waiting Master_Down_Interval. */
  initialMaster: boolean;
  /** Preempt_Mode; keepalived's `nopreempt` sets it false. */
  preempt: boolean;
  /** keepalived's preempt_delay: no preemption of a lower-priority master until this long after startup. */
  preemptDelayMs: number;
  /** Our primary address on the interface, for the equal-priority tie-break. */
  primaryAddress: Uint8Array;
}

export interface FsmState {
  state: VrrpState;
  /** Effective priority (configured priority plus tracking weights), 1..255. */
  priority: number;
  /** Master_Adver_Interval: the master's interval as learnt from its adverts (v3), ms. */
  masterAdverIntMs: number;
  /** When startup happened, for preempt_delay. */
  startedAtMs: number;
  /** Entered FAULT because of a failing interface or tracker. */
  faulty: boolean;
}

export type FsmEvent =
  | { type: 'startup' }
  | { type: 'shutdown' }
  | { type: 'advert'; priority: number; advertIntMs: number; src: Uint8Array }
  | { type: 'timer'; timer: TimerName }
  | { type: 'priority'; priority: number }
  | { type: 'fault'; down: boolean }
  /** vrrp_sync_group: another member moved; follow it (BACKUP -> MASTER, or MASTER -> BACKUP). */
  | { type: 'follow'; state: 'MASTER' | 'BACKUP' };

export type FsmAction =
  | { type: 'sendAdvert'; priority: number }
  | { type: 'armTimer'; timer: TimerName; ms: number }
  | { type: 'cancelTimer'; timer: TimerName }
  | { type: 'addVips' }
  | { type: 'removeVips' }
  | { type: 'announce' }
  | { type: 'notify'; state: VrrpState };

export interface StepResult {
  state: FsmState;
  actions: FsmAction[];
}

export function initialState(priority: number, cfg: FsmConfig): FsmState {
  return { state: 'INIT', priority, masterAdverIntMs: cfg.advertIntMs, startedAtMs: 0, faulty: false };
}

/**
 * Skew_Time. RFC 5798 §6.1: ((256 - Priority) * Master_Adver_Interval) / 256.
 * RFC 3768 §6.1 (v2): (256 - Priority) / 256 seconds, whatever the interval.
 */
export function skewTimeMs(cfg: FsmConfig, s: Pick<FsmState, 'priority' | 'masterAdverIntMs'>): number {
  if (cfg.version === 2) return ((256 - s.priority) * 1000) / 256;
  return ((256 - s.priority) * s.masterAdverIntMs) / 256;
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time (RFC 5798 §6.1, RFC 3768 §6.1). */
export function masterDownIntervalMs(cfg: FsmConfig, s: Pick<FsmState, 'priority' | 'masterAdverIntMs'>): number {
  const interval = cfg.version === 2 ? cfg.advertIntMs : s.masterAdverIntMs;
  return 3 * interval + skewTimeMs(cfg, s);
}

function becomeMaster(cfg: FsmConfig, s: FsmState, actions: FsmAction[]): FsmState {
  // RFC 5798 §6.4.1/§6.4.2: send an ADVERTISEMENT, broadcast gratuitous ARP / unsolicited NA,
  // start the Adver_Timer, transition to Master.
  actions.push(
    { type: 'cancelTimer', timer: 'masterDown' },
    { type: 'addVips' },
    { type: 'sendAdvert', priority: s.priority },
    { type: 'announce' },
    { type: 'armTimer', timer: 'adver', ms: cfg.advertIntMs },
    { type: 'notify', state: 'MASTER' },
  );
  return { ...s, state: 'MASTER' };
}

function becomeBackup(cfg: FsmConfig, s: FsmState, actions: FsmAction[], masterAdverIntMs: number): FsmState {
  const next = { ...s, state: 'BACKUP' as const, masterAdverIntMs };
  actions.push({ type: 'armTimer', timer: 'masterDown', ms: masterDownIntervalMs(cfg, next) }, { type: 'notify', state: 'BACKUP' });
  return next;
}

function leaveMaster(s: FsmState, actions: FsmAction[]): void {
  actions.push({ type: 'cancelTimer', timer: 'adver' }, { type: 'removeVips' });
  void s;
}

/** The sender of an advert outranks us: higher priority, or equal priority and higher address. */
function outranks(cfg: FsmConfig, s: FsmState, priority: number, src: Uint8Array): boolean {
  if (priority !== s.priority) return priority > s.priority;
  return compareIp(src, cfg.primaryAddress) > 0;
}

export function step(cfg: FsmConfig, s: FsmState, ev: FsmEvent, nowMs: number): StepResult {
  const actions: FsmAction[] = [];
  switch (ev.type) {
    case 'startup': {
      if (s.state !== 'INIT') return { state: s, actions };
      const started = { ...s, startedAtMs: nowMs, masterAdverIntMs: cfg.advertIntMs };
      if (started.faulty) {
        actions.push({ type: 'notify', state: 'FAULT' });
        return { state: { ...started, state: 'FAULT' }, actions };
      }
      // RFC 5798 §6.4.1: the address owner (priority 255) becomes Master at once; keepalived does the
      // same for `state MASTER`.
      if (started.priority === 255 || cfg.initialMaster) return { state: becomeMaster(cfg, started, actions), actions };
      return { state: becomeBackup(cfg, started, actions, cfg.advertIntMs), actions };
    }

    case 'shutdown': {
      if (s.state === 'MASTER') {
        // RFC 5798 §6.4.3: "Send an ADVERTISEMENT with Priority = 0" on shutdown.
        leaveMaster(s, actions);
        actions.push({ type: 'sendAdvert', priority: 0 });
      } else if (s.state === 'BACKUP') {
        actions.push({ type: 'cancelTimer', timer: 'masterDown' });
      }
      actions.push({ type: 'notify', state: 'INIT' });
      return { state: { ...s, state: 'INIT' }, actions };
    }

    case 'timer': {
      if (ev.timer === 'adver' && s.state === 'MASTER') {
        actions.push({ type: 'sendAdvert', priority: s.priority }, { type: 'armTimer', timer: 'adver', ms: cfg.advertIntMs });
        return { state: s, actions };
      }
      if (ev.timer === 'masterDown' && s.state === 'BACKUP') return { state: becomeMaster(cfg, s, actions), actions };
      return { state: s, actions }; // a stale timer: ignore
    }

    case 'advert': {
      if (s.state === 'BACKUP') {
        // RFC 5798 §6.4.2: priority 0 -> Master_Down_Timer = Skew_Time.
        if (ev.priority === 0) {
          actions.push({ type: 'armTimer', timer: 'masterDown', ms: skewTimeMs(cfg, s) });
          return { state: s, actions };
        }
        const delayActive = nowMs < s.startedAtMs + cfg.preemptDelayMs;
        const preempt = cfg.preempt && !delayActive;
        if (!preempt || ev.priority >= s.priority) {
          // v3: the backup learns the master's interval.
          const next = cfg.version === 3 ? { ...s, masterAdverIntMs: ev.advertIntMs } : s;
          actions.push({ type: 'armTimer', timer: 'masterDown', ms: masterDownIntervalMs(cfg, next) });
          return { state: next, actions };
        }
        // Preempting: a lower-priority master is ignored, so our Master_Down_Timer runs out.
        return { state: s, actions };
      }
      if (s.state === 'MASTER') {
        // RFC 5798 §6.4.3: priority 0 -> send an advertisement at once and restart the Adver_Timer.
        if (ev.priority === 0) {
          actions.push({ type: 'sendAdvert', priority: s.priority }, { type: 'armTimer', timer: 'adver', ms: cfg.advertIntMs });
          return { state: s, actions };
        }
        if (outranks(cfg, s, ev.priority, ev.src)) {
          leaveMaster(s, actions);
          const adv = cfg.version === 3 ? ev.advertIntMs : cfg.advertIntMs;
          return { state: becomeBackup(cfg, s, actions, adv), actions };
        }
        // keepalived: assert mastership against a lower-priority master at once, so it steps down.
        actions.push({ type: 'sendAdvert', priority: s.priority }, { type: 'armTimer', timer: 'adver', ms: cfg.advertIntMs });
        return { state: s, actions };
      }
      return { state: s, actions }; // INIT and FAULT ignore adverts
    }

    case 'priority': {
      const p = Math.max(1, Math.min(255, ev.priority));
      return { state: { ...s, priority: p }, actions };
    }

    case 'fault': {
      if (ev.down) {
        if (s.state === 'FAULT' || s.state === 'INIT') return { state: { ...s, faulty: true, state: s.state }, actions };
        if (s.state === 'MASTER') {
          // keepalived releases mastership at once: priority 0 so the backup takes over after Skew_Time.
          leaveMaster(s, actions);
          actions.push({ type: 'sendAdvert', priority: 0 });
        } else actions.push({ type: 'cancelTimer', timer: 'masterDown' });
        actions.push({ type: 'notify', state: 'FAULT' });
        return { state: { ...s, state: 'FAULT', faulty: true }, actions };
      }
      if (s.state !== 'FAULT') return { state: { ...s, faulty: false }, actions };
      const recovered = { ...s, faulty: false };
      if (recovered.priority === 255) return { state: becomeMaster(cfg, recovered, actions), actions };
      return { state: becomeBackup(cfg, recovered, actions, cfg.advertIntMs), actions };
    }

    case 'follow': {
      if (ev.state === 'MASTER' && s.state === 'BACKUP') return { state: becomeMaster(cfg, s, actions), actions };
      if (ev.state === 'BACKUP' && s.state === 'MASTER') {
        leaveMaster(s, actions);
        return { state: becomeBackup(cfg, s, actions, s.masterAdverIntMs), actions };
      }
      return { state: s, actions };
    }

    default: {
      const never: never = ev;
      return never;
    }
  }
}

/**
 * vrrp_sync_group: members move together. Given the members' states and the transition one member just
 * made, the state every other member must be driven to (FAULT wins, then MASTER, then BACKUP), or null.
 */
export function syncGroupTarget(memberStates: VrrpState[], changed: VrrpState): VrrpState | null {
  if (changed === 'FAULT') return 'FAULT';
  if (memberStates.includes('FAULT')) return 'FAULT';
  if (changed === 'MASTER' || changed === 'BACKUP') return changed;
  return null;
}
