/**
 * VRRP layer, pure: the state machine of one virtual router. One job: `step(state, event, nowMs)`
 * returns the next state and the actions to carry out, as plain data. It follows RFC 5798 §6 (VRRPv3)
 * and RFC 3768 §6 (VRRPv2), with keepalived's additions: initial state MASTER, preempt_delay, FAULT,
 * tracking priority changes, a MASTER asserting itself against a lower-priority master, sync groups.
 * No clock, no timers, no sockets here: the instance glue arms the timers the actions name, sends the
 * adverts, moves the addresses, and feeds packets and timer expiries back in as events.
 *
 * Times are milliseconds. Skew_Time is kept exact: (256 - Priority) x interval / 256 is a multiple of
 * 1/256 ms, which a double holds exactly, so simulated clocks reproduce the RFC figures to the bit.
 */

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
export type TimerName = 'adver' | 'masterDown' | 'preemptDelay';
/** What a notify script is told: the new state, or STOP when the instance shuts down. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** The configured parameters of one virtual router (RFC 5798 §6.1 names, keepalived's extras). */
export interface VrrpParams {
  /** VRID, 1..255 (informational here: the codec filters on it). */
  vrid: number;
  /** Configured priority, 1..255; 255 = the address owner (RFC 5798 §6.1 "Priority"). */
  priority: number;
  version: 2 | 3;
  /** Advertisement_Interval: v2 whole seconds, v3 a multiple of 10 ms (see representableAdvertIntMs). */
  advertIntMs: number;
  /** Preempt_Mode (RFC 5798 §6.1); keepalived's `nopreempt` makes it false. */
  preemptMode: boolean;
  /**
   * keepalived's preempt_delay: when a BACKUP first sees a lower-priority master it still accepts its
   * adverts for this long before it lets its Master_Down_Timer run out. 0 = off.
   */
  preemptDelayMs: number;
  /** Accept_Mode (RFC 5798 §6.1): passed on with addVips so the glue can drop or accept VIP traffic. */
  acceptMode: boolean;
  /** keepalived `state`: MASTER waits one advert interval (not three) before claiming mastership. */
  initialState: 'BACKUP' | 'MASTER';
  /** Our primary IPvX address on the interface: the equal-priority tie-break (RFC 5798 §6.4.3). */
  primaryAddr: Uint8Array;
  /**
   * keepalived's down_timer_adverts: how many advert intervals make the Master_Down_Interval (plus the
   * skew). The RFCs' 3 when absent.
   */
  downTimerAdverts?: number;
  /** keepalived's lower_prio_no_advert: a MASTER does not answer a lower-priority advert (the RFCs' rule). */
  lowerPrioNoAdvert?: boolean;
  /** keepalived's higher_prio_send_advert: a MASTER outranked sends one advert before it steps down. */
  higherPrioSendAdvert?: boolean;
}

export type PreemptDelayPhase = 'idle' | 'running' | 'expired';

export interface FsmState {
  readonly params: VrrpParams;
  readonly state: VrrpState;
  /** Effective priority: configured priority adjusted by tracking, 1..254, or 255 for the owner. */
  readonly priority: number;
  /** Master_Adver_Interval (RFC 5798 §6.1): v3 learns it from the master's adverts. */
  readonly masterAdverIntervalMs: number;
  /** Our own fault (interface or tracked object down); FAULT forced by a sync group leaves it false. */
  readonly faulty: boolean;
  /** keepalived's preempt_time: idle (0), running (in the future), expired (in the past). */
  readonly preemptDelay: PreemptDelayPhase;
  /** When the armed Master_Down_Timer fires (BACKUP only), so a priority change can move it. */
  readonly masterDownAtMs: number | null;
  /** When the current state was entered. */
  readonly sinceMs: number;
  /**
   * keepalived's wantstate MASTER while still BACKUP: our Master_Down_Timer ran out but our sync group
   * held us back because another member did not want MASTER yet. Cleared by an advert that keeps us
   * BACKUP and by any state change.
   */
  readonly wantMaster: boolean;
}

export type FsmEvent =
  | { type: 'startup' }
  /**
   * Reload: this instance replaces a matched one of the previous configuration (same VRID, family and
   * interface, as keepalived matches them) and carries on from its state with no new election. Instead
   * of startup. `masterDownInMs`: what was left of the old BACKUP's Master_Down timer.
   */
  | { type: 'resume'; state: VrrpState; masterDownInMs?: number }
  | { type: 'shutdown' }
  /** A checked advert for our VRID (packet.ts has dropped the bad ones). */
  | { type: 'advertReceived'; priority: number; srcAddr: Uint8Array; advertIntMs: number }
  /**
   * A timer ran out. For masterDown, `groupReady: false` says our vrrp_sync_group is not MASTER and
   * some other member does not want MASTER: we stay BACKUP and wait (keepalived
   * vrrp_sync_can_goto_master, "prefer backup state to avoid thrashing"). Omitted = not in a group.
   */
  | { type: 'timerFired'; timer: TimerName; groupReady?: boolean }
  /** Tracking moved the effective priority (track.ts computes it). */
  | { type: 'effectivePriorityChanged'; priority: number }
  /** Our interface or a weight-0 tracked object went down (`down: true`) or came back. */
  | { type: 'fault'; down: boolean }
  /** vrrp_sync_group: another member moved; follow it (see syncGroupTransitions). */
  | { type: 'follow'; state: 'MASTER' | 'BACKUP' | 'FAULT' }
  /**
   * A virtual address, route or rule this MASTER holds (and tracks: no `no_track`) was deleted by
   * someone else. keepalived steps down: priority 0 advert, everything released, BACKUP with its
   * Master_Down_Timer at its own Skew_Time, so a fresh election follows at once and puts the addresses
   * back on whichever router wins (the higher priority has the shorter skew: usually the same router,
   * before its BACKUP, whose priority-0 timer is its own longer skew, moves).
   */
  | { type: 'ownedDeleted' };

export type FsmAction =
  | { type: 'sendAdvert'; priority: number }
  /** Arm (or re-arm: any earlier one of that name is replaced) a one-shot timer `ms` from now. */
  | { type: 'armTimer'; timer: TimerName; ms: number }
  | { type: 'cancelTimer'; timer: TimerName }
  | { type: 'addVips'; acceptMode: boolean }
  | { type: 'removeVips' }
  /** Gratuitous ARP (IPv4) / unsolicited Neighbor Advertisement (IPv6) for the virtual addresses. */
  | { type: 'announce' }
  | { type: 'notify'; state: NotifyState };

export interface StepResult {
  state: FsmState;
  actions: FsmAction[];
}

const OWNER = 255;

/** Validates the parameters and returns the INIT state. Throws RangeError on impossible parameters. */
export function initialFsm(params: VrrpParams): FsmState {
  const bad = (what: string) => {
    throw new RangeError(`VRRP parameters: ${what}`);
  };
  if (params.version !== 2 && params.version !== 3) bad(`version must be 2 or 3, got ${String(params.version)}`);
  if (!Number.isInteger(params.vrid) || params.vrid < 1 || params.vrid > 255) bad(`vrid must be 1..255, got ${params.vrid}`);
  if (!Number.isInteger(params.priority) || params.priority < 1 || params.priority > 255) bad(`priority must be 1..255, got ${params.priority}`);
  if (!(params.advertIntMs > 0) || !Number.isFinite(params.advertIntMs)) bad(`advertIntMs must be > 0, got ${params.advertIntMs}`);
  if (!(params.preemptDelayMs >= 0) || !Number.isFinite(params.preemptDelayMs)) bad(`preemptDelayMs must be >= 0, got ${params.preemptDelayMs}`);
  if (params.primaryAddr.length !== 4 && params.primaryAddr.length !== 16) bad('primaryAddr must be an IPv4 or IPv6 address');
  const d = params.downTimerAdverts;
  if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > 100)) bad(`downTimerAdverts must be 1..100, got ${d}`);
  return {
    params,
    state: 'INIT',
    priority: params.priority,
    masterAdverIntervalMs: params.advertIntMs,
    faulty: false,
    preemptDelay: 'idle',
    masterDownAtMs: null,
    sinceMs: 0,
    wantMaster: false,
  };
}

/**
 * RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
 * RFC 3768 §6.1 (v2): Skew_Time = (256 - Priority) / 256 seconds, whatever the interval.
 */
export function skewTimeMs(version: 2 | 3, priority: number, masterAdverIntervalMs: number): number {
  if (version === 2) return ((256 - priority) * 1000) / 256;
  return ((256 - priority) * masterAdverIntervalMs) / 256;
}

/**
 * RFC 5798 §6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time.
 * RFC 3768 §6.1 (v2): (3 * Advertisement_Interval) + Skew_Time - for v2 both intervals are ours, since
 * adverts with another interval are dropped (RFC 3768 §7.1).
 */
export function masterDownIntervalMs(version: 2 | 3, priority: number, masterAdverIntervalMs: number, adverts = 3): number {
  return adverts * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}

/** keepalived's VRRP_TIMER_SKEW_MIN: the skew of priority 255, one 256th of the interval (v2: of 1 s). */
export function skewTimeMinMs(version: 2 | 3, masterAdverIntervalMs: number): number {
  return skewTimeMs(version, OWNER, masterAdverIntervalMs);
}

/** -1, 0 or 1: two addresses compared as unsigned big-endian integers (RFC 5798 §6.4.3 tie-break). */
export function compareAddr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

const skewOf = (s: FsmState): number => skewTimeMs(s.params.version, s.priority, s.masterAdverIntervalMs);
const masterDownOf = (s: FsmState): number => masterDownIntervalMs(s.params.version, s.priority, s.masterAdverIntervalMs, s.params.downTimerAdverts ?? 3);

/** Internal builder: the actions of one step and the state they lead to. */
class Step {
  readonly actions: FsmAction[] = [];
  constructor(
    public s: FsmState,
    readonly nowMs: number,
  ) {}
  push(...a: FsmAction[]): this {
    this.actions.push(...a);
    return this;
  }
  set(patch: Partial<Omit<FsmState, 'params'>>): this {
    const next = { ...this.s, ...patch };
    if (patch.state !== undefined && patch.state !== this.s.state) {
      next.sinceMs = this.nowMs;
      next.wantMaster = false;
    }
    this.s = next;
    return this;
  }
  armMasterDown(ms: number): this {
    this.push({ type: 'armTimer', timer: 'masterDown', ms });
    return this.set({ masterDownAtMs: this.nowMs + ms });
  }
  cancelMasterDown(): this {
    this.push({ type: 'cancelTimer', timer: 'masterDown' });
    return this.set({ masterDownAtMs: null });
  }
  resetPreemptDelay(): this {
    if (this.s.preemptDelay === 'running') this.push({ type: 'cancelTimer', timer: 'preemptDelay' });
    return this.set({ preemptDelay: 'idle' });
  }
  done(): StepResult {
    return { state: this.s, actions: this.actions };
  }
}

/**
 * Become MASTER. RFC 5798 §6.4.1 (owner at startup) and §6.4.2 (Master_Down_Timer fired):
 * "Send an ADVERTISEMENT; broadcast a gratuitous ARP request / unsolicited Neighbor Advertisement;
 * set the Adver_Timer to Advertisement_Interval; transition to the Master state".
 * keepalived sends the advert before adding the addresses, so the old master drops them first.
 */
function becomeMaster(st: Step): Step {
  const p = st.s.params;
  st.cancelMasterDown().resetPreemptDelay();
  st.set({ state: 'MASTER', masterAdverIntervalMs: p.advertIntMs });
  return st.push(
    { type: 'sendAdvert', priority: st.s.priority },
    { type: 'addVips', acceptMode: p.acceptMode || p.priority === OWNER },
    { type: 'announce' },
    { type: 'armTimer', timer: 'adver', ms: p.advertIntMs },
    { type: 'notify', state: 'MASTER' },
  );
}

/** Become BACKUP with the Master_Down_Timer armed for `ms` (RFC 5798 §6.4.1 / §6.4.3). */
function becomeBackup(st: Step, ms: number): Step {
  st.set({ state: 'BACKUP' }).armMasterDown(ms);
  return st.push({ type: 'notify', state: 'BACKUP' });
}

/** Leave MASTER: stop advertising and give up the addresses; `stopAdvert` sends priority 0 first. */
function leaveMaster(st: Step, stopAdvert: boolean): Step {
  st.push({ type: 'cancelTimer', timer: 'adver' });
  // RFC 5798 §6.4.3 (Shutdown): "Send an ADVERTISEMENT with Priority = 0".
  if (stopAdvert) st.push({ type: 'sendAdvert', priority: 0 });
  return st.push({ type: 'removeVips' });
}

/** Into FAULT from any running state (keepalived: a MASTER releases with a priority 0 advert). */
function enterFault(st: Step): Step {
  if (st.s.state === 'MASTER') leaveMaster(st, true);
  else if (st.s.state === 'BACKUP') st.cancelMasterDown().resetPreemptDelay();
  st.set({ state: 'FAULT', masterDownAtMs: null });
  return st.push({ type: 'notify', state: 'FAULT' });
}

/**
 * Out of FAULT (keepalived vrrp_state_leave_fault / try_up_instance): the owner becomes MASTER at once,
 * anyone else BACKUP with Master_Adver_Interval reset to ours and a full Master_Down_Interval.
 */
function leaveFault(st: Step): Step {
  st.set({ masterAdverIntervalMs: st.s.params.advertIntMs, preemptDelay: 'idle' });
  if (st.s.params.priority === OWNER) return becomeMaster(st);
  return becomeBackup(st, masterDownOf(st.s));
}

/** Does an advert from (priority, srcAddr) outrank us? RFC 5798 §6.4.3: higher priority, or equal
 * priority from a higher primary address. */
function outranks(s: FsmState, priority: number, srcAddr: Uint8Array): boolean {
  if (priority !== s.priority) return priority > s.priority;
  return compareAddr(srcAddr, s.params.primaryAddr) > 0;
}

function validAdvert(ev: { priority: number; srcAddr: Uint8Array; advertIntMs: number }): boolean {
  return (
    Number.isInteger(ev.priority) &&
    ev.priority >= 0 &&
    ev.priority <= 255 &&
    ev.srcAddr instanceof Uint8Array &&
    ev.advertIntMs > 0 &&
    Number.isFinite(ev.advertIntMs)
  );
}

/** BACKUP receives an advert: RFC 5798 §6.4.2, with keepalived's preempt_delay. */
function backupRx(st: Step, ev: { priority: number; advertIntMs: number }): Step {
  const s = st.s;
  const p = s.params;
  // RFC 5798 §6.4.2: "If the Priority in the ADVERTISEMENT is zero, then: Set the Master_Down_Timer
  // to Skew_Time".
  if (ev.priority === 0) return st.armMasterDown(skewOf(s));
  // RFC 5798 §6.4.2: "If the Priority in the ADVERTISEMENT is greater than or equal to the local
  // Priority or Preempt_Mode is False" - accept it; else (a lower-priority master and we preempt)
  // "Discard the ADVERTISEMENT", so our Master_Down_Timer runs out and we take over.
  // keepalived's preempt_delay keeps accepting lower-priority adverts until the delay has expired.
  const lower = ev.priority < s.priority;
  const delaying = p.preemptMode && p.preemptDelayMs > 0 && s.preemptDelay !== 'expired';
  if (!p.preemptMode || !lower || delaying) {
    // RFC 5798 §6.4.2 (v3): "Set Master_Adver_Interval to Adver Interval contained in the
    // ADVERTISEMENT; Recompute the Skew_Time; Recompute the Master_Down_Interval".
    if (p.version === 3) st.set({ masterAdverIntervalMs: ev.advertIntMs });
    // keepalived: "Now we have received a backup, we want to be in BACKUP state" (wantstate BACK).
    st.set({ wantMaster: false });
    st.armMasterDown(masterDownOf(st.s));
    if (p.preemptMode && p.preemptDelayMs > 0) {
      if (!lower) st.resetPreemptDelay();
      else if (st.s.preemptDelay === 'idle') {
        st.set({ preemptDelay: 'running' }).push({ type: 'armTimer', timer: 'preemptDelay', ms: p.preemptDelayMs });
      }
    }
  }
  return st;
}

/** MASTER receives an advert: RFC 5798 §6.4.3, with keepalived's answer to a lower-priority master. */
function masterRx(st: Step, ev: { priority: number; srcAddr: Uint8Array; advertIntMs: number }): Step {
  const s = st.s;
  const p = s.params;
  // RFC 5798 §6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send an ADVERTISEMENT;
  // Reset the Adver_Timer to Advertisement_Interval".
  if (ev.priority === 0) return st.push({ type: 'sendAdvert', priority: s.priority }, { type: 'armTimer', timer: 'adver', ms: p.advertIntMs });
  if (outranks(s, ev.priority, ev.srcAddr)) {
    // higher_prio_send_advert: one last advert, so a MASTER that was split from us hears of us (and, with
    // garp_lower_prio_repeat, announces its addresses again).
    if (p.higherPrioSendAdvert) st.push({ type: 'sendAdvert', priority: s.priority });
    // RFC 5798 §6.4.3: "Cancel Adver_Timer; Set Master_Adver_Interval to Adver Interval contained in
    // the ADVERTISEMENT; Recompute the Skew_Time; Recompute the Master_Down_Interval; Set
    // Master_Down_Timer to Master_Down_Interval; Transition to the Backup state".
    leaveMaster(st, false);
    st.set({ masterAdverIntervalMs: p.version === 3 ? ev.advertIntMs : p.advertIntMs, preemptDelay: 'idle' });
    return becomeBackup(st, masterDownOf(st.s));
  }
  // Equal priority from our own address: our advert looped back (keepalived logs and ignores it).
  if (ev.priority === s.priority && compareAddr(ev.srcAddr, p.primaryAddr) === 0) return st;
  // The RFC discards a lower-priority advert; keepalived answers at once ("forcing new election") so a
  // lower-priority router that thinks it is master (after a partition) steps down now, not later -
  // unless lower_prio_no_advert asks for the RFC's behaviour.
  if (p.lowerPrioNoAdvert) return st;
  return st.push({ type: 'sendAdvert', priority: s.priority });
}

/** Out of INIT at startup (RFC 5798 §6.4.1, keepalived vrrp_init_state). */
function startup(st: Step): Step {
  const s = st.s;
  const p = s.params;
  st.set({ masterAdverIntervalMs: p.advertIntMs, preemptDelay: 'idle' });
  if (s.faulty) return enterFault(st);
  // RFC 5798 §6.4.1: "If the Priority = 255 (i.e., the router owns the IPvX address(es)
  // associated with the virtual router)" - become Master at once.
  if (p.priority === OWNER) return becomeMaster(st);
  // keepalived vrrp_init_state: `state MASTER` enters BACKUP but only waits one
  // Master_Adver_Interval + the minimum skew, "to ensure there is no other master".
  if (p.initialState === 'MASTER') return becomeBackup(st, p.advertIntMs + skewTimeMinMs(p.version, p.advertIntMs));
  // RFC 5798 §6.4.1: "Set the Master_Down_Timer to Master_Down_Interval; Transition to Backup".
  return becomeBackup(st, masterDownOf(st.s));
}

/**
 * One transition. Pure: the same (state, event, nowMs) always gives the same result; `state` is not
 * modified. Events that make no sense in the current state (a stale timer, an advert while in FAULT)
 * return the state unchanged with no actions.
 */
export function step(state: FsmState, event: FsmEvent, nowMs: number): StepResult {
  const st = new Step(state, nowMs);
  const s = state;
  const p = s.params;
  switch (event.type) {
    case 'startup':
      if (s.state !== 'INIT') return st.done();
      return startup(st).done();

    case 'resume': {
      if (s.state !== 'INIT') return st.done();
      if (event.state === 'INIT') return startup(st).done();
      st.set({ masterAdverIntervalMs: p.advertIntMs, preemptDelay: 'idle' });
      if (s.faulty) {
        // The new configuration tracks something that is down: release what the old MASTER held.
        if (event.state === 'MASTER') leaveMaster(st, true);
        st.set({ state: 'FAULT', masterDownAtMs: null });
        return event.state === 'FAULT' ? st.done() : st.push({ type: 'notify', state: 'FAULT' }).done();
      }
      switch (event.state) {
        case 'MASTER':
          // Still MASTER: advertise at once (a changed priority or interval is heard now), make sure every
          // configured VIP is in place (those already there are left untouched), no notify.
          st.set({ state: 'MASTER' });
          return st
            .push(
              { type: 'sendAdvert', priority: st.s.priority },
              { type: 'addVips', acceptMode: p.acceptMode || p.priority === OWNER },
              { type: 'armTimer', timer: 'adver', ms: p.advertIntMs },
            )
            .done();
        case 'BACKUP': {
          st.set({ state: 'BACKUP' });
          const left = event.masterDownInMs;
          const full = masterDownOf(st.s);
          return st.armMasterDown(left !== undefined && left >= 0 && left < full ? left : full).done();
        }
        case 'FAULT':
          // Its fault is gone in the new configuration.
          return leaveFault(st).done();
        default: {
          const never: never = event.state;
          return never;
        }
      }
    }

    case 'shutdown': {
      if (s.state === 'INIT') return st.done();
      // RFC 5798 §6.4.3: "If a Shutdown event is received, then: Cancel the Adver_Timer; Send an
      // ADVERTISEMENT with Priority = 0; Transition to the Initialize state". keepalived also removes
      // the addresses.
      if (s.state === 'MASTER') leaveMaster(st, true);
      // RFC 5798 §6.4.2: "If a Shutdown event is received, then: Cancel the Master_Down_Timer;
      // Transition to the Initialize state".
      else if (s.state === 'BACKUP') st.cancelMasterDown().resetPreemptDelay();
      return st.set({ state: 'INIT', masterDownAtMs: null }).push({ type: 'notify', state: 'STOP' }).done();
    }

    case 'timerFired': {
      switch (event.timer) {
        case 'adver':
          // RFC 5798 §6.4.3: "If the Adver_Timer fires, then: Send an ADVERTISEMENT; Reset the
          // Adver_Timer to Advertisement_Interval".
          if (s.state !== 'MASTER') return st.done();
          return st.push({ type: 'sendAdvert', priority: s.priority }, { type: 'armTimer', timer: 'adver', ms: p.advertIntMs }).done();
        case 'masterDown':
          // RFC 5798 §6.4.2: "If the Master_Down_Timer fires, then: ... transition to the Master state".
          if (s.state !== 'BACKUP') return st.done();
          // keepalived vrrp_state_goto_master: a sync group member only goes MASTER once every other
          // member wants to; until then it stays BACKUP wanting MASTER, with a fresh Master_Down timer.
          if (event.groupReady === false) return st.set({ wantMaster: true }).armMasterDown(masterDownOf(s)).done();
          return becomeMaster(st).done();
        case 'preemptDelay':
          // keepalived: preempt_time has passed; the next lower-priority advert is discarded.
          if (s.state !== 'BACKUP' || s.preemptDelay !== 'running') return st.done();
          return st.set({ preemptDelay: 'expired' }).done();
        default: {
          const never: never = event.timer;
          return never;
        }
      }
    }

    case 'advertReceived': {
      if (!validAdvert(event)) return st.done();
      if (s.state === 'BACKUP') return backupRx(st, event).done();
      if (s.state === 'MASTER') return masterRx(st, event).done();
      return st.done(); // INIT and FAULT do not listen
    }

    case 'effectivePriorityChanged': {
      // keepalived vrrp_set_effective_priority: the owner keeps 255; others are clamped to 1..254.
      if (p.priority === OWNER || !Number.isFinite(event.priority)) return st.done();
      const priority = Math.max(1, Math.min(OWNER - 1, Math.round(event.priority)));
      if (priority === s.priority) return st.done();
      const before = skewOf(s);
      st.set({ priority });
      // RFC 5798 §6.1: Skew_Time depends on Priority. keepalived moves a running Master_Down_Timer by
      // the difference; a MASTER simply advertises the new priority from its next advert on.
      if (s.state === 'BACKUP' && s.masterDownAtMs !== null) {
        const at = s.masterDownAtMs + skewOf(st.s) - before;
        st.armMasterDown(Math.max(0, at - nowMs));
      }
      return st.done();
    }

    case 'fault': {
      if (event.down === s.faulty) return st.done();
      if (event.down) {
        st.set({ faulty: true });
        if (s.state === 'INIT' || s.state === 'FAULT') return st.done(); // startup will enter FAULT
        return enterFault(st).done();
      }
      st.set({ faulty: false });
      if (s.state !== 'FAULT') return st.done();
      return leaveFault(st).done();
    }

    case 'ownedDeleted': {
      if (s.state !== 'MASTER') return st.done();
      leaveMaster(st, true);
      st.set({ preemptDelay: 'idle' });
      return becomeBackup(st, skewOf(st.s)).done();
    }

    case 'follow': {
      // vrrp_sync_group (keepalived vrrp_sync.c): members are driven into the group's state. A member
      // with its own fault stays in FAULT; INIT (not started / stopped) does not follow.
      if (s.state === 'INIT' || s.state === event.state || (s.state === 'FAULT' && s.faulty)) return st.done();
      switch (event.state) {
        case 'FAULT':
          return enterFault(st).done();
        case 'MASTER':
          if (s.state === 'FAULT') st.set({ masterAdverIntervalMs: p.advertIntMs, preemptDelay: 'idle' });
          return becomeMaster(st).done();
        case 'BACKUP':
          // keepalived vrrp_sync_backup: a FAULT member leaves FAULT into BACKUP (even the owner);
          // a MASTER goes through vrrp_state_leave_master, which sends no priority 0 advert.
          if (s.state === 'FAULT') st.set({ masterAdverIntervalMs: p.advertIntMs });
          else leaveMaster(st, false);
          st.set({ preemptDelay: 'idle' });
          return becomeBackup(st, masterDownOf(st.s)).done();
        default: {
          const never: never = event;
          return never;
        }
      }
    }

    default: {
      const never: never = event;
      return never;
    }
  }
}

/** One member of a vrrp_sync_group, as syncGroupTransitions sees it. */
export interface SyncMember {
  name: string;
  state: VrrpState;
  /** The member's own fault (FsmState.faulty), as opposed to FAULT forced by the group. */
  faulty: boolean;
}

export interface SyncTransition {
  name: string;
  to: 'MASTER' | 'BACKUP' | 'FAULT';
}

/**
 * vrrp_sync_group: all members move together (keepalived vrrp_sync.c). Given every member's state
 * *after* member `changed` made a transition, the `follow` transitions the members must be driven
 * through. Rules:
 * - any member with its own fault puts the whole group in FAULT (including `changed`, if it just left
 *   FAULT while another member is still faulty);
 * - otherwise the others follow `changed` into MASTER or BACKUP (members in group-forced FAULT too);
 * - a member entering INIT (shutdown) drives nobody; INIT members are never driven.
 * Deliver each transition as step(member, { type: 'follow', state: to }); the transitions that result
 * from those are the group's own and must not be fed back into this function.
 */
export function syncGroupTransitions(members: readonly SyncMember[], changed: string): SyncTransition[] {
  const me = members.find((m) => m.name === changed);
  if (!me || me.state === 'INIT') return [];
  const groupFault = members.some((m) => m.faulty);
  const target: SyncTransition['to'] | null = groupFault ? 'FAULT' : me.state === 'FAULT' ? null : me.state;
  if (target === null) return [];
  const out: SyncTransition[] = [];
  for (const m of members) {
    if (m.state === 'INIT' || m.state === target) continue;
    if (m.faulty) continue; // already in FAULT (or INIT) by its own fault
    if (m.name === changed && target !== 'FAULT') continue;
    out.push({ name: m.name, to: target });
  }
  return out;
}
