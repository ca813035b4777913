/**
 * Daemon layer: `tskeepalived` in the foreground. Loads and validates the configuration (refusing to
 * start on what keepalived would refuse), starts one VrrpRunner per IPv4 vrrp_instance, writes the pid
 * file, and stops gracefully on SIGTERM/SIGINT (priority 0 from MASTER, VIPs removed, STOP notifies,
 * pid file removed). IPv4 instances speak VRRPv2 or v3 over raw IPv4 sockets with gratuitous ARP; IPv6
 * instances speak VRRPv3 over raw IPv6 sockets (ff02::12) with unsolicited neighbour advertisements.
 * What is not built yet (checkers, some tracking, VRRP reload) is said once in the log, never silently ignored.
 */
import * as fs from 'node:fs';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import type { VrrpInstance } from '../config/model/vrrp.js';
import { ifIndex, primaryAddress } from '../net/iface.js';
import { RtnlAddressManager } from '../net/rtnl.js';
import { realClock, VrrpRunner } from '../vrrp/instance.js';
import { BROADCAST_MAC, ETH_P_ARP, garpFrame, parseMac } from '../vrrp/announce/garp.js';
import { interfaceMac, PacketSender } from '../net/packet-socket.js';
import { RawIpv4Transport, VRRP_MCAST_V4, type VrrpTransport } from '../vrrp/transport.js';
import { RawIpv6Transport, VRRP_MCAST_V6 } from '../vrrp/transport6.js';
import { ETH_P_IPV6, ALL_NODES_MAC, unsolicitedNaFrame } from '../vrrp/announce/na.js';
import { createLogger, type Logger } from './log.js';
import { effectivePriority, type TrackedItem } from '../vrrp/track.js';
import { InterfaceTracker, ScriptTracker } from '../vrrp/trackers.js';
import type { KeepalivedConfig } from '../config/model.js';
import { IpvsManager } from './ipvs.js';

/** A model without its file:line locations, to compare two loads of a file. */
function stripLocs(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'loc' ? undefined : v)));
}

export interface RunOptions {
  file: string;
  configId?: string;
  pidFile?: string;
  detail: boolean;
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** -e/--all-config */
  allConfig?: boolean;
  /** -I/--dont-release-ipvs */
  dontReleaseIpvs?: boolean;
}

/**
 * Opens the instance's sockets and starts its runner. IPv4 instances (family inet) run VRRPv2 or v3 over
 * raw IPv4; IPv6 instances (family inet6) run VRRPv3 over raw IPv6, as keepalived does (RFC 5798: v2 is
 * IPv4 only). Refuses, saying why, what cannot run.
 */
function startInstance(inst: VrrpInstance, addresses: RtnlAddressManager, log: Logger): VrrpRunner | undefined {
  const name = inst.name;
  if (!inst.interface || inst.virtualRouterId === undefined) {
    log.error(`(${name}) has no interface or virtual_router_id - not started`);
    return undefined;
  }
  const ifname = inst.interface;
  const v6 = inst.family === 'inet6';
  let run = inst;
  if (v6 && inst.version === 2) {
    log.warn(`(${name}) VRRP version 2 is IPv4 only (RFC 3768) - running version 3 for IPv6`);
    run = { ...inst, version: 3 };
  }
  const vips = new Set(inst.virtualIps.map((v) => v.address));
  // RFC 5798 §5.1.2.2: IPv6 adverts come from the interface's link-local address (keepalived: the first
  // one that is not a VIP), unless mcast_src_ip / unicast_src_ip says otherwise.
  const src = inst.srcIp ?? primaryAddress(ifname, v6 ? 'IPv6' : 'IPv4', vips);
  if (!src) {
    log.error(`(${name}) interface ${ifname} has no ${v6 ? 'IPv6 link-local' : 'IPv4'} address to send adverts from - not started`);
    return undefined;
  }
  const peers = inst.unicastPeers.map((p) => p.address);
  const group = v6 ? (inst.mcastGroup ?? VRRP_MCAST_V6) : VRRP_MCAST_V4;
  let transport: VrrpTransport;
  try {
    const onError = (e: Error) => log.warn(`(${name}) socket error: ${e.message}`);
    transport = v6
      ? new RawIpv6Transport({ ifname, src, peers, group, onError, ...(inst.unicastTtl !== undefined ? { unicastHopLimit: inst.unicastTtl } : {}) })
      : new RawIpv4Transport({ ifname, peers, onError });
  } catch (e) {
    log.error(`(${name}) cannot open a raw ${v6 ? 'IPv6' : 'IPv4'} VRRP socket on ${ifname}: ${(e as Error).message} (tskeepalived needs CAP_NET_RAW)`);
    return undefined;
  }
  const r = new VrrpRunner(run, {
    ...announcers(name, ifname, log),
    transport,
    addresses,
    clock: realClock,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
    primaryAddress: src,
    destination: peers[0] ?? group,
    notify: true,
  });
  r.start();
  return r;
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
function announcers(name: string, ifname: string, log: Logger): { garp: (vip: Uint8Array) => void; una: (vip: Uint8Array) => void } {
  const make = (what: string, ethertype: number, dstMac: Uint8Array, frame: (mac: Uint8Array, vip: Uint8Array) => Buffer) => {
    let sender: PacketSender | undefined;
    let broken = false;
    return (vip: Uint8Array) => {
      if (broken) return;
      try {
        sender ??= new PacketSender(ifname, ifIndex(ifname), ethertype, dstMac);
        sender.send(frame(parseMac(interfaceMac(ifname)), vip));
      } catch (e) {
        broken = true;
        log.warn(`(${name}) ${what} disabled: ${(e as Error).message}`);
      }
    };
  };
  return {
    garp: make('gratuitous ARP', ETH_P_ARP, BROADCAST_MAC, garpFrame),
    // RFC 4861 §7.2.6 / keepalived: the Router flag follows net.ipv6.conf.IF.forwarding.
    una: make('unsolicited neighbour advertisement', ETH_P_IPV6, ALL_NODES_MAC, (mac, vip) => unsolicitedNaFrame(mac, vip, { router: ipv6Forwarding(ifname) })),
  };
}

function ipv6Forwarding(ifname: string): boolean {
  try {
    return fs.readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export async function runDaemon(o: RunOptions): Promise<number> {
  const log = createLogger(o.detail);
  const res = loadConfig(o.file, { ...(o.configId !== undefined ? { configId: o.configId } : {}), allConfig: o.allConfig === true });
  for (const d of res.diagnostics.list) if (d.severity !== 'info') log.warn(formatDiagnostic(d));
  if (res.exitCode === 2 || res.exitCode === 4) {
    log.error(`configuration ${o.file} cannot be run - not starting`);
    return 1;
  }
  let cfg = res.config;
  if (cfg.vrrp.startupError) log.warn(`VRRP: ${cfg.vrrp.startupError}`);
  const hasCheckers = cfg.lvs.virtualServers.some((vs) => vs.realServers.some((rs) => rs.checkers.length > 0));
  if (!o.vrrpOnly && hasCheckers) log.warn('health checkers are not implemented yet in tskeepalived: every real server is treated as up');
  const untracked = cfg.vrrp.instances.some((i) => i.trackFiles.length + i.trackProcesses.length + i.trackBfds.length > 0);
  if (untracked) log.warn('track_file / track_process / track_bfd are not acted on yet');

  const addresses = new RtnlAddressManager();
  const runners: VrrpRunner[] = [];
  if (!o.checkOnly) {
    for (const inst of cfg.vrrp.instances) {
      const r = startInstance(inst, addresses, log);
      if (r) runners.push(r);
    }
  }
  const groups = wireSyncGroups(cfg, runners, log);
  const stopTrackers = startTracking(cfg, runners, log, groups);
  const ipvs = !o.vrrpOnly && cfg.lvs.virtualServers.length > 0 ? await IpvsManager.start(cfg, log) : undefined;
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);
  log.info(`tskeepalived started: ${runners.length} VRRP instance(s)${ipvs ? `, IPVS programmed` : ''}`);

  // A daemon runs until it is told to stop, even with nothing else to wait on (an IPVS-only config).
  const alive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${sig} received: stopping`);
      stopTrackers();
      await Promise.all(runners.map((r) => r.stop()));
      addresses.close();
      await ipvs?.stop(cfg, { release: o.dontReleaseIpvs !== true });
      if (o.pidFile) fs.rmSync(o.pidFile, { force: true });
      log.info('tskeepalived stopped');
      clearInterval(alive);
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGHUP', () => void reload());
    // SIGHUP: the new file is parsed and validated completely; a broken one keeps everything running.
    // IPVS is reconciled by diff (a one-weight change is one netlink request); VRRP changes still need a restart.
    const reload = async () => {
      if (stopping) return;
      log.info(`SIGHUP received: reloading ${o.file}`);
      const next = loadConfig(o.file, { ...(o.configId !== undefined ? { configId: o.configId } : {}), allConfig: o.allConfig === true });
      for (const d of next.diagnostics.list) if (d.severity !== 'info') log.warn(formatDiagnostic(d));
      if (next.exitCode === 2 || next.exitCode === 4) {
        log.error(`reload: ${o.file} cannot be run - keeping the running configuration`);
        return;
      }
      if (JSON.stringify(stripLocs(next.config.vrrp)) !== JSON.stringify(stripLocs(cfg.vrrp))) log.warn('reload: VRRP changes are not applied yet (restart tskeepalived to apply them)');
      cfg = next.config;
      if (ipvs) await ipvs.reconcile(cfg, 'reload').catch((e: Error) => log.error(`reload: IPVS: ${e.message}`));
    };
  });
}

/**
 * Wires track_script and track_interface (and the instance's own interface) to the runners: any change
 * recomputes every instance's effective priority and FAULT state. Returns a function that stops them.
 */
function startTracking(cfg: KeepalivedConfig, runners: VrrpRunner[], log: Logger, groups: Map<VrrpRunner, VrrpRunner[]>): () => void {
  const scripts = new Map<string, ScriptTracker>();
  const ifaces = new Map<string, InterfaceTracker>();
  const logger = { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
  const recompute = () => {
    const own = new Map<VrrpRunner, { priority: number; fault: boolean; faultBy?: string }>();
    for (const r of runners) {
      const inst = r.inst;
      const items: TrackedItem[] = [];
      if (!inst.dontTrackPrimary) items.push({ kind: 'interface', name: inst.interface!, up: ifaces.get(inst.interface!)?.up ?? true, weight: 0, reverse: false });
      for (const t of inst.trackInterfaces) items.push({ kind: 'interface', name: t.name, up: ifaces.get(t.name)?.up ?? true, weight: t.weight, reverse: t.reverse });
      for (const t of inst.trackScripts) {
        const st = scripts.get(t.name);
        if (!st) continue;
        const weight = t.weightGiven ? t.weight : st.script.weight;
        const reverse = t.weightGiven ? t.reverse : st.script.weightReverse;
        items.push({ kind: 'script', name: t.name, up: st.up, weight, reverse });
      }
      own.set(r, effectivePriority(inst.priority ?? 100, items));
    }
    for (const r of runners) {
      const e = own.get(r)!;
      // A sync group is in FAULT when any member is (keepalived: "all members move together").
      const peerFault = (groups.get(r) ?? []).find((m) => own.get(m)?.fault);
      const fault = e.fault || peerFault !== undefined;
      if (fault && !r.state.faulty) log.warn(`(${r.inst.name}) entering FAULT: ${e.fault ? `${e.faultBy} is down` : `sync group member ${peerFault!.inst.name} is in FAULT`}`);
      r.track(e.priority, fault);
    }
  };
  for (const r of runners) {
    const names = new Set<string>([r.inst.interface!, ...r.inst.trackInterfaces.map((t) => t.name)]);
    for (const n of names) if (!ifaces.has(n)) ifaces.set(n, new InterfaceTracker(n, recompute));
    for (const t of r.inst.trackScripts) {
      if (scripts.has(t.name)) continue;
      const def = cfg.vrrp.scripts.find((s) => s.name === t.name);
      if (def?.script) scripts.set(t.name, new ScriptTracker(def, recompute, logger));
    }
  }
  recompute();
  for (const t of ifaces.values()) t.start();
  for (const t of scripts.values()) t.start();
  return () => {
    for (const t of ifaces.values()) t.stop();
    for (const t of scripts.values()) t.stop();
  };
}

/**
 * vrrp_sync_group: when one member becomes MASTER (or steps down to BACKUP) the others follow at once.
 * Returns, for each member, the other members of its group (FAULT is spread by the tracking pass).
 */
function wireSyncGroups(cfg: KeepalivedConfig, runners: VrrpRunner[], log: Logger): Map<VrrpRunner, VrrpRunner[]> {
  const peers = new Map<VrrpRunner, VrrpRunner[]>();
  for (const g of cfg.vrrp.syncGroups) {
    const members = runners.filter((r) => g.members?.includes(r.inst.name));
    if (members.length < 2) continue;
    let following = false; // a member's move makes the others move; don't let them echo it back
    for (const m of members) {
      peers.set(m, members.filter((x) => x !== m));
      m.groupReady = () => members.every((o) => o === m || o.state.state === 'MASTER' || o.state.wantMaster);
      m.onTransition = (to) => {
        if (following || (to !== 'MASTER' && to !== 'BACKUP')) return;
        following = true;
        try {
          for (const other of members) if (other !== m && !other.state.faulty) other.follow(to);
        } finally {
          following = false;
        }
      };
    }
    log.info(`sync group ${g.name}: ${members.map((m) => m.inst.name).join(', ')} move together`);
  }
  return peers;
}
