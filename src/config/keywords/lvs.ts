/**
 * Keyword tables: the LVS half of keepalived.conf — SSL, virtual_server_group, virtual_server with its
 * real_server and sorry_server, following keepalived 2.2.7's check_parser.c keyword set, ranges and
 * messages. The checker blocks (TCP_CHECK, HTTP_GET, ...) are in checkers.ts.
 */
import {
  LVS_SCHEDULERS,
  type Family,
  type Forwarding,
  type LvsConfig,
  type RealServer,
  type ServiceFlags,
  type VirtualServer,
  type VirtualServerGroup,
  type VsgEntry,
} from '../model/lvs.js';
import type { KeepalivedConfig } from '../model.js';
import { IPVS_WEIGHT_MAX, secondsArg, uintArg, UINT_MAX } from './numbers.js';
import { block, list, value, type KwCtx, type Schema } from '../schema.js';
import { checkerKeywords } from './checkers.js';
import { familyOf, isAddress, isIPv4, itemCtx, optBool, scriptFrom } from './vrrp-util.js';

export const LVS_MAX_TIMEOUT_S = 86400 * 31;
export const IPVS_PERSISTENT_TIMEOUT_S = 360;

/** `IP` + optional `PORT` (0 or absent = no port), as keepalived's inet_stosockaddr(). */
export function parseServer(ip: string, port: string | undefined): { address: string; family: Family; port: number } | undefined {
  const family = familyOf(ip);
  const address = family === 'inet6' && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!isAddress(address, family)) return undefined;
  let p = 0;
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port)) return undefined;
    p = Number(port);
    if (p > 65535) return undefined;
  }
  return { address, family, port: p };
}

/** lb_kind / lvs_method / sorry_server_lvs_method: `NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]`. */
export function parseForwarding(c: KwCtx, what: 'virtual' | 'real' | 'sorry', prev?: Forwarding): Forwarding | undefined {
  const m = c.str(0);
  if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') {
    c.error(`unknown [${m}] routing method for ${what} server: expected NAT, DR or TUN (upper case)`);
    return undefined;
  }
  let tunnelType: Forwarding['tunnelType'] = prev?.tunnelType ?? 'ipip';
  let port = prev?.tunnelPort ?? 0;
  let csum: Forwarding['tunnelChecksum'] = prev?.tunnelChecksum ?? 'nocsum';
  for (let i = 1; i < c.n; i++) {
    const w = c.args[i]!;
    if (w === 'type') {
      const t = c.args[++i];
      if (t === undefined) return c.error(`missing tunnel type for ${what} server`), undefined;
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre') return c.error(`unknown tunnel type ${t} for ${what} server: expected ipip, gue or gre`), undefined;
      tunnelType = t;
    } else if (w === 'port') {
      const p = c.args[++i];
      if (p === undefined) return c.error(`missing port for ${what} server gue tunnel`), undefined;
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return c.error(`invalid gue tunnel port ${p} for ${what} server: expected 1-65535`), undefined;
      port = Number(p);
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') csum = w;
    else return c.error(`invalid tunnel option ${w} for ${what} server`), undefined;
  }
  if ((tunnelType === 'gue') !== (port !== 0)) return c.error('gue tunnels require a port, and other tunnels cannot have one'), undefined;
  if (tunnelType === 'ipip' && csum !== 'nocsum') return c.error('ipip tunnels do not support checksum options'), undefined;
  if (tunnelType === 'gre' && csum === 'remcsum') return c.error('gre tunnels do not support the remote checksum option'), undefined;
  const f: Forwarding = { method: m };
  if (m === 'TUN' || c.n > 1) {
    f.tunnelType = tunnelType;
    if (port) f.tunnelPort = port;
    f.tunnelChecksum = csum;
  }
  return f;
}

function noFlags(): ServiceFlags {
  return { ops: false, hashed: false, flag1: false, flag2: false, flag3: false, shPort: false, shFallback: false, mhPort: false, mhFallback: false };
}



/** Keywords shared by virtual_server and real_server that take the same form. */
function timing<T extends { retry?: number; delayBeforeRetryS?: number; warmupS?: number; delayLoopS?: number; connectTimeoutS?: number }>(who: string): Schema {
  return {
    retry: value<T>((c, o) => { const v = uintArg(c, 1, UINT_MAX, `${who} retry value invalid`); if (v !== undefined) o.retry = v; }),
    delay_before_retry: value<T>((c, o) => { const v = secondsArg(c, 0, `${who} delay before retry`); if (v !== undefined) o.delayBeforeRetryS = v; }),
    warmup: value<T>((c, o) => { const v = secondsArg(c, 0, `${who} warmup`); if (v !== undefined) o.warmupS = v; }),
    delay_loop: value<T>((c, o) => { const v = secondsArg(c, 1e-6, `${who} delay loop`); if (v !== undefined) o.delayLoopS = v; }),
    connect_timeout: value<T>((c, o) => { const v = secondsArg(c, 1e-6, `${who} connect_timeout`); if (v !== undefined) o.connectTimeoutS = v; }),
  };
}

function realServerKeywords(): Schema {
  return {
    ...timing<RealServer>('real server'),
    weight: value<RealServer>((c, rs) => {
      const v = uintArg(c, 0, IPVS_WEIGHT_MAX, 'real server weight');
      if (v !== undefined) rs.weight = v;
    }),
    lvs_method: value<RealServer>((c, rs) => {
      const f = parseForwarding(c, 'real', rs.forwarding);
      if (f) rs.forwarding = f;
    }),
    uthreshold: value<RealServer>((c, rs) => { const v = uintArg(c, 0, UINT_MAX, 'real server uthreshold'); if (v !== undefined) rs.uthreshold = v; }),
    lthreshold: value<RealServer>((c, rs) => { const v = uintArg(c, 0, UINT_MAX, 'real server lthreshold'); if (v !== undefined) rs.lthreshold = v; }),
    inhibit_on_failure: value<RealServer>((c, rs) => { const b = optBool(c, 0, `invalid inhibit_on_failure value ${c.opt(0)}`); if (b !== undefined) rs.inhibitOnFailure = b; }),
    notify_up: value<RealServer>((c, rs) => { const s = scriptFrom(c, { withUser: true }); if (s) rs.notifyUp = s; }),
    notify_down: value<RealServer>((c, rs) => { const s = scriptFrom(c, { withUser: true }); if (s) rs.notifyDown = s; }),
    alpha: value<RealServer>((c, rs) => { const b = optBool(c, 0, `invalid alpha parameter ${c.opt(0)}`); if (b !== undefined) rs.alpha = b; }),
    smtp_alert: value<RealServer>((c, rs) => { const b = optBool(c, 0, `invalid real_server smtp_alert parameter ${c.opt(0)}`); if (b !== undefined) rs.smtpAlert = b; }),
    virtualhost: value<RealServer>((c, rs) => {
      if (c.n < 1) return c.error('real server virtualhost missing');
      rs.virtualhost = c.args[0]!;
    }),
    snmp_name: value<RealServer>(() => {}),
    ...checkerKeywords(),
  };
}

function virtualServerKeywords(): Schema {
  return {
    ...timing<VirtualServer>('virtual server'),
    ip_family: value<VirtualServer>((c, vs) => {
      const f = c.str(0);
      if (f !== 'inet' && f !== 'inet6') return c.error(`unknown address family ${f}: expected inet or inet6`);
      if (vs.family && vs.family !== f) return c.error(`virtual server specified family ${f} conflicts with server family`);
      vs.family = f;
    }),
    inhibit_on_failure: value<VirtualServer>((_c, vs) => { vs.inhibitOnFailure = true; }),
    lb_algo: value<VirtualServer>(sched),
    lvs_sched: value<VirtualServer>(sched),
    hashed: value<VirtualServer>((_c, vs) => { vs.flags.hashed = true; }),
    ops: value<VirtualServer>((_c, vs) => { vs.flags.ops = true; }),
    'flag-1': value<VirtualServer>((_c, vs) => { vs.flags.flag1 = true; }),
    'flag-2': value<VirtualServer>((_c, vs) => { vs.flags.flag2 = true; }),
    'flag-3': value<VirtualServer>((_c, vs) => { vs.flags.flag3 = true; }),
    'sh-port': value<VirtualServer>((c, vs) => schedFlag(c, vs, 'sh', 'shPort')),
    'sh-fallback': value<VirtualServer>((c, vs) => schedFlag(c, vs, 'sh', 'shFallback')),
    'mh-port': value<VirtualServer>((c, vs) => schedFlag(c, vs, 'mh', 'mhPort')),
    'mh-fallback': value<VirtualServer>((c, vs) => schedFlag(c, vs, 'mh', 'mhFallback')),
    lb_kind: value<VirtualServer>(method),
    lvs_method: value<VirtualServer>(method),
    persistence_engine: value<VirtualServer>((c, vs) => { vs.persistenceEngine = c.str(0); }),
    persistence_timeout: value<VirtualServer>((c, vs) => {
      if (c.n < 1) {
        vs.persistenceTimeoutS = IPVS_PERSISTENT_TIMEOUT_S;
        return;
      }
      const v = uintArg(c, 1, LVS_MAX_TIMEOUT_S, 'persistence_timeout invalid');
      if (v !== undefined) vs.persistenceTimeoutS = v;
    }),
    persistence_granularity: value<VirtualServer>((c, vs) => {
      const g = c.str(0);
      const fam = vs.family ?? (g.includes('.') ? 'inet' : 'inet6');
      if (fam === 'inet6') {
        if (!/^\d+$/.test(g) || Number(g) < 1 || Number(g) > 128) return c.error(`invalid IPv6 persistence_granularity specified - ${g}: expected a prefix length 1-128`);
      } else if (!isIPv4(g)) return c.error(`invalid IPv4 persistence_granularity specified - ${g}: expected a netmask such as 255.255.255.0`);
      vs.persistenceGranularity = g;
      vs.family ??= fam;
      vs.persistenceTimeoutS ??= IPVS_PERSISTENT_TIMEOUT_S;
    }),
    protocol: value<VirtualServer>((c, vs) => {
      const p = c.str(0).toUpperCase();
      if (p === 'TCP' || p === 'UDP' || p === 'SCTP') vs.protocol = p;
      else c.error(`unknown protocol ${c.args[0]} - ignoring: expected TCP, UDP or SCTP`);
    }),
    ha_suspend: value<VirtualServer>((_c, vs) => { vs.haSuspend = true; }),
    smtp_alert: value<VirtualServer>((c, vs) => { const b = optBool(c, 0, `invalid virtual_server smtp_alert parameter ${c.opt(0)}`); if (b !== undefined) vs.smtpAlert = b; }),
    virtualhost: value<VirtualServer>((c, vs) => {
      if (c.n < 1) return c.error('virtual server virtualhost missing');
      vs.virtualhost = c.args[0]!;
    }),
    snmp_name: value<VirtualServer>(() => {}),
    alpha: value<VirtualServer>((_c, vs) => { vs.alpha = true; }),
    omega: value<VirtualServer>((_c, vs) => { vs.omega = true; }),
    quorum_up: value<VirtualServer>((c, vs) => { const s = scriptFrom(c, { withUser: true }); if (s) vs.quorumUp = s; }),
    quorum_down: value<VirtualServer>((c, vs) => { const s = scriptFrom(c, { withUser: true }); if (s) vs.quorumDown = s; }),
    quorum: value<VirtualServer>((c, vs) => { const v = uintArg(c, 1, UINT_MAX, 'quorum'); if (v !== undefined) vs.quorum = v; }),
    hysteresis: value<VirtualServer>((c, vs) => { const v = uintArg(c, 0, UINT_MAX, 'hysteresis'); if (v !== undefined) vs.hysteresis = v; }),
    weight: value<VirtualServer>((c, vs) => { const v = uintArg(c, 1, IPVS_WEIGHT_MAX, 'virtual server weight'); if (v !== undefined) vs.weight = v; }),
    sorry_server: value<VirtualServer>((c, vs) => {
      const ip = c.str(0);
      const s = parseServer(ip, c.opt(1));
      if (!s) return c.error(`invalid sorry server IP address ${ip} - skipping`);
      vs.sorryServer = { loc: c.loc, ...s, inhibit: false };
    }),
    sorry_server_inhibit: value<VirtualServer>((c, vs) => {
      if (vs.sorryServer) vs.sorryServer.inhibit = true;
      else c.error('sorry_server_inhibit used before or without sorry_server - ignoring');
    }),
    sorry_server_lvs_method: value<VirtualServer>((c, vs) => {
      if (!vs.sorryServer) return c.error('sorry_server_lvs_method used without sorry_server');
      const f = parseForwarding(c, 'sorry', vs.sorryServer.forwarding);
      if (f) vs.sorryServer.forwarding = f;
    }),
    real_server: block<VirtualServer, RealServer>(
      realServerKeywords,
      (c, vs) => {
        const ip = c.str(0);
        const s = parseServer(ip, c.opt(1));
        if (!s) {
          c.error(`invalid real server ip address/port ${ip}/${c.opt(1) ?? ''} - skipping`);
          return null;
        }
        return { loc: c.loc, ...s, checkers: [] };
      },
      (c, rs, vs) => {
        // Tunnelled real servers may be of the other family; others must match the virtual server.
        const tunnelled = (rs.forwarding ?? vs.forwarding)?.method === 'TUN';
        if (!tunnelled) {
          if (!vs.family) vs.family = rs.family;
          else if (vs.family !== rs.family) {
            c.error(`address family of virtual server and real server ${rs.address} don't match - skipping real server`);
            return;
          }
        }
        vs.realServers.push(rs);
      },
    ),
  };
}

function sched(c: KwCtx, vs: VirtualServer): void {
  const s = c.str(0);
  const hit = LVS_SCHEDULERS.find((x) => x === s);
  if (!hit) c.error(`invalid lvs_scheduler '${s}' - ignoring: expected one of ${LVS_SCHEDULERS.join(' ')}`);
  else vs.scheduler = hit;
}

function schedFlag(c: KwCtx, vs: VirtualServer, scheduler: 'sh' | 'mh', flag: keyof ServiceFlags): void {
  if (vs.scheduler !== scheduler) c.error(`${c.keyword} only applies to the ${scheduler} scheduler (set lb_algo ${scheduler} before it) - ignoring`);
  else vs.flags[flag] = true;
}

function method(c: KwCtx, vs: VirtualServer): void {
  const f = parseForwarding(c, 'virtual', vs.forwarding);
  if (f) vs.forwarding = f;
}

function newVirtualServer(c: KwCtx): VirtualServer | null {
  const p1 = c.str(0);
  const base = {
    loc: c.loc, flags: noFlags(), haSuspend: false, alpha: false, omega: false, quorum: 1, hysteresis: 0, weight: 1,
    delayLoopS: 60, connectTimeoutS: 5, inhibitOnFailure: false, realServers: [],
  };
  if (p1 === 'group') {
    return { ...base, kind: 'group', group: c.str(1) };
  }
  if (p1 === 'fwmark') {
    const m = c.str(1);
    if (!/^\d+$/.test(m) || Number(m) > UINT_MAX) {
      c.error(`virtual server fwmark '${m}' must be in [0, ${UINT_MAX}] - ignoring`);
      return null;
    }
    return { ...base, kind: 'fwmark', fwmark: Number(m) };
  }
  const s = parseServer(p1, c.opt(1));
  if (!s) {
    c.error(`invalid virtual server IP address/port ${p1}${c.opt(1) !== undefined ? '/' + c.opt(1) : ''} - skipping: expected 'virtual_server IP PORT', 'fwmark N' or 'group NAME'`);
    return null;
  }
  return { ...base, kind: 'ip', address: s.address, port: s.port, family: s.family };
}

function finishVirtualServer(c: KwCtx, vs: VirtualServer, cfg: KeepalivedConfig): void {
  const ss = vs.sorryServer;
  if (ss && ss.forwarding?.method !== 'TUN') {
    if (!vs.family) vs.family = ss.family;
    else if (vs.family !== ss.family) {
      c.error(`address family of virtual server and sorry server ${ss.address} don't match - skipping sorry server`);
      delete vs.sorryServer;
    }
  }
  if (!vs.family && vs.kind !== 'group') vs.family = vs.sorryServer?.family ?? vs.realServers[0]?.family ?? 'inet';
  cfg.lvs.virtualServers.push(vs);
}

/** `IP[-END] [PORT]`, `IP/LEN [PORT]` or `fwmark N [inet|inet6]` inside virtual_server_group. */
function vsgEntry(c: KwCtx, g: VirtualServerGroup): void {
  const first = c.keyword;
  if (first === 'fwmark') {
    const m = c.str(0);
    if (!/^\d+$/.test(m) || Number(m) > UINT_MAX) return c.error(`(${g.name}): fwmark '${m}' must be in [0, ${UINT_MAX}] - ignoring`);
    const e: VsgEntry = { loc: c.loc, kind: 'fwmark', fwmark: Number(m) };
    const fam = c.opt(1);
    if (fam !== undefined) {
      if (fam !== 'inet' && fam !== 'inet6') return c.error(`(${g.name}): fwmark '${m}' family ${fam} unknown - ignoring: expected inet or inet6`);
      e.family = fam;
    }
    g.entries.push(e);
    return;
  }
  const port = c.opt(0);
  const dash = first.lastIndexOf('-');
  let addr = first;
  let end: string | undefined;
  if (dash > 0) {
    addr = first.slice(0, dash);
    const tail = first.slice(dash + 1);
    const fam = familyOf(addr);
    if (fam === 'inet') {
      if (!/^\d{1,3}$/.test(tail) || Number(tail) > 255) return c.error(`invalid range end ${first} - skipping`);
      end = addr.split('.').slice(0, 3).concat(tail).join('.');
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(tail)) return c.error(`invalid range end ${first} - skipping`);
      end = addr.slice(0, addr.lastIndexOf(':') + 1) + tail.toLowerCase();
    }
  }
  let prefix: string | undefined;
  if (addr.includes('/')) [addr, prefix] = addr.split('/') as [string, string];
  const s = parseServer(addr, port);
  if (!s) return c.error(`invalid virtual server group IP address ${first}${port !== undefined ? ' ' + port : ''} - skipping`);
  const e: VsgEntry = { loc: c.loc, kind: 'ip', address: s.address, family: s.family, port: s.port };
  if (prefix !== undefined) {
    const bits = s.family === 'inet' ? 32 : 128;
    if (!/^\d+$/.test(prefix) || Number(prefix) > bits) return c.error(`invalid netmask - ${first} - skipping`);
    if (s.family === 'inet') {
      const hostBits = 32 - Number(prefix);
      const last = Number(s.address.split('.')[3]);
      if (hostBits > 8 || (last & ((1 << hostBits) - 1)) !== 0) return c.error(`address mask bits not empty - ${first} - skipping`);
      if (hostBits > 0) e.rangeEnd = s.address.split('.').slice(0, 3).concat(String(last + (1 << hostBits) - 1)).join('.');
    }
  }
  if (end !== undefined) {
    const lastOf = (a: string) => (s.family === 'inet' ? Number(a.split('.')[3]) : Number.parseInt(a.slice(a.lastIndexOf(':') + 1) || '0', 16));
    if (lastOf(end) < lastOf(s.address)) return c.error(`address range end is less than address range start - ${first} - skipping`);
    e.rangeEnd = end;
  }
  g.entries.push(e);
}

function sslKw(field: 'password' | 'ca' | 'certificate' | 'key') {
  return value<NonNullable<LvsConfig['ssl']>>((c, ssl) => { ssl[field] = c.str(0); });
}

export const lvsRootKeywords: Schema = {
  SSL: block<KeepalivedConfig, NonNullable<LvsConfig['ssl']>>(
    { password: sslKw('password'), ca: sslKw('ca'), certificate: sslKw('certificate'), key: sslKw('key') },
    (c, cfg) => {
      cfg.lvs.ssl = { loc: c.loc };
      return cfg.lvs.ssl;
    },
  ),
  virtual_server_group: list<KeepalivedConfig>((c, cfg, items) => {
    const name = c.str(0);
    const g: VirtualServerGroup = { loc: c.loc, name, entries: [] };
    for (const it of items) vsgEntry(itemCtx(c, it), g);
    if (g.entries.length === 0) return c.error(`virtual server group ${name} has no entries - removing`);
    const fams = new Set(g.entries.filter((e) => e.kind === 'ip').map((e) => e.family));
    if (fams.size > 1 && g.entries.some((e) => e.kind === 'fwmark' && !e.family)) {
      return c.error(`virtual server group ${name} cannot have IPv4, IPv6 and fwmark without family - removing`);
    }
    const i = cfg.lvs.groups.findIndex((x) => x.name === name);
    if (i >= 0) cfg.lvs.groups[i] = g;
    else cfg.lvs.groups.push(g);
  }),
  virtual_server: block<KeepalivedConfig, VirtualServer>(virtualServerKeywords, (c) => newVirtualServer(c), (c, vs, cfg) => finishVirtualServer(c, vs, cfg)),
};
