/**
 * Keyword tables, pure: one entry of virtual_ipaddress / virtual_ipaddress_excluded /
 * static_ipaddress, virtual_routes / static_routes and virtual_rules / static_rules, parsed the
 * way keepalived 2.2.7 does (vrrp_ipaddress.c alloc_ipaddress(), vrrp_iproute.c alloc_route(),
 * vrrp_iprule.c alloc_rule()): same options and arity, same cases where the entry is dropped.
 *
 * Names that keepalived looks up in /etc/iproute2 (tables, protocols, realms, dsfield) are accepted
 * as written; interface existence is checked later, against the machine, by validate/vrrp.ts.
 * Words are counted from 0 = the first word of the line; a missing parameter aborts the parse
 * (keepalived exits there).
 */
import type { Family, RouteNexthop, VirtualIp, VirtualRoute, VirtualRule } from '../model/vrrp.js';
import type { KwCtx } from '../schema.js';
import { IFNAMSIZ, intOf, intToIpv4, ipv4ToInt, isAddress, parseIp, parseRouteDest } from './vrrp-util.js';

const UINT32_MAX = 4294967295;
const SCOPES = ['global', 'universe', 'site', 'link', 'host', 'nowhere'];
const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast'];

/** Word k of the entry (0 = first); aborts with keepalived's "missing a parameter" when absent. */
function word(c: KwCtx, k: number): string {
  return k === 0 ? c.keyword : c.str(k - 1);
}

function words(c: KwCtx): string[] {
  return [c.keyword, ...c.args];
}

function isScope(s: string): boolean {
  return SCOPES.includes(s) || (/^\d+$/.test(s) && Number(s) <= 255) || /^0x[0-9a-f]{1,2}$/i.test(s);
}

function u32(s: string): number | undefined {
  if (/^\d+$/.test(s) && Number(s) <= UINT32_MAX) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s) && Number.parseInt(s, 16) <= UINT32_MAX) return Number.parseInt(s, 16);
  return undefined;
}

/** An entry of virtual_ipaddress (staticAddr false) or static_ipaddress (staticAddr true). */
/** `track_group NAME` on a static address, route or rule: set once, and only to a defined group. */
function assignTrackGroup(c: KwCtx, target: { trackGroup?: string }, name: string, exists: (n: string) => boolean): 'duplicate' | 'done' {
  if (target.trackGroup !== undefined) {
    c.error(`track_group ${name} is a duplicate`);
    return 'duplicate';
  }
  if (!exists(name)) c.error(`track_group ${name} not found`);
  else target.trackGroup = name;
  return 'done';
}

export function parseVirtualIp(c: KwCtx, staticAddr: boolean, trackGroupExists: (n: string) => boolean): VirtualIp | undefined {
  const w = words(c);
  const first = w[0]!;
  const p = parseIp(first, true);
  if (p?.badPrefix !== undefined) {
    c.error(`invalid address prefix length ${p.badPrefix} for address ${first} - using ${p.prefixLen}`);
  }
  if (!p) {
    c.error(`invalid IP address ${first} - skipping it`);
    return undefined;
  }
  const vip: VirtualIp = {
    address: p.address,
    family: p.family,
    prefixLen: p.prefixLen,
    noTrack: false,
    home: false,
    noDad: false,
    mngTmpAddr: false,
    noPrefixRoute: false,
    autoJoin: false,
    useVmac: false,
    loc: c.loc,
  };
  let brd: 'plus' | 'minus' | undefined;
  let haveBrd = false;
  let missing: string | undefined;
  for (let i = 1; i < w.length; i++) {
    const s = w[i]!;
    const avail = i + 1 < w.length;
    const needsParam = ['dev', 'scope', 'broadcast', 'brd', 'label', 'peer', 'preferred_lft'].includes(s) || (staticAddr && s === 'track_group');
    if (needsParam && !avail) {
      missing = s;
      break;
    }
    switch (s) {
      case 'dev':
        if (vip.dev !== undefined) {
          c.error(`cannot specify the device of address ${first} more than once - skipping it`);
          return undefined;
        }
        vip.dev = w[++i]!;
        break;
      case 'scope': {
        const v = w[++i]!;
        if (!isScope(v)) c.error(`invalid scope '${v}' specified for ${first} - ignoring: expected host, link, site, global, nowhere or a number`);
        else vip.scope = v;
        break;
      }
      case 'broadcast':
      case 'brd': {
        if (vip.family === 'inet6') {
          c.error(`cannot assign a broadcast address ${w[i + 1]} to the IPv6 address ${first} - skipping it`);
          return undefined;
        }
        haveBrd = true;
        const v = w[++i]!;
        if (v === '-') brd = 'minus';
        else if (v === '+') brd = 'plus';
        else if (isAddress(v, 'inet')) vip.broadcast = v;
        else {
          c.error(`invalid broadcast address ${v} for ${first} - skipping it`);
          return undefined;
        }
        break;
      }
      case 'label': {
        const v = w[++i]!;
        if (v.length >= IFNAMSIZ) {
          c.error(`address label ${v} is longer than the maximum length ${IFNAMSIZ - 1} - removing address ${first}`);
          return undefined;
        }
        vip.label = v;
        break;
      }
      case 'peer': {
        const v = w[++i]!;
        if (vip.peer !== undefined) {
          c.error(`peer ${v} - another peer has already been specified`);
          break;
        }
        const pp = parseIp(v, false);
        if (!pp) c.error(`invalid peer address ${v}`);
        else if (pp.family !== vip.family) c.error(`peer address ${v} does not match the address family of ${first}`);
        else {
          if (vip.prefixLen !== (vip.family === 'inet' ? 32 : 128)) {
            c.error('cannot specify an address prefix when specifying a peer address - ignoring the prefix');
          }
          vip.peer = pp.address;
          vip.prefixLen = pp.prefixLen;
        }
        break;
      }
      case 'home':
        vip.home = true;
        break;
      case '-nodad':
        vip.noDad = true;
        break;
      case 'mngtmpaddr':
        vip.mngTmpAddr = true;
        break;
      case 'noprefixroute':
        vip.noPrefixRoute = true;
        break;
      case 'autojoin':
        vip.autoJoin = true;
        break;
      case 'no_track':
        vip.noTrack = true;
        break;
      case 'preferred_lft': {
        const v = w[++i]!;
        if (v === 'forever') vip.preferredLft = 'forever';
        else if (u32(v) !== undefined && /^\d+$/.test(v)) vip.preferredLft = Number(v);
        else c.error(`preferred_lft ${v} is invalid: expected a number of seconds or forever`);
        break;
      }
      default:
        if (staticAddr && s === 'track_group') {
          assignTrackGroup(c, vip, w[++i]!, trackGroupExists);
        } else if (!staticAddr && s === 'use_vmac') {
          vip.useVmac = true;
        } else {
          c.error(`unknown option '${s}' for ip address ${first} - ignoring`);
        }
    }
  }
  if (missing !== undefined) {
    c.error(`no ${missing} parameter specified for ${first} - skipping it`);
    return undefined;
  }
  if (haveBrd && vip.peer !== undefined) {
    c.error('cannot specify both broadcast and peer addresses - ignoring the broadcast address');
    delete vip.broadcast;
  } else if (brd && vip.prefixLen <= 30) {
    const base = ipv4ToInt(vip.peer ?? vip.address);
    const hostBits = 2 ** (32 - vip.prefixLen);
    const net = Math.floor(base / hostBits) * hostBits;
    vip.broadcast = intToIpv4(brd === 'plus' ? net + hostBits - 1 : net);
  } else if (brd) {
    c.error(`address prefix length ${vip.prefixLen} too long for broadcast`);
  }
  if (vip.family === 'inet6') {
    if (vip.scope !== undefined) {
      c.error(`cannot specify a scope for IPv6 addresses (${first}) - ignoring the scope`);
      delete vip.scope;
    }
    if (vip.label !== undefined) {
      c.error(`cannot specify a label for IPv6 addresses (${first}) - ignoring the label`);
      delete vip.label;
    }
    vip.preferredLft ??= vip.prefixLen === 128 ? 0 : 'forever';
  }
  return vip;
}

function skipEncap(w: string[], i: number, c: KwCtx): number {
  // encap mpls LABEL | encap ip|ip6 [id N] [dst A] [src A] [tos T] [ttl N] ... | encap ila LOC [opts]
  const type = word(c, ++i);
  const pairs: Record<string, string[]> = {
    mpls: ['ttl'],
    ip: ['id', 'dst', 'src', 'tos', 'dsfield', 'ttl', 'hoplimit', 'tc', 'key', 'csum', 'seq', 'flags'],
    ip6: ['id', 'dst', 'src', 'tos', 'dsfield', 'ttl', 'hoplimit', 'tc', 'key', 'csum', 'seq', 'flags'],
    ila: ['csum-mode', 'ident-type', 'hook-type'],
  };
  const opts = pairs[type];
  if (!opts) {
    c.error(`unknown encap type ${type} for route: expected mpls, ip, ip6 or ila`);
    return i;
  }
  if (type === 'mpls' || type === 'ila') word(c, ++i);
  while (i + 1 < w.length && opts.includes(w[i + 1]!)) {
    i += 2;
    word(c, i);
  }
  return i;
}

/** An entry of virtual_routes (staticRoute false) or static_routes (staticRoute true). */
export function parseRoute(c: KwCtx, staticRoute: boolean, trackGroupExists: (n: string) => boolean): VirtualRoute | undefined {
  const w = words(c);
  let family: Family | undefined;
  const r: Partial<VirtualRoute> & { nexthops: RouteNexthop[]; onlink: boolean; noTrack: boolean } = {
    words: w,
    nexthops: [],
    onlink: false,
    noTrack: false,
    loc: c.loc,
  };
  let protocolGiven = false;
  let doNexthop = false;
  const mix = (f: Family | undefined): boolean => {
    if (f === undefined) return true;
    if (family === undefined) family = f;
    else if (family !== f) {
      c.error('cannot mix IPv4 and IPv6 addresses for a route');
      return false;
    }
    return true;
  };
  let i = 0;
  for (; i < w.length; i++) {
    const s = w[i]!;
    switch (s) {
      case 'inet':
      case 'inet6': {
        const f: Family = s;
        if (family !== undefined && family !== f) {
          c.error(`${s} specified for an ${family === 'inet' ? 'IPv4' : 'IPv6'} route`);
          return undefined;
        }
        family = f;
        continue;
      }
      case 'src': {
        const v = word(c, ++i);
        const p = parseIp(v, false);
        if (!p) {
          c.error(`invalid route src address ${v}`);
          return undefined;
        }
        if (!mix(p.family)) return undefined;
        r.src = p.address;
        continue;
      }
      case 'as':
        if (word(c, ++i) === 'to') word(c, ++i);
        c.error('"as to" is for MPLS only - ignoring');
        continue;
      case 'via':
      case 'gw': {
        if (s === 'gw') c.warn('"gw" for routes is deprecated - please use "via"');
        let v = word(c, ++i);
        let f: Family | undefined;
        if (v === 'inet' || v === 'inet6') {
          f = v;
          v = word(c, ++i);
        }
        if (!mix(f)) return undefined;
        const p = parseIp(v, false);
        if (!p) {
          c.error(`invalid route via address ${v}`);
          return undefined;
        }
        if (!mix(p.family)) return undefined;
        r.via = p.address;
        continue;
      }
      case 'from': {
        const v = word(c, ++i);
        const d = parseRouteDest(v);
        if (!d) {
          c.error(`invalid route from address ${v}`);
          return undefined;
        }
        if (d.family !== 'inet6') {
          c.error(`route from address only supported with IPv6 (${v})`);
          return undefined;
        }
        if (!mix(d.family)) return undefined;
        r.from = v;
        continue;
      }
      case 'tos':
      case 'dsfield':
        r.tos = word(c, ++i);
        continue;
      case 'table': {
        const v = word(c, ++i);
        if (/^\d+$/.test(v) && u32(v) === undefined) {
          c.error(`routing table ${v} not found for route`);
          return undefined;
        }
        r.table = v;
        continue;
      }
      case 'protocol':
        r.protocol = word(c, ++i);
        protocolGiven = true;
        continue;
      case 'scope': {
        const v = word(c, ++i);
        if (!isScope(v)) {
          c.error(`scope ${v} not found or invalid for route: expected host, link, site, global, nowhere or a number`);
          return undefined;
        }
        r.scope = v;
        continue;
      }
      case 'metric':
      case 'priority':
      case 'preference': {
        const v = word(c, ++i);
        const n = u32(v);
        if (n === undefined) {
          c.error(`invalid metric ${v} specified for route`);
          return undefined;
        }
        r.metric = n;
        continue;
      }
      case 'dev':
      case 'oif':
        r.dev = word(c, ++i);
        continue;
      case 'onlink':
        r.onlink = true;
        continue;
      case 'encap':
        i = skipEncap(w, i, c);
        continue;
      case 'expires': {
        const v = word(c, ++i);
        if (family === 'inet') {
          c.error('expires is only valid for IPv6');
          return undefined;
        }
        family = 'inet6';
        if (u32(v) === undefined) {
          c.error(`invalid expires time ${v} specified for route`);
          return undefined;
        }
        continue;
      }
      case 'mtu':
      case 'advmss':
      case 'reordering':
      case 'cwnd':
      case 'ssthresh':
      case 'rtt':
      case 'rttvar':
      case 'rto_min': {
        if (word(c, ++i) === 'lock') i++;
        const v = word(c, i);
        const isTime = s === 'rtt' || s === 'rttvar' || s === 'rto_min';
        const ok = isTime ? /^\d+(\.\d+)?(s|sec|secs|ms|msec|msecs|us|usec|usecs)?$/.test(v) : u32(v) !== undefined;
        if (!ok) {
          c.error(`invalid ${s} ${v} specified for route`);
          return undefined;
        }
        continue;
      }
      case 'congctl':
        if (word(c, ++i) === 'lock') word(c, ++i);
        continue;
      case 'hoplimit':
      case 'window':
      case 'initcwnd':
      case 'initrwnd': {
        const v = word(c, ++i);
        const n = u32(v);
        if (n === undefined || (s === 'hoplimit' && n > 255)) {
          c.error(`invalid ${s} ${v} specified for route`);
          return undefined;
        }
        continue;
      }
      case 'realms':
        word(c, ++i);
        if (family === 'inet6') {
          c.error('realms are only valid for IPv4');
          return undefined;
        }
        continue;
      case 'features': {
        const v = word(c, ++i);
        if (v !== 'ecn') c.error(`feature ${v} not supported: expected ecn`);
        continue;
      }
      case 'quickack':
      case 'fastopen_no_cookie': {
        const v = word(c, ++i);
        if (v !== '0' && v !== '1') {
          c.error(`invalid ${s} value ${v} specified for route: expected 0 or 1`);
          return undefined;
        }
        continue;
      }
      case 'pref': {
        const v = word(c, ++i);
        if (family === 'inet') {
          c.error('pref is only valid for IPv6');
          return undefined;
        }
        if (!['low', 'medium', 'high'].includes(v)) {
          c.error(`invalid pref value ${v} for route: expected low, medium or high`);
          return undefined;
        }
        family = 'inet6';
        continue;
      }
      case 'ttl-propagate': {
        const v = word(c, ++i);
        if (v !== 'enabled' && v !== 'disabled') c.error(`ttl-propagate value ${v} not recognised: expected enabled or disabled`);
        continue;
      }
      case 'add':
      case 'prepend':
      case 'append':
        continue;
      case 'or': {
        c.warn('"or" for routes is deprecated - please use "nexthop"');
        if (r.nexthops.length) {
          c.error('"or" route already specified - ignoring subsequent');
          i++;
          continue;
        }
        const v = word(c, ++i);
        const p = parseIp(v, false);
        if (!p) {
          c.error(`invalid "or" address ${v}`);
          return undefined;
        }
        const first: RouteNexthop = { onlink: false, words: [] };
        if (r.via !== undefined) first.via = r.via;
        delete r.via;
        r.nexthops.push(first, { via: p.address, onlink: false, words: [v] });
        continue;
      }
      case 'nexthop':
        if (r.nexthops.length) c.error('cannot specify nexthops with an "or" route');
        else doNexthop = true;
        break;
      case 'no_track':
        r.noTrack = true;
        continue;
      case 'vrf':
        word(c, ++i);
        continue;
      default: {
        if (staticRoute && s === 'track_group') {
          if (assignTrackGroup(c, r, word(c, ++i), trackGroupExists) === 'duplicate') break;
          continue;
        }
        let k = i;
        if (s === 'to') k++;
        else if (ROUTE_TYPES.includes(s)) {
          r.type = s;
          k++;
        }
        i = k;
        const dest = word(c, i);
        const d = parseRouteDest(dest);
        if (!d) {
          c.error(`unknown route keyword ${dest}`);
          return undefined;
        }
        const p = parseIp(dest, true);
        if (p?.badPrefix !== undefined) c.error(`invalid address prefix length ${p.badPrefix} for address ${dest} - using ${p.prefixLen}`);
        if (d.family !== undefined && family !== undefined && d.family !== family) {
          c.error(`cannot mix IPv4 and IPv6 addresses for a route (${dest})`);
          return undefined;
        }
        if (d.family !== undefined) family ??= d.family;
        r.dst = dest;
        continue;
      }
    }
    break;
  }
  if (doNexthop) {
    i = parseNexthops(c, w, i, r.nexthops, (f) => mix(f));
  } else if (i < w.length) {
    c.error(`route has trailing nonsense - ${w[i]}`);
    return undefined;
  }
  if (r.dst === undefined) {
    c.error('route must have a destination');
    return undefined;
  }
  if (!r.noTrack) {
    if (protocolGiven && r.protocol !== 'keepalived' && r.protocol !== '18') {
      c.error('a route cannot be tracked if its protocol is not keepalived (18) - resetting the protocol');
    }
    r.protocol = 'keepalived';
    if (r.dev === undefined) {
      c.warn(`Warning - cannot track route ${r.dst} with no interface specified, not tracking`);
      r.noTrack = true;
    }
  }
  if (r.trackGroup !== undefined && r.dev === undefined) {
    c.error('a static route cannot have a track_group if no interface (dev) is specified');
    delete r.trackGroup;
  }
  r.family = family ?? 'inet';
  return r as VirtualRoute;
}

function parseNexthops(c: KwCtx, w: string[], i: number, out: RouteNexthop[], mix: (f: Family | undefined) => boolean): number {
  while (i < w.length && w[i] === 'nexthop') {
    i++;
    const start = i;
    const nh: RouteNexthop = { onlink: false, words: [] };
    let ok = true;
    inner: while (i < w.length) {
      const s = w[i]!;
      switch (s) {
        case 'via': {
          let v = word(c, ++i);
          let f: Family | undefined;
          if (v === 'inet' || v === 'inet6') {
            f = v;
            v = word(c, ++i);
          }
          if (!mix(f)) {
            ok = false;
            break inner;
          }
          const p = parseIp(v, false);
          if (!p) {
            c.error(`invalid nexthop address ${v}`);
            ok = false;
            break inner;
          }
          if (!mix(p.family)) {
            ok = false;
            break inner;
          }
          nh.via = p.address;
          break;
        }
        case 'dev':
          nh.dev = word(c, ++i);
          break;
        case 'weight': {
          const v = word(c, ++i);
          const n = intOf(v);
          if (n === undefined || n < 1 || n > 256) {
            c.error(`invalid weight ${v} specified for route nexthop: expected 1 to 256`);
            ok = false;
            break inner;
          }
          nh.weight = n;
          break;
        }
        case 'onlink':
          nh.onlink = true;
          break;
        case 'encap':
          i = skipEncap(w, i, c);
          break;
        case 'realms':
          word(c, ++i);
          break;
        case 'as':
          if (word(c, ++i) === 'to') i++;
          c.error("'as [to]' (nat) not supported");
          ok = false;
          break inner;
        default:
          break inner;
      }
      i++;
    }
    nh.words = w.slice(start, i);
    if (!ok) return w.length;
    out.push(nh);
  }
  if (i < w.length) c.error(`route has trailing nonsense after nexthops - ${w[i]}`);
  return i;
}

/** Rule preferences keepalived assigns when none is given, counting down per family. */
export interface RulePriorityCounter {
  inet: number;
  inet6: number;
}

const RULE_ACTIONS: Record<string, VirtualRule['action']> = {
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
  nop: 'nop',
};

/** An entry of virtual_rules (staticRule false) or static_rules (staticRule true). */
export function parseRule(c: KwCtx, staticRule: boolean, counter: RulePriorityCounter, trackGroupExists: (n: string) => boolean): VirtualRule | undefined {
  const w = words(c);
  let family: Family | undefined;
  const r: Partial<VirtualRule> & { not: boolean; noTrack: boolean } = { words: w, not: false, noTrack: false, loc: c.loc };
  let tableOption = false;
  let protocol: number | undefined;
  const setAction = (a: VirtualRule['action'], msg: string): boolean => {
    if (r.action !== undefined) {
      c.error(msg);
      return false;
    }
    r.action = a;
    return true;
  };
  const addr = (what: string): boolean => {
    const v = word(c, ++i);
    const d = parseRouteDest(v);
    if (!d) {
      c.error(`invalid rule ${what} address ${v}`);
      return false;
    }
    if (d.family !== undefined) {
      if (family === undefined) family = d.family;
      else if (d.family !== family) {
        c.error('rule specification has mixed IPv4 and IPv6');
        return false;
      }
    }
    if (what === 'from') r.from = v;
    else r.to = v;
    return true;
  };
  let i = 0;
  for (; i < w.length; i++) {
    const s = w[i]!;
    switch (s) {
      case 'inet':
      case 'inet6':
        if (family !== undefined && family !== s) {
          c.error(`${s} specified for an ${family === 'inet' ? 'IPv4' : 'IPv6'} rule`);
          return undefined;
        }
        family = s;
        continue;
      case 'from':
      case 'to':
        if (!addr(s)) return undefined;
        continue;
      case 'table':
      case 'lookup': {
        const v = word(c, ++i);
        if (/^\d+$/.test(v) && u32(v) === undefined) {
          c.error(`routing table ${v} not found for rule`);
          return undefined;
        }
        if (v === '0' || v === 'unspec') {
          c.error('table 0 is not valid for a rule');
          return undefined;
        }
        r.table = v;
        if (!setAction('table', 'cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for a rule')) return undefined;
        continue;
      }
      case 'not':
        r.not = true;
        continue;
      case 'preference':
      case 'order':
      case 'priority': {
        const v = word(c, ++i);
        const n = u32(v);
        if (n === undefined) {
          c.error(`invalid rule preference ${v} specified`);
          return undefined;
        }
        r.priority = n;
        continue;
      }
      case 'tos':
      case 'dsfield':
        r.tos = word(c, ++i);
        continue;
      case 'fwmark': {
        const v = word(c, ++i);
        const [mark, mask, extra] = v.split('/');
        if (extra !== undefined || u32(mark!) === undefined || (mask !== undefined && u32(mask) === undefined)) {
          c.error(`invalid rule fwmark ${v} specified`);
          return undefined;
        }
        r.fwmark = v;
        continue;
      }
      case 'realms':
        word(c, ++i);
        tableOption = true;
        if (family === 'inet6') {
          c.error('realms is only valid for IPv4');
          return undefined;
        }
        family = 'inet';
        continue;
      case 'suppress_prefixlength':
      case 'sup_pl': {
        const v = word(c, ++i);
        const n = intOf(v);
        if (n === undefined || n < 0 || n > 2147483647) {
          c.error(`invalid suppress_prefixlength ${v} specified`);
          return undefined;
        }
        tableOption = true;
        continue;
      }
      case 'suppress_ifgroup':
      case 'sup_group':
        word(c, ++i);
        tableOption = true;
        continue;
      case 'dev':
      case 'iif':
        r.iif = word(c, ++i);
        continue;
      case 'oif':
        r.oif = word(c, ++i);
        continue;
      case 'tunnel-id': {
        const v = word(c, ++i);
        if (!/^\d+$/.test(v)) {
          c.error(`invalid tunnel-id ${v} specified`);
          return undefined;
        }
        continue;
      }
      case 'uidrange': {
        const v = word(c, ++i);
        if (!/^\d+-\d+$/.test(v)) {
          c.error(`invalid uidrange ${v} specified: expected START-END`);
          return undefined;
        }
        continue;
      }
      case 'l3mdev':
        if (r.action !== undefined) {
          c.error('cannot specify l3mdev with another action');
          return undefined;
        }
        r.action = 'l3mdev';
        continue;
      case 'protocol': {
        const v = word(c, ++i);
        const n = intOf(v);
        if (n === undefined || n < 0 || n > 255) c.error(`invalid protocol ${v}: expected a number in [0, 255]`);
        else protocol = n;
        continue;
      }
      case 'ipproto': {
        const v = word(c, ++i);
        const n = intOf(v);
        if (!['tcp', 'udp', 'sctp', 'icmp', 'ipv6-icmp', 'dccp', 'udplite'].includes(v) && (n === undefined || n < 0 || n > 255)) {
          c.error(`invalid ipproto ${v}`);
        }
        continue;
      }
      case 'sport':
      case 'dport': {
        const v = word(c, ++i);
        const m = /^(\d+)-(\d+)$/.exec(v);
        if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) c.error(`invalid ${s} range ${v}: expected START-END`);
        continue;
      }
      case 'no_track':
        r.noTrack = true;
        continue;
      default: {
        if (staticRule && s === 'track_group') {
          if (assignTrackGroup(c, r, word(c, ++i), trackGroupExists) === 'duplicate') break;
          continue;
        }
        let a = s;
        if (a === 'type') a = word(c, ++i);
        const conflict = 'cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for a rule';
        if (a === 'goto') {
          const v = word(c, ++i);
          const n = u32(v);
          if (n === undefined || !/^\d+$/.test(v)) {
            c.error(`invalid goto target ${v} specified`);
            return undefined;
          }
          r.gotoTarget = n;
          if (!setAction('goto', conflict)) return undefined;
        } else if (RULE_ACTIONS[a] !== undefined) {
          if (!setAction(RULE_ACTIONS[a]!, conflict)) return undefined;
        } else if (ROUTE_TYPES.includes(a)) {
          c.error(`invalid rule action ${a}`);
          return undefined;
        } else {
          c.error(`unknown rule option ${a}`);
          return undefined;
        }
        continue;
      }
    }
    break;
  }
  if (i < w.length) {
    c.error(`rule has trailing nonsense - ${w[i]}`);
    return undefined;
  }
  if (r.action === 'goto') {
    if (r.priority === undefined) {
      c.error(`invalid rule - goto target ${r.gotoTarget} specified without a preference`);
      return undefined;
    }
    if (r.priority >= r.gotoTarget!) {
      c.error(`invalid rule - preference ${r.priority} >= goto target ${r.gotoTarget}`);
      return undefined;
    }
  }
  if (r.action === undefined) {
    c.error('no action specified for rule (table, goto, nop, blackhole, prohibit, unreachable or l3mdev) - ignoring');
    return undefined;
  }
  if (r.action !== 'table' && tableOption) {
    c.error('suppressor/realm specified for a non table action - skipping');
    return undefined;
  }
  if (r.action === 'l3mdev' && r.table !== undefined) {
    c.error('table cannot be specified for l3mdev rules');
    return undefined;
  }
  if (!r.noTrack && protocol !== undefined && protocol !== 18) {
    c.error('a rule cannot be tracked if its protocol is not keepalived (18) - resetting the protocol');
  }
  if (r.trackGroup !== undefined && r.iif === undefined) {
    c.error('a static rule cannot have a track_group if dev/iif is not specified');
    delete r.trackGroup;
  }
  r.family = family ?? 'inet';
  if (r.priority === undefined) {
    r.priority = counter[r.family]--;
    r.priorityDefaulted = true;
    c.warn(`rule has no preference specified - setting to ${r.priority}. This is probably not what you want.`);
  } else r.priorityDefaulted = false;
  return r as VirtualRule;
}
