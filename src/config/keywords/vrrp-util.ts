/**
 * Keyword tables, pure helpers shared by the global and VRRP tables (and usable by the LVS tables):
 * a KwCtx for one entry of a `{ ... }` list, keepalived's address parsers (inet_pton-strict), its
 * true/false reader, and the construction of notify / track scripts from a keyword line.
 */
import type { Family } from '../model/vrrp.js';
import type { KwCtx, ListItem, Script } from '../schema.js';
import { splitCommand } from '../text.js';
import { familyOf, isAddress, isIPv4, isIPv6, itemCtx, trueFalse } from './common.js';

export { familyOf, isAddress, isIPv4, isIPv6, itemCtx, trueFalse };

/** All words of a value block, whatever the lines (keepalived's read_value_block()). */
export function blockWords(items: ListItem[]): string[] {
  return items.flatMap((i) => i.tokens);
}

// ---------------------------------------------------------------------------------------------
// Addresses

export interface ParsedIp {
  address: string;
  family: Family;
  prefixLen: number;
  /** The /len part was given. */
  prefixGiven: boolean;
  /** The /len part was given but invalid; prefixLen holds the host default. */
  badPrefix?: string;
}

/**
 * keepalived's parse_ipaddress(): `ADDR[/LEN]` (the /LEN only when allowPrefix). Returns undefined
 * when the address itself is invalid.
 */
export function parseIp(s: string, allowPrefix: boolean): ParsedIp | undefined {
  const family = familyOf(s);
  const max = family === 'inet' ? 32 : 128;
  let addr = s;
  let prefixLen = max;
  let prefixGiven = false;
  let badPrefix: string | undefined;
  const slash = allowPrefix ? s.indexOf('/') : -1;
  if (slash >= 0) {
    addr = s.slice(0, slash);
    const p = s.slice(slash + 1);
    prefixGiven = true;
    if (/^\d+$/.test(p) && Number(p) <= max) prefixLen = Number(p);
    else badPrefix = p;
  }
  if (!isAddress(addr, family)) return undefined;
  const r: ParsedIp = { address: addr, family, prefixLen, prefixGiven };
  if (badPrefix !== undefined) r.badPrefix = badPrefix;
  return r;
}

/**
 * keepalived's inet_stosockaddr(): family by ':', anything from a '-' or '/' on is ignored
 * (so `10.0.0.1/24` is accepted for unicast_src_ip and unicast peers).
 */
export function parseSockaddr(s: string): { address: string; family: Family } | undefined {
  const family = familyOf(s);
  const cut = s.search(/[-/]/);
  const addr = cut >= 0 ? s.slice(0, cut) : s;
  return isAddress(addr, family) ? { address: addr, family } : undefined;
}

/** keepalived's parse_route(): `default|any|all` (any family), `default6`, else ADDR[/LEN]. */
export function parseRouteDest(s: string): { family?: Family } | undefined {
  if (s === 'default' || s === 'any' || s === 'all') return {};
  if (s === 'default6') return { family: 'inet6' };
  const p = parseIp(s, true);
  return p ? { family: p.family } : undefined;
}

export function ipv4ToInt(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
}

/** The 16 bytes of an IPv6 address (valid input assumed). */
export function ipv6Bytes(s: string): number[] {
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    text = text.slice(0, v4.index) + ((n >>> 16) & 0xffff).toString(16) + ':' + (n & 0xffff).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g || '0', 16);
    return [v >> 8, v & 0xff];
  });
}

export function isMulticast(addr: string, family: Family): boolean {
  if (family === 'inet') {
    const first = Number(addr.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return ipv6Bytes(addr)[0] === 0xff;
}

/** IN6_IS_ADDR_MC_LINKLOCAL: ff?2::/16. */
export function isIpv6McLinkLocal(addr: string): boolean {
  const b = ipv6Bytes(addr);
  return b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
}

/** IN6_IS_ADDR_LINKLOCAL: fe80::/10. */
export function isIpv6LinkLocal(addr: string): boolean {
  const b = ipv6Bytes(addr);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

// ---------------------------------------------------------------------------------------------
// Words

/**
 * An optional boolean word at i (absent = true). On a bad word reports `badMsg` (or a default
 * message) and returns undefined.
 */
export function optBool(c: KwCtx, i = 0, badMsg?: string): boolean | undefined {
  const s = c.opt(i);
  if (s === undefined) return true;
  const b = trueFalse(s);
  if (b === undefined) c.error(badMsg ?? `invalid value '${s}' for ${c.keyword}: expected true|false|on|off|yes|no`);
  return b;
}

/** An integer without reporting: undefined when not a plain decimal integer. */
export function intOf(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s.trim())) return undefined;
  return Number.parseInt(s, 10);
}

export const IFNAMSIZ = 16;

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * A script as keepalived reads it for `script`, `notify*`, `*_notify_fifo_script`, startup and
 * shutdown scripts: the first word (usually quoted) is the command line, split into argv; for
 * notify scripts words 2 and 3 are the user and group to run it as.
 */
export function scriptFrom(c: KwCtx, opts: { withUser: boolean }): Script | undefined {
  const cmd = c.args[0];
  if (cmd === undefined) {
    c.error(`${c.keyword} needs a script`);
    return undefined;
  }
  const argv = splitCommand(cmd);
  if (argv.length === 0) {
    c.error(`${c.keyword} has an empty script`);
    return undefined;
  }
  const s: Script = { cmd, argv, loc: c.loc };
  if (opts.withUser) {
    if (c.args[1] !== undefined) s.user = c.args[1];
    if (c.args[2] !== undefined) s.group = c.args[2];
  }
  return s;
}
