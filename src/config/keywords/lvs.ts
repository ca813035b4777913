/**
 * Keyword tables: the LVS half of keepalived.conf — SSL, virtual_server_group, and virtual_server with
 * its sorry_server and real_server blocks — with keepalived 2.2.7's keyword set (check_parser.c),
 * ranges, and "report and ignore" behaviour. The checker blocks inside real_server are in checkers.ts.
 *
 * Objects enter the model as soon as their block closes, filled with keepalived's allocation
 * defaults; lvs-util.ts remembers what was really written so validate/lvs.ts can apply inheritance.
 */
import {
  LVS_SCHEDULERS,
  DEFAULT_PERSISTENCE_TIMEOUT_S,
  type Forwarding,
  type LvsScheduler,
  type RealServer,
  type ServiceFlags,
  type SslConfig,
  type Tunnel,
  type VirtualServer,
  type VirtualServerGroup,
  type VsgEntry,
} from '../model/lvs.js';
import type { KeepalivedConfig } from '../model.js';
import { block, list, value, type KwCtx, type Schema } from '../schema.js';
import { checkerKeywords } from './checkers.js';
import {
  IPVS_WEIGHT_LIMIT,
  TIMER_MAX_US,
  UINT_MAX,
  addressToBigInt,
  bigIntToAddress,
  boolArg,
  inetAton,
  itemCtx,
  parseSockAddr,
  parseUnsigned,
  portWord,
  readTimerS,
  readUnsigned,
  scriptArg,
  writtenOf,
  type RsWritten,
  type SorryWritten,
  type VsWritten,
} from './lvs-util.js';

/** keepalived's LVS_MAX_TIMEOUT: 31 days. */
export const LVS_MAX_TIMEOUT_S = 86400 * 31;
/** IP_VS_PENAME_MAXLEN - 1. */
const PE_NAME_MAX = 15;

export const vsWritten = (vs: VirtualServer): VsWritten => writtenOf<VsWritten>(vs, () => ({}));
export const rsWritten = (rs: RealServer): RsWritten => writtenOf<RsWritten>(rs, () => ({}));
export const sorryWritten = (s: object): SorryWritten => writtenOf<SorryWritten>(s, () => ({}));

// ---- forwarding ------------------------------------------------------------------------------------

/**
 * `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` (keepalived's svr_forwarding_handler).
 * As in keepalived, the method is taken even when a tunnel option is bad (the tunnel then keeps its
 * previous settings); options not given go back to their defaults.
 */
export function parseForwarding(c: KwCtx, who: 'virtual' | 'real' | 'sorry', prev: Forwarding | undefined): Forwarding | undefined {
  const m = c.str(0);
  if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') {
    c.error(`unknown routing method [${m}] for ${who} server: expected NAT, DR or TUN (upper case)`);
    return undefined;
  }
  const keep = (): Forwarding => (m === 'TUN' ? { method: m, tunnel: prev?.tunnel ?? defaultTunnel() } : { method: m });
  const t: Tunnel = defaultTunnel();
  for (let i = 1; i < c.n; i++) {
    const w = c.args[i]!;
    if (w === 'type') {
      const v = c.args[++i];
      if (v === undefined) return (c.error(`missing tunnel type after 'type' for ${who} server: expected ipip, gue or gre`), keep());
      if (v !== 'ipip' && v !== 'gue' && v !== 'gre') return (c.error(`unknown tunnel type '${v}' for ${who} server: expected ipip, gue or gre`), keep());
      t.type = v;
    } else if (w === 'port') {
      const v = c.args[++i];
      if (v === undefined) return (c.error(`missing port after 'port' for ${who} server gue tunnel`), keep());
      const r = parseUnsigned(v, 1, 65535);
      if (!r.ok) return (c.error(`invalid gue tunnel port '${v}' for ${who} server: expected 1-65535`), keep());
      t.port = r.value;
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') t.checksum = w;
    else return (c.error(`invalid tunnel option '${w}' for ${who} server: expected type, port, nocsum, csum or remcsum`), keep());
  }
  if ((t.type === 'gue') !== (t.port !== 0)) return (c.error(`gue tunnels require a port (port N), and other tunnel types cannot have one`), keep());
  if (t.type === 'ipip' && t.checksum !== 'nocsum') return (c.error(`ipip tunnels do not support the ${t.checksum} checksum option`), keep());
  if (t.type === 'gre' && t.checksum === 'remcsum') return (c.error('gre tunnels do not support the remcsum option: use csum or nocsum'), keep());
  return m === 'TUN' ? { method: m, tunnel: t } : { method: m };
}

export function defaultTunnel(): Tunnel {
  return { type: 'ipip', port: 0, checksum: 'nocsum' };
}

export function cloneForwarding(f: Forwarding): Forwarding {
  return f.tunnel ? { method: f.method, tunnel: { ...f.tunnel } } : { method: f.method };
}

// ---- timing keywords shared by virtual_server and real_server --------------------------------------

interface Timed {
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  delayLoopS: number;
  connectTimeoutS: number;
}

function timingKeywords<T extends Timed>(who: string, mark?: (o: T, f: 'delayLoopS' | 'connectTimeoutS') => void): Schema {
  return {
    retry: value<T>((c, o) => {
      const v = readUnsigned(c, 0, 1, UINT_MAX, (s) => `${who} retry value '${s}' invalid - ignoring`);
      if (v !== undefined) o.retry = v;
    }),
    delay_before_retry: value<T>((c, o) => {
      const v = readTimerS(c, 0, 0, TIMER_MAX_US, (s) => `${who} delay_before_retry '${s}' invalid - ignoring`);
      if (v !== undefined) o.delayBeforeRetryS = v;
    }),
    warmup: value<T>((c, o) => {
      const v = readTimerS(c, 0, 0, TIMER_MAX_US, (s) => `${who} warmup '${s}' invalid - ignoring`);
      if (v !== undefined) o.warmupS = v;
    }),
    delay_loop: value<T>((c, o) => {
      const v = readTimerS(c, 0, 1, TIMER_MAX_US, (s) => `${who} delay_loop '${s}' invalid - ignoring`);
      if (v === undefined) return;
      o.delayLoopS = v;
      mark?.(o, 'delayLoopS');
    }),
    connect_timeout: value<T>((c, o) => {
      const v = readTimerS(c, 0, 1, UINT_MAX, (s) => `${who} connect_timeout '${s}' invalid - ignoring`);
      if (v === undefined) return;
      o.connectTimeoutS = v;
      mark?.(o, 'connectTimeoutS');
    }),
  };
}

function snmpName<T extends { snmpName?: string }>(who: string) {
  return value<T>((c, o) => {
    if (c.n !== 1) return c.error(`${who} snmp_name missing or extra parameters: expected exactly one name`);
    o.snmpName = c.args[0]!;
  });
}

function virtualhost<T extends { virtualhost?: string }>(who: string) {
  return value<T>((c, o) => {
    if (c.n < 1) return c.error(`${who} virtualhost missing: expected a host name`);
    o.virtualhost = c.args[0]!;
  });
}

// ---- real_server -------------------------------------------------------------------------------------

function rsName(rs: RealServer): string {
  return `real server [${rs.address}]:${rs.port}`;
}

function realServerKeywords(): Schema {
  return {
    ...timingKeywords<RealServer>('real server', (rs, f) => {
      rsWritten(rs)[f] = true;
    }),
    weight: value<RealServer>((c, rs) => {
      const v = readUnsigned(c, 0, 0, IPVS_WEIGHT_LIMIT, (s) => `real server weight '${s}' is outside range 0-${IPVS_WEIGHT_LIMIT} - ignoring`);
      if (v === undefined) return;
      rs.weight = v;
      rsWritten(rs).weight = true;
    }),
    lvs_method: value<RealServer>((c, rs) => {
      const w = rsWritten(rs);
      const f = parseForwarding(c, 'real', w.forwarding ? rs.forwarding : undefined);
      if (!f) return;
      rs.forwarding = f;
      w.forwarding = true;
    }),
    uthreshold: value<RealServer>((c, rs) => {
      const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `invalid real_server uthreshold '${s}' - ignoring`);
      if (v !== undefined) rs.uthreshold = v;
    }),
    lthreshold: value<RealServer>((c, rs) => {
      const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `invalid real_server lthreshold '${s}' - ignoring`);
      if (v !== undefined) rs.lthreshold = v;
    }),
    inhibit_on_failure: value<RealServer>((c, rs) => {
      const b = boolArg(c, (s) => `invalid inhibit_on_failure parameter '${s}' - ignoring`);
      if (b === undefined) return;
      rs.inhibitOnFailure = b;
      rsWritten(rs).inhibitOnFailure = true;
    }),
    notify_up: value<RealServer>((c, rs) => notifyScript(c, rs, 'notifyUp')),
    notify_down: value<RealServer>((c, rs) => notifyScript(c, rs, 'notifyDown')),
    alpha: value<RealServer>((c, rs) => {
      const b = boolArg(c, (s) => `invalid alpha parameter '${s}' - ignoring`);
      if (b === undefined) return;
      rs.alpha = b;
      rsWritten(rs).alpha = true;
    }),
    smtp_alert: value<RealServer>((c, rs) => {
      const b = boolArg(c, (s) => `invalid real_server smtp_alert parameter '${s}' - ignoring`);
      if (b === undefined) return;
      rs.smtpAlert = b;
      rsWritten(rs).smtpAlert = true;
    }),
    virtualhost: virtualhost<RealServer>('real server'),
    snmp_name: snmpName<RealServer>('real server'),
    ...checkerKeywords(),
  };
}

function notifyScript(c: KwCtx, rs: RealServer, field: 'notifyUp' | 'notifyDown'): void {
  const kw = field === 'notifyUp' ? 'notify_up' : 'notify_down';
  if (rs[field]) return c.error(`${rsName(rs)}: ${kw} script already specified - ignoring '${c.opt(0) ?? ''}'`);
  c.str(0);
  const s = scriptArg(c, true);
  if (s) rs[field] = s;
}

function openRealServer(c: KwCtx, vs: VirtualServer): RealServer | null {
  const ip = c.str(0);
  const port = c.opt(1);
  const a = parseSockAddr(ip, portWord(port));
  if ('why' in a) {
    c.error(`invalid real server ip address/port ${ip}/${port ?? ''} - skipping the real_server block: ${a.why}`);
    return null;
  }
  const vw = vsWritten(vs);
  const rs: RealServer = {
    loc: c.loc,
    address: a.address,
    family: a.family,
    port: a.port,
    weight: 1,
    forwarding: vw.forwarding ? cloneForwarding(vs.forwarding) : { method: 'NAT' },
    inhibitOnFailure: false,
    alpha: false,
    connectTimeoutS: 5,
    delayLoopS: 60,
    smtpAlert: true,
    checkers: [],
  };
  if (vw.forwarding) rsWritten(rs).forwarding = true;
  // The checker blocks inside need their real server (BFD_CHECK, SMTP_CHECK host).
  c.state.scratch['lvs.rs'] = rs;
  return rs;
}

function closeRealServer(c: KwCtx, rs: RealServer, vs: VirtualServer): void {
  // Tunnelled real servers may be of the other family (IPVS_DEST_ATTR_ADDR_FAMILY).
  const tunnelled = rsWritten(rs).forwarding && rs.forwarding.method === 'TUN';
  if (!tunnelled) {
    const vw = vsWritten(vs);
    if (!vw.family) vw.family = rs.family;
    else if (vw.family !== rs.family) {
      c.error(`address family of virtual server and real server ${rs.address} don't match - skipping the real server`);
      return;
    }
  }
  vs.realServers.push(rs);
}

// ---- virtual_server ----------------------------------------------------------------------------------

function noFlags(): ServiceFlags {
  return { ops: false, flag1: false, flag2: false, flag3: false, shPort: false, shFallback: false, mhPort: false, mhFallback: false };
}

function scheduler(c: KwCtx, vs: VirtualServer): void {
  const s = c.str(0);
  const hit = LVS_SCHEDULERS.find((x) => x === s);
  if (!hit) return c.error(`invalid lvs_scheduler '${s}' - ignoring: expected one of ${LVS_SCHEDULERS.join(' ')}`);
  vs.scheduler = hit;
  vsWritten(vs).scheduler = true;
}

/** ops, flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback, hashed: keepalived's lbflags_handler. */
function serviceFlag(c: KwCtx, vs: VirtualServer): void {
  const kw = c.keyword;
  const f = vs.flags;
  if (kw === 'ops') f.ops = true;
  else if (kw === 'flag-1') f.flag1 = true;
  else if (kw === 'flag-2') f.flag2 = true;
  else if (kw === 'flag-3') f.flag3 = true;
  else {
    const sched: LvsScheduler | undefined = vsWritten(vs).scheduler ? vs.scheduler : undefined;
    const set: Partial<Record<string, keyof ServiceFlags>> =
      sched === 'sh' ? { 'sh-port': 'shPort', 'sh-fallback': 'shFallback' } : sched === 'mh' ? { 'mh-port': 'mhPort', 'mh-fallback': 'mhFallback' } : {};
    const flag = set[kw];
    if (flag) f[flag] = true;
    else if (sched === 'sh' || sched === 'mh') c.info(`${kw} has no effect with the ${sched} scheduler - ignoring`);
    else c.error(`${kw} only applies to the sh (or mh) scheduler - ignoring: set lvs_sched sh|mh before it`);
  }
}

function method(c: KwCtx, vs: VirtualServer): void {
  const w = vsWritten(vs);
  const f = parseForwarding(c, 'virtual', w.forwarding ? vs.forwarding : undefined);
  if (!f) return;
  vs.forwarding = f;
  w.forwarding = true;
}

function vsScript(c: KwCtx, vs: VirtualServer, field: 'quorumUp' | 'quorumDown'): void {
  const kw = field === 'quorumUp' ? 'quorum_up' : 'quorum_down';
  if (vs[field]) return c.error(`${kw} script already specified - ignoring '${c.opt(0) ?? ''}'`);
  c.str(0);
  const s = scriptArg(c, true);
  if (s) vs[field] = s;
}

function virtualServerKeywords(): Schema {
  return {
    ...timingKeywords<VirtualServer>('virtual server'),
    ip_family: value<VirtualServer>((c, vs) => {
      const f = c.str(0);
      if (f !== 'inet' && f !== 'inet6') return c.error(`unknown address family '${f}': expected inet or inet6`);
      const w = vsWritten(vs);
      if (w.family && w.family !== f)
        return c.error(`virtual server specified family ${f} conflicts with the family of its addresses (${w.family}) - ignoring`);
      w.family = f;
      vs.family = f;
    }),
    inhibit_on_failure: value<VirtualServer>((_c, vs) => {
      vs.inhibitOnFailure = true;
    }),
    lb_algo: value<VirtualServer>(scheduler),
    lvs_sched: value<VirtualServer>(scheduler),
    hashed: value<VirtualServer>(serviceFlag),
    ops: value<VirtualServer>(serviceFlag),
    'flag-1': value<VirtualServer>(serviceFlag),
    'flag-2': value<VirtualServer>(serviceFlag),
    'flag-3': value<VirtualServer>(serviceFlag),
    'sh-port': value<VirtualServer>(serviceFlag),
    'sh-fallback': value<VirtualServer>(serviceFlag),
    'mh-port': value<VirtualServer>(serviceFlag),
    'mh-fallback': value<VirtualServer>(serviceFlag),
    lb_kind: value<VirtualServer>(method),
    lvs_method: value<VirtualServer>(method),
    persistence_engine: value<VirtualServer>((c, vs) => {
      const s = c.str(0);
      if (s.length > PE_NAME_MAX) c.error(`persistence_engine name '${s}' too long, truncating to ${PE_NAME_MAX} characters`);
      vs.persistenceEngine = s.slice(0, PE_NAME_MAX);
    }),
    persistence_timeout: value<VirtualServer>((c, vs) => {
      if (c.n < 1) {
        vs.persistenceTimeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
        return;
      }
      const v = readUnsigned(c, 0, 1, LVS_MAX_TIMEOUT_S, (s) => `persistence_timeout '${s}' invalid - ignoring`);
      if (v !== undefined) vs.persistenceTimeoutS = v;
    }),
    persistence_granularity: value<VirtualServer>((c, vs) => {
      const g = c.str(0);
      const w = vsWritten(vs);
      const fam = w.family ?? (g.includes('.') ? 'inet' : 'inet6');
      if (fam === 'inet6') {
        const r = parseUnsigned(g, 1, 128);
        if (!r.ok) return c.error(`invalid IPv6 persistence_granularity '${g}' - ignoring: expected a prefix length 1-128`);
        vs.persistenceGranularity = String(r.value);
      } else {
        const mask = inetAton(g);
        if (!mask) return c.error(`invalid IPv4 persistence_granularity '${g}' - ignoring: expected a netmask such as 255.255.255.0`);
        vs.persistenceGranularity = mask;
      }
      if (!w.family) {
        w.family = fam;
        vs.family = fam;
      }
      if (!vs.persistenceTimeoutS) vs.persistenceTimeoutS = DEFAULT_PERSISTENCE_TIMEOUT_S;
    }),
    protocol: value<VirtualServer>((c, vs) => {
      const p = c.str(0).toUpperCase();
      if (p === 'TCP' || p === 'UDP' || p === 'SCTP') vs.protocol = p;
      else c.error(`unknown protocol '${c.args[0]}' - ignoring: expected TCP, UDP or SCTP`);
    }),
    ha_suspend: value<VirtualServer>((_c, vs) => {
      vs.haSuspend = true;
    }),
    smtp_alert: value<VirtualServer>((c, vs) => {
      const b = boolArg(c, (s) => `invalid virtual_server smtp_alert parameter '${s}' - ignoring`);
      if (b === undefined) return;
      vs.smtpAlert = b;
      vsWritten(vs).smtpAlert = true;
    }),
    virtualhost: virtualhost<VirtualServer>('virtual server'),
    snmp_name: snmpName<VirtualServer>('virtual server'),
    alpha: value<VirtualServer>((_c, vs) => {
      vs.alpha = true;
    }),
    omega: value<VirtualServer>((_c, vs) => {
      vs.omega = true;
    }),
    quorum_up: value<VirtualServer>((c, vs) => vsScript(c, vs, 'quorumUp')),
    quorum_down: value<VirtualServer>((c, vs) => vsScript(c, vs, 'quorumDown')),
    quorum: value<VirtualServer>((c, vs) => {
      const s = c.str(0);
      const r = parseUnsigned(s, 1, UINT_MAX);
      if (r.ok) vs.quorum = r.value;
      else {
        c.error(`quorum '${s}' must be in [1, ${UINT_MAX}] (${r.why}) - setting it to 1`);
        vs.quorum = 1;
      }
    }),
    hysteresis: value<VirtualServer>((c, vs) => {
      const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `hysteresis '${s}' must be in [0, ${UINT_MAX}] - ignoring`);
      if (v !== undefined) vs.hysteresis = v;
    }),
    weight: value<VirtualServer>((c, vs) => {
      const v = readUnsigned(c, 0, 1, IPVS_WEIGHT_LIMIT, (s) => `virtual server weight '${s}' is outside range 1-${IPVS_WEIGHT_LIMIT} - ignoring`);
      if (v !== undefined) vs.weight = v;
    }),
    sorry_server: value<VirtualServer>((c, vs) => {
      const ip = c.str(0);
      const a = parseSockAddr(ip, portWord(c.opt(1)));
      if ('why' in a) return c.error(`invalid sorry server IP address ${ip}${c.opt(1) ? ' ' + c.opt(1) : ''} - skipping: ${a.why}`);
      const vw = vsWritten(vs);
      vs.sorryServer = {
        loc: c.loc,
        address: a.address,
        family: a.family,
        port: a.port,
        inhibit: false,
        forwarding: vw.forwarding ? cloneForwarding(vs.forwarding) : { method: 'NAT' },
      };
      if (vw.forwarding) sorryWritten(vs.sorryServer).forwarding = true;
    }),
    sorry_server_inhibit: value<VirtualServer>((c, vs) => {
      if (vs.sorryServer) vs.sorryServer.inhibit = true;
      else c.error('sorry_server_inhibit used before or without sorry_server - ignoring');
    }),
    sorry_server_lvs_method: value<VirtualServer>((c, vs) => {
      const ss = vs.sorryServer;
      if (!ss) return c.error('sorry_server_lvs_method used before or without sorry_server - ignoring');
      const w = sorryWritten(ss);
      const f = parseForwarding(c, 'sorry', w.forwarding ? ss.forwarding : undefined);
      if (!f) return;
      ss.forwarding = f;
      w.forwarding = true;
    }),
    real_server: block<VirtualServer, RealServer>(
      realServerKeywords,
      (c, vs) => openRealServer(c, vs),
      (c, rs, vs) => closeRealServer(c, rs, vs),
    ),
  };
}

function openVirtualServer(c: KwCtx): VirtualServer | null {
  const p1 = c.str(0);
  const base = {
    loc: c.loc,
    family: 'inet' as const,
    scheduler: 'wlc' as const,
    flags: noFlags(),
    forwarding: { method: 'NAT' as const },
    persistenceTimeoutS: 0,
    haSuspend: false,
    smtpAlert: false,
    alpha: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    weight: 1,
    delayLoopS: 60,
    connectTimeoutS: 5,
    inhibitOnFailure: false,
    realServers: [],
  };
  let vs: VirtualServer;
  if (p1 === 'group') {
    vs = { kind: 'group', group: c.str(1), ...base };
  } else if (p1 === 'fwmark') {
    const m = c.str(1);
    const r = parseUnsigned(m, 0, UINT_MAX);
    if (!r.ok) {
      c.error(`virtual server fwmark '${m}' must be in [0, ${UINT_MAX}] - skipping the virtual_server block (${r.why})`);
      return null;
    }
    vs = { kind: 'fwmark', fwmark: r.value, ...base };
  } else {
    const port = c.opt(1);
    const a = parseSockAddr(p1, portWord(port));
    if ('why' in a) {
      c.error(
        `invalid virtual server IP address${port !== undefined ? '/port' : ''} ${p1}${port !== undefined ? '/' + port : ''} - skipping the virtual_server block: ${a.why}; expected 'virtual_server IP [PORT]', 'virtual_server fwmark N' or 'virtual_server group NAME'`,
      );
      return null;
    }
    vs = { kind: 'ip', address: a.address, port: a.port, ...base, family: a.family };
    vsWritten(vs).family = a.family;
  }
  return vs;
}

/** keepalived's vs_end_handler: the family from the sorry server, else from the real servers. */
function closeVirtualServer(c: KwCtx, vs: VirtualServer, cfg: KeepalivedConfig): void {
  const w = vsWritten(vs);
  const ss = vs.sorryServer;
  if (ss && !(sorryWritten(ss).forwarding && ss.forwarding.method === 'TUN')) {
    if (!w.family) w.family = ss.family;
    else if (w.family !== ss.family) {
      c.error(`address family of virtual server and sorry server ${ss.address} don't match - skipping the sorry server`);
      delete vs.sorryServer;
    }
  }
  if (!w.family && vs.kind !== 'group') {
    // Only tunnelled real/sorry servers: their common family, or IPv4 when they are mixed.
    const fams = new Set([...(vs.sorryServer ? [vs.sorryServer.family] : []), ...vs.realServers.map((r) => r.family)]);
    w.family = fams.size === 1 ? [...fams][0]! : 'inet';
  }
  if (w.family) vs.family = w.family;
  cfg.lvs.virtualServers.push(vs);
}

// ---- virtual_server_group ------------------------------------------------------------------------------

/** One line of a virtual_server_group: `IP[-END|/LEN] [PORT]` or `fwmark N [inet|inet6]`. */
function vsgEntry(c: KwCtx, g: VirtualServerGroup): VsgEntry | undefined {
  const first = c.keyword;
  if (first === 'fwmark') {
    const m = c.str(0);
    const r = parseUnsigned(m, 0, UINT_MAX);
    if (!r.ok) return (c.error(`(${g.name}): fwmark '${m}' must be in [0, ${UINT_MAX}] - ignoring (${r.why})`), undefined);
    const fam = c.opt(1);
    if (fam !== undefined && fam !== 'inet' && fam !== 'inet6')
      return (c.error(`(${g.name}): fwmark '${r.value}' family ${fam} unknown - ignoring: expected inet or inet6`), undefined);
    return fam ? { kind: 'fwmark', loc: c.loc, fwmark: r.value, family: fam } : { kind: 'fwmark', loc: c.loc, fwmark: r.value };
  }
  const portText = c.opt(0);
  const a = parseSockAddr(first, portWord(portText));
  if ('why' in a) {
    return (c.error(`invalid virtual server group IP address ${first}${portText !== undefined ? ' ' + portText : ''} - skipping: ${a.why}`), undefined);
  }
  const bits = a.family === 'inet' ? 32 : 128;
  const start = addressToBigInt(a.address);
  let end = start;
  const slash = first.indexOf('/');
  const dash = first.indexOf('-');
  if (slash >= 0) {
    const maskText = first.slice(slash + 1);
    const mask = /^\d+$/.test(maskText) ? Number(maskText) : NaN;
    if (!(mask >= 1 && mask <= bits)) return (c.error(`invalid netmask - ${first} - skipping: expected /1 to /${bits}`), undefined);
    const host = (1n << BigInt(bits - mask)) - 1n;
    if ((start & host) !== 0n) return (c.error(`address mask bits not empty - ${first} - skipping: the address must be the first of its /${mask}`), undefined);
    end = start | host;
  } else if (dash >= 0) {
    const tail = first.slice(dash + 1);
    if ((a.family === 'inet' && tail.includes('.')) || (a.family === 'inet6' && tail.includes(':'))) {
      const e = parseSockAddr(tail, undefined);
      if ('why' in e) return (c.error(`invalid range end ${first} - skipping: ${e.why}`), undefined);
      if (e.family !== a.family) return (c.error(`range address families do not match ${first} - skipping`), undefined);
      end = addressToBigInt(e.address);
      if (end < start) return (c.error(`address range end is less than address range start - ${first} - skipping`), undefined);
    } else {
      const re = a.family === 'inet' ? /^\d+$/ : /^[0-9a-fA-F]+$/;
      const lastMax = a.family === 'inet' ? 255 : 0xffff;
      if (!re.test(tail))
        return (
          c.error(
            `virtual server group range '${first}' has extra characters at the end of '${tail}' - skipping: expected the last ${a.family === 'inet' ? 'octet (decimal)' : 'group (hex)'}`,
          ),
          undefined
        );
      const last = Number.parseInt(tail, a.family === 'inet' ? 10 : 16);
      if (last > lastMax)
        return (c.error(`virtual server group range '${first}' end '${tail}' too large - skipping: at most ${a.family === 'inet' ? 255 : 'ffff'}`), undefined);
      const shift = a.family === 'inet' ? 8n : 16n;
      const low = start & ((1n << shift) - 1n);
      if (low >= BigInt(last)) return (c.error(`address range end is not greater than address range start - ${first} - skipping`), undefined);
      end = ((start >> shift) << shift) | BigInt(last);
    }
  }
  return { kind: 'range', loc: c.loc, family: a.family, address: a.address, rangeEnd: bigIntToAddress(end, a.family), port: a.port };
}

// ---- SSL ----------------------------------------------------------------------------------------------

function sslFile(field: 'password' | 'ca' | 'certificate' | 'key', what: string) {
  return value<SslConfig>((c, ssl) => {
    if (c.n < 1) return c.error(`SSL ${what} missing: expected a value`);
    if (ssl[field] !== undefined) c.error(`SSL ${what} already specified - replacing`);
    ssl[field] = c.args[0]!;
  });
}

// ---- root ---------------------------------------------------------------------------------------------

export const lvsRootKeywords: Schema = {
  SSL: block<KeepalivedConfig, SslConfig>(
    { password: sslFile('password', 'password'), ca: sslFile('ca', 'cafile'), certificate: sslFile('certificate', 'certfile'), key: sslFile('key', 'keyfile') },
    (c, cfg) => {
      if (cfg.lvs.ssl) c.error('SSL context already specified - replacing');
      cfg.lvs.ssl = { loc: c.loc };
      return cfg.lvs.ssl;
    },
  ),
  virtual_server_group: list<KeepalivedConfig>((c, cfg, items) => {
    const name = c.str(0);
    const g: VirtualServerGroup = { loc: c.loc, name, entries: [] };
    for (const it of items) {
      const e = vsgEntry(itemCtx(c, it), g);
      if (e) g.entries.push(e);
    }
    if (g.entries.length === 0) return c.error(`virtual server group ${name} has no entries - removing`);
    const v4 = g.entries.some((e) => e.family === 'inet');
    const v6 = g.entries.some((e) => e.family === 'inet6');
    if (v4 && v6 && g.entries.some((e) => e.kind === 'fwmark' && !e.family)) {
      return c.error(`virtual server group ${name} cannot have IPv4, IPv6 and fwmark without family - removing: add inet or inet6 to the fwmark entries`);
    }
    cfg.lvs.groups.push(g);
  }),
  virtual_server: block<KeepalivedConfig, VirtualServer>(
    virtualServerKeywords,
    (c) => openVirtualServer(c),
    (c, vs, cfg) => closeVirtualServer(c, vs, cfg),
  ),
};
