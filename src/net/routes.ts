/**
 * Net layer, edge: virtual_routes and virtual_rules over rtnetlink (RTM_NEWROUTE/DELROUTE,
 * RTM_NEWRULE/DELRULE), added when an instance becomes MASTER and removed when it leaves, as keepalived
 * does. Like the address manager, adding what exists or removing what is gone is not an error. The pure
 * part (routeMessage/ruleMessage) turns a parsed entry into the message fields and is unit-tested; what it
 * cannot express (an option of `ip route` this build does not translate) is named in the error.
 */
import * as fs from 'node:fs';
import { ifIndex } from './iface.js';
import { ipToBytes } from './ip.js';
import { codeOf } from './netlink/errors.js';
import { RtnlClient } from './netlink/rtnetlink.js';
import { OwnRemovals } from './rtnl.js';
import { routeKey, ruleKey } from './rtnl-events.js';

/**
 * What this module reads of a route: the fields of a virtual_routes / static_routes entry (the
 * configuration's VirtualRoute is one), so the edge does not depend on the configuration's model.
 */
export interface RouteSpec {
  /** As written, for messages. */
  words: string[];
  family: 'inet' | 'inet6';
  /** Destination as written (`default`, `192.0.2.0/24`, ...). */
  dst: string;
  type?: string;
  src?: string;
  from?: string;
  via?: string;
  dev?: string;
  table?: string;
  metric?: number;
  scope?: string;
  protocol?: string;
  tos?: string;
  nexthops: ReadonlyArray<{ via?: string; dev?: string; weight?: number; onlink: boolean }>;
}

/** What this module reads of a rule (a virtual_rules / static_rules entry: the configuration's VirtualRule is one). */
export interface RuleSpec {
  /** As written, for messages. */
  words: string[];
  family: 'inet' | 'inet6';
  from?: string;
  to?: string;
  not: boolean;
  table?: string;
  priority: number;
  action: 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit' | 'l3mdev';
  gotoTarget?: number;
  iif?: string;
  oif?: string;
  fwmark?: string;
  tos?: string;
}

/** keepalived's RTPROT_KEEPALIVED: the protocol its routes carry unless `protocol` says otherwise. */
export const RTPROT_KEEPALIVED = 18;

const TYPES: Record<string, number> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
};
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const PROTOCOLS: Record<string, number> = { redirect: 1, kernel: 2, boot: 3, static: 4, keepalived: RTPROT_KEEPALIVED, bird: 12, zebra: 11, dhcp: 16 };
const RULE_ACTIONS: Record<RuleSpec['action'], number> = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8, l3mdev: 1 };

/** A routing table by number or name (main, local, default, or /etc/iproute2/rt_tables). */
export function tableId(name: string | undefined, files = ['/etc/iproute2/rt_tables', '/usr/share/iproute2/rt_tables']): number {
  if (name === undefined) return 254;
  if (/^\d+$/.test(name)) return Number(name);
  const builtin: Record<string, number> = { main: 254, local: 255, default: 253, unspec: 0 };
  if (builtin[name] !== undefined) return builtin[name];
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*(\d+)\s+(\S+)/.exec(line);
      if (m && m[2] === name) return Number(m[1]);
    }
  }
  throw new Error(`unknown routing table '${name}'`);
}

/** `192.0.2.0/24`, `default`, `2001:db8::/64` -> address bytes and prefix length. */
function prefix(text: string, family: 'inet' | 'inet6'): { addr?: Buffer; len: number } {
  if (text === 'default' || text === 'all' || text === 'any') return { len: 0 };
  const [a, l] = text.split('/');
  const addr = Buffer.from(ipToBytes(a!));
  return { addr, len: l !== undefined ? Number(l) : family === 'inet' ? 32 : 128 };
}

export interface RouteMessage {
  data: { family: number; dstLen: number; srcLen: number; tos: number; table: number; protocol: number; scope: number; type: number };
  attrs: Record<string, unknown>;
}

/** The RTM_NEWROUTE fields of a virtual route; `dev` is the instance's interface when the route names none. */
export function routeMessage(r: RouteSpec, defaultDev: string | undefined, ifindex: (dev: string) => number = ifIndex): RouteMessage {
  const family = r.family === 'inet6' ? 10 : 2;
  const dst = prefix(r.dst, r.family);
  const type = r.type !== undefined ? TYPES[r.type] : 1;
  if (type === undefined) throw new Error(`route type '${r.type}' is not supported`);
  const table = tableId(r.table);
  const attrs: Record<string, unknown> = {};
  if (dst.addr) attrs.dst = dst.addr;
  if (table > 255) attrs.table = table;
  if (r.via) attrs.gateway = Buffer.from(ipToBytes(r.via));
  // As keepalived: the route's own dev only (without one the kernel finds it from the gateway).
  void defaultDev;
  if (r.dev) attrs.oif = ifindex(r.dev);
  if (r.src) attrs.prefsrc = Buffer.from(ipToBytes(r.src));
  if (r.from) {
    const f = prefix(r.from, r.family);
    if (f.addr) attrs.src = f.addr;
  }
  if (r.metric !== undefined) attrs.priority = r.metric;
  if (r.nexthops.length > 0) attrs.multipath = multipath(r, ifindex);
  // As `ip route`: a route through a gateway is global, a direct one link-scoped, local ones host-scoped.
  const scope = r.scope !== undefined ? SCOPES[r.scope] : type === 2 ? 254 : type !== 1 || r.via || r.nexthops.length > 0 ? 0 : 253;
  if (scope === undefined) throw new Error(`route scope '${r.scope}' is not supported`);
  const protocol = r.protocol === undefined ? RTPROT_KEEPALIVED : /^\d+$/.test(r.protocol) ? Number(r.protocol) : PROTOCOLS[r.protocol];
  if (protocol === undefined) throw new Error(`route protocol '${r.protocol}' is not supported`);
  const tos = r.tos === undefined ? 0 : Number(r.tos);
  return {
    data: {
      family,
      dstLen: dst.len,
      srcLen: r.from ? prefix(r.from, r.family).len : 0,
      tos: Number.isFinite(tos) ? tos : 0,
      table: table > 255 ? 252 : table,
      protocol,
      scope,
      type,
    },
    attrs,
  };
}

/** RTA_MULTIPATH: one struct rtnexthop {len u16, flags u8, hops u8, ifindex s32} + RTA_GATEWAY each. */
function multipath(r: RouteSpec, ifindex: (dev: string) => number): Buffer {
  const parts: Buffer[] = [];
  for (const nh of r.nexthops) {
    const gw = nh.via ? Buffer.from(ipToBytes(nh.via)) : undefined;
    const attrLen = gw ? 4 + gw.length : 0;
    const b = Buffer.alloc(8 + ((attrLen + 3) & ~3));
    b.writeUInt16LE(8 + attrLen, 0);
    b.writeUInt8(nh.onlink ? 4 : 0, 2); // RTNH_F_ONLINK
    b.writeUInt8(Math.max(0, (nh.weight ?? 1) - 1), 3);
    b.writeInt32LE(nh.dev ? ifindex(nh.dev) : 0, 4);
    if (gw) {
      b.writeUInt16LE(4 + gw.length, 8);
      b.writeUInt16LE(5, 10); // RTA_GATEWAY
      gw.copy(b, 12);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export interface RuleMessage {
  data: { family: number; dstLen: number; srcLen: number; tos: number; table: number; action: number; flags?: { invert?: true } };
  attrs: Record<string, unknown>;
}

/** The RTM_NEWRULE fields of a virtual rule. */
export function ruleMessage(r: RuleSpec): RuleMessage {
  const family = r.family === 'inet6' ? 10 : 2;
  const attrs: Record<string, unknown> = { priority: r.priority };
  const from = r.from ? prefix(r.from, r.family) : { len: 0 };
  const to = r.to ? prefix(r.to, r.family) : { len: 0 };
  if (from.addr) attrs.src = from.addr;
  if (to.addr) attrs.dst = to.addr;
  const table = r.action === 'table' ? tableId(r.table) : 0;
  if (table > 255) attrs.table = table;
  if (r.iif) attrs.iifname = r.iif;
  if (r.oif) attrs.oifname = r.oif;
  if (r.fwmark) {
    const [mark, mask] = r.fwmark.split('/');
    attrs.fwmark = Number(mark);
    if (mask !== undefined) attrs.fwmask = Number(mask);
  }
  if (r.action === 'goto') attrs.goto = r.gotoTarget;
  if (r.action === 'l3mdev') attrs.l3Mdev = 1;
  attrs.protocol = RTPROT_KEEPALIVED;
  const data: RuleMessage['data'] = {
    family,
    dstLen: to.len,
    srcLen: from.len,
    tos: r.tos ? Number(r.tos) : 0,
    table: table > 255 ? 252 : table,
    action: RULE_ACTIONS[r.action],
  };
  if (r.not) data.flags = { invert: true };
  return { data, attrs };
}

/**
 * Configured entries are not changed once loaded (a reload brings new objects), so each one's key is
 * computed once, not on every deletion notification (a named table means reading rt_tables).
 */
const keyCache = new WeakMap<object, string>();
function cachedKey<T extends object>(r: T, make: (r: T) => string): string {
  let k = keyCache.get(r);
  if (k === undefined) {
    k = make(r);
    keyCache.set(r, k);
  }
  return k;
}

/** The identity rtnl-events.ts routeKey gives the kernel's notification for this configured route. */
export function configuredRouteKey(r: RouteSpec): string {
  return cachedKey(r, (x) => {
    const m = routeMessage(x, undefined, () => 0);
    return routeKey(m.data as unknown as Record<string, unknown>, m.attrs);
  });
}

/** The identity rtnl-events.ts ruleKey gives the kernel's notification for this configured rule. */
export function configuredRuleKey(r: RuleSpec): string {
  return cachedKey(r, (x) => {
    const m = ruleMessage(x);
    return ruleKey(m.data as unknown as Record<string, unknown>, m.attrs);
  });
}

/** Adds and removes virtual routes and rules; idempotent in both directions. */
export class RtnlRouteManager {
  private readonly rt = new RtnlClient();
  /** Our own removals, told apart from deletions by someone else (rtnl.ts OwnRemovals). */
  readonly own = new OwnRemovals();

  async addRoute(r: RouteSpec, dev: string | undefined): Promise<void> {
    const m = routeMessage(r, dev);
    try {
      await this.rt.newRoute(m, `adding route ${r.words.join(' ')}`);
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw e;
    }
  }

  async removeRoute(r: RouteSpec, dev: string | undefined): Promise<void> {
    let m: RouteMessage;
    try {
      m = routeMessage(r, dev);
    } catch (e) {
      // A route through an interface that is gone went with it.
      const devs = [r.dev, ...r.nexthops.map((h) => h.dev)].filter((d): d is string => d !== undefined);
      if (devs.some((d) => !fs.existsSync(`/sys/class/net/${d}`))) return;
      throw e;
    }
    const key = routeKey(m.data as unknown as Record<string, unknown>, m.attrs);
    this.own.mark(key);
    // iproute2 deletes with scope NOWHERE (any scope matches).
    try {
      await this.rt.delRoute({ data: { ...m.data, scope: 255 }, attrs: m.attrs }, `removing route ${r.words.join(' ')}`);
    } catch (e) {
      this.own.unmark(key);
      const n = codeOf(e);
      if (n !== 'ESRCH' && n !== 'ENODEV' && n !== 'ENOENT') throw e;
    }
  }

  async addRule(r: RuleSpec): Promise<void> {
    const m = ruleMessage(r);
    try {
      await this.rt.newRule(m, `adding rule ${r.words.join(' ')}`);
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw e;
    }
  }

  async removeRule(r: RuleSpec): Promise<void> {
    const m = ruleMessage(r);
    const key = ruleKey(m.data as unknown as Record<string, unknown>, m.attrs);
    this.own.mark(key);
    try {
      await this.rt.delRule(m, `removing rule ${r.words.join(' ')}`);
    } catch (e) {
      this.own.unmark(key);
      const n = codeOf(e);
      if (n !== 'ENOENT' && n !== 'ESRCH') throw e;
    }
  }

  close(): void {
    this.rt.close();
  }
}
