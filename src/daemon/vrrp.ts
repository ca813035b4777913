/**
 * Daemon layer: the VRRP subsystem. Starts one VrrpRunner per vrrp_instance (raw sockets, rtnetlink
 * VIPs, GARP/NA senders), ties sync groups together, runs the trackers (track_interface, track_script,
 * the instance's own interface), and on SIGHUP applies a new configuration by difference:
 *
 * - instances are matched as keepalived matches them on reload: same virtual_router_id, family and
 *   interface. A matched instance whose configuration did not change keeps running untouched; a changed
 *   one is replaced by a runner that resumes the old one's state (no new election, its VIPs are never
 *   removed and re-added: only VIPs that left the configuration are removed, new ones added);
 * - instances that left the configuration stop as on shutdown (priority 0, VIPs removed, STOP notify);
 *   new ones start as at startup;
 * - trackers whose definition did not change keep their state (a track_script keeps its rise/fall count).
 *
 * The decisions are pure and unit-tested: which instances are kept, resumed, started, stopped or wait is
 * vrrp/reload-plan.ts; priorities and FAULT from the trackers' readings are vrrp/tracker-priority.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ipToBytes } from '../net/ip.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { TrackFile, VrrpInstance, VrrpScript } from '../config/model/vrrp.js';
import { ifIndex, linkIsUp, primaryAddress } from '../net/iface.js';
import { interfaceMac, PacketSender } from '../net/packet-socket.js';
import { addressKey, type RtnlAddressManager, type VipSpec } from '../net/rtnl.js';
import { configuredRouteKey, configuredRuleKey, RtnlRouteManager } from '../net/routes.js';
import { RtnlMonitor, SysfsLinks, type LinkSource } from '../net/rtnl-monitor.js';
import type { RtnlEvent } from '../net/rtnl-events.js';
import { StaticNet } from './static-net.js';
import { Mailer } from '../alert/mailer.js';
import { NftFirewall } from '../net/nft.js';
import { groupMail, instanceMail } from '../alert/messages.js';
import { VmacManager, vmacAddress, type VmacHandle } from '../net/vmac.js';
import { BROADCAST_MAC, ETH_P_ARP, garpFrame, parseMac } from '../vrrp/announce/garp.js';
import { ALL_NODES_MAC, ETH_P_IPV6, unsolicitedNaFrame } from '../vrrp/announce/na.js';
import type { FsmState } from '../vrrp/fsm.js';
import { newInstanceStats, VrrpRunner, type InstanceStats } from '../vrrp/instance.js';
import { realClock } from '../util/clock.js';
import type { TrackedItem } from '../vrrp/track.js';
import { instanceTracking, noPeerFault, tracksOf, virtualIfName, withSyncGroups, type TrackerReadings } from '../vrrp/tracker-priority.js';
import { planReload, reloadKey, resolvedInstance } from '../vrrp/reload-plan.js';
import { FileTracker } from '../script/file-tracker.js';
import { InterfaceTracker, ScriptTracker } from '../vrrp/trackers.js';
import { ProcessTracker } from '../vrrp/track-process.js';
import { RawIpv4Transport, SilentTransport, VRRP_MCAST_V4, type VrrpTransport } from '../vrrp/transport.js';
import { RawIpv4AhTransport } from '../vrrp/transport-ah.js';
import { peerPolicy } from '../vrrp/admit.js';
import { RawIpv6Transport, VRRP_MCAST_V6 } from '../vrrp/transport6.js';
import type { Logger } from './log.js';
import { FifoWriter } from '../util/fifo.js';
import { fifoLine, runNotify } from '../vrrp/notify.js';

import { withoutLocs } from '../util/locs.js';
import { adoption, vipsNoLongerConfigured, type HandoverInstance, type HandoverVrrp } from './handover.js';
import { errorText } from '../util/errors.js';
export { withoutLocs };

/** A use_vmac interface and the runners using it; `gone` once deleted by someone else. */
interface VmacUse {
  handle: VmacHandle;
  parent: string;
  users: number;
  gone?: boolean;
  removing?: boolean;
}

export interface VrrpInstanceSnapshot {
  name: string;
  vrid: number;
  family: string;
  interface: string;
  version: 2 | 3;
  state: FsmState['state'];
  priority: number;
  basePriority: number;
  faulty: boolean;
  /** performance.now() of the last transition (0 = never). */
  sinceMs: number;
  vips: string[];
  stats: InstanceStats;
  syncGroup?: string;
  /** What the instance tracks (its own interface, track_interface/script/process/file), as last computed. */
  trackers?: TrackedItem[];
}

export interface VrrpReloadReport {
  kept: string[];
  resumed: string[];
  started: string[];
  stopped: string[];
}

export class VrrpSubsystem {
  private runners: VrrpRunner[] = [];
  /** runner -> the other members of its sync group. BOUNDED by the configured instances. */
  private groups = new Map<VrrpRunner, VrrpRunner[]>();
  private groupName = new Map<VrrpRunner, string>();
  /** BOUNDED by the configured vrrp_scripts / interfaces. */
  private scripts = new Map<string, ScriptTracker>();
  private ifaces = new Map<string, InterfaceTracker>();
  private files = new Map<string, FileTracker>();
  private processes: ProcessTracker | undefined;
  /** runner -> closes its GARP/NA packet sockets. BOUNDED by the runners. */
  private closers = new Map<VrrpRunner, () => void>();
  /** use_vmac interfaces, shared by a runner and its reload successor. BOUNDED by the instances. */
  private readonly vmacs = new VmacManager();
  private readonly vmacUsers = new Map<string, VmacUse>();
  private readonly pendingRemovals = new Set<Promise<unknown>>();
  /** virtual_routes / virtual_rules over rtnetlink (one socket for every instance). */
  private readonly routes = new RtnlRouteManager();
  /** notify_fifo and vrrp_notify_fifo (keepalived writes VRRP lines to both). */
  private fifos: FifoWriter[] = [];
  private fifoSpec = '';
  /** Each sync group's state as its notifies last reported it. BOUNDED by the sync groups. */
  private groupState = new Map<string, string>();
  /**
   * Instances whose interface has no address yet (keepalived keeps them in FAULT until one appears):
   * retried every second. BOUNDED by the configured instances.
   */
  private waiting = new Map<string, VrrpInstance>();
  private waitTimer: NodeJS.Timeout | undefined;
  /** Told of every instance state change (MASTER/BACKUP/FAULT/STOP), e.g. to drive lvs_sync_daemon. */
  stateListener: ((instance: string, state: string) => void) | undefined;
  /** Link, address, route and rule notifications (undefined when the subscription failed: links polled). */
  private monitor: RtnlMonitor | undefined;
  private links: LinkSource = new SysfsLinks();
  private linkPoll: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private statics!: StaticNet;
  /** The interfaces (and their index when built) each runner's sockets are bound to. BOUNDED by the runners. */
  private bound = new Map<VrrpRunner, Array<{ name: string; index: number | undefined }>>();
  /** Instances being rebuilt after their interface came back. BOUNDED by the instances. */
  private rebuilding = new Set<string>();
  private stopping = false;
  /** Each runner's tracked items as recompute() last saw them (for the snapshot). */
  private tracked = new Map<VrrpRunner, TrackedItem[]>();
  /** no_accept / vrrp_strict filtering (net/nft.ts), made when an instance first needs it. */
  private firewall: NftFirewall | undefined;
  /** smtp_alert e-mails (sent in the background; see alert/mailer.ts). */
  private readonly mailer = new Mailer(() => this.cfg.global, { info: (m) => this.log.info(m), warn: (m) => this.log.warn(m) });
  /** vrrp_startup_delay pending. */
  private startupTimer: NodeJS.Timeout | undefined;
  /** promote_secondaries: each interface's value before we set it, put back at stop. BOUNDED by the interfaces. */
  private promoted = new Map<string, string>();

  private constructor(
    private cfg: KeepalivedConfig,
    private readonly addresses: RtnlAddressManager,
    private readonly log: Logger,
  ) {}

  /** `carried`: the VRRP part of a handover state file (handover.ts), or undefined for an ordinary start. */
  static async start(cfg: KeepalivedConfig, addresses: RtnlAddressManager, log: Logger, carried?: HandoverVrrp): Promise<VrrpSubsystem> {
    const v = new VrrpSubsystem(cfg, addresses, log);
    await v.subscribe();
    // A table a killed daemon left goes; one a handover left is replaced when its first MASTER blocks (nft.ts).
    if (!carried && cfg.vrrp.instances.some((i) => i.accept === false)) await v.firewallFor().clearLeftovers();
    v.statics = new StaticNet(addresses, v.routes, v.links, log);
    await v.statics.apply(cfg);
    v.openFifos();
    for (const inst of cfg.vrrp.instances) {
      if (v.lacksAddress(inst)) {
        v.wait(inst);
        continue;
      }
      const r = await v.build(inst);
      if (r) v.runners.push(r);
    }
    v.wire();
    // vrrp_startup_delay: the instances stay in INIT (sockets open, nothing sent) for that long; not after a
    // handover, where a carried MASTER must advertise at once.
    const delayMs = carried ? 0 : Math.round(cfg.global.vrrpStartupDelayS * 1000);
    for (const r of v.runners) {
      const a = adoption(r.inst, carried);
      if (a.adopt === undefined) {
        if (carried) log.info(`(${r.inst.name}) starting as usual: ${a.why}`);
        if (delayMs === 0) r.start({ clearVips: true });
        continue;
      }
      r.adopt(a.adopt, vipsNoLongerConfigured(a.record.vips, r.virtualAddresses), a.record.ahSeq);
      log.info(`(${r.inst.name}) carried on in ${r.state.state} STATE from the handover`);
    }
    if (delayMs > 0) {
      log.info(`Delaying startup for ${cfg.global.vrrpStartupDelayS} seconds`);
      v.startupTimer = setTimeout(() => {
        v.startupTimer = undefined;
        for (const r of v.runners) if (r.state.state === 'INIT') r.start({ clearVips: true });
      }, delayMs);
    }
    return v;
  }

  /**
   * `tskeepalived --handover`: every instance goes quiet without releasing anything (no priority 0, no
   * STOP notify, VIPs, routes, rules and VMAC interfaces left in place); returns their states.
   */
  async handover(): Promise<HandoverVrrp> {
    const instances: HandoverInstance[] = this.runners.map((r) => ({
      name: r.inst.name,
      vrid: r.inst.virtualRouterId!,
      family: r.inst.family ?? 'inet',
      interface: r.inst.interface!,
      state: r.state.state,
      priority: r.state.priority,
      vips: r.state.state === 'MASTER' ? [...r.virtualAddresses] : [],
      ...(r.ahSequence > 0 ? { ahSeq: r.ahSequence } : {}),
    }));
    // Nothing reacts to the kernel any more; statics and the no_accept table stay for the next daemon.
    this.stopping = true;
    if (this.startupTimer) clearTimeout(this.startupTimer);
    if (this.linkPoll) clearInterval(this.linkPoll);
    this.unsubscribe?.();
    this.monitor?.close();
    if (this.waitTimer) clearInterval(this.waitTimer);
    this.waitTimer = undefined;
    for (const t of this.ifaces.values()) t.stop();
    for (const t of this.scripts.values()) t.stop();
    for (const t of this.files.values()) t.stop();
    this.processes?.stop();
    await Promise.all(this.runners.map((r) => r.handover()));
    for (const f of this.fifos) f.close();
    this.fifos = [];
    this.routes.close();
    this.vmacs.close();
    return { instances };
  }

  get instanceCount(): number {
    return this.runners.length;
  }

  /** Applies `next` by difference (see the file's docblock). Never throws for one bad instance. */
  async reload(next: KeepalivedConfig): Promise<VrrpReloadReport> {
    const report: VrrpReloadReport = { kept: [], resumed: [], started: [], stopped: [] };
    const kept: VrrpRunner[] = [];
    const fresh: Array<{ runner: VrrpRunner; from?: VrrpRunner }> = [];
    const plan = planReload(this.runners, this.cfg, next, (inst) => this.lacksAddress(inst), this.waiting);
    this.waiting = new Map();
    for (const step of plan.steps) {
      const inst = step.inst;
      if (step.kind === 'wait') {
        if (step.isNew) report.started.push(inst.name);
        this.wait(inst);
        continue;
      }
      if (step.kind === 'keep') {
        kept.push(step.prev);
        report.kept.push(inst.name);
        continue;
      }
      const prev = step.kind === 'resume' ? step.prev : undefined;
      const runner = await this.build(inst, next);
      if (!runner) {
        // Cannot run the new definition (logged): the old one goes on as before rather than dropping a VIP.
        if (prev) {
          kept.push(prev);
          report.kept.push(prev.inst.name);
        }
        continue;
      }
      fresh.push(prev ? { runner, from: prev } : { runner });
    }
    // Unhook the old sync groups before anything moves, so a retiring runner drives nobody.
    for (const r of this.runners) {
      r.onTransition = undefined;
      r.groupReady = undefined;
    }
    this.cfg = next;
    await this.statics.apply(next);
    this.openFifos();
    this.runners = [...kept, ...fresh.map((f) => f.runner)];
    this.wire();
    for (const { runner, from } of fresh) {
      if (from) {
        runner.resume(from);
        await from.retire(runner);
        this.release(from);
        report.resumed.push(runner.inst.name);
        this.log.info(`(${runner.inst.name}) reloaded in ${runner.state.state} state`);
      } else {
        runner.start();
        report.started.push(runner.inst.name);
      }
    }
    for (const gone of plan.stop) {
      this.log.info(`(${gone.inst.name}) removed from the configuration: stopping`);
      await gone.stop();
      this.release(gone);
      report.stopped.push(gone.inst.name);
    }
    // keepalived fifo_write_vrrp_states_on_reload: every instance's state on the FIFO after a reload.
    if (next.global.fifoWriteVrrpStatesOnReload)
      for (const r of this.runners) this.fifoWrite(fifoLine('INSTANCE', r.inst.name, r.state.state, r.state.priority));
    this.log.info(
      `VRRP reload: ${report.kept.length} unchanged, ${report.resumed.length} changed (state kept), ${report.started.length} new, ${report.stopped.length} removed`,
    );
    return report;
  }

  /** No usable source address on the instance's interface (and none configured)? */
  private lacksAddress(inst: VrrpInstance): boolean {
    if (!inst.interface || inst.virtualRouterId === undefined || inst.srcIp) return false;
    const v6 = inst.family === 'inet6';
    return primaryAddress(inst.interface, v6 ? 'IPv6' : 'IPv4', new Set(inst.virtualIps.map((v) => v.address))) === undefined;
  }

  /**
   * keepalived: FAULT until the interface is up with an address; retried at each address or link
   * notification (every second without the monitor).
   */
  private wait(inst: VrrpInstance): void {
    if (!this.waiting.has(reloadKey(inst))) {
      const why =
        linkIsUp(inst.interface!) === false
          ? `interface ${inst.interface} is down`
          : `interface ${inst.interface} has no ${inst.family === 'inet6' ? 'IPv6 link-local' : 'IPv4'} address`;
      this.log.warn(`(${inst.name}) Entering FAULT STATE (${why}): starting when it is up with an address`);
    }
    this.waiting.set(reloadKey(inst), inst);
    // With the monitor an address notification retries at once; without it, every second.
    if (!this.monitor) this.waitTimer ??= setInterval(() => void this.retryWaiting(), 1000);
  }

  private async retryWaiting(): Promise<void> {
    for (const [key, inst] of this.waiting) {
      if (this.lacksAddress(inst)) continue;
      this.waiting.delete(key);
      const r = await this.build(inst);
      if (!r) continue;
      this.log.info(`(${inst.name}) interface ${inst.interface} now has an address: starting`);
      for (const x of this.runners) {
        x.onTransition = undefined;
        x.groupReady = undefined;
      }
      this.runners.push(r);
      this.wire();
      r.start();
    }
    if (this.waiting.size === 0 && this.waitTimer) {
      clearInterval(this.waitTimer);
      this.waitTimer = undefined;
    }
  }

  /** Graceful stop of every instance; `releaseVips: false` is -V/--dont-release-vrrp. */
  async stop(opts: { releaseVips: boolean }): Promise<void> {
    this.stopping = true;
    if (this.startupTimer) clearTimeout(this.startupTimer);
    if (this.waitTimer) clearInterval(this.waitTimer);
    this.waitTimer = undefined;
    if (this.linkPoll) clearInterval(this.linkPoll);
    this.unsubscribe?.();
    for (const t of this.ifaces.values()) t.stop();
    for (const t of this.scripts.values()) t.stop();
    for (const t of this.files.values()) t.stop();
    this.processes?.stop();
    await Promise.all(this.runners.map((r) => r.stop({ releaseVips: opts.releaseVips })));
    for (const r of this.runners) this.release(r);
    for (const g of this.cfg.vrrp.syncGroups) if (this.groupState.has(g.name)) this.groupNotify(g.name, 'STOP');
    for (const f of this.fifos) f.close();
    this.fifos = [];
    if (opts.releaseVips) await this.statics.stop();
    await this.firewall?.close();
    for (const [ifname, before] of this.promoted) writeSysctl(`net/ipv4/conf/${ifname}/promote_secondaries`, before);
    this.monitor?.close();
    this.routes.close();
    await Promise.all([...this.pendingRemovals]);
    this.vmacs.close();
  }

  /** (Re)opens the notify FIFOs when their configuration changed. */
  private openFifos(): void {
    const g = this.cfg.global;
    const spec = withoutLocs([g.notifyFifo, g.vrrpNotifyFifo, g.scriptUser]);
    if (spec === this.fifoSpec) return;
    this.fifoSpec = spec;
    for (const f of this.fifos) f.close();
    const logger = { info: (m: string) => this.log.info(m), warn: (m: string) => this.log.warn(m) };
    this.fifos = [g.notifyFifo, g.vrrpNotifyFifo].map((s) => FifoWriter.open(s, logger, g.scriptUser)).filter((f): f is FifoWriter => f !== undefined);
  }

  private fifoWrite(line: string): void {
    for (const f of this.fifos) f.write(line);
  }

  /** A line for the generic notify_fifo only (the checkers' RS/VS lines share it with VRRP). */
  notifyFifoWrite(line: string): void {
    const name = this.cfg.global.notifyFifo?.name;
    for (const f of this.fifos) if (f.path === name) f.write(line);
  }

  /** A sync group's notify scripts (GROUP, name, state, 0) and FIFO line, as keepalived's send_group_notifies. */
  private groupNotify(name: string, state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): void {
    this.groupState.set(name, state);
    const g = this.cfg.vrrp.syncGroups.find((x) => x.name === name);
    if (!g) return;
    this.log.info(`VRRP_Group(${name}) Syncing instances to ${state} state`);
    const gl = this.cfg.global;
    if (g.smtpAlert && state !== 'STOP' && !(state === 'FAULT' && this.cfg.global.noEmailFaults))
      this.mailer.send(groupMail(this.mailer.routerId, name, state));
    runNotify(
      g.notify,
      'GROUP',
      name,
      state,
      0,
      { warn: (m) => this.log.warn(m) },
      gl.scriptUser ? { scriptUser: gl.scriptUser, ...(gl.scriptGroup !== undefined ? { scriptGroup: gl.scriptGroup } : {}) } : {},
    );
    this.fifoWrite(fifoLine('GROUP', name, state, 0));
  }

  /** After a member moved: the group's state is FAULT if any member is, else the state all members share. */
  private groupMoved(name: string, members: VrrpRunner[]): void {
    const states = members.map((m) => m.state.state);
    let to: 'MASTER' | 'BACKUP' | 'FAULT' | undefined;
    if (states.includes('FAULT')) to = 'FAULT';
    else if (states.every((s) => s === 'MASTER')) to = 'MASTER';
    else if (states.every((s) => s === 'BACKUP')) to = 'BACKUP';
    if (to && this.groupState.get(name) !== to) this.groupNotify(name, to);
  }

  private release(r: VrrpRunner): void {
    this.closers.get(r)?.();
    this.closers.delete(r);
    this.bound.delete(r);
  }

  /**
   * use_vmac / use_ipvlan: the instance's VMAC (macvlan) or ipvlan interface, created on first use and shared
   * with a reload successor. An ipvlan gets the instance's ipvlan address (the adverts' source).
   */
  private async vmacFor(inst: VrrpInstance): Promise<string> {
    const name = virtualIfName(inst)!;
    const u = this.vmacUsers.get(name);
    if (u) {
      u.users++;
      return name;
    }
    const family = inst.family ?? 'inet';
    const kind = inst.useIpvlan ? { ipvlan: inst.ipvlan?.type ?? 'bridge' } : { mac: inst.vmacMac ?? vmacAddress(inst.virtualRouterId!, family) };
    const handle = await this.vmacs.create(name, inst.interface!, kind, family);
    this.vmacUsers.set(name, { handle, parent: inst.interface!, users: 1 });
    if (handle.created) this.log.info(`(${inst.name}) ${inst.useIpvlan ? 'ipvlan' : 'VMAC'} interface ${name} created on ${inst.interface}`);
    if (inst.useIpvlan && inst.ipvlan?.address !== undefined) {
      const a = inst.ipvlan.address;
      await this.addresses.add({ address: a, prefixLen: inst.ipvlan.prefixLen ?? (family === 'inet6' ? 128 : 32), dev: name, family });
    } else if (family === 'inet6') {
      // As keepalived: the VMAC makes no link-local address of its own (addr_gen_mode none); it carries the
      // parent's, deprecated so it is never chosen as a source, for the adverts' source and neighbour discovery.
      const vips = new Set(inst.virtualIps.map((v) => v.address));
      const ll = primaryAddress(inst.interface!, 'IPv6', vips);
      if (!ll) throw new Error(`interface ${inst.interface} has no IPv6 link-local address for VMAC ${name}`);
      await this.addresses.add({ address: ll, prefixLen: 64, dev: name, family: 'inet6', preferredLft: 0 });
    }
    return name;
  }

  /** `held`: the entry the releasing runner got (a VMAC recreated since then is not the caller's to drop). */
  private vmacRelease(name: string, held?: VmacUse): void {
    const u = this.vmacUsers.get(name);
    if (!u || (held !== undefined && held !== u)) return;
    if (--u.users > 0) return;
    this.vmacUsers.delete(name);
    if (u.gone) return;
    u.removing = true;
    const p = this.vmacs.remove(u.handle, u.parent).catch((e: Error) => this.log.warn(e.message));
    this.pendingRemovals.add(p);
    void p.finally(() => this.pendingRemovals.delete(p));
  }

  snapshot(): VrrpInstanceSnapshot[] {
    const waiting: VrrpInstanceSnapshot[] = [...this.waiting.values()].map((inst) => ({
      name: inst.name,
      vrid: inst.virtualRouterId ?? 0,
      family: inst.family ?? 'inet',
      interface: inst.interface ?? '',
      version: inst.family === 'inet6' ? 3 : (inst.version ?? 2),
      state: 'FAULT',
      priority: inst.priority ?? 100,
      basePriority: inst.priority ?? 100,
      faulty: true,
      sinceMs: 0,
      vips: [],
      stats: newInstanceStats(),
    }));
    return waiting.concat(
      this.runners.map((r) => {
        const g = this.groupName.get(r);
        return {
          name: r.inst.name,
          vrid: r.params.vrid,
          family: r.inst.family ?? 'inet',
          interface: r.inst.interface ?? '',
          version: r.params.version,
          state: r.state.state,
          priority: r.state.priority,
          basePriority: r.params.priority,
          faulty: r.state.faulty,
          sinceMs: r.state.sinceMs,
          vips: r.virtualAddresses.map((v) => `${v.address}/${v.prefixLen} dev ${v.dev}`),
          stats: r.stats,
          trackers: this.tracked.get(r) ?? [],
          ...(g !== undefined ? { syncGroup: g } : {}),
        };
      }),
    );
  }

  /**
   * Sync groups and trackers for the current runners. Trackers of unchanged definitions are kept with
   * their state; the others are stopped and new ones started.
   */
  private wire(): void {
    this.groups = new Map();
    this.groupName = new Map();
    for (const g of this.cfg.vrrp.syncGroups) {
      const members = this.runners.filter((r) => g.members?.includes(r.inst.name));
      if (members.length < 2) continue;
      let following = false; // a member's move makes the others move; don't let them echo it back
      for (const m of members) {
        this.groups.set(
          m,
          members.filter((x) => x !== m),
        );
        this.groupName.set(m, g.name);
        // keepalived vrrp_sync_can_goto_master: MASTER only when the group is, or every other member wants it.
        m.groupReady = () => members.every((o) => o === m || o.state.state === 'MASTER' || o.state.wantMaster);
        m.onTransition = (to) => {
          if (following) return;
          if (to === 'MASTER' || to === 'BACKUP') {
            following = true;
            try {
              for (const other of members) if (other !== m && !other.state.faulty) other.follow(to);
            } finally {
              following = false;
            }
          }
          this.groupMoved(g.name, members);
        };
      }
      this.log.info(`sync group ${g.name}: ${members.map((m) => m.inst.name).join(', ')} move together`);
    }

    const logger = { info: (m: string) => this.log.info(m), warn: (m: string) => this.log.warn(m) };
    const onChange = () => this.recompute();
    const wantIfaces = new Set<string>();
    const wantScripts = new Map<string, VrrpScript>();
    for (const r of this.runners) {
      wantIfaces.add(r.inst.interface!);
      for (const t of tracksOf(r.inst, this.cfg.vrrp.syncGroups).trackInterfaces) wantIfaces.add(t.name);
      for (const t of tracksOf(r.inst, this.cfg.vrrp.syncGroups).trackScripts) {
        const def = this.cfg.vrrp.scripts.find((s) => s.name === t.name);
        if (def?.script) wantScripts.set(t.name, def);
      }
    }
    for (const [name, t] of this.ifaces) {
      if (wantIfaces.has(name)) continue;
      t.stop();
      this.ifaces.delete(name);
    }
    for (const name of wantIfaces) {
      if (this.ifaces.has(name)) continue;
      const t = new InterfaceTracker(name, onChange, this.links);
      this.ifaces.set(name, t);
      t.start();
    }
    for (const [name, t] of this.scripts) {
      const def = wantScripts.get(name);
      if (def && withoutLocs(def) === withoutLocs(t.script)) continue;
      t.stop();
      this.scripts.delete(name);
    }
    const wantFiles = new Map<string, TrackFile>();
    for (const r of this.runners) {
      for (const t of tracksOf(r.inst, this.cfg.vrrp.syncGroups).trackFiles) {
        const def = this.cfg.vrrp.trackFiles.find((f) => f.name === t.name);
        if (def?.file) wantFiles.set(t.name, def);
      }
    }
    for (const [name, t] of this.files) {
      const def = wantFiles.get(name);
      if (def && withoutLocs(def) === withoutLocs(t.def)) continue;
      t.stop();
      this.files.delete(name);
    }
    for (const [name, def] of wantFiles) {
      if (this.files.has(name)) continue;
      const t = new FileTracker(def, onChange, logger);
      this.files.set(name, t);
      t.start();
    }
    const procDefs = this.cfg.vrrp.trackProcesses.filter((d) =>
      this.runners.some((r) => tracksOf(r.inst, this.cfg.vrrp.syncGroups).trackProcesses.some((t) => t.name === d.name)),
    );
    if (procDefs.length > 0 && !this.processes) {
      this.processes = new ProcessTracker(procDefs, onChange, logger);
      this.processes.start();
    } else this.processes?.setDefs(procDefs);
    const started: ScriptTracker[] = [];
    for (const [name, def] of wantScripts) {
      if (this.scripts.has(name)) continue;
      const su = this.cfg.global.scriptUser;
      const t = new ScriptTracker(
        def,
        onChange,
        logger,
        su !== undefined ? { user: su, ...(this.cfg.global.scriptGroup !== undefined ? { group: this.cfg.global.scriptGroup } : {}) } : undefined,
      );
      this.scripts.set(name, t);
      started.push(t);
    }
    this.recompute();
    for (const t of started) t.start();
  }

  /** Every instance's effective priority and FAULT state from the trackers (and its sync group): tracker-priority.ts. */
  private recompute(): void {
    const ifaddrs = this.runners.some((r) => r.inst.srcIp !== undefined) ? os.networkInterfaces() : {};
    const read: TrackerReadings = {
      interfaceUp: (name) => this.ifaces.get(name)?.up,
      script: (name) => {
        const st = this.scripts.get(name);
        return st && { up: st.up, weight: st.script.weight, weightReverse: st.script.weightReverse };
      },
      process: (name) => {
        const def = this.cfg.vrrp.trackProcesses.find((d) => d.name === name);
        return def && this.processes ? { up: this.processes.isUp(name), weight: def.weight, weightReverse: def.weightReverse } : undefined;
      },
      file: (name) => {
        const ft = this.files.get(name);
        return ft && { value: ft.value, weight: ft.def.weight, weightReverse: ft.def.weightReverse };
      },
    };
    const own = new Map(
      this.runners.map(
        (r) => [r, instanceTracking(r.inst, this.cfg.vrrp.syncGroups, read, (ifname, address) => hasAddress(ifaddrs, ifname, address))] as const,
      ),
    );
    this.tracked = new Map([...own].map(([r, t]) => [r, t.items] as const));
    const final = withSyncGroups(own, (r) => this.groups.get(r) ?? []);
    for (const r of this.runners) {
      const e = own.get(r)!;
      const { priority, fault, faultyPeer } = final.get(r)!;
      if (fault && !r.state.faulty && !noPeerFault(r.inst))
        this.log.warn(`(${r.inst.name}) entering FAULT: ${e.fault ? `${e.faultBy} is down` : `sync group member ${faultyPeer!.inst.name} is in FAULT`}`);
      r.track(priority, fault);
    }
  }

  private firewallFor(): NftFirewall {
    this.firewall ??= new NftFirewall({ info: (m) => this.log.info(m), warn: (m) => this.log.warn(m) });
    return this.firewall;
  }

  /** Opens the rtnetlink subscription; without it (no permission, old kernel) links are polled from sysfs. */
  private async subscribe(): Promise<void> {
    try {
      const g = this.cfg.global;
      this.monitor = await RtnlMonitor.open(
        { warn: (m) => this.log.warn(m) },
        {
          ...(g.vrrpNetlinkMonitorRcvBufs !== undefined ? { rcvBufs: g.vrrpNetlinkMonitorRcvBufs } : {}),
          ...(g.vrrpNetlinkMonitorRcvBufsForce !== undefined ? { force: g.vrrpNetlinkMonitorRcvBufsForce } : {}),
        },
      );
      this.links = this.monitor;
      this.unsubscribe = this.monitor.on((ev) => this.onNet(ev));
    } catch (e) {
      this.log.warn(
        `rtnetlink notifications unavailable (${errorText(e)}): interface state polled every 200 ms; deleted VIPs, routes and rules are not noticed`,
      );
      this.linkPoll = setInterval(() => {
        for (const t of this.ifaces.values()) t.refresh();
      }, 200);
    }
  }

  /** One kernel notification (see rtnl-monitor.ts). */
  private onNet(ev: RtnlEvent | { kind: 'resync' }): void {
    if (this.stopping) return;
    switch (ev.kind) {
      case 'link':
        for (const t of this.ifaces.values()) t.refresh();
        this.linkChanged(ev);
        // An interface coming up shows its addresses (a link up brings no address notification when the
        // addresses were there before, IPv6 off).
        if (this.waiting.size > 0) void this.retryWaiting();
        return;
      case 'addr':
        // A configured source address came or went (only then: a burst of VIP changes costs no recompute).
        if (this.runners.some((r) => r.inst.srcIp !== undefined && sameAddress(r.inst.srcIp, ev.address))) this.recompute();
        if (ev.op === 'new') {
          if (this.waiting.size > 0) void this.retryWaiting();
          this.checkMoved();
          return;
        }
        if (this.addresses.own.consume(addressKey(ev.address, ev.prefixLen, ev.index))) return;
        this.statics.onDeleted(ev);
        this.vipDeleted(ev);
        return;
      case 'route':
      case 'rule': {
        if (ev.op === 'new' || this.routes.own.consume(ev.key)) return;
        this.statics.onDeleted(ev);
        for (const r of this.runners) {
          if (r.state.state !== 'MASTER') continue;
          const hit =
            ev.kind === 'route'
              ? r.inst.virtualRoutes.find((x) => !x.noTrack && safeKey(() => configuredRouteKey(x)) === ev.key)
              : r.inst.virtualRules.find((x) => !x.noTrack && safeKey(() => configuredRuleKey(x)) === ev.key);
          if (hit) r.ownedDeleted(`virtual ${ev.kind} ${hit.words.join(' ')}`);
        }
        return;
      }
      case 'resync':
        for (const t of this.ifaces.values()) t.refresh();
        void this.statics.reinstate();
        this.checkVipsPresent();
        return;
    }
  }

  /** A tracked VIP of a MASTER deleted by someone else: keepalived's step-down, or our opt-in restore. */
  private vipDeleted(ev: Extract<RtnlEvent, { kind: 'addr' }>): void {
    const key = addressKey(ev.address, ev.prefixLen, ev.index);
    for (const r of this.runners) {
      if (r.state.state !== 'MASTER') continue;
      const v = r.trackedVips.find((x) => this.vipKeyOf(x) === key);
      if (v) this.lost(r, v);
    }
  }

  private lost(r: VrrpRunner, v: VipSpec): void {
    this.log.info(`Netlink reports IP ${v.address} removed from ${v.dev}`);
    if (this.cfg.global.restoreDeletedVips) r.restoreVip(v);
    else r.ownedDeleted(`VIP ${v.address}/${v.prefixLen}`);
  }

  private vipKeyOf(v: VipSpec): string | undefined {
    const index = this.links.link(v.dev)?.index;
    return index === undefined ? undefined : safeKey(() => addressKey(v.address, v.prefixLen, index));
  }

  /** After notifications were lost: a MASTER's tracked VIP that is not on its interface counts as deleted. */
  private checkVipsPresent(): void {
    const have = os.networkInterfaces();
    for (const r of this.runners) {
      if (r.state.state !== 'MASTER') continue;
      for (const v of r.trackedVips) {
        if (!hasAddress(have, v.dev, v.address)) {
          this.lost(r, v);
          break;
        }
      }
    }
  }

  /**
   * A link appeared, changed or went away. Statics are put back when an interface comes (back) up; an
   * instance whose interface (or VMAC) was deleted and now exists again under a new index gets new
   * sockets: it is rebuilt and resumes where it stands (FAULT, then BACKUP once the link is up).
   */
  private linkChanged(ev: Extract<RtnlEvent, { kind: 'link' }>): void {
    if (ev.op === 'del') {
      const u = this.vmacUsers.get(ev.name);
      if (u && !u.removing) {
        this.log.warn(`VMAC interface ${ev.name} was deleted by someone else`);
        u.gone = true;
        // With its parent still there, the VMAC is created again now; else when the parent returns.
        if (this.links.link(u.parent)) for (const r of this.runners) if (this.bound.get(r)?.some((b) => b.name === ev.name)) void this.rebuild(r);
      }
      return;
    }
    if (ev.up) void this.statics.reinstate();
    this.checkMoved();
  }

  /** Rebuilds the runners whose interface now has another index than their sockets were opened on. */
  private checkMoved(): void {
    for (const r of this.runners) {
      const b = this.bound.get(r);
      if (!b) continue;
      let moved = false;
      for (const x of b) {
        const now = this.links.link(x.name)?.index;
        if (x.index === undefined)
          x.index = now; // created just before it was recorded
        else if (now !== undefined && now !== x.index) moved = true;
      }
      if (moved) void this.rebuild(r);
    }
  }

  private async rebuild(old: VrrpRunner): Promise<void> {
    const name = old.inst.name;
    // Wait (silently) for the recreated interface's address: the next address notification comes back here.
    if (this.rebuilding.has(name) || this.stopping || this.lacksAddress(old.inst)) return;
    this.rebuilding.add(name);
    try {
      this.log.info(`(${name}) interface ${old.inst.interface} was recreated: reopening the instance's sockets`);
      const vm = virtualIfName(old.inst);
      const u = vm ? this.vmacUsers.get(vm) : undefined;
      if (u && (u.gone || !this.links.link(vm!))) this.vmacUsers.delete(vm!); // the kernel took it with its parent
      const r = await this.build(old.inst);
      if (!r || !this.runners.includes(old) || this.stopping) {
        if (r) await r.retire(undefined);
        return;
      }
      for (const x of this.runners) {
        x.onTransition = undefined;
        x.groupReady = undefined;
      }
      this.runners[this.runners.indexOf(old)] = r;
      this.wire();
      r.resume(old);
      await old.retire(r);
      this.release(old);
    } finally {
      this.rebuilding.delete(name);
    }
  }

  /**
   * Opens the instance's sockets and builds (does not start) its runner. IPv4 instances run VRRPv2 or v3
   * over raw IPv4; IPv6 instances VRRPv3 over raw IPv6, as keepalived does (RFC 5798: v2 is IPv4 only).
   * Refuses, saying why, what cannot run.
   */
  private async build(inst: VrrpInstance, cfg: KeepalivedConfig = this.cfg): Promise<VrrpRunner | undefined> {
    const log = this.log;
    const name = inst.name;
    if (!inst.interface || inst.virtualRouterId === undefined) {
      log.error(`(${name}) has no interface or virtual_router_id - not started`);
      return undefined;
    }
    const base = inst.interface;
    const v6 = inst.family === 'inet6';
    // use_vmac: adverts, GARPs/NAs and VIPs on a macvlan with the virtual MAC; the source address stays the
    // base interface's (IPv6: its link-local address, which the VMAC carries too). use_ipvlan: the adverts
    // leave from an ipvlan (the parent's MAC) and its address; the VIPs and GARPs stay on the base interface
    // (as keepalived 2.2.7, observed).
    let ifname = base;
    let vmac: string | undefined;
    if (inst.useVmac || inst.useIpvlan) {
      try {
        vmac = await this.vmacFor(inst);
        if (!inst.vmacXmitBase) ifname = vmac;
      } catch (e) {
        log.error(`(${name}) ${errorText(e)} - not started`);
        return undefined;
      }
    }
    const run = resolvedInstance(inst, cfg);
    // promote_secondaries: deleting one address of a subnet no longer takes the others (VIPs) with it.
    if (inst.promoteSecondaries && !v6 && !this.promoted.has(base)) {
      const key = `net/ipv4/conf/${base}/promote_secondaries`;
      const before = readSysctl(key);
      if (before !== undefined && writeSysctl(key, '1')) this.promoted.set(base, before);
      else log.warn(`(${name}) promote_secondaries: cannot set ${key.replaceAll('/', '.')}`);
    }
    if (v6 && inst.version === 2) log.warn(`(${name}) VRRP version 2 is IPv4 only (RFC 3768) - running version 3 for IPv6`);
    const vips = new Set(inst.virtualIps.map((v) => v.address));
    // RFC 5798 §5.1.2.2: IPv6 adverts come from the interface's link-local address (keepalived: the first
    // one that is not a VIP), unless mcast_src_ip / unicast_src_ip says otherwise.
    const src = inst.srcIp ?? primaryAddress(base, v6 ? 'IPv6' : 'IPv4', vips);
    if (!src) {
      log.error(`(${name}) interface ${base} has no ${v6 ? 'IPv6 link-local' : 'IPv4'} address to send adverts from - not started`);
      if (vmac) this.vmacRelease(vmac);
      return undefined;
    }
    const peers = inst.unicastPeers.map((p) => p.address);
    // vrrp_mcast_group4/6 or mcast_dst_ip, resolved by the configuration into mcastGroup.
    const group = inst.mcastGroup ?? (v6 ? VRRP_MCAST_V6 : VRRP_MCAST_V4);
    let transport: VrrpTransport;
    try {
      const onError = (e: Error) => log.warn(`(${name}) socket error: ${e.message}`);
      const ttl = inst.unicastTtl !== undefined ? { unicastTtl: inst.unicastTtl } : {};
      // VRRPv2 auth_type AH travels in IP protocol 51 (the validator has cleared AH with v3 or IPv6).
      const ah = !v6 && (run.version ?? 2) === 2 && inst.authentication?.type === 'AH' && inst.authentication.pass !== undefined;
      if (noPeerFault(inst)) {
        log.warn(`(${name}) Cannot use unicast without any peers - going to fault state`);
        transport = new SilentTransport();
      } else if (v6)
        transport = new RawIpv6Transport({
          ifname,
          src,
          peers,
          group,
          onError,
          ...(inst.unicastTtl !== undefined ? { unicastHopLimit: inst.unicastTtl } : {}),
        });
      else if (ah) transport = new RawIpv4AhTransport({ ifname, peers, onError });
      else transport = new RawIpv4Transport({ ifname, src, peers, group, onError, ...ttl });
    } catch (e) {
      log.error(`(${name}) cannot open a raw ${v6 ? 'IPv6' : 'IPv4'} VRRP socket on ${ifname}: ${errorText(e)} (tskeepalived needs CAP_NET_RAW)`);
      if (vmac) this.vmacRelease(vmac);
      return undefined;
    }
    // GARPs leave from the VMAC (its MAC is the point), even with vmac_xmit_base.
    const ann = announcers(name, inst.useIpvlan ? base : (vmac ?? ifname), log);
    try {
      const r = new VrrpRunner(run, {
        garp: ann.garp,
        una: ann.una,
        transport,
        addresses: this.addresses,
        routes: this.routes,
        ...(vmac && !inst.useIpvlan ? { vipDev: vmac } : {}),
        ...(run.accept === false ? { firewall: this.firewallFor() } : {}),
        clock: realClock,
        log: { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) },
        primaryAddress: src,
        destination: peers[0] ?? group,
        peers: peerPolicy(inst),
        notify: true,
        ...(cfg.global.scriptUser
          ? { scriptUser: { user: cfg.global.scriptUser, ...(cfg.global.scriptGroup !== undefined ? { group: cfg.global.scriptGroup } : {}) } }
          : {}),
        onNotify: (state, priority) => {
          this.fifoWrite(fifoLine('INSTANCE', name, state, priority));
          // no_email_faults: no mail for FAULT.
          if (run.smtpAlert && state !== 'STOP' && !(state === 'FAULT' && this.cfg.global.noEmailFaults))
            this.mailer.send(instanceMail(this.mailer.routerId, name, state));
          this.stateListener?.(name, state);
        },
        onEvent: (event, priority) => this.fifoWrite(fifoLine('INSTANCE', name, event, priority)),
        garpIntervalS: cfg.global.vrrpGarpIntervalS,
        gnaIntervalS: cfg.global.vrrpGnaIntervalS,
        onPriorityChange: (state, priority) => {
          if (inst.notifyPriorityChanges ?? cfg.global.vrrpNotifyPriorityChanges) {
            if (state === 'MASTER' || state === 'BACKUP') this.fifoWrite(fifoLine('INSTANCE', name, `${state}_PRIORITY`, priority));
          }
        },
      });
      const held = vmac ? this.vmacUsers.get(vmac) : undefined;
      this.closers.set(r, () => {
        ann.close();
        if (vmac) this.vmacRelease(vmac, held);
      });
      this.bound.set(
        r,
        [...new Set([base, ifname, ...(vmac ? [vmac] : [])])].map((n) => ({ name: n, index: this.links.link(n)?.index })),
      );
      return r;
    } catch (e) {
      transport.close();
      ann.close();
      if (vmac) this.vmacRelease(vmac);
      log.error(`(${name}) cannot run: ${errorText(e)}`);
      return undefined;
    }
  }
}

/**
 * The announcement senders of one instance, on AF_PACKET sockets opened at first use: gratuitous ARP
 * for IPv4 VIPs, unsolicited neighbour advertisements for IPv6 VIPs. A send that fails disables that
 * kind of announcement for the instance, with one warning.
 *
 * NAs go out as whole Ethernet frames, as keepalived's vrrp_ndisc.c sends them, rather than through a
 * raw ICMPv6 socket: the frame is built and tested byte for byte (na.ts) with the VIP as source, it does
 * not depend on the kernel's source checks for a VIP that was added a moment ago, the ARP path already
 * has the AF_PACKET sender, and a raw ICMPv6 socket would also receive every ICMPv6 packet of the host.
 */
function announcers(name: string, ifname: string, log: Logger): { garp: (vip: Uint8Array) => void; una: (vip: Uint8Array) => void; close: () => void } {
  const senders: PacketSender[] = []; // BOUNDED: at most two
  const make = (what: string, ethertype: number, dstMac: Uint8Array, frame: (mac: Uint8Array, vip: Uint8Array) => Buffer) => {
    let sender: PacketSender | undefined;
    let broken = false;
    return (vip: Uint8Array) => {
      if (broken) return;
      try {
        if (!sender) {
          sender = new PacketSender(ifname, ifIndex(ifname), ethertype, dstMac);
          senders.push(sender);
        }
        sender.send(frame(parseMac(interfaceMac(ifname)), vip));
      } catch (e) {
        broken = true;
        log.warn(`(${name}) ${what} disabled: ${errorText(e)}`);
      }
    };
  };
  return {
    garp: make('gratuitous ARP', ETH_P_ARP, BROADCAST_MAC, garpFrame),
    // RFC 4861 §7.2.6 / keepalived: the Router flag follows net.ipv6.conf.IF.forwarding.
    una: make('unsolicited neighbour advertisement', ETH_P_IPV6, ALL_NODES_MAC, (mac, vip) => unsolicitedNaFrame(mac, vip, { router: ipv6Forwarding(ifname) })),
    close: () => {
      for (const s of senders.splice(0)) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
    },
  };
}

function ipv6Forwarding(ifname: string): boolean {
  try {
    return fs.readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** A key computed from a configured entry, or undefined when the entry cannot be expressed (logged elsewhere). */
function safeKey(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function readSysctl(key: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeSysctl(key: string, value: string): boolean {
  try {
    fs.writeFileSync(`/proc/sys/${key}`, value);
    return true;
  } catch {
    return false;
  }
}

/** The same address, whatever its spelling (IPv6 zero compression, a %scope suffix)? */
function sameAddress(a: string, b: string): boolean {
  try {
    return Buffer.compare(Buffer.from(ipToBytes(a.split('%')[0]!)), Buffer.from(ipToBytes(b.split('%')[0]!))) === 0;
  } catch {
    return false;
  }
}

/** Is `address` one of the interface's addresses? */
function hasAddress(all: NodeJS.Dict<os.NetworkInterfaceInfo[]>, ifname: string, address: string): boolean {
  return (all[ifname] ?? []).some((a) => sameAddress(a.address, address));
}
