/**
 * VRRP layer, glue: one running vrrp_instance. It owns the state machine's state, turns timer and packet
 * events into step() calls, and carries out the actions: adverts through a VrrpTransport, virtual
 * addresses through an AddressManager, notify scripts. Clock, transport and addresses are injected, so
 * the same code runs on raw sockets and netlink in production and on fakes in tests.
 */
import type { VrrpInstance } from '../config/model/vrrp.js';
import type { AddressManager, VipSpec } from '../net/rtnl.js';
import { ipToBytes } from '../net/ip.js';
import { initialState, step, type FsmConfig, type FsmEvent, type FsmState, type TimerName } from './fsm.js';
import { AUTH_NONE, AUTH_PASS, decode, encode, newDropCounters, passBytes, patchPriority, type DropCounters } from './packet.js';
import { runNotify } from './notify.js';
import type { RxMeta, VrrpTransport } from './transport.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface InstanceLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface InstanceDeps {
  transport: VrrpTransport;
  addresses: AddressManager;
  clock: Clock;
  log: InstanceLog;
  /** Our primary IPv4 address on the interface (advert source, tie-break). */
  primaryAddress: string;
  /** Where adverts go: the multicast group or the first unicast peer (for the v3 checksum). */
  destination: string;
  /** Run notify scripts (off in unit tests). */
  notify?: boolean;
  /** Sends one gratuitous ARP for an IPv4 address; absent = no announcements. */
  garp?: (vip: Uint8Array) => void;
}

export interface InstanceStats {
  advertTx: number;
  advertRx: number;
  garpTx: number;
  transitions: number;
  drops: DropCounters;
}

export class VrrpRunner {
  readonly cfg: FsmConfig;
  private s: FsmState;
  private readonly timers: Partial<Record<TimerName, unknown>> = {};
  private readonly advert: Buffer;
  private readonly src: Uint8Array;
  private readonly dst: Uint8Array;
  private readonly vips: VipSpec[];
  private readonly authPass: Uint8Array | undefined;
  readonly stats: InstanceStats = { advertTx: 0, advertRx: 0, garpTx: 0, transitions: 0, drops: newDropCounters() };
  /** The pending second GARP burst (garp_master_delay after becoming MASTER). */
  private garpTimer: unknown;
  /** Serialises address changes so an add and a remove never race. */
  private addrQueue: Promise<void> = Promise.resolve();

  constructor(readonly inst: VrrpInstance, private readonly deps: InstanceDeps) {
    const version = inst.version ?? 2;
    const priority = inst.priority ?? 100;
    this.cfg = {
      version,
      advertIntMs: Math.round((inst.advertIntS ?? 1) * 1000),
      initialMaster: inst.initialState === 'MASTER' || inst.state === 'MASTER',
      preempt: !inst.nopreempt,
      preemptDelayMs: Math.round(inst.preemptDelayS * 1000),
      primaryAddress: ipToBytes(deps.primaryAddress),
    };
    this.s = initialState(priority, this.cfg);
    this.src = ipToBytes(deps.primaryAddress);
    this.dst = ipToBytes(deps.destination);
    this.vips = inst.virtualIps
      .filter((v) => v.family === 'inet')
      .map((v) => {
        const spec: VipSpec = { address: v.address, prefixLen: v.prefixLen, dev: v.dev ?? inst.interface!, family: v.family };
        if (v.label) spec.label = v.label;
        if (v.broadcast) spec.broadcast = v.broadcast;
        return spec;
      });
    const pass = version === 2 && inst.authentication?.type === 'PASS' ? inst.authentication.pass : undefined;
    this.authPass = pass !== undefined ? passBytes(pass) : undefined;
    this.advert = encode(
      { version, vrid: inst.virtualRouterId!, priority, advertIntMs: this.cfg.advertIntMs, authType: this.authPass ? AUTH_PASS : AUTH_NONE, addresses: this.vips.map((v) => ipToBytes(v.address)) },
      { ...(this.authPass ? { authPass: this.authPass } : {}), src: this.src, dst: this.dst },
    );
    deps.transport.onPacket((p, m) => this.onPacket(p, m));
  }

  get state(): FsmState {
    return this.s;
  }

  start(): void {
    this.apply({ type: 'startup' });
  }

  /** Called after every state change (sync groups listen here). */
  onTransition: ((to: FsmState['state']) => void) | undefined;

  /** vrrp_sync_group: follow another member into MASTER or BACKUP. */
  follow(state: 'MASTER' | 'BACKUP'): void {
    this.apply({ type: 'follow', state });
  }

  /** Tracking result: the effective priority, and whether a tracked object (or the interface) is down. */
  track(priority: number, fault: boolean): void {
    if (priority !== this.s.priority) {
      this.deps.log.info(`(${this.inst.name}) priority changed to ${priority}`);
      this.apply({ type: 'priority', priority });
    }
    if (fault !== this.s.faulty) this.apply({ type: 'fault', down: fault });
  }

  /** Graceful stop: priority 0 advert from MASTER, VIPs removed, STOP notify. Resolves when addresses are gone. */
  async stop(): Promise<void> {
    this.apply({ type: 'shutdown' });
    for (const t of Object.keys(this.timers) as TimerName[]) this.cancel(t);
    if (this.garpTimer !== undefined) this.deps.clock.clearTimeout(this.garpTimer);
    await this.addrQueue;
  }

  private onPacket(payload: Uint8Array, meta: RxMeta): void {
    if (Buffer.compare(Buffer.from(meta.src), Buffer.from(this.src)) === 0) return; // our own advert
    const expect: NonNullable<Parameters<typeof decode>[1]['expect']> = { version: this.cfg.version, vrid: this.inst.virtualRouterId! };
    if (this.cfg.version === 2) {
      expect.authType = this.authPass ? AUTH_PASS : AUTH_NONE;
      if (this.authPass) expect.authPass = this.authPass;
      expect.advertIntMs = this.cfg.advertIntMs;
    }
    const r = decode(payload, { family: 4, src: meta.src, dst: meta.dst, ttl: meta.ttl, expect });
    if (!r.ok) {
      this.stats.drops[r.reason]++;
      return;
    }
    this.stats.advertRx++;
    this.apply({ type: 'advert', priority: r.advert.priority, advertIntMs: r.advert.advertIntMs, src: meta.src });
  }

  private cancel(t: TimerName): void {
    if (this.timers[t] !== undefined) this.deps.clock.clearTimeout(this.timers[t]);
    delete this.timers[t];
  }

  private apply(ev: FsmEvent): void {
    const before = this.s.state;
    const { state, actions } = step(this.cfg, this.s, ev, this.deps.clock.now());
    this.s = state;
    for (const a of actions) {
      switch (a.type) {
        case 'sendAdvert':
          patchPriority(this.advert, a.priority, this.src, this.dst);
          this.deps.transport.send(this.advert);
          this.stats.advertTx++;
          break;
        case 'armTimer':
          this.cancel(a.timer);
          this.timers[a.timer] = this.deps.clock.setTimeout(() => {
            delete this.timers[a.timer];
            this.apply({ type: 'timer', timer: a.timer });
          }, a.ms);
          break;
        case 'cancelTimer':
          this.cancel(a.timer);
          break;
        case 'addVips':
          this.changeAddresses('add');
          break;
        case 'removeVips':
          this.changeAddresses('remove');
          break;
        case 'announce':
          this.announce();
          break;
        case 'notify':
          if (this.deps.notify) {
            const st = a.state === 'INIT' ? 'STOP' : a.state;
            runNotify(this.inst.notify, 'INSTANCE', this.inst.name, st, this.s.priority, this.deps.log);
          }
          break;
      }
    }
    if (state.state !== before) {
      this.stats.transitions++;
      this.deps.log.info(`(${this.inst.name}) entering ${state.state} state`);
      this.onTransition?.(state.state);
    }
  }

  /**
   * keepalived's announcement timing: garp_master_repeat gratuitous ARPs per address at once, and the
   * same again garp_master_delay seconds later if still MASTER (defaults 5 and 5 s).
   */
  private announce(): void {
    const garp = this.deps.garp;
    if (!garp || this.vips.length === 0) return;
    const repeat = this.inst.garpMasterRepeat ?? 5;
    const delayMs = Math.round((this.inst.garpMasterDelayS ?? 5) * 1000);
    const burst = () => {
      // Sent after the addresses are in place, so a client that answers at once finds them.
      this.addrQueue = this.addrQueue.then(() => {
        for (let i = 0; i < repeat; i++) {
          for (const v of this.vips) {
            try {
              garp(ipToBytes(v.address));
              this.stats.garpTx++;
            } catch (e) {
              this.deps.log.warn(`(${this.inst.name}) gratuitous ARP for ${v.address}: ${(e as Error).message}`);
              return;
            }
          }
        }
      });
    };
    burst();
    if (this.garpTimer !== undefined) this.deps.clock.clearTimeout(this.garpTimer);
    if (delayMs > 0) {
      this.garpTimer = this.deps.clock.setTimeout(() => {
        this.garpTimer = undefined;
        if (this.s.state === 'MASTER') burst();
      }, delayMs);
    }
  }

  private changeAddresses(op: 'add' | 'remove'): void {
    const vips = this.vips;
    this.addrQueue = this.addrQueue.then(async () => {
      for (const v of vips) {
        try {
          if (op === 'add') await this.deps.addresses.add(v);
          else await this.deps.addresses.remove(v);
        } catch (e) {
          this.deps.log.warn(`(${this.inst.name}) ${(e as Error).message}`);
        }
      }
    });
  }
}
