/**
 * Config layer: the resolve/validate pass for virtual servers, real servers and checkers, in the order
 * of keepalived 2.2.7's link_vsg_to_vs() and validate_check_config():
 *
 *   - `group NAME` services are linked to their virtual_server_group (and take its address family);
 *   - a virtual server without real servers is dropped; protocol (UDP), scheduler (wlc) and forwarding
 *     method (NAT) get their defaults with a warning; fwmark services lose their protocol;
 *   - real servers inherit from their virtual server, checkers from their real server (with each
 *     checker type's own retry / delay_before_retry defaults);
 *   - quorum is capped at the total weight, hysteresis kept below quorum;
 *   - real and sorry server ports are reconciled with the service's for DR and TUN.
 *
 * The scripts the checker process would run (MISC_CHECK, notify_up/down, quorum_up/down and the
 * global notify FIFO scripts) are registered for the script-security pass.
 */
import type { Diagnostic, Diagnostics } from '../diagnostics.js';
import {
  DEFAULT_PERSISTENCE_TIMEOUT_S,
  DEFAULT_SCHEDULER,
  addressToBigInt,
  formatRs,
  formatVs,
  type Checker,
  type Family,
  type RealServer,
  type VirtualServer,
  type VirtualServerGroup,
} from '../model/lvs.js';
import type { KeepalivedConfig } from '../model.js';
import type { Script } from '../schema.js';
import type { ValidateContext } from './context.js';
import { cloneForwarding, rsWritten, sorryWritten, vsWritten } from '../keywords/lvs.js';
import { checkerWritten, connWritten } from '../keywords/checkers.js';

function sameServer(a: { address: string; family: Family; port: number }, b: { address: string; family: Family; port: number }): boolean {
  if (a.family !== b.family || a.port !== b.port) return false;
  if (a.address === b.address) return true;
  // Strict dotted quads have one spelling; IPv6 has several (compare the numbers).
  return a.family === 'inet6' && addressToBigInt(a.address) === addressToBigInt(b.address);
}

/** keepalived's link_vsg_to_vs(): false when the virtual server is to be ignored. */
function linkGroup(vs: VirtualServer, cfg: KeepalivedConfig, diag: Diagnostics): boolean {
  if (vs.kind !== 'group') return true;
  const g = cfg.lvs.groups.find((x) => x.name === vs.group);
  if (!g) {
    // keepalived 2.2.7 only logs this (at INFO, when running) and drops the service; it is an error here.
    diag.error(
      `virtual server group ${vs.group} specified but not configured - ignoring virtual server ${formatVs(vs)}: define virtual_server_group ${vs.group} { ... }`,
      vs.loc,
    );
    return false;
  }
  const have4 = g.entries.some((e) => e.family === 'inet');
  const have6 = g.entries.some((e) => e.family === 'inet6');
  const w = vsWritten(vs);
  const af = w.family;
  const groupAf: Family | undefined = have4 === have6 ? undefined : have4 ? 'inet' : 'inet6';
  if (have4 && have6 && af) {
    diag.info(`${vs.group}: virtual server group with IPv4 & IPv6 doesn't match virtual server ${formatVs(vs)} - ignoring the virtual server`, vs.loc);
    return false;
  }
  if ((have4 && af === 'inet6') || (have6 && af === 'inet')) {
    diag.info(`${vs.group}: address family doesn't match virtual server ${formatVs(vs)} - ignoring the virtual server`, vs.loc);
    return false;
  }
  if (groupAf) {
    w.family = groupAf;
    vs.family = groupAf;
  } else if (!af && g.entries.some((e) => e.kind === 'fwmark' && !e.family)) {
    diag.info(`${vs.group}: virtual server ${formatVs(vs)} address family cannot be determined, defaulting to IPv4`, vs.loc);
  }
  return true;
}

/** The checker fields left unset take the real server's, then the checker's own defaults. */
function resolveChecker(ch: Checker, rs: RealServer): void {
  if (ch.type === 'FILE_CHECK') return;
  const w = checkerWritten(ch);
  if (!w.alpha) ch.alpha = rs.alpha;
  if (ch.type === 'BFD_CHECK') return;
  if (!w.retry) ch.retry = rs.retry ?? w.defaultRetry;
  if (!w.delayLoopS) ch.delayLoopS = rs.delayLoopS;
  if (!w.warmupS) ch.warmupS = rs.warmupS ?? ch.delayLoopS;
  if (!w.delayBeforeRetryS) ch.delayBeforeRetryS = rs.delayBeforeRetryS ?? (w.defaultDelayBeforeRetryS || ch.delayLoopS);
  if (ch.type === 'MISC_CHECK') {
    if (!w.timeoutS) ch.timeoutS = ch.delayLoopS;
    return;
  }
  const cw = connWritten(ch.connection);
  if (!cw.connectTimeoutS) ch.connection.connectTimeoutS = rs.connectTimeoutS;
  if (!cw.connectIp) {
    ch.connection.connectIp = rs.address;
    ch.connection.family = rs.family;
  }
  if (!cw.connectPort) ch.connection.connectPort = rs.port;
}

function checkVirtualServer(vs: VirtualServer, cfg: KeepalivedConfig, diag: Diagnostics, member: number): boolean {
  const name = () => formatVs(vs, member);
  const group: VirtualServerGroup | undefined = vs.kind === 'group' ? cfg.lvs.groups.find((x) => x.name === vs.group) : undefined;
  if (vs.realServers.length === 0) {
    diag.error(`virtual server ${name()} has no real servers - ignoring it: add real_server blocks`, vs.loc);
    return false;
  }
  const ranges = group ? group.entries.filter((e) => e.kind === 'range') : [];
  const groupFwmarks = !!group && group.entries.some((e) => e.kind === 'fwmark');
  const w = vsWritten(vs);

  if (vs.haSuspend && (vs.kind === 'fwmark' || groupFwmarks)) {
    diag.warn(`virtual server ${name()}: cannot use ha_suspend with fwmarks - clearing ha_suspend`, vs.loc);
    vs.haSuspend = false;
  }
  if (ranges.length > 0 || vs.kind === 'ip') {
    if (!vs.protocol) {
      diag.warn(`virtual server ${name()}: no protocol set - defaulting to UDP (add 'protocol TCP' for TCP services)`, vs.loc);
      vs.protocol = 'UDP';
    }
    if (vs.flags.ops && vs.protocol !== 'UDP') {
      diag.warn(`virtual server ${name()}: one packet scheduling (ops) requires UDP - resetting`, vs.loc);
      vs.flags.ops = false;
    }
    if (vs.kind === 'ip' && !vs.persistenceTimeoutS && !vs.port) {
      diag.warn(
        `virtual server ${name()}: zero port only valid for persistent services - setting persistence_timeout ${DEFAULT_PERSISTENCE_TIMEOUT_S}`,
        vs.loc,
      );
      vs.persistenceTimeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
    }
  }
  if (!vs.persistenceTimeoutS && ranges.some((e) => e.port === 0)) {
    diag.warn(`virtual server ${name()}: zero port only valid for persistent services - setting persistence_timeout ${DEFAULT_PERSISTENCE_TIMEOUT_S}`, vs.loc);
    vs.persistenceTimeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
  }
  if (vs.protocol && ((group && ranges.length === 0 && groupFwmarks) || vs.kind === 'fwmark')) {
    diag.warn(`virtual server ${name()}: protocol specified for fwmark - protocol will be ignored`, vs.loc);
    delete vs.protocol;
  }
  if (!w.scheduler) {
    diag.warn(`virtual server ${name()}: no scheduler set, setting default '${DEFAULT_SCHEDULER}'`, vs.loc);
    vs.scheduler = DEFAULT_SCHEDULER;
    w.scheduler = true;
  }
  const g = cfg.global;
  if (!w.smtpAlert) vs.smtpAlert = g.smtpAlertChecker ?? g.smtpAlert ?? false;

  const defaultMethod = (): void => {
    if (w.forwarding) return;
    diag.warn(`virtual server ${name()}: no forwarding method set, setting default NAT`, vs.loc);
    vs.forwarding = { method: 'NAT' };
    w.forwarding = true;
  };

  let weightSum = 0;
  const kept: RealServer[] = [];
  for (const rs of vs.realServers) {
    if (kept.some((k) => sameServer(k, rs))) {
      diag.error(`VS ${name()}: real server ${formatRs(rs, vs.protocol)} is duplicated - removing second rs`, rs.loc);
      continue;
    }
    const rw = rsWritten(rs);
    if (!rw.forwarding) {
      defaultMethod();
      rs.forwarding = cloneForwarding(vs.forwarding);
    }
    if (!rw.alpha) rs.alpha = vs.alpha;
    if (!rw.inhibitOnFailure) rs.inhibitOnFailure = vs.inhibitOnFailure;
    if (rs.retry === undefined && vs.retry !== undefined) rs.retry = vs.retry;
    if (!rw.connectTimeoutS) rs.connectTimeoutS = vs.connectTimeoutS;
    if (!rw.delayLoopS) rs.delayLoopS = vs.delayLoopS;
    if (rs.warmupS === undefined && vs.warmupS !== undefined) rs.warmupS = vs.warmupS;
    if (rs.delayBeforeRetryS === undefined && vs.delayBeforeRetryS !== undefined) rs.delayBeforeRetryS = vs.delayBeforeRetryS;
    if (!rw.weight) rs.weight = vs.weight;
    // keepalived keeps real servers' smtp_alert on by default, for backward compatibility.
    if (!rw.smtpAlert) rs.smtpAlert = g.smtpAlertChecker ?? g.smtpAlert ?? true;
    weightSum += rs.weight;
    const ss = vs.sorryServer;
    if (ss && sameServer(ss, rs) && ss.inhibit !== rs.inhibitOnFailure) {
      diag.warn(
        `virtual server ${name()}: real server ${formatRs(rs, vs.protocol)} matches the sorry server, but inhibit setting differs - ${rs.inhibitOnFailure ? 'setting' : 'clearing'} it on the sorry server`,
        ss.loc,
      );
      ss.inhibit = rs.inhibitOnFailure;
    }
    kept.push(rs);
  }
  vs.realServers = kept;
  const ss = vs.sorryServer;
  if (ss && !sorryWritten(ss).forwarding) {
    defaultMethod();
    ss.forwarding = cloneForwarding(vs.forwarding);
  }

  if (vs.quorum > weightSum) {
    diag.warn(`quorum ${vs.quorum} for ${name()} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`, vs.loc);
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum) {
    // keepalived computes quorum - 1 in unsigned arithmetic: 4294967295 for a quorum of 0.
    const h = vs.quorum === 0 ? 4294967295 : vs.quorum - 1;
    diag.warn(`virtual server ${name()}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`, vs.loc);
    vs.hysteresis = h;
  }

  // Ports: NAT may translate them; DR and TUN cannot, and fwmark services have none.
  if (group) {
    if (groupFwmarks) {
      for (const rs of vs.realServers) {
        if (rs.forwarding.method !== 'NAT' && rs.port)
          diag.warn(`fwmark virtual server ${name()}, real server ${formatRs(rs, vs.protocol)} has port specified - port will be ignored`, rs.loc);
      }
      if (ss && ss.forwarding.method !== 'NAT' && ss.port)
        diag.warn(`fwmark virtual server ${name()}, sorry server has port specified - port will be ignored`, ss.loc);
    }
    for (const e of ranges) {
      const ge = `${e.address}${e.rangeEnd !== e.address ? '-' + e.rangeEnd : ''},${e.port}`;
      for (const rs of vs.realServers) {
        if (rs.forwarding.method !== 'NAT' && rs.port && e.port !== rs.port) {
          diag.warn(
            `virtual server ${name()}:[${ge}] and real server ${formatRs(rs, vs.protocol)} ports don't match (${rs.forwarding.method} cannot change the port)`,
            rs.loc,
          );
        }
      }
      if (ss && ss.forwarding.method !== 'NAT' && ss.port && e.port !== ss.port)
        diag.warn(`virtual server ${name()}, sorry server has port specified - port will be ignored`, ss.loc);
    }
  } else {
    const vport = vs.kind === 'ip' ? vs.port : 0;
    for (const rs of vs.realServers) {
      if (rs.forwarding.method === 'NAT') {
        if (vs.kind === 'ip' && !rs.port) rs.port = vport;
        continue;
      }
      if (vs.kind === 'fwmark') {
        if (rs.port) {
          diag.warn(`fwmark virtual server ${name()}, real server ${formatRs(rs, vs.protocol)} has port specified - clearing`, rs.loc);
          rs.port = 0;
        }
      } else if (!rs.port) rs.port = vport;
      else if (rs.port !== vport) {
        diag.warn(
          `virtual server ${name()} and real server ${formatRs(rs, vs.protocol)} ports don't match - resetting to ${vport} (${rs.forwarding.method} cannot change the port)`,
          rs.loc,
        );
        rs.port = vport;
      }
    }
    if (ss && ss.forwarding.method !== 'NAT') {
      if (vs.kind === 'fwmark') {
        if (ss.port) {
          diag.warn(`virtual server ${name()}, sorry server has port specified - clearing`, ss.loc);
          ss.port = 0;
        }
      } else if (!ss.port) ss.port = vport;
      else if (ss.port !== vport) {
        diag.warn(`virtual server ${name()} and sorry server ports don't match - resetting to ${vport}`, ss.loc);
        ss.port = vport;
      }
    }
  }

  for (const rs of vs.realServers) for (const ch of rs.checkers) resolveChecker(ch, rs);
  return true;
}

/** A script's explicit user and group must exist (keepalived's set_uid_gid()). */
function badUser(s: Script, ctx: ValidateContext): string | undefined {
  if (s.user !== undefined && !ctx.env.userExists(s.user)) return `script user '${s.user}' does not exist`;
  if (s.group !== undefined && !ctx.env.groupExists(s.group)) return `script group '${s.group}' does not exist`;
  return undefined;
}

/** What checking one virtual server said: whether it is kept, and the diagnostics it added. */
export interface VsVerdict {
  kept: boolean;
  diags: Diagnostic[];
}

/**
 * How reload.ts validates again only the virtual servers it parsed again: a virtual server with a verdict
 * was validated by an earlier load (it is that load's resolved object, or stands for one that was dropped)
 * and is neither checked nor touched again; its verdict's diagnostics are said in its place. So a check
 * across virtual servers added here must leave such a virtual server unchanged (reload.ts hands it out as
 * it is, in the new result and the running one).
 */
export interface VsReuse {
  verdictOf(vs: VirtualServer): VsVerdict | undefined;
  /** Told the verdict of each virtual server checked here. */
  checked(vs: VirtualServer, verdict: VsVerdict): void;
}

export function validateLvs(config: KeepalivedConfig, ctx: ValidateContext, reuse?: VsReuse): void {
  const { diag } = ctx;
  config.lvs.virtualServers = config.lvs.virtualServers.filter((vs) => linkGroup(vs, config, diag));
  // keepalived numbers the virtual servers of each group (it shows the number as their port).
  const members = new Map<VirtualServer, number>();
  const perGroup = new Map<string, number>();
  for (const vs of config.lvs.virtualServers) {
    if (vs.kind !== 'group') continue;
    const n = perGroup.get(vs.group) ?? 0;
    members.set(vs, n);
    perGroup.set(vs.group, n + 1);
  }
  config.lvs.virtualServers = config.lvs.virtualServers.filter((vs) => {
    if (!reuse) return checkVirtualServer(vs, config, diag, members.get(vs) ?? 0);
    const done = reuse.verdictOf(vs);
    if (done) {
      diag.list.push(...done.diags);
      return done.kept;
    }
    const from = diag.list.length;
    const kept = checkVirtualServer(vs, config, diag, members.get(vs) ?? 0);
    reuse.checked(vs, { kept, diags: diag.list.slice(from) });
    return kept;
  });

  // Scripts the checker process runs: quorum and real server notifications, MISC_CHECK.
  for (const vs of config.lvs.virtualServers) {
    const vsName = `virtual server ${formatVs(vs, members.get(vs) ?? 0)}`;
    const notify = (s: Script | undefined, what: string, owner: string, drop: () => void): void => {
      if (!s) return;
      const bad = badUser(s, ctx);
      if (bad) {
        diag.info(`invalid user/group for ${what} script ${s.argv[0]} of ${owner}: ${bad} - ignoring the script`, s.loc);
        drop();
        return;
      }
      ctx.scripts.push({ script: s, kind: 'check', owner: `${what} script of ${owner}`, disable: drop });
    };
    notify(vs.quorumUp, 'quorum_up', vsName, () => delete vs.quorumUp);
    notify(vs.quorumDown, 'quorum_down', vsName, () => delete vs.quorumDown);
    for (const rs of vs.realServers) {
      // Most real servers run no script: no name to build for them.
      if (!rs.notifyUp && !rs.notifyDown && !rs.checkers.some((ch) => ch.type === 'MISC_CHECK')) continue;
      const rsName = `real server ${formatRs(rs, vs.protocol)} of ${vsName}`;
      notify(rs.notifyUp, 'notify_up', rsName, () => delete rs.notifyUp);
      notify(rs.notifyDown, 'notify_down', rsName, () => delete rs.notifyDown);
      for (const ch of [...rs.checkers]) {
        if (ch.type !== 'MISC_CHECK') continue;
        const remove = () => {
          rs.checkers = rs.checkers.filter((x) => x !== ch);
        };
        const bad = badUser(ch.script, ctx);
        if (bad) {
          diag.error(`failed to set uid/gid for misc checker script ${ch.script.cmd}: ${bad} - removing the checker`, ch.loc);
          remove();
          continue;
        }
        ctx.scripts.push({ script: ch.script, kind: 'check', owner: `MISC_CHECK of ${rsName}`, disable: remove });
      }
    }
  }
  // With virtual servers, the checker process also runs the global notify FIFO scripts.
  if (config.lvs.virtualServers.length > 0) {
    const g = config.global;
    for (const [fifo, what] of [
      [g.notifyFifo, 'notify_fifo_script'],
      [g.lvsNotifyFifo, 'lvs_notify_fifo_script'],
    ] as const) {
      if (fifo?.script) {
        const f = fifo;
        ctx.scripts.push({ script: f.script!, kind: 'check', owner: what, disable: () => delete f.script });
      }
    }
  }
}
