/**
 * Daemon layer: `tskeepalived` in the foreground. Loads and validates the configuration (refusing to
 * start on what keepalived would refuse), starts one VrrpRunner per IPv4 vrrp_instance, writes the pid
 * file, and stops gracefully on SIGTERM/SIGINT (priority 0 from MASTER, VIPs removed, STOP notifies,
 * pid file removed). What is not built yet (IPVS, checkers, IPv6 VRRP, tracking, sync groups, reload)
 * is said once in the log, never silently ignored.
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

function startInstance(inst: VrrpInstance, addresses: RtnlAddressManager, log: Logger): VrrpRunner | undefined {
  const name = inst.name;
  if (!inst.interface || inst.virtualRouterId === undefined) {
    log.error(`(${name}) has no interface or virtual_router_id - not started`);
    return undefined;
  }
  if (inst.family === 'inet6' || inst.virtualIps.some((v) => v.family === 'inet6')) {
    log.warn(`(${name}) IPv6 VRRP is not implemented yet in tskeepalived - instance not started`);
    return undefined;
  }
  const vips = new Set(inst.virtualIps.map((v) => v.address));
  const src = inst.srcIp ?? primaryAddress(inst.interface, 'IPv4', vips);
  if (!src) {
    log.error(`(${name}) interface ${inst.interface} has no IPv4 address to send adverts from - not started`);
    return undefined;
  }
  const peers = inst.unicastPeers.map((p) => p.address);
  let transport: VrrpTransport;
  try {
    transport = new RawIpv4Transport({ ifname: inst.interface, peers, onError: (e) => log.warn(`(${name}) socket error: ${e.message}`) });
  } catch (e) {
    log.error(`(${name}) cannot open a raw VRRP socket on ${inst.interface}: ${(e as Error).message} (tskeepalived needs CAP_NET_RAW)`);
    return undefined;
  }
  let sender: PacketSender | undefined;
  let garpBroken = false;
  const garp = (vip: Uint8Array) => {
    if (garpBroken) return;
    try {
      sender ??= new PacketSender(inst.interface!, ifIndex(inst.interface!), ETH_P_ARP, BROADCAST_MAC);
      sender.send(garpFrame(parseMac(interfaceMac(inst.interface!)), vip));
    } catch (e) {
      garpBroken = true;
      log.warn(`(${name}) gratuitous ARP disabled: ${(e as Error).message}`);
    }
  };
  const r = new VrrpRunner(inst, {
    garp,
    transport,
    addresses,
    clock: realClock,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
    primaryAddress: src,
    destination: peers[0] ?? VRRP_MCAST_V4,
    notify: true,
  });
  r.start();
  return r;
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
