/**
 * Keyword tables, pure helpers for the LVS and checker tables: keepalived's number readers
 * (read_unsigned / read_int / read_timer semantics), its true/false words, its address parser
 * (inet_stosockaddr: family by ':', inet_pton-strict, a '-range' or '/mask' tail ignored) and IPv6
 * arithmetic for virtual_server_group ranges, and the reading of a notify/misc script from a line.
 *
 * Readers report through the KwCtx (file:line) and return undefined when the value is to be ignored.
 */
import type { KwCtx, Script } from '../schema.js';
import { splitCommand } from '../text.js';
import { familyOf, isAddress, isIPv4, isIPv6, itemCtx, trueFalse } from './common.js';

export { familyOf, isAddress, isIPv4, isIPv6, itemCtx, trueFalse };
import { addressToBigInt, bigIntToAddress } from '../model/lvs.js';

export { addressToBigInt, bigIntToAddress };

export type Family = 'inet' | 'inet6';

export const UINT_MAX = 4294967295;
/** keepalived's IPVS_WEIGHT_LIMIT (INT32_MAX). */
export const IPVS_WEIGHT_LIMIT = 2147483647;
/** keepalived's TIMER_MAXIMUM in microseconds (ULONG_MAX - 1), as a Number (loses the last digits). */
export const TIMER_MAX_US = 2 ** 64 - 2;

// ---------------------------------------------------------------------------------------------
// Lines

// ---------------------------------------------------------------------------------------------
// Numbers

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

/**
 * strtoul(base 10) as keepalived's read_unsigned uses it: leading blanks and a '+' are allowed,
 * a '-' is "negative", trailing junk is "invalid".
 */
export function parseUnsigned(s: string, min: number, max: number): Parsed<number> {
  if (s.length > 0 && s.length <= 9 && allDigits(s)) {
    // The common case (a plain decimal within range of a double and of UINT_MAX): no regex.
    const v = Number(s);
    if (v < min || v > max) return { ok: false, why: `number '${s}' outside range [${min}, ${max}]` };
    return { ok: true, value: v };
  }
  const t = s.replace(/^[ \t\n\r\f\v]+/, '');
  if (t.startsWith('-')) return { ok: false, why: `negative number '${s}'` };
  const m = /^\+?(\d*)$/.exec(t);
  if (!m) return { ok: false, why: `invalid number '${s}'` };
  const v = m[1] === '' ? 0 : Number(m[1]);
  if (v > UINT_MAX) return { ok: false, why: `number '${s}' outside unsigned integer range` };
  if (v < min || v > max) return { ok: false, why: `number '${s}' outside range [${min}, ${max}]` };
  return { ok: true, value: v };
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** strtol(base 10) as keepalived's read_int uses it. */
export function parseSigned(s: string, min: number, max: number): Parsed<number> {
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)$/.exec(s);
  if (!m) return { ok: false, why: `invalid number '${s}'` };
  const v = Number(m[1]);
  if (v < -2147483648 || v > 2147483647) return { ok: false, why: `number '${s}' outside integer range` };
  if (v < min || v > max) return { ok: false, why: `number '${s}' outside range [${min}, ${max}]` };
  return { ok: true, value: v };
}

/**
 * Word i as an unsigned integer in [min, max]. On failure reports `what` (keepalived's own
 * message for the keyword) with the reason, and returns undefined.
 */
export function readUnsigned(c: KwCtx, i: number, min: number, max: number, what: (s: string) => string): number | undefined {
  const s = c.str(i);
  const r = parseUnsigned(s, min, max);
  if (r.ok) return r.value;
  c.error(`${what(s)}: ${r.why}, expected an integer in [${min}, ${max}]`);
  return undefined;
}

export function readSigned(c: KwCtx, i: number, min: number, max: number, what: (s: string) => string): number | undefined {
  const s = c.str(i);
  const r = parseSigned(s, min, max);
  if (r.ok) return r.value;
  c.error(`${what(s)}: ${r.why}, expected an integer in [${min}, ${max}]`);
  return undefined;
}

function usToText(us: number): string {
  const whole = Math.floor(us / 1e6);
  const frac = String(Math.round(us - whole * 1e6)).padStart(6, '0');
  return `${whole}.${frac}`;
}

/**
 * keepalived's read_timer(): seconds with up to 6 decimals, in microseconds. More decimals are
 * reported (`tooPrecise`) and rounded, but the value is still used, as keepalived does.
 */
export function parseTimer(s: string, minUs: number, maxUs: number): Parsed<number> & { tooPrecise?: boolean } {
  if (s.startsWith('-')) return { ok: false, why: `negative number '${s}'` };
  const m = /^\+?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (s !== '' && m[1] === '' && !m[2])) return { ok: false, why: `invalid number '${s}'` };
  const frac = m[2] ?? '';
  const tooPrecise = frac.length > 6;
  let us = Number(m[1] || '0') * 1e6 + Number((frac.slice(0, 6) + '000000').slice(0, 6));
  if (tooPrecise && frac[6]! >= '5') us += 1;
  if (us < minUs || us > maxUs) {
    const hi = maxUs >= TIMER_MAX_US ? 'no maximum' : `at most ${usToText(maxUs)}`;
    return { ok: false, why: `number '${s}' outside range: expected seconds, at least ${usToText(minUs)}, ${hi}` };
  }
  return tooPrecise ? { ok: true, value: us, tooPrecise } : { ok: true, value: us };
}

/** Word i as a timer in seconds (microsecond resolution); range in microseconds. */
export function readTimerS(c: KwCtx, i: number, minUs: number, maxUs: number, what: (s: string) => string): number | undefined {
  const s = c.str(i);
  const r = parseTimer(s, minUs, maxUs);
  if (!r.ok) {
    c.error(`${what(s)}: ${r.why}`);
    return undefined;
  }
  if (r.tooPrecise) c.error(`number '${s}' has too many decimal places: at most 6 (microseconds) are used, rounding`);
  return r.value / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Words

/** An optional boolean at word 0 (absent = true); a bad word reports `what` and returns undefined. */
export function boolArg(c: KwCtx, what: (s: string) => string): boolean | undefined {
  const s = c.opt(0);
  if (s === undefined) return true;
  const b = trueFalse(s);
  if (b === undefined) c.error(`${what(s)}: expected one of true|false|on|off|yes|no`);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Addresses

export interface SockAddr {
  address: string;
  family: Family;
  /** 0 = none given. */
  port: number;
}

/**
 * keepalived's inet_stosockaddr(ip, port): the family by ':', the address up to a '-' or '/'
 * (a range or mask tail is ignored here), the port in [1, 65535] when given. Returns the reason
 * on failure.
 */
export function parseSockAddr(ip: string, port: string | undefined): SockAddr | { why: string } {
  const family = familyOf(ip);
  let p = 0;
  if (port !== undefined) {
    const r = parseUnsigned(port, 1, 65535);
    if (!r.ok) return { why: r.why };
    p = r.value;
  }
  const cut = ip.search(/[-/]/);
  const addr = cut >= 0 ? ip.slice(0, cut) : ip;
  if (!isAddress(addr, family)) return { why: `'${addr}' is not a valid ${family === 'inet' ? 'IPv4' : 'IPv6'} address` };
  return { address: addr, family, port: p };
}

/** keepalived passes no port for a port word made of zeros only ("0", "000"): no port. */
export function portWord(port: string | undefined): string | undefined {
  return port !== undefined && /[^0]/.test(port) ? port : undefined;
}

/** IN6_IS_ADDR_LINKLOCAL: fe80::/10. */
export function isIPv6LinkLocal(s: string): boolean {
  return s.includes(':') && addressToBigInt(s) >> 118n === 0x3fan;
}

/**
 * getaddrinfo(AF_INET, AI_NUMERICHOST) as keepalived uses it for an IPv4 persistence_granularity:
 * inet_aton forms (1 to 4 parts, decimal, octal or hex). Returns the dotted quad.
 */
export function inetAton(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = Number.parseInt(p, 8);
    else if (/^[1-9]\d*$/.test(p)) v = Number(p);
    else return undefined;
    nums.push(v);
  }
  const last = nums.pop()!;
  if (nums.some((x) => x > 255)) return undefined;
  const lastMax = 2 ** (8 * (4 - nums.length)) - 1;
  if (last > lastMax) return undefined;
  let n = 0n;
  for (const x of nums) n = (n << 8n) | BigInt(x);
  n = (n << BigInt(8 * (4 - nums.length))) | BigInt(last);
  return bigIntToAddress(n, 'inet');
}

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * A script as keepalived reads it for notify_up/down and quorum_up/down: word 0 (usually quoted)
 * is the command line, split into argv; words 1 and 2, when `withUser`, are the user and group.
 * An empty command is reported (keepalived: "Unable to parse script - ignoring") and ignored.
 */
export function scriptArg(c: KwCtx, withUser: boolean): Script | undefined {
  const cmd = c.str(0);
  const argv = splitCommand(cmd);
  if (argv.length === 0) {
    c.info(`unable to parse script '${cmd}' for ${c.keyword} - ignoring: expected a command`);
    return undefined;
  }
  const s: Script = { cmd, argv, loc: c.loc };
  if (withUser) {
    if (c.args[1] !== undefined) s.user = c.args[1];
    if (c.args[2] !== undefined) s.group = c.args[2];
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// What was written, as opposed to defaulted

/**
 * The model objects are built with keepalived's allocation defaults as soon as their keyword is read
 * (so later keywords and other subsystems see a complete object); which values were really written
 * is remembered here, so that validate/lvs.ts can apply keepalived's inheritance (checker <- real
 * server <- virtual server) only to what was left unset. Keyed by the model object itself.
 */
export interface VsWritten {
  family?: Family;
  scheduler?: boolean;
  forwarding?: boolean;
  smtpAlert?: boolean;
}
export interface RsWritten {
  weight?: boolean;
  forwarding?: boolean;
  inhibitOnFailure?: boolean;
  alpha?: boolean;
  connectTimeoutS?: boolean;
  delayLoopS?: boolean;
  smtpAlert?: boolean;
}
export interface CheckerWritten {
  alpha?: boolean;
  retry?: boolean;
  delayBeforeRetryS?: boolean;
  warmupS?: boolean;
  delayLoopS?: boolean;
  connectTimeoutS?: boolean;
  timeoutS?: boolean;
  /** keepalived's per-checker default_retry. */
  defaultRetry: number;
  /** keepalived's default_delay_before_retry in seconds; 0 = the delay loop. */
  defaultDelayBeforeRetryS: number;
}
export interface SorryWritten {
  forwarding?: boolean;
}

/**
 * Where a node keeps its written-fields record: a non-enumerable symbol property, invisible to JSON, YAML,
 * deep equality and structured clones, and (unlike a WeakMap) no hash lookup per keyword line.
 */
export const WRITTEN = Symbol('written');

export function writtenOf<T extends object>(node: object, init: () => T): T {
  let w = (node as { [WRITTEN]?: T })[WRITTEN];
  if (w === undefined) {
    w = init();
    Object.defineProperty(node, WRITTEN, { value: w, enumerable: false, writable: false, configurable: true });
  }
  return w;
}
