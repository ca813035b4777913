/**
 * Keyword tables, pure: the helpers every table needs — a KwCtx for one line of a `{ ... }` list,
 * keepalived's inet_pton-strict address checks and its true/false reader. vrrp-util.ts and lvs-util.ts
 * re-export them, so there is one implementation.
 */
import { isIPv4 as isIPv4Text, isIPv6 as isIPv6Text } from '../../util/inet.js';
import { KwCtx, type ListItem } from '../schema.js';

export type Family = 'inet' | 'inet6';

/** A KwCtx for one line of a `{ ... }` list: its first word plays the keyword, so str(i) reads word i+1. */
export function itemCtx(c: KwCtx, item: ListItem): KwCtx {
  return new KwCtx(c.diag, item.tokens[0]!, item.tokens.slice(1), item.loc, c.state);
}

/** inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
export function isIPv4(s: string): boolean {
  return isIPv4Text(s);
}

/** inet_pton(AF_INET6): no zone index, no prefix, no brackets. */
export function isIPv6(s: string): boolean {
  return !s.includes('%') && !s.includes('/') && !s.includes('[') && isIPv6Text(s);
}

/** keepalived decides the family of a written address by the presence of ':'. */
export function familyOf(s: string): Family {
  return s.includes(':') ? 'inet6' : 'inet';
}

export function isAddress(s: string, family: Family = familyOf(s)): boolean {
  return family === 'inet' ? isIPv4(s) : isIPv6(s);
}

/** keepalived's check_true_false(): exact lower-case true|on|yes / false|off|no. */
export function trueFalse(s: string): boolean | undefined {
  if (s === 'true' || s === 'on' || s === 'yes') return true;
  if (s === 'false' || s === 'off' || s === 'no') return false;
  return undefined;
}
