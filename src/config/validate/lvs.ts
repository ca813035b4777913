/**
 * Config layer: defaults and checks for virtual servers, real servers and checkers, in the order of
 * keepalived 2.2.7's validate_check_config(): a virtual server with no real servers is dropped; protocol,
 * scheduler and forwarding method get their defaults (UDP, wlc, NAT) with a warning; real servers inherit
 * from their virtual server and checkers from their real server; quorum is capped at the total weight;
 * real-server ports are reconciled with the service's. Checker-side scripts are registered for the
 * script-security pass.
 */
import type { Diagnostics } from '../diagnostics.js';
import { formatRs, formatVs, type Checker, type RealServer, type VirtualServer } from '../model/lvs.js';
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';

const DEFAULT_SCHED = 'wlc';

/** keepalived's per-checker defaults: retry and delay_before_retry when none is given anywhere. */
function checkerDefaults(ch: Checker, rs: RealServer): { retry: number; delayBeforeRetryS: number } {
  switch (ch.type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return { retry: 1, delayBeforeRetryS: 3 };
    case 'DNS_CHECK':
      return { retry: 3, delayBeforeRetryS: rs.delayLoopS ?? 60 };
    default:
      return { retry: 1, delayBeforeRetryS: 1 };
  }
}

function defaultPort(ch: Checker, rs: RealServer): number {
  if (ch.type === 'SMTP_CHECK') return 25;
  if (ch.type === 'DNS_CHECK') return 53;
  return rs.port;
}

function resolveRealServer(vs: VirtualServer, rs: RealServer, g: KeepalivedConfig['global']): void {
  rs.forwarding ??= vs.forwarding;
  rs.alpha ??= vs.alpha;
  rs.inhibitOnFailure ??= vs.inhibitOnFailure;
  if (rs.retry === undefined && vs.retry !== undefined) rs.retry = vs.retry;
  rs.connectTimeoutS ??= vs.connectTimeoutS;
  rs.delayLoopS ??= vs.delayLoopS;
  if (rs.warmupS === undefined && vs.warmupS !== undefined) rs.warmupS = vs.warmupS;
  if (rs.delayBeforeRetryS === undefined && vs.delayBeforeRetryS !== undefined) rs.delayBeforeRetryS = vs.delayBeforeRetryS;
  rs.weight ??= vs.weight;
  // keepalived keeps real servers' smtp_alert on by default, for backward compatibility.
  rs.smtpAlert ??= g.smtpAlertChecker ?? g.smtpAlert ?? true;
  for (const ch of rs.checkers) {
    const d = checkerDefaults(ch, rs);
    ch.retry ??= rs.retry ?? d.retry;
    ch.delayBeforeRetryS ??= rs.delayBeforeRetryS ?? d.delayBeforeRetryS;
    ch.delayLoopS ??= rs.delayLoopS;
    ch.warmupS ??= rs.warmupS ?? ch.delayLoopS;
    ch.connectTimeoutS ??= rs.connectTimeoutS;
    ch.alpha ??= rs.alpha;
    ch.connectIp ??= rs.address;
    ch.connectPort ??= defaultPort(ch, rs);
  }
}

function checkVirtualServer(vs: VirtualServer, cfg: KeepalivedConfig, diag: Diagnostics): boolean {
  const name = () => formatVs(vs);
  const group = vs.kind === 'group' ? cfg.lvs.groups.find((g) => g.name === vs.group) : undefined;
  if (vs.kind === 'group' && !group) {
    diag.error(`virtual server group ${vs.group} does not exist (define it with virtual_server_group ${vs.group} { ... }) - ignoring virtual server`, vs.loc);
    return false;
  }
  if (vs.realServers.length === 0) {
    diag.error(`virtual server ${name()} has no real servers - ignoring`, vs.loc);
    return false;
  }
  const groupHasAddresses = !!group && group.entries.some((e) => e.kind === 'ip');
  const groupHasFwmarks = !!group && group.entries.some((e) => e.kind === 'fwmark');
  const byFwmark = vs.kind === 'fwmark' || (group && !groupHasAddresses && groupHasFwmarks);

  if (vs.haSuspend && (vs.kind === 'fwmark' || groupHasFwmarks)) {
    diag.warn(`virtual server ${name()}: cannot use ha_suspend with fwmarks - clearing ha_suspend`, vs.loc);
    vs.haSuspend = false;
  }
  if (groupHasAddresses || vs.kind === 'ip') {
    if (!vs.protocol) {
      diag.warn(`virtual server ${name()}: no protocol set - defaulting to UDP (add 'protocol TCP' for web services)`, vs.loc);
      vs.protocol = 'UDP';
    }
    if (vs.flags.ops && vs.protocol !== 'UDP') {
      diag.warn(`virtual server ${name()}: one packet scheduling requires UDP - resetting`, vs.loc);
      vs.flags.ops = false;
    }
    if (vs.kind === 'ip' && !vs.persistenceTimeoutS && !vs.port) {
      diag.warn(`virtual server ${name()}: zero port only valid for persistent services - setting persistence_timeout 360`, vs.loc);
      vs.persistenceTimeoutS = 360;
    }
  }
  if (!vs.persistenceTimeoutS && group && group.entries.some((e) => e.kind === 'ip' && !e.port)) {
    diag.warn(`virtual server ${name()}: zero port only valid for persistent services - setting persistence_timeout 360`, vs.loc);
    vs.persistenceTimeoutS = 360;
  }
  if (vs.protocol && byFwmark) {
    diag.warn(`virtual server ${name()}: protocol specified for fwmark - protocol will be ignored`, vs.loc);
    delete vs.protocol;
  }
  if (!vs.scheduler) {
    diag.warn(`virtual server ${name()}: no scheduler set, setting default '${DEFAULT_SCHED}'`, vs.loc);
    vs.scheduler = DEFAULT_SCHED;
  }
  vs.smtpAlert ??= cfg.global.smtpAlertChecker ?? cfg.global.smtpAlert ?? false;

  let weightSum = 0;
  const kept: RealServer[] = [];
  for (const rs of vs.realServers) {
    if (kept.some((k) => k.address === rs.address && k.port === rs.port)) {
      diag.error(`VS ${name()}: real server ${formatRs(rs)} is duplicated - removing second rs`, rs.loc);
      continue;
    }
    if (!rs.forwarding && !vs.forwarding) {
      diag.warn(`virtual server ${name()}: no forwarding method set, setting default NAT`, vs.loc);
      vs.forwarding = { method: 'NAT' };
    }
    resolveRealServer(vs, rs, cfg.global);
    weightSum += rs.weight ?? 0;
    const ss = vs.sorryServer;
    if (ss && ss.address === rs.address && ss.port === rs.port && ss.inhibit !== rs.inhibitOnFailure) {
      diag.warn(`virtual server ${name()}: real server ${formatRs(rs)} matches sorry server, but inhibit setting differs - ${rs.inhibitOnFailure ? 'setting' : 'clearing'} on sorry server`, ss.loc);
      ss.inhibit = rs.inhibitOnFailure === true;
    }
    kept.push(rs);
  }
  vs.realServers = kept;
  if (vs.sorryServer && !vs.sorryServer.forwarding) {
    if (!vs.forwarding) {
      diag.warn(`virtual server ${name()}: no forwarding method set, setting default NAT`, vs.loc);
      vs.forwarding = { method: 'NAT' };
    }
    vs.sorryServer.forwarding = vs.forwarding;
  }
  if (vs.quorum > weightSum) {
    diag.warn(`quorum ${vs.quorum} for ${name()} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`, vs.loc);
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum && !(vs.hysteresis === 0 && vs.quorum === 0)) {
    const h = Math.max(0, vs.quorum - 1);
    diag.warn(`virtual server ${name()}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`, vs.loc);
    vs.hysteresis = h;
  }

  // Ports: NAT may translate them; DR and TUN cannot, and fwmark services have none.
  if (group) {
    for (const e of group.entries) {
      for (const rs of vs.realServers) {
        if (rs.forwarding?.method === 'NAT') continue;
        if (e.kind === 'fwmark' && rs.port) diag.warn(`fwmark virtual server ${name()}, real server ${formatRs(rs)} has port specified - port will be ignored`, rs.loc);
        if (e.kind === 'ip' && rs.port && e.port !== rs.port) diag.warn(`virtual server ${name()}:[${e.address}]:${e.port} and real server ${formatRs(rs)} ports don't match`, rs.loc);
      }
    }
  } else {
    for (const rs of vs.realServers) {
      if (rs.forwarding?.method === 'NAT') {
        if (vs.kind === 'ip' && !rs.port) rs.port = vs.port ?? 0;
        continue;
      }
      if (vs.kind === 'fwmark') {
        if (rs.port) {
          diag.warn(`fwmark virtual server ${name()}, real server ${formatRs(rs)} has port specified - clearing`, rs.loc);
          rs.port = 0;
        }
      } else if (!rs.port) rs.port = vs.port ?? 0;
      else if (rs.port !== vs.port) {
        diag.warn(`virtual server ${name()} and real server ${formatRs(rs)} ports don't match - resetting to ${vs.port}`, rs.loc);
        rs.port = vs.port ?? 0;
      }
    }
    const ss = vs.sorryServer;
    if (ss && ss.forwarding?.method !== 'NAT') {
      if (vs.kind === 'fwmark') {
        if (ss.port) {
          diag.warn(`virtual server ${name()}, sorry server has port specified - clearing`, ss.loc);
          ss.port = 0;
        }
      } else if (!ss.port) ss.port = vs.port ?? 0;
      else if (ss.port !== vs.port) {
        diag.warn(`virtual server ${name()} and sorry server ports don't match - resetting`, ss.loc);
        ss.port = vs.port ?? 0;
      }
    }
  }
  return true;
}

export function validateLvs(config: KeepalivedConfig, ctx: ValidateContext): void {
  const { diag } = ctx;
  config.lvs.virtualServers = config.lvs.virtualServers.filter((vs) => checkVirtualServer(vs, config, diag));

  // Scripts the checker process runs: quorum notifications, real server notifications, MISC_CHECK.
  const g = config.global;
  for (const vs of config.lvs.virtualServers) {
    const vsName = `virtual server ${formatVs(vs)}`;
    if (vs.quorumUp) ctx.scripts.push({ script: vs.quorumUp, kind: 'check', owner: `quorum_up of ${vsName}`, disable: () => delete vs.quorumUp });
    if (vs.quorumDown) ctx.scripts.push({ script: vs.quorumDown, kind: 'check', owner: `quorum_down of ${vsName}`, disable: () => delete vs.quorumDown });
    for (const rs of vs.realServers) {
      const rsName = `real server ${formatRs(rs)} of ${vsName}`;
      if (rs.notifyUp) ctx.scripts.push({ script: rs.notifyUp, kind: 'check', owner: `notify_up of ${rsName}`, disable: () => delete rs.notifyUp });
      if (rs.notifyDown) ctx.scripts.push({ script: rs.notifyDown, kind: 'check', owner: `notify_down of ${rsName}`, disable: () => delete rs.notifyDown });
      for (const ch of rs.checkers) {
        if (ch.type === 'MISC_CHECK' && ch.script) {
          ctx.scripts.push({
            script: ch.script,
            kind: 'check',
            owner: `MISC_CHECK of ${rsName}`,
            disable: () => { rs.checkers = rs.checkers.filter((x) => x !== ch); },
          });
        }
      }
    }
  }
  if (config.lvs.virtualServers.length > 0) {
    for (const [fifo, what] of [[g.notifyFifo, 'notify_fifo_script'], [g.lvsNotifyFifo, 'lvs_notify_fifo_script']] as const) {
      if (fifo?.script) {
        const f = fifo;
        ctx.scripts.push({ script: f.script!, kind: 'check', owner: what, disable: () => delete f.script });
      }
    }
  }
}
