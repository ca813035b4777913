/**
 * Test helper: a simulated LAN for the pure VRRP core. Each router is one VRRP instance driven by
 * step(); the LAN carries out its actions: sendAdvert goes through the real codec (encode once,
 * patchPriority, decode with the receive checks) to every other live router of the same VRID after
 * `latencyMs`; armed timers fire in time order from one event queue. Routers can crash (kill -9:
 * silent), shut down (priority 0), fault, be partitioned, and be tied into sync groups.
 * No sockets, no real time: hours of timers run in a second. Time is exact (binary fractions of a ms).
 */
import {
  initialFsm,
  step,
  syncGroupTransitions,
  type FsmAction,
  type FsmEvent,
  type FsmState,
  type TimerName,
  type VrrpParams,
  type VrrpState,
} from '../../../src/vrrp/fsm.js';
import {
  AUTH_NONE,
  AUTH_PASS,
  decode,
  encode,
  newDropCounters,
  passAuthData,
  patchPriority,
  type DropCounters,
  type Expected,
} from '../../../src/vrrp/packet.js';
import { ipToBytes } from '../../../src/net/ip.js';

export interface Router {
  name: string;
  address: string;
  s: FsmState;
  alive: boolean;
  /** When each armed timer fires (absent: not armed). */
  timers: Partial<Record<TimerName, number>>;
  vips: boolean;
  transitions: Array<{ atMs: number; from: VrrpState; to: VrrpState }>;
  advertsSent: number;
  /** Priorities of the adverts sent, with the time. */
  sent: Array<{ atMs: number; priority: number }>;
  lastAdvertAtMs: number;
  announces: number;
  notifies: Array<{ atMs: number; state: string }>;
  drops: DropCounters;
  /** Every action, for table-style assertions. */
  log: Array<{ atMs: number; action: FsmAction }>;
  /** v2 PASS password, if any. */
  pass?: string;
  wire: Buffer;
  group?: Router[];
}

type QItem =
  | { atMs: number; seq: number; kind: 'timer'; r: Router; timer: TimerName; gen: number }
  | { atMs: number; seq: number; kind: 'packet'; to: Router; from: Router; bytes: Buffer }
  | { atMs: number; seq: number; kind: 'call'; fn: () => void };

/** A binary min-heap on (atMs, seq): ties fire in scheduling order, so runs are deterministic. */
class Queue {
  private h: QItem[] = [];
  get size(): number {
    return this.h.length;
  }
  private less(a: QItem, b: QItem): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }
  push(x: QItem): void {
    const h = this.h;
    h.push(x);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  peek(): QItem | undefined {
    return this.h[0];
  }
  pop(): QItem | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export interface AddOptions extends Partial<Omit<VrrpParams, 'primaryAddr'>> {
  address?: string;
  pass?: string;
}

export class Lan {
  nowMs = 0;
  readonly routers: Router[] = [];
  private readonly q = new Queue();
  private seq = 0;
  private readonly gens = new Map<Router, Record<TimerName, number>>();
  private readonly blocked = new Set<string>();
  /** Check the state/timer/VIP invariants after every step. */
  checkInvariants = true;

  constructor(readonly latencyMs = 0.1) {}

  add(name: string, priority: number, opts: AddOptions = {}): Router {
    const { address: addrOpt, pass, ...rest } = opts;
    const address = addrOpt ?? `192.0.2.${this.routers.length + 1}`;
    const params: VrrpParams = {
      vrid: 51,
      priority,
      version: 3,
      advertIntMs: 1000,
      preemptMode: true,
      preemptDelayMs: 0,
      acceptMode: true,
      initialState: 'BACKUP',
      primaryAddr: ipToBytes(address),
      ...rest,
    };
    const v6 = address.includes(':');
    const dst = ipToBytes(v6 ? 'ff02::12' : '224.0.0.18');
    const wire = encode(
      {
        version: params.version,
        vrid: params.vrid,
        priority,
        advertIntMs: params.advertIntMs,
        addresses: [ipToBytes(v6 ? '2001:db8::100' : '192.0.2.100')],
        ...(params.version === 2 ? { authType: pass !== undefined ? AUTH_PASS : AUTH_NONE } : {}),
        ...(pass !== undefined ? { authData: passAuthData(pass) } : {}),
      },
      { srcAddr: params.primaryAddr, dstAddr: dst },
    );
    const r: Router = {
      name,
      address,
      s: initialFsm(params),
      alive: true,
      timers: {},
      vips: false,
      transitions: [],
      advertsSent: 0,
      sent: [],
      lastAdvertAtMs: -1,
      announces: 0,
      notifies: [],
      drops: newDropCounters(),
      log: [],
      wire,
      ...(pass !== undefined ? { pass } : {}),
    };
    this.routers.push(r);
    this.gens.set(r, { adver: 0, masterDown: 0, preemptDelay: 0 });
    return r;
  }

  /** Ties routers (instances on one host) into a vrrp_sync_group. */
  syncGroup(members: Router[]): void {
    for (const m of members) m.group = members;
  }

  /** Feeds one event to a router and carries out its actions. `follow`-induced moves are not re-synced. */
  deliver(r: Router, ev: FsmEvent): void {
    const before = r.s.state;
    const { state, actions } = step(r.s, ev, this.nowMs);
    r.s = state;
    for (const a of actions) {
      r.log.push({ atMs: this.nowMs, action: a });
      switch (a.type) {
        case 'sendAdvert':
          r.advertsSent++;
          r.lastAdvertAtMs = this.nowMs;
          r.sent.push({ atMs: this.nowMs, priority: a.priority });
          this.transmit(r, a.priority);
          break;
        case 'armTimer': {
          const g = this.gens.get(r)!;
          g[a.timer]++;
          r.timers[a.timer] = this.nowMs + a.ms;
          this.q.push({ atMs: this.nowMs + a.ms, seq: this.seq++, kind: 'timer', r, timer: a.timer, gen: g[a.timer] });
          break;
        }
        case 'cancelTimer':
          this.gens.get(r)![a.timer]++;
          delete r.timers[a.timer];
          break;
        case 'addVips':
          r.vips = true;
          break;
        case 'removeVips':
          r.vips = false;
          break;
        case 'announce':
          r.announces++;
          break;
        case 'notify':
          r.notifies.push({ atMs: this.nowMs, state: a.state });
          break;
        default: {
          const never: never = a;
          throw new Error(`unknown action ${JSON.stringify(never)}`);
        }
      }
    }
    if (state.state !== before) r.transitions.push({ atMs: this.nowMs, from: before, to: state.state });
    if (this.checkInvariants) assertInvariants(r);
    if (state.state !== before && ev.type !== 'follow' && r.group) {
      const members = r.group.map((m) => ({ name: m.name, state: m.s.state, faulty: m.s.faulty }));
      for (const t of syncGroupTransitions(members, r.name)) {
        const m = r.group.find((x) => x.name === t.name)!;
        this.deliver(m, { type: 'follow', state: t.to });
      }
    }
  }

  private transmit(from: Router, priority: number): void {
    patchPriority(from.wire, priority);
    const bytes = Buffer.from(from.wire);
    for (const to of this.routers) {
      if (to === from || !to.alive || to.s.params.vrid !== from.s.params.vrid) continue;
      if (this.blocked.has(`${from.name}>${to.name}`)) continue;
      this.q.push({ atMs: this.nowMs + this.latencyMs, seq: this.seq++, kind: 'packet', to, from, bytes });
    }
  }

  private receive(to: Router, from: Router, bytes: Buffer): void {
    const p = to.s.params;
    const expected: Expected = { version: p.version, vrid: p.vrid };
    if (p.version === 2) {
      expected.authType = to.pass !== undefined ? AUTH_PASS : AUTH_NONE;
      if (to.pass !== undefined) expected.authData = passAuthData(to.pass);
      expected.advertIntMs = p.advertIntMs;
    }
    const v6 = from.address.includes(':');
    const srcAddr = ipToBytes(from.address);
    const dstAddr = ipToBytes(v6 ? 'ff02::12' : '224.0.0.18');
    const r = v6 ? decode(bytes, { family: 6, srcAddr, dstAddr, hopLimit: 255, expected }) : decode(bytes, { family: 4, srcAddr, dstAddr, ttl: 255, expected });
    if (!r.ok) {
      to.drops[r.reason]++;
      return;
    }
    this.deliver(to, { type: 'advertReceived', priority: r.advert.priority, srcAddr, advertIntMs: r.advert.advertIntMs });
  }

  start(r: Router): void {
    r.alive = true;
    this.deliver(r, { type: 'startup' });
  }

  /** kill -9: the router falls silent; its timers die with it and its state is forgotten. */
  crash(r: Router): void {
    r.alive = false;
    r.timers = {};
    const g = this.gens.get(r)!;
    for (const k of Object.keys(g) as TimerName[]) g[k]++;
    r.s = initialFsm(r.s.params);
    r.vips = false;
  }

  /** Graceful stop: the shutdown event (priority 0 from a MASTER), then silence. */
  shutdown(r: Router): void {
    this.deliver(r, { type: 'shutdown' });
    r.alive = false;
  }

  /** Adverts from `a` no longer reach `b` (and back, unless oneWay). */
  partition(a: Router, b: Router, oneWay = false): void {
    this.blocked.add(`${a.name}>${b.name}`);
    if (!oneWay) this.blocked.add(`${b.name}>${a.name}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  /** Runs `fn` at simulated time `atMs`. */
  at(atMs: number, fn: () => void): void {
    this.q.push({ atMs, seq: this.seq++, kind: 'call', fn });
  }

  /** Runs until `untilMs`, processing adverts, timers and scheduled calls in time order. */
  run(untilMs: number): void {
    for (;;) {
      const next = this.q.peek();
      if (!next || next.atMs > untilMs) break;
      this.q.pop();
      this.nowMs = next.atMs;
      switch (next.kind) {
        case 'timer':
          if (!next.r.alive || this.gens.get(next.r)![next.timer] !== next.gen) break; // cancelled or re-armed
          delete next.r.timers[next.timer];
          if (next.timer === 'masterDown' && next.r.group) {
            const me = next.r;
            const groupReady = me.group!.every((o) => o === me || o.s.state === 'MASTER' || o.s.wantMaster);
            this.deliver(me, { type: 'timerFired', timer: next.timer, groupReady });
          } else this.deliver(next.r, { type: 'timerFired', timer: next.timer });
          break;
        case 'packet':
          if (next.to.alive) this.receive(next.to, next.from, next.bytes);
          break;
        case 'call':
          next.fn();
          break;
      }
    }
    this.nowMs = untilMs;
  }

  masters(): string[] {
    return this.routers.filter((r) => r.alive && r.s.state === 'MASTER').map((r) => r.name);
  }

  /** When `r` last entered `state` (undefined: never). */
  enteredAt(r: Router, state: VrrpState): number | undefined {
    return r.transitions.filter((t) => t.to === state).at(-1)?.atMs;
  }
}

/**
 * What must hold between steps: MASTER has its Adver_Timer and the addresses, BACKUP its
 * Master_Down_Timer and no addresses, FAULT and INIT neither timer nor addresses.
 */
export function assertInvariants(r: Router): void {
  const st = r.s.state;
  const adver = r.timers.adver !== undefined;
  const down = r.timers.masterDown !== undefined;
  const ok =
    (st === 'MASTER' && adver && !down && r.vips) ||
    (st === 'BACKUP' && !adver && down && !r.vips && r.timers.masterDown === r.s.masterDownAtMs) ||
    ((st === 'FAULT' || st === 'INIT') && !adver && !down && !r.vips && r.timers.preemptDelay === undefined);
  const delayOk = (r.s.preemptDelay === 'running') === (r.timers.preemptDelay !== undefined);
  if (!ok || !delayOk)
    throw new Error(
      `invariant broken for ${r.name}: state ${st}, timers ${JSON.stringify(r.timers)}, vips ${r.vips}, preemptDelay ${r.s.preemptDelay}, masterDownAtMs ${r.s.masterDownAtMs}`,
    );
}
