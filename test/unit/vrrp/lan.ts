/**
 * A simulated LAN for the pure VRRP state machine: routers exchange the adverts their actions send,
 * armed timers fire in time order, and routers can crash (kill -9: silent) or shut down (priority 0).
 * No sockets, no real time: hours of timers run in milliseconds.
 */
import { initialState, step, type FsmConfig, type FsmEvent, type FsmState, type TimerName, type VrrpState } from '../../../src/vrrp/fsm.js';
import { ipToBytes } from '../../../src/net/ip.js';

export interface Router {
  name: string;
  cfg: FsmConfig;
  s: FsmState;
  alive: boolean;
  timers: Partial<Record<TimerName, number>>;
  vips: boolean;
  transitions: Array<{ atMs: number; to: VrrpState }>;
  advertsSent: number;
  lastAdvertAtMs: number;
}

export class Lan {
  nowMs = 0;
  routers: Router[] = [];
  /** Adverts in flight: delivered after `latencyMs`. */
  private inflight: Array<{ atMs: number; from: Router; priority: number }> = [];

  constructor(private readonly latencyMs = 0.1) {}

  add(name: string, priority: number, cfg: Partial<FsmConfig> = {}, address = `192.0.2.${this.routers.length + 1}`): Router {
    const full: FsmConfig = { version: 3, advertIntMs: 1000, initialMaster: false, preempt: true, preemptDelayMs: 0, primaryAddress: ipToBytes(address), ...cfg };
    const r: Router = { name, cfg: full, s: initialState(priority, full), alive: true, timers: {}, vips: false, transitions: [], advertsSent: 0, lastAdvertAtMs: -1 };
    this.routers.push(r);
    return r;
  }

  deliver(r: Router, ev: FsmEvent): void {
    const before = r.s.state;
    const { state, actions } = step(r.cfg, r.s, ev, this.nowMs);
    r.s = state;
    for (const a of actions) {
      switch (a.type) {
        case 'sendAdvert':
          r.advertsSent++;
          r.lastAdvertAtMs = this.nowMs;
          this.inflight.push({ atMs: this.nowMs + this.latencyMs, from: r, priority: a.priority });
          break;
        case 'armTimer': r.timers[a.timer] = this.nowMs + a.ms; break;
        case 'cancelTimer': delete r.timers[a.timer]; break;
        case 'addVips': r.vips = true; break;
        case 'removeVips': r.vips = false; break;
        default: break;
      }
    }
    if (state.state !== before) r.transitions.push({ atMs: this.nowMs, to: state.state });
  }

  start(r: Router): void { this.deliver(r, { type: 'startup' }); }
  /** kill -9: the router falls silent, its timers die with it. */
  crash(r: Router): void { r.alive = false; r.timers = {}; }
  shutdown(r: Router): void { this.deliver(r, { type: 'shutdown' }); r.alive = false; r.timers = {}; }

  /** Run until `untilMs`, processing adverts and timers in time order. */
  run(untilMs: number): void {
    for (;;) {
      let next = Infinity;
      let kind: 'advert' | 'timer' | null = null;
      let who: Router | undefined;
      let timer: TimerName | undefined;
      let idx = -1;
      this.inflight.forEach((p, i) => { if (p.atMs < next) { next = p.atMs; kind = 'advert'; idx = i; } });
      for (const r of this.routers) {
        if (!r.alive) continue;
        for (const [t, at] of Object.entries(r.timers) as Array<[TimerName, number]>) {
          if (at < next) { next = at; kind = 'timer'; who = r; timer = t; }
        }
      }
      if (kind === null || next > untilMs) { this.nowMs = untilMs; return; }
      this.nowMs = next;
      if (kind === 'advert') {
        const p = this.inflight.splice(idx, 1)[0]!;
        for (const r of this.routers) {
          if (r === p.from || !r.alive) continue;
          this.deliver(r, { type: 'advert', priority: p.priority, advertIntMs: p.from.cfg.advertIntMs, src: p.from.cfg.primaryAddress });
        }
      } else {
        delete who!.timers[timer!];
        this.deliver(who!, { type: 'timer', timer: timer! });
      }
    }
  }

  masters(): string[] { return this.routers.filter((r) => r.alive && r.s.state === 'MASTER').map((r) => r.name); }
}
