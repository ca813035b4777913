/**
 * Net layer, pure: rtnetlink notifications (RTM_NEW/DEL LINK, ADDR, ROUTE, RULE), as the `netlink`
 * package parses them, turned into the few facts the daemon acts on, and the identity keys that match a
 * kernel route or rule with a configured one. No socket here (rtnl-monitor.ts owns it), so every rule of
 * what counts as "up", "the same route" or "the same rule" is unit-tested.
 */
import { bytesToIp } from './ip.js';

/** rtnetlink message types (linux/rtnetlink.h). */
export const RTM = { NEWLINK: 16, DELLINK: 17, NEWADDR: 20, DELADDR: 21, NEWROUTE: 24, DELROUTE: 25, NEWRULE: 32, DELRULE: 33 } as const;

/** The multicast groups the monitor joins (linux/rtnetlink.h RTNLGRP_*). */
export const MONITOR_GROUPS = { LINK: 1, IPV4_IFADDR: 5, IPV4_ROUTE: 7, IPV4_RULE: 8, IPV6_IFADDR: 9, IPV6_ROUTE: 11, IPV6_RULE: 19 } as const;

/** IF_OPER_UNKNOWN and IF_OPER_UP: the operational states /sys/class/net/IF/operstate shows as up. */
const OPER_UP = new Set([0, 6]);

export type RtnlEvent =
  | { kind: 'link'; op: 'new' | 'del'; index: number; name: string; up: boolean }
  | { kind: 'addr'; op: 'new' | 'del'; index: number; family: 4 | 6; address: string; prefixLen: number }
  | { kind: 'route'; op: 'new' | 'del'; key: string }
  | { kind: 'rule'; op: 'new' | 'del'; key: string };

/** The parts of a parsed message this module reads (the package's Message, loosely typed). */
export interface ParsedMessage {
  kind?: string;
  data?: Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

const hex = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : '');
const num = (v: unknown, dflt = 0): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt);

/** A link is up when it is administratively up and its operational state is UP or UNKNOWN (as sysfs says). */
export function linkUp(data: Record<string, unknown> | undefined, attrs: Record<string, unknown> | undefined): boolean {
  const flags = (data?.flags ?? {}) as Record<string, unknown>;
  return flags.up === true && OPER_UP.has(num(attrs?.operstate, 0));
}

/**
 * The identity of a route for matching: family, table, destination and its length, TOS and metric (the
 * fields the kernel itself uses to tell two routes apart). `table` is the full table number: RTA_TABLE
 * when present, else the header's 8-bit field.
 */
export function routeKey(data: Record<string, unknown>, attrs: Record<string, unknown>): string {
  const table = attrs.table !== undefined ? num(attrs.table) : num(data.table);
  const family = num(data.family);
  // IPv6 routes without a metric get 1024 from the kernel (IP6_RT_PRIO_USER).
  return ['route', family, table, hex(attrs.dst), num(data.dstLen), num(data.tos), num(attrs.priority, family === 10 ? 1024 : 0)].join('|');
}

/** The identity of a policy rule for matching: family, preference, selectors and table. */
export function ruleKey(data: Record<string, unknown>, attrs: Record<string, unknown>): string {
  const table = attrs.table !== undefined ? num(attrs.table) : num(data.table);
  return ['rule', num(data.family), num(attrs.priority), hex(attrs.src), num(data.srcLen), hex(attrs.dst), num(data.dstLen), table, num(attrs.fwmark)].join(
    '|',
  );
}

/** One notification -> the event it carries, or undefined for what the daemon does not follow. */
export function toEvent(type: number, m: ParsedMessage): RtnlEvent | undefined {
  const data = m.data ?? {};
  const attrs = m.attrs ?? {};
  switch (type) {
    case RTM.NEWLINK:
    case RTM.DELLINK: {
      const name = attrs.ifname;
      if (typeof name !== 'string') return undefined;
      const del = type === RTM.DELLINK;
      return { kind: 'link', op: del ? 'del' : 'new', index: num(data.index), name, up: !del && linkUp(data, attrs) };
    }
    case RTM.NEWADDR:
    case RTM.DELADDR: {
      const family = num(data.family) === 10 ? 6 : num(data.family) === 2 ? 4 : 0;
      // IFA_LOCAL is our address on point-to-point links (IFA_ADDRESS is then the peer's).
      const raw = attrs.local ?? attrs.address;
      if (family === 0 || !(raw instanceof Uint8Array)) return undefined;
      return {
        kind: 'addr',
        op: type === RTM.DELADDR ? 'del' : 'new',
        index: num(data.index),
        family,
        address: bytesToIp(raw),
        prefixLen: num(data.prefixlen),
      };
    }
    case RTM.NEWROUTE:
    case RTM.DELROUTE:
      return { kind: 'route', op: type === RTM.DELROUTE ? 'del' : 'new', key: routeKey(data, attrs) };
    case RTM.NEWRULE:
    case RTM.DELRULE:
      return { kind: 'rule', op: type === RTM.DELRULE ? 'del' : 'new', key: ruleKey(data, attrs) };
    default:
      return undefined;
  }
}
