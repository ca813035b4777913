/**
 * VRRP layer, glue: one running vrrp_instance. It owns the state machine's state, turns timer and packet
 * events into step() calls, and carries out the actions: adverts through a VrrpTransport, virtual
 * addresses through an AddressManager, notify scripts. Clock, transport and addresses are injected, so
 * the same code runs on raw sockets and netlink in production and on fakes in tests.
 */
import type { VrrpInstance } from '../config/model/vrrp.js';
import type { AddressManager, VipSpec } from '../net/rtnl.js';
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { ahKey, ahSeqNext, ahSeqReceive, buildAhDatagram, parseAhDatagram, verifyAhDatagram } from './ah.js';
import { compareAddr, initialFsm, step, type FsmEvent, type FsmState, type NotifyState, type TimerName, type VrrpParams } from './fsm.js';
import {
  AUTH_AH,
  AUTH_NONE,
  AUTH_PASS,
  countDrop,
  decode,
  encode,
  newDropCounters,
  passAuthData,
  patchPriority,
  rechecksum,
  representableAdvertIntMs,
  type DropCounters,
  type Expected,
} from './packet.js';
import { runNotify } from './notify.js';
import { admitSource, skipsTtlCheck, type PeerPolicy } from './admit.js';
import { DropLog } from './drop-log.js';
import { addedVips, retiringRemoves } from './reload-plan.js';
import type { RxMeta, VrrpTransport } from './transport.js';
import type { Clock } from '../util/clock.js';
import { errorText } from '../util/errors.js';

export interface InstanceLog {
  info(msg: string): void;
  warn(msg: string): void;
  /** -D: per-packet detail (dropped adverts and why). */
  debug?(msg: string): void;
}

export interface RouteManager {
  addRoute(r: VrrpInstance['virtualRoutes'][number], dev: string | undefined): Promise<void>;
  removeRoute(r: VrrpInstance['virtualRoutes'][number], dev: string | undefined): Promise<void>;
  addRule(r: VrrpInstance['virtualRules'][number]): Promise<void>;
  removeRule(r: VrrpInstance['virtualRules'][number]): Promise<void>;
}

export interface InstanceDeps {
  /**
   * Where adverts go and come from. With VRRPv2 `auth_type AH` it carries whole IPv4 datagrams
   * (transport-ah.ts): the runner builds and verifies the IP header and the AH (ah.ts).
   */
  transport: VrrpTransport;
  addresses: AddressManager;
  clock: Clock;
  log: InstanceLog;
  /** The advert source and tie-break address: the primary IPv4 address, or the IPv6 link-local one. */
  primaryAddress: string;
  /** Where adverts go: the multicast group or the first unicast peer (for the v3 checksum). */
  destination: string;
  /**
   * The unicast receive rules (admit.ts: TTL 255 for multicast only, check_unicast_src, min_ttl/max_ttl).
   * Absent: only the transport's `unicast` flag decides whether the TTL 255 check is skipped.
   */
  peers?: PeerPolicy;
  /** Run notify scripts (off in unit tests). */
  notify?: boolean;
  /** script_user (and group) for notify scripts without their own user. */
  scriptUser?: { user: string; group?: string };
  /** Every notify event (state and effective priority), e.g. for the notify FIFO. */
  onNotify?: (state: NotifyState, priority: number) => void;
  /** Other notify-FIFO events (MASTER_RX_LOWER_PRI). */
  onEvent?: (event: 'MASTER_RX_LOWER_PRI', priority: number) => void;
  /** global_defs garp_interval / gna_interval: seconds between two announcements (0 = back to back). */
  garpIntervalS?: number;
  gnaIntervalS?: number;
  /** The effective priority changed (notify_priority_changes). */
  onPriorityChange?: (state: FsmState['state'], priority: number) => void;
  /** Where VIPs without their own dev go: the instance's interface, or its VMAC interface (use_vmac). */
  vipDev?: string;
  /** virtual_routes / virtual_rules; absent = not managed (unit tests). */
  routes?: RouteManager;
  /** Sends one gratuitous ARP for an IPv4 address; absent = no announcements. */
  garp?: (vip: Uint8Array) => void;
  /** Sends one unsolicited Neighbor Advertisement for an IPv6 address; absent = no announcements. */
  una?: (vip: Uint8Array) => void;
  /**
   * no_accept / vrrp_strict (net/nft.ts): a non-owner MASTER's VIPs go in the drop set before they are
   * added and leave it after they are removed. Absent = no filtering (unit tests).
   */
  firewall?: { block(owner: unknown, addresses: readonly string[]): Promise<void>; unblock(owner: unknown): Promise<void> };
}

export interface InstanceStats {
  advertTx: number;
  advertRx: number;
  garpTx: number;
  unaTx: number;
  transitions: number;
  /** keepalived's stats dump: became_master, release_master, pri_zero_rcvd, pri_zero_sent. */
  becameMaster: number;
  releasedMaster: number;
  priZeroRx: number;
  priZeroTx: number;
  drops: DropCounters;
}

export function newInstanceStats(): InstanceStats {
  return {
    advertTx: 0,
    advertRx: 0,
    garpTx: 0,
    unaTx: 0,
    transitions: 0,
    becameMaster: 0,
    releasedMaster: 0,
    priZeroRx: 0,
    priZeroTx: 0,
    drops: newDropCounters(),
  };
}

/** A virtual_ipaddress / static_ipaddress entry as the address manager takes it; `dev` when it names none. */
export function vipSpec(v: VrrpInstance['virtualIps'][number], dev: string): VipSpec {
  const out: VipSpec = { address: v.address, prefixLen: v.prefixLen, dev: v.dev ?? dev, family: v.family };
  if (v.label) out.label = v.label;
  if (v.broadcast) out.broadcast = v.broadcast;
  if (v.preferredLft !== undefined) out.preferredLft = v.preferredLft;
  if (v.scope !== undefined) out.scope = v.scope;
  if (v.peer !== undefined) out.peer = v.peer;
  if (v.home) out.home = true;
  if (v.noPrefixRoute) out.noPrefixRoute = true;
  if (v.autoJoin) out.autoJoin = true;
  if (v.mngTmpAddr) out.mngTmpAddr = true;
  return out;
}

/** The identity of a virtual address across reloads. */
function vipKey(v: VipSpec): string {
  return `${v.address}/${v.prefixLen}%${v.dev}`;
}

export class VrrpRunner {
  readonly params: VrrpParams;
  private s: FsmState;
  private readonly timers: Partial<Record<TimerName, unknown>> = {};
  private readonly advert: Buffer;
  private readonly src: Uint8Array;
  private readonly dst: Uint8Array;
  private readonly vips: VipSpec[];
  /** The VIPs whose deletion by someone else makes a MASTER step down (those without `no_track`). */
  readonly trackedVips: readonly VipSpec[];
  private readonly authPass: Uint8Array | undefined;
  /** auth_type AH (VRRPv2, IPv4): the HMAC key, the TTL our datagrams carry, unicast peers or not. */
  private readonly ah: { key: Buffer; ttl: number; unicast: boolean } | undefined;
  /** AH sequence counter (ah.ts) and IP Identification of our last datagram; kept across a reload. */
  private ahSeq = 0;
  private ipId = 0;
  readonly stats: InstanceStats = newInstanceStats();
  /** Dropped adverts' debug lines, rate-limited (a flood of bad adverts is counted, not logged each). */
  private readonly dropLog: DropLog;
  /** The pending second GARP burst (garp_master_delay after becoming MASTER). */
  private garpTimer: unknown;
  /** garp_master_refresh and garp_lower_prio_delay timers. */
  private refreshTimer: unknown;
  private lowerPrioTimer: unknown;
  /** Serialises address changes so an add and a remove never race. */
  private addrQueue: Promise<void> = Promise.resolve();
  /** Replaced by a reload: ignores packets and timers from now on. */
  private retired = false;
  /** -V/--dont-release-vrrp: the shutdown leaves the VIPs in place. */
  private keepVipsOnStop = false;
  /** Our VIPs are in the no_accept drop set. */
  private filtering = false;

  constructor(
    readonly inst: VrrpInstance,
    private readonly deps: InstanceDeps,
  ) {
    this.dropLog = new DropLog(
      () => deps.clock.now(),
      (line) => deps.log.debug?.(line),
      `(${inst.name})`,
    );
    const version = inst.version ?? 2;
    const priority = inst.priority ?? 100;
    this.params = {
      vrid: inst.virtualRouterId!,
      priority,
      version,
      advertIntMs: representableAdvertIntMs(version, (inst.advertIntS ?? 1) * 1000),
      preemptMode: !inst.nopreempt,
      preemptDelayMs: Math.round(inst.preemptDelayS * 1000),
      acceptMode: inst.accept ?? true,
      initialState: inst.initialState === 'MASTER' || inst.state === 'MASTER' ? 'MASTER' : 'BACKUP',
      primaryAddr: ipToBytes(deps.primaryAddress),
      ...(inst.downTimerAdverts !== undefined ? { downTimerAdverts: inst.downTimerAdverts } : {}),
      ...(inst.lowerPrioNoAdvert ? { lowerPrioNoAdvert: true } : {}),
      ...(inst.higherPrioSendAdvert ? { higherPrioSendAdvert: true } : {}),
    };
    this.s = initialFsm(this.params);
    this.src = ipToBytes(deps.primaryAddress);
    this.dst = ipToBytes(deps.destination);
    // The instance's family (from its addresses); the configuration drops VIPs of the other family.
    const family = inst.family ?? 'inet';
    const spec = (v: VrrpInstance['virtualIps'][number]): VipSpec => vipSpec(v, deps.vipDev ?? inst.interface!);
    const advertised = inst.virtualIps.filter((v) => v.family === family).map(spec);
    // virtual_ipaddress_excluded: held with the state like the others, but not in the adverts (any family).
    this.vips = [...advertised, ...inst.excludedIps.map(spec)];
    const all = [...inst.virtualIps.filter((v) => v.family === family), ...inst.excludedIps];
    this.trackedVips = all.filter((v) => !v.noTrack).map(spec);
    const pass = version === 2 && inst.authentication?.type === 'PASS' ? inst.authentication.pass : undefined;
    this.authPass = pass !== undefined ? passAuthData(pass) : undefined;
    const ahPass = version === 2 && family === 'inet' && inst.authentication?.type === 'AH' ? inst.authentication.pass : undefined;
    // Unicast adverts carry unicast_ttl (default 255); ah.ts leaves their TTL out of the ICV, as keepalived.
    this.ah = ahPass !== undefined ? { key: ahKey(ahPass), ttl: inst.unicast ? (inst.unicastTtl ?? 255) : 255, unicast: inst.unicast === true } : undefined;
    // Built once; each send only patches the priority (and the checksum, incrementally).
    // The v3 checksum covers the destination: with several unicast peers, each peer gets its own copy
    // (see sendAdvert below).
    this.advert = encode(
      {
        version,
        vrid: this.params.vrid,
        priority,
        advertIntMs: this.params.advertIntMs,
        authType: this.authPass ? AUTH_PASS : this.ah ? AUTH_AH : AUTH_NONE,
        ...(this.authPass ? { authData: this.authPass } : {}),
        addresses: advertised.map((v) => ipToBytes(v.address)),
      },
      { srcAddr: this.src, dstAddr: this.dst },
    );
    deps.transport.onPacket((p, m) => this.onPacket(p, m));
  }

  get state(): FsmState {
    return this.s;
  }

  /**
   * An ordinary start. `clearVips`: first remove the configured addresses left on the interfaces (by a
   * daemon that was killed, or stopped with -V), as keepalived does at start.
   */
  start(opts: { clearVips?: boolean } = {}): void {
    if (opts.clearVips) this.changeAddresses('remove');
    this.apply({ type: 'startup' });
  }

  /**
   * A start after `tskeepalived --handover`: carry on in the state the previous daemon left. A MASTER
   * advertises at once and keeps the addresses already present (missing ones are added, `stale` ones it
   * held but no longer configures are removed); it sends a GARP burst but runs no notify (no transition
   * happened). A BACKUP waits a full Master_Down_Interval.
   */
  adopt(state: 'MASTER' | 'BACKUP', stale: readonly VipSpec[] = [], ahSeq = 0): void {
    // auth_type AH: BACKUPs drop a sequence number that is not above the last one they accepted.
    this.ahSeq = ahSeq;
    this.apply({ type: 'resume', state });
    if (this.s.state !== 'MASTER') return;
    if (stale.length > 0) this.changeAddresses('remove', { vips: [...stale], routes: [], rules: [] });
    this.announce();
  }

  /**
   * `tskeepalived --handover`: go quiet without releasing anything (no priority 0 advert, no notify,
   * addresses, routes and rules left in place) and close the transport once what is queued has gone out.
   * A MASTER sends one last advert first, so its BACKUPs' Master_Down timers restart at the handover and
   * the next daemon has a whole Master_Down_Interval to send its first.
   */
  async handover(): Promise<void> {
    for (const t of Object.keys(this.timers) as TimerName[]) this.cancel(t);
    this.clearAnnounceTimers();
    if (this.s.state === 'MASTER') {
      patchPriority(this.advert, this.s.priority);
      this.sendAdvert();
      this.stats.advertTx++;
    }
    this.retired = true;
    await this.addrQueue;
    this.deps.transport.close();
  }

  /**
   * Reload: start where `old` (the matched instance of the previous configuration) stands, with no new
   * election: a MASTER stays MASTER (its VIPs are not removed and re-added; only new ones are added and
   * announced), a BACKUP keeps what was left of its Master_Down timer. Call old.retire() after this.
   */
  resume(old: VrrpRunner): void {
    const was = old.state;
    const left = was.state === 'BACKUP' && was.masterDownAtMs !== null ? Math.max(0, was.masterDownAtMs - old.deps.clock.now()) : undefined;
    Object.assign(this.stats, { ...old.stats, drops: old.stats.drops });
    // A MASTER that restarted its AH sequence would have its adverts dropped by its BACKUPs.
    this.ahSeq = old.ahSeq;
    this.ipId = old.ipId;
    this.apply(left !== undefined ? { type: 'resume', state: was.state, masterDownInMs: left } : { type: 'resume', state: was.state });
    if (was.state === 'MASTER' && this.s.state === 'MASTER') {
      const added = addedVips(old.vips, this.vips, vipKey);
      if (added.length > 0) this.announce(added);
    }
    this.armRefresh();
  }

  /**
   * Reload: this instance is replaced (by `next`, or by nothing when it was removed from the
   * configuration). Without a successor it stops as on shutdown. With one, it goes quiet without a
   * priority 0 advert or a notify, and removes only the VIPs its successor does not hold.
   */
  async retire(next: VrrpRunner | undefined): Promise<void> {
    if (!next) return this.stop();
    for (const t of Object.keys(this.timers) as TimerName[]) this.cancel(t);
    this.clearAnnounceTimers();
    if (this.s.state === 'MASTER') {
      const held = (r: VrrpRunner) => ({ vips: r.vips, routes: r.inst.virtualRoutes, rules: r.inst.virtualRules });
      this.changeAddresses('remove', retiringRemoves(held(this), held(next), next.state.state === 'MASTER', vipKey));
    }
    this.retired = true;
    await this.addrQueue;
    this.deps.transport.close();
  }

  /** auth_type AH: the last sequence number sent or accepted (carried over a handover). */
  get ahSequence(): number {
    return this.ahSeq;
  }

  /** The virtual addresses this instance holds while MASTER (address/prefix on device). */
  get virtualAddresses(): readonly VipSpec[] {
    return this.vips;
  }

  /** Called after every state change (sync groups listen here). */
  onTransition: ((to: FsmState['state']) => void) | undefined;

  /**
   * vrrp_sync_group: may this member go MASTER now that its Master_Down timer ran out? (keepalived: only
   * when the group is MASTER or every other member wants MASTER.) Unset outside a group.
   */
  groupReady: (() => boolean) | undefined;

  /** vrrp_sync_group: follow another member into MASTER or BACKUP. */
  follow(state: 'MASTER' | 'BACKUP' | 'FAULT'): void {
    this.apply({ type: 'follow', state });
  }

  /**
   * Something this MASTER holds and tracks (a VIP, virtual route or rule; `what` names it) was deleted by
   * someone else: step down as keepalived does (fsm.ts ownedDeleted).
   */
  ownedDeleted(what: string): void {
    if (this.retired || this.s.state !== 'MASTER') return;
    this.deps.log.info(
      `(${this.inst.name}) ${what} was deleted by someone else: leaving MASTER (priority 0 advert, addresses released, new election after the skew time)`,
    );
    this.apply({ type: 'ownedDeleted' });
  }

  /**
   * tskeepalived_restore_deleted_vips: a VIP deleted behind a MASTER's back is put back at once and
   * announced, with no state change.
   */
  restoreVip(v: VipSpec): void {
    if (this.retired || this.s.state !== 'MASTER') return;
    this.deps.log.info(`(${this.inst.name}) VIP ${v.address}/${v.prefixLen} on ${v.dev} was deleted by someone else: putting it back`);
    this.changeAddresses('add', { vips: [v], routes: [], rules: [] });
    this.burst([v], this.inst.garpMasterRepeat ?? 5);
  }

  /** Tracking result: the effective priority, and whether a tracked object (or the interface) is down. */
  track(priority: number, fault: boolean): void {
    if (priority !== this.s.priority) {
      this.deps.log.info(`(${this.inst.name}) priority changed to ${priority}`);
      this.apply({ type: 'effectivePriorityChanged', priority });
      this.deps.onPriorityChange?.(this.s.state, this.s.priority);
    }
    if (fault !== this.s.faulty) this.apply({ type: 'fault', down: fault });
  }

  /**
   * Graceful stop: priority 0 advert from MASTER, VIPs removed, STOP notify, then the transport is
   * closed (its socket would keep the process alive). Resolves when addresses are gone.
   */
  async stop(opts: { releaseVips?: boolean } = {}): Promise<void> {
    if (opts.releaseVips === false) this.keepVipsOnStop = true;
    this.apply({ type: 'shutdown' });
    for (const t of Object.keys(this.timers) as TimerName[]) this.cancel(t);
    this.clearAnnounceTimers();
    await this.addrQueue;
    this.deps.transport.close();
  }

  private clearAnnounceTimers(): void {
    for (const t of [this.garpTimer, this.refreshTimer, this.lowerPrioTimer]) if (t !== undefined) this.deps.clock.clearTimeout(t);
    this.garpTimer = this.refreshTimer = this.lowerPrioTimer = undefined;
  }

  private onPacket(received: Uint8Array, meta: RxMeta): void {
    if (this.retired) return;
    if (Buffer.compare(Buffer.from(meta.src), Buffer.from(this.src)) === 0) return; // our own advert
    let payload = received;
    let seq = 0;
    if (this.ah) {
      // The datagram's AH is taken apart first; it is authenticated once the VRRP checks (VRID first)
      // have said the advert is this instance's, so another VRID's key never counts against ours.
      const p = parseAhDatagram(received);
      if (!p.ok) {
        this.stats.drops[p.reason]++;
        this.dropLog.note(p.reason, () => `(${this.inst.name}) advert from ${bytesToIp(meta.src)} dropped: ${p.reason}`);
        return;
      }
      payload = p.ah.vrrp;
      seq = p.ah.seq;
    }
    const expected: Expected = { version: this.params.version, vrid: this.params.vrid };
    if (this.params.version === 2) {
      expected.authType = this.authPass ? AUTH_PASS : this.ah ? AUTH_AH : AUTH_NONE;
      if (this.authPass) expected.authData = this.authPass;
      expected.advertIntMs = this.params.advertIntMs;
    }
    const policy = this.deps.peers;
    const unicast = policy ? skipsTtlCheck(policy, meta.dst) : meta.unicast === true;
    const rx = { srcAddr: meta.src, dstAddr: meta.dst, expected, ...(unicast ? { unicast: true } : {}) };
    const r = countDrop(
      this.stats.drops,
      decode(payload, meta.src.length === 16 ? { family: 6, hopLimit: meta.ttl, ...rx } : { family: 4, ttl: meta.ttl, ...rx }),
    );
    if (!r.ok) {
      this.dropLog.note(r.reason, () => `(${this.inst.name}) advert from ${bytesToIp(meta.src)} dropped: ${r.reason}`);
      return;
    }
    // check_unicast_src after the VRID matched, so adverts of other instances on the socket are not counted.
    const admitted = policy ? admitSource(policy, meta.src, meta.ttl) : undefined;
    if (admitted && !admitted.ok) {
      this.stats.drops[admitted.reason]++;
      this.dropLog.note(admitted.reason, () => `(${this.inst.name}) ${admitted.why}`);
      return;
    }
    // AH last: only an advert otherwise accepted moves the sequence number.
    if (this.ah && !this.ahAccept(received, seq, r.advert.priority, meta.src)) return;
    this.stats.advertRx++;
    if (r.advert.priority === 0) this.stats.priZeroRx++;
    if (this.s.state === 'MASTER' && r.advert.priority > 0 && r.advert.priority < this.s.priority) this.lowerPriorityHeard();
    this.apply({ type: 'advertReceived', priority: r.advert.priority, advertIntMs: r.advert.advertIntMs, srcAddr: Uint8Array.from(meta.src) });
  }

  /**
   * auth_type AH, after the VRRP checks passed: the ICV (and SPI), then keepalived's sequence rule
   * (ah.ts ahSeqReceive). Counts and logs a drop; on acceptance moves the sequence counter.
   */
  private ahAccept(datagram: Uint8Array, seq: number, priority: number, src: Uint8Array): boolean {
    const from = bytesToIp(src);
    if (!verifyAhDatagram(datagram, this.ah!.key, this.ah!.unicast)) {
      this.stats.drops.authMismatch++;
      this.dropLog.note(
        'authMismatch',
        () => `(${this.inst.name}) advert from ${from} dropped: authMismatch (AH ICV or SPI does not verify: another auth_pass?)`,
      );
      return false;
    }
    // The MASTER's immediate answer (fsm.ts masterRx): not priority 0, from a router it outranks.
    const s = this.s;
    const answers =
      s.state === 'MASTER' &&
      !this.params.lowerPrioNoAdvert &&
      priority > 0 &&
      (priority < s.priority || (priority === s.priority && compareAddr(src, this.params.primaryAddr) < 0));
    const v = ahSeqReceive(this.ahSeq, seq, answers);
    if (!v.accept) {
      this.stats.drops.ahSequence++;
      this.dropLog.note('ahSequence', () => `(${this.inst.name}) advert from ${from} dropped: ahSequence (${seq} already processed, ours ${this.ahSeq})`);
      return false;
    }
    this.ahSeq = v.counter;
    return true;
  }

  /**
   * auth_type AH: one datagram per destination (the ICV covers it), all with the round's sequence number
   * and IP Identification, as keepalived sends to its unicast peers.
   */
  private sendAh(): void {
    const ah = this.ah!;
    this.ahSeq = ahSeqNext(this.ahSeq);
    this.ipId = this.ipId >= 0xffff ? 1 : this.ipId + 1;
    for (const d of this.deps.transport.destinations) {
      this.deps.transport.send(
        buildAhDatagram({
          src: this.src,
          dst: ipToBytes(d),
          ipId: this.ipId,
          seq: this.ahSeq,
          ttl: ah.ttl,
          unicast: ah.unicast,
          key: ah.key,
          vrrp: this.advert,
        }),
        d,
      );
    }
  }

  /**
   * v2 and multicast: one buffer for every destination. v3 unicast to several peers: the checksum covers
   * the destination address, so each peer after the first gets a copy re-checksummed for it.
   */
  private sendAdvert(): void {
    if (this.ah) return this.sendAh();
    const dests = this.deps.transport.destinations;
    if (this.params.version !== 3 || dests.length <= 1) {
      this.deps.transport.send(this.advert);
      return;
    }
    this.deps.transport.send(this.advert, dests[0]);
    for (const d of dests.slice(1)) {
      const copy = rechecksum(Buffer.from(this.advert), { srcAddr: this.src, dstAddr: ipToBytes(d) });
      this.deps.transport.send(copy, d);
    }
  }

  private cancel(t: TimerName): void {
    if (this.timers[t] !== undefined) this.deps.clock.clearTimeout(this.timers[t]);
    delete this.timers[t];
  }

  private apply(ev: FsmEvent): void {
    const before = this.s.state;
    const { state, actions } = step(this.s, ev, this.deps.clock.now());
    this.s = state;
    for (const a of actions) {
      switch (a.type) {
        case 'sendAdvert':
          patchPriority(this.advert, a.priority);
          this.sendAdvert();
          this.stats.advertTx++;
          if (a.priority === 0) this.stats.priZeroTx++;
          break;
        case 'armTimer': {
          this.cancel(a.timer);
          const fire = () => {
            delete this.timers[a.timer];
            const groupReady = a.timer === 'masterDown' && this.groupReady ? this.groupReady() : undefined;
            this.apply(groupReady === undefined ? { type: 'timerFired', timer: a.timer } : { type: 'timerFired', timer: a.timer, groupReady });
            if (groupReady === false && this.s.wantMaster)
              this.deps.log.info(`(${this.inst.name}) Receive advertisement timeout; held in BACKUP until the rest of its sync group wants MASTER`);
          };
          const handle = this.deps.clock.setTimeout(() => {
            const defer = this.deps.clock.afterPendingIo;
            if (a.timer !== 'masterDown' || !defer) return fire();
            // After a stalled event loop the timer runs before the adverts that arrived meanwhile are read:
            // read them first. One that is accepted re-arms the timer (a new handle), and this firing lapses.
            defer(() => {
              if (this.timers[a.timer] === handle) fire();
            });
          }, a.ms);
          this.timers[a.timer] = handle;
          break;
        }
        case 'cancelTimer':
          this.cancel(a.timer);
          break;
        case 'addVips':
          this.changeAddresses('add', undefined, a.acceptMode);
          break;
        case 'removeVips':
          if (!(ev.type === 'shutdown' && this.keepVipsOnStop)) this.changeAddresses('remove');
          break;
        case 'announce':
          this.announce();
          break;
        case 'notify': {
          const su = this.deps.scriptUser;
          if (this.deps.notify)
            runNotify(
              this.inst.notify,
              'INSTANCE',
              this.inst.name,
              a.state,
              this.s.priority,
              this.deps.log,
              su ? { scriptUser: su.user, ...(su.group !== undefined ? { scriptGroup: su.group } : {}) } : {},
            );
          this.deps.onNotify?.(a.state, this.s.priority);
          break;
        }
      }
    }
    // A resume (reload) lands in the state the replaced runner was in: not a transition.
    const resumed = ev.type === 'resume' && ev.state === state.state;
    if (state.state !== before && !resumed) {
      this.stats.transitions++;
      if (state.state === 'MASTER') this.stats.becameMaster++;
      else if (before === 'MASTER') this.stats.releasedMaster++;
      // keepalived's wording, so existing log alerts keep matching.
      this.deps.log.info(state.state === 'INIT' ? `(${this.inst.name}) Entering INIT STATE` : `(${this.inst.name}) Entering ${state.state} STATE`);
      this.onTransition?.(state.state);
    }
  }

  /**
   * keepalived's announcement timing: garp_master_repeat gratuitous ARPs (IPv4) or unsolicited Neighbor
   * Advertisements (IPv6) per address at once, and the same again garp_master_delay seconds later if
   * still MASTER (defaults 5 and 5 s); then, with garp_master_refresh, garp_master_refresh_repeat of
   * them every refresh period while MASTER. `only` limits a burst to some addresses (new VIPs on reload).
   */
  private announce(only?: readonly VipSpec[]): void {
    const repeat = this.inst.garpMasterRepeat ?? 5;
    const delayMs = Math.round((this.inst.garpMasterDelayS ?? 5) * 1000);
    this.burst(only ?? this.vips, repeat);
    if (only) return;
    if (this.garpTimer !== undefined) this.deps.clock.clearTimeout(this.garpTimer);
    if (delayMs > 0) {
      this.garpTimer = this.deps.clock.setTimeout(() => {
        this.garpTimer = undefined;
        if (this.s.state === 'MASTER') this.burst(this.vips, repeat);
      }, delayMs);
    }
    this.armRefresh();
  }

  /** garp_master_refresh: while MASTER, garp_master_refresh_repeat announcements every period. */
  private armRefresh(): void {
    if (this.refreshTimer !== undefined) this.deps.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const periodMs = Math.round((this.inst.garpMasterRefreshS ?? 0) * 1000);
    if (periodMs <= 0 || this.s.state !== 'MASTER' || this.retired) return;
    this.refreshTimer = this.deps.clock.setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.s.state !== 'MASTER' || this.retired) return;
      this.burst(this.vips, this.inst.garpMasterRefreshRepeat ?? 1);
      this.armRefresh();
    }, periodMs);
  }

  /**
   * keepalived: a MASTER that hears a lower-priority advert (the other side thinks it is master, e.g.
   * after a partition) sends garp_lower_prio_repeat announcements at once and again after
   * garp_lower_prio_delay, so switches and neighbours point at it again; runs notify_master_rx_lower_pri
   * and writes MASTER_RX_LOWER_PRI to the notify FIFO.
   */
  private lowerPriorityHeard(): void {
    const repeat = this.inst.garpLowerPrioRepeat ?? 0;
    const delayMs = Math.round((this.inst.garpLowerPrioDelayS ?? 0) * 1000);
    this.deps.log.info(`(${this.inst.name}) Master received advert from lower priority router`);
    if (this.inst.notify.masterRxLowerPri && this.deps.notify)
      runNotify({ master: this.inst.notify.masterRxLowerPri }, 'INSTANCE', this.inst.name, 'MASTER', this.s.priority, this.deps.log);
    this.deps.onEvent?.('MASTER_RX_LOWER_PRI', this.s.priority);
    if (repeat <= 0) return;
    this.burst(this.vips, repeat);
    if (delayMs > 0 && this.lowerPrioTimer === undefined) {
      this.lowerPrioTimer = this.deps.clock.setTimeout(() => {
        this.lowerPrioTimer = undefined;
        if (this.s.state === 'MASTER' && !this.retired) this.burst(this.vips, repeat);
      }, delayMs);
    }
  }

  /**
   * `repeat` announcements for each of `vips`, after the pending address changes (so a client that
   * answers at once finds the address). garp_interval / gna_interval (global_defs) pace them: that many
   * seconds between two messages on the interface; 0 sends them back to back.
   */
  private burst(vips: readonly VipSpec[], repeat: number): void {
    const { garp, una } = this.deps;
    const jobs = vips.map((v) => ({ v, bytes: ipToBytes(v.address) })).filter((j) => (j.bytes.length === 16 ? una : garp) !== undefined);
    if (jobs.length === 0 || repeat <= 0) return;
    const sendOne = (v: VipSpec, bytes: Uint8Array): boolean => {
      const v6 = bytes.length === 16;
      try {
        if (v6) {
          una!(bytes);
          this.stats.unaTx++;
        } else {
          garp!(bytes);
          this.stats.garpTx++;
        }
        return true;
      } catch (e) {
        this.deps.log.warn(`(${this.inst.name}) ${v6 ? 'unsolicited neighbour advert' : 'gratuitous ARP'} for ${v.address}: ${errorText(e)}`);
        return false;
      }
    };
    const v6 = jobs[0]!.bytes.length === 16;
    const gapMs = Math.round((v6 ? (this.deps.gnaIntervalS ?? 0) : (this.deps.garpIntervalS ?? 0)) * 1000);
    this.addrQueue = this.addrQueue.then(async () => {
      for (let i = 0; i < repeat; i++) {
        for (const { v, bytes } of jobs) {
          if (!sendOne(v, bytes)) return;
          if (gapMs > 0) await new Promise<void>((r) => this.deps.clock.setTimeout(r, gapMs));
        }
      }
    });
  }

  /**
   * VIPs, then virtual_routes and virtual_rules (which may need the VIPs as source or gateway) when
   * becoming MASTER; the reverse order when leaving.
   */
  private changeAddresses(
    op: 'add' | 'remove',
    only?: { vips: VipSpec[]; routes: VrrpInstance['virtualRoutes']; rules: VrrpInstance['virtualRules'] },
    acceptMode = true,
  ): void {
    const vips = only?.vips ?? this.vips;
    const routes = only?.routes ?? this.inst.virtualRoutes;
    const rules = only?.rules ?? this.inst.virtualRules;
    const rt = this.deps.routes;
    const attempt = async (f: () => Promise<void>) => {
      try {
        await f();
      } catch (e) {
        this.deps.log.warn(`(${this.inst.name}) ${errorText(e)}`);
      }
    };
    const fw = this.deps.firewall;
    this.addrQueue = this.addrQueue.then(async () => {
      if (op === 'add') {
        if (!acceptMode && fw && !this.filtering) {
          this.deps.log.info(`(${this.inst.name}) setting firewall drop rule`);
          this.filtering = true;
          await attempt(() =>
            fw.block(
              this,
              this.vips.map((v) => v.address),
            ),
          );
        }
        for (const v of vips) await attempt(() => this.deps.addresses.add(v));
        if (rt) for (const r of routes) await attempt(() => rt.addRoute(r, this.inst.interface));
        if (rt) for (const r of rules) await attempt(() => rt.addRule(r));
      } else {
        if (rt) for (const r of rules) await attempt(() => rt.removeRule(r));
        if (rt) for (const r of routes) await attempt(() => rt.removeRoute(r, this.inst.interface));
        for (const v of vips) await attempt(() => this.deps.addresses.remove(v));
        // The whole instance left MASTER (not a reload's partial removal): its VIPs leave the drop set.
        if (fw && this.filtering && (!only || this.retired || this.s.state !== 'MASTER')) {
          this.deps.log.info(`(${this.inst.name}) removing firewall drop rule`);
          this.filtering = false;
          await attempt(() => fw.unblock(this));
        }
      }
    });
  }
}
