/**
 * Keyword tables: the health-checker blocks inside a real_server — TCP_CHECK, HTTP_GET, SSL_GET,
 * MISC_CHECK, SMTP_CHECK (with its deprecated host blocks), DNS_CHECK, UDP_CHECK, PING_CHECK,
 * FILE_CHECK, BFD_CHECK — with the keyword set each has in keepalived 2.2.7 (check_*.c):
 *
 *   network checkers (TCP, HTTP, SSL, SMTP, DNS, UDP, PING): connection + scheduling keywords
 *   MISC_CHECK: scheduling keywords only (no connect_*), retry defaults to 0
 *   FILE_CHECK: track_file and weight only;  BFD_CHECK: name and alpha only
 *
 * A checker is attached to its real server when its block closes, unless keepalived would drop it.
 */
import { NOT_ACTED_ON, type Loc } from '../diagnostics.js';
import {
  DNS_TYPES,
  type BfdCheck,
  type Checker,
  type CheckerConnection,
  type CheckerTiming,
  type DnsCheck,
  type FileCheck,
  type HttpCheck,
  type HttpRegex,
  type HttpUrl,
  type MiscCheck,
  type PingCheck,
  type RealServer,
  type SmtpCheck,
  type TcpCheck,
  type UdpCheck,
} from '../model/lvs.js';
import { block, value, type KwCtx, type Schema } from '../schema.js';
import { splitCommand } from '../text.js';
import { laterHttpKeywords, laterSslUrlKeywords } from './later.js';
import {
  IPVS_WEIGHT_LIMIT,
  TIMER_MAX_US,
  UINT_MAX,
  boolArg,
  isIPv6LinkLocal,
  parseSockAddr,
  readSigned,
  readTimerS,
  readUnsigned,
  writtenOf,
  type CheckerWritten,
  type Family,
} from './lvs-util.js';

/** What was written in a connection (keepalived's conn_opts_t), beyond the defaults. */
export interface ConnWritten {
  /** Family of the destination as keepalived knows it while parsing (unset for SMTP_CHECK's own). */
  dstFamily?: Family;
  bindFamily?: Family;
  connectIp?: boolean;
  connectPort?: boolean;
  connectTimeoutS?: boolean;
  /** Anything at all was written (SMTP_CHECK uses this to choose between itself and its hosts). */
  any?: boolean;
}

export const connWritten = (conn: CheckerConnection): ConnWritten => writtenOf<ConnWritten>(conn, () => ({}));
export const checkerWritten = (ch: object): CheckerWritten => writtenOf<CheckerWritten>(ch, () => ({ defaultRetry: 1, defaultDelayBeforeRetryS: 1 }));

/** BFD_INAME_MAX - 1. */
const BFD_NAME_MAX = 31;
/** IFNAMSIZ - 1. */
const IFNAME_MAX = 15;

// ---- shared keywords ---------------------------------------------------------------------------------

/** A connection aimed at the real server, as keepalived's queue_checker() sets it up. */
function rsConnection(rs: RealServer, dstKnown: boolean): CheckerConnection {
  const conn: CheckerConnection = { connectIp: rs.address, family: rs.family, connectPort: rs.port, bindPort: 0, connectTimeoutS: 5, fwmark: 0 };
  if (dstKnown) connWritten(conn).dstFamily = rs.family;
  return conn;
}

/** connect_ip, connect_port, bindto, bind_port, bind_if, connect_timeout, fwmark. */
function connectionKeywords<T>(get: (t: T) => CheckerConnection): Schema {
  const touch = (conn: CheckerConnection): ConnWritten => {
    const w = connWritten(conn);
    w.any = true;
    return w;
  };
  return {
    connect_ip: value<T>((c, t) => {
      const conn = get(t);
      const w = touch(conn);
      const a = parseSockAddr(c.str(0), undefined);
      if ('why' in a) return c.error(`invalid connect_ip address '${c.args[0]}' - ignoring: ${a.why}`);
      if (w.bindFamily && w.bindFamily !== a.family) return c.error(`connect_ip address ${a.address} does not match the address family of bindto - skipping`);
      conn.connectIp = a.address;
      conn.family = a.family;
      w.dstFamily = a.family;
      w.connectIp = true;
    }),
    connect_port: value<T>((c, t) => {
      const conn = get(t);
      const w = touch(conn);
      const v = readUnsigned(c, 0, 1, 65535, (s) => `invalid checker connect_port '${s}' - ignoring`);
      if (v === undefined) return;
      conn.connectPort = v;
      w.connectPort = true;
    }),
    bindto: value<T>((c, t) => {
      const conn = get(t);
      const w = touch(conn);
      const a = parseSockAddr(c.str(0), undefined);
      if ('why' in a) return c.error(`invalid bindto address '${c.args[0]}' - ignoring: ${a.why}`);
      if (w.dstFamily && w.dstFamily !== a.family)
        return c.error(`bindto address ${a.address} does not match the address family of connect_ip (${w.dstFamily}) - skipping`);
      conn.bindTo = a.address;
      w.bindFamily = a.family;
    }),
    bind_port: value<T>((c, t) => {
      const conn = get(t);
      touch(conn);
      const v = readUnsigned(c, 0, 1, 65535, (s) => `invalid checker bind_port '${s}' - ignoring`);
      if (v !== undefined) conn.bindPort = v;
    }),
    bind_if: value<T>((c, t) => {
      const conn = get(t);
      touch(conn);
      const n = c.str(0);
      if (n.length > IFNAME_MAX) return c.error(`interface name ${n} is too long - ignoring: at most ${IFNAME_MAX} characters`);
      conn.bindIf = n;
    }),
    connect_timeout: value<T>((c, t) => {
      const conn = get(t);
      const w = touch(conn);
      const v = readTimerS(c, 0, 1, UINT_MAX, (s) => `connect_timeout '${s}' invalid - ignoring`);
      if (v === undefined) return;
      conn.connectTimeoutS = v;
      w.connectTimeoutS = true;
    }),
    fwmark: value<T>((c, t) => {
      const conn = get(t);
      touch(conn);
      const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `invalid fwmark connection value '${s}' - ignoring`);
      if (v !== undefined) conn.fwmark = v;
    }),
  };
}

/** retry, delay_before_retry, warmup, delay_loop, alpha, log_all_failures (on the checker `get` gives). */
function timingKeywords<T>(get: (t: T) => CheckerTiming): Schema {
  return {
    retry: value<T>((c, t) => {
      const ch = get(t);
      const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `invalid retry connection value '${s}' - ignoring`);
      if (v === undefined) return;
      ch.retry = v;
      checkerWritten(ch).retry = true;
    }),
    delay_before_retry: value<T>((c, t) => {
      const ch = get(t);
      const v = readTimerS(c, 0, 0, TIMER_MAX_US, (s) => `invalid delay_before_retry connection value '${s}' - ignoring`);
      if (v === undefined) return;
      ch.delayBeforeRetryS = v;
      checkerWritten(ch).delayBeforeRetryS = true;
    }),
    warmup: value<T>((c, t) => {
      const ch = get(t);
      const v = readTimerS(c, 0, 0, TIMER_MAX_US, (s) => `invalid warmup connection value '${s}' - ignoring`);
      if (v === undefined) return;
      ch.warmupS = v;
      checkerWritten(ch).warmupS = true;
    }),
    delay_loop: value<T>((c, t) => {
      const ch = get(t);
      const v = readTimerS(c, 0, 1, TIMER_MAX_US, (s) => `delay_loop '${s}' is invalid - ignoring`);
      if (v === undefined) return;
      ch.delayLoopS = v;
      checkerWritten(ch).delayLoopS = true;
    }),
    alpha: value<T>((c, t) => {
      const ch = get(t);
      const b = boolArg(c, (s) => `invalid alpha parameter '${s}' - ignoring`);
      if (b === undefined) return;
      ch.alpha = b;
      checkerWritten(ch).alpha = true;
    }),
    log_all_failures: value<T>((c, t) => {
      const ch = get(t);
      const b = boolArg(c, (s) => `invalid log_all_failures parameter '${s}' - ignoring`);
      if (b !== undefined) ch.logAllFailures = b;
    }),
  };
}

/** keepalived's queue_checker() defaults; the real values are resolved by validate/lvs.ts. */
function timingDefaults(defaultRetry: number, defaultDelayBeforeRetryS: number): CheckerTiming {
  return { alpha: false, retry: defaultRetry, delayBeforeRetryS: defaultDelayBeforeRetryS, warmupS: 0, delayLoopS: 60, logAllFailures: false };
}

/** Remember a new checker's own defaults (keepalived's default_retry / default_delay_before_retry). */
function withDefaults<T extends object>(ch: T, defaultRetry: number, defaultDelayBeforeRetryS: number): T {
  const w = checkerWritten(ch);
  w.defaultRetry = defaultRetry;
  w.defaultDelayBeforeRetryS = defaultDelayBeforeRetryS;
  return ch;
}

/** keepalived's check_conn_opts(): an IPv6 link-local destination needs bind_if. */
function connectionOk(c: KwCtx, conn: CheckerConnection): boolean {
  if (conn.family === 'inet6' && !conn.bindIf && isIPv6LinkLocal(conn.connectIp)) {
    c.error(`checker link local address ${conn.connectIp} requires a bind_if - ignoring the checker`);
    return false;
  }
  return true;
}

/** Checkers marked here were dropped by a keyword inside their block (keepalived's dequeue_new_checker). */
const dropped = new WeakSet<object>();

function checkerBlock<T extends Checker>(make: (c: KwCtx, rs: RealServer) => T, kws: () => Schema, finish?: (c: KwCtx, ch: T, rs: RealServer) => boolean) {
  return block<RealServer, T>(
    kws,
    (c, rs) => make(c, rs),
    (c, ch, rs) => {
      if (dropped.has(ch)) return;
      if (finish && !finish(c, ch, rs)) return;
      rs.checkers.push(ch);
    },
  );
}

function networkKeywords<T extends CheckerTiming & { connection: CheckerConnection }>(extra: Schema = {}): () => Schema {
  return () => ({ ...connectionKeywords<T>((t) => t.connection), ...timingKeywords<T>((t) => t), ...extra });
}

// ---- HTTP_GET / SSL_GET -------------------------------------------------------------------------------

const REGEX_OPTIONS = [
  'allow_empty_class',
  'alt_bsux',
  'auto_callout',
  'caseless',
  'dollar_endonly',
  'dotall',
  'dupnames',
  'extended',
  'firstline',
  'match_unset_backref',
  'multiline',
  'never_ucp',
  'never_utf',
  'no_auto_capture',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'ucp',
  'ungreedy',
  'utf',
  'never_backslash_c',
  'alt_circumflex',
  'alt_verbnames',
  'use_offset_limit',
] as const;

/** A url block while it is read: regex settings are collected and checked at its end (url_check). */
interface UrlDraft {
  url: HttpUrl;
  codes: Set<number>;
  regex?: string;
  options: string[];
  noMatch: boolean;
  minOffset?: number;
  maxOffset?: number;
  stack?: { start: number; max: number };
}

function statusCodes(c: KwCtx, d: UrlDraft): void {
  for (const w of c.args) {
    const m = /^[ \t]*\+?(\d+)(?:-[ \t]*\+?(\d+))?$/.exec(w);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || lo > 599 || hi < 100 || hi > 599 || lo > hi) {
      c.error(`invalid HTTP_GET status code '${w}' - ignoring: expected a code 100-599 or a range such as 200-299`);
      continue;
    }
    for (let i = lo; i <= hi; i++) d.codes.add(i);
  }
}

function offsetArg(c: KwCtx, which: 'min' | 'max'): number | undefined {
  if (c.n !== 1) return (c.info(`missing or too many options for regex_${which}_offset - ignoring: expected one number`), undefined);
  if (!/^[ \t]*\+?\d*$/.test(c.args[0]!)) return (c.info(`invalid regex_${which}_offset '${c.args[0]}' - ignoring: expected a number`), undefined);
  return Number(c.args[0]!.trim().replace('+', '') || '0');
}

const urlKeywords: Schema = {
  path: value<UrlDraft>((c, d) => {
    d.url.path = c.str(0);
  }),
  digest: value<UrlDraft>((c, d) => {
    const s = c.str(0);
    if (d.url.digest !== undefined) return c.error(`digest '${s}' is a duplicate - ignoring: one digest per url`);
    if (s.length !== 32) return c.error(`digest '${s}' character length should be 32 rather than ${s.length} - ignoring: expected an MD5 sum in hex`);
    for (let i = 15; i >= 0; i--) {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(2 * i, 2 * i + 2)))
        return c.error(`unable to interpret hex digit in digest '${s}' at offset ${2 * i}/${2 * i + 1} - ignoring`);
    }
    d.url.digest = s.toLowerCase();
  }),
  status_code: value<UrlDraft>(statusCodes),
  virtualhost: value<UrlDraft>((c, d) => {
    if (c.n < 1) return c.error('missing HTTP_GET url virtualhost name');
    d.url.virtualhost = c.args[0]!;
  }),
  regex: value<UrlDraft>((c, d) => {
    if (c.n !== 1) return c.info('regex missing or too many fields - ignoring: quote the regular expression');
    d.regex = c.args[0]!;
  }),
  regex_no_match: value<UrlDraft>((_c, d) => {
    d.noMatch = true;
  }),
  regex_options: value<UrlDraft>((c, d) => {
    for (const o of c.args) {
      if ((REGEX_OPTIONS as readonly string[]).includes(o)) {
        if (!d.options.includes(o)) d.options.push(o);
        // Only caseless maps onto a JavaScript regular expression flag.
        if (o !== 'caseless') c.info(`regex_options ${o} ${NOT_ACTED_ON}: the regex is matched as JavaScript matches it`);
      } else c.info(`unknown regex option '${o}' - ignoring: expected one of ${REGEX_OPTIONS.join(' ')}`);
    }
  }),
  regex_min_offset: value<UrlDraft>((c, d) => {
    const v = offsetArg(c, 'min');
    d.minOffset = v;
  }),
  regex_max_offset: value<UrlDraft>((c, d) => {
    d.maxOffset = offsetArg(c, 'max') ?? 0;
  }),
  regex_stack: value<UrlDraft>((c, d) => {
    if (c.n !== 2) return c.info('regex_stack requires start and max values - ignoring');
    const [a, b] = c.args as [string, string];
    if (!/^\d+$/.test(a)) return c.info('regex_stack invalid start value - ignoring');
    if (!/^\d+$/.test(b)) return c.info('regex_stack invalid max value - ignoring');
    if (Number(a) > Number(b)) return c.info('regex stack start cannot exceed max value - ignoring');
    d.stack = { start: Number(a), max: Number(b) };
  }),
};

function toRanges(codes: Set<number>): Array<[number, number]> {
  const sorted = [...codes].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === x - 1) last[1] = x;
    else out.push([x, x]);
  }
  return out;
}

/** keepalived's url_check(): path required, default status codes, regex settings without a regex. */
function finishUrl(c: KwCtx, d: UrlDraft, ch: HttpCheck): void {
  if (d.url.path === '') return c.error(`${ch.type} checker url has no path - ignoring the url`);
  d.url.statusCodes = d.codes.size ? toRanges(d.codes) : [[200, 299]];
  const maxPlusOne = d.maxOffset === undefined ? 0 : d.maxOffset + 1;
  if (d.regex !== undefined) {
    const r: HttpRegex = { pattern: d.regex, options: d.options, noMatch: d.noMatch };
    let min = d.minOffset;
    let max = d.maxOffset;
    if (maxPlusOne && (min ?? 0) >= maxPlusOne) {
      c.info(`regex min offset ${min ?? 0} > regex_max_offset ${d.maxOffset} - ignoring both`);
      min = undefined;
      max = undefined;
    }
    if (min) r.minOffset = min;
    if (max !== undefined) r.maxOffset = max;
    if (d.stack) r.stack = d.stack;
    d.url.regex = r;
  } else if (d.options.length || d.noMatch || d.minOffset || maxPlusOne || d.stack) {
    c.info('regex parameters specified without regex - ignoring them');
  }
  ch.urls.push(d.url);
}

function httpChecker(type: 'HTTP_GET' | 'SSL_GET') {
  return checkerBlock<HttpCheck>(
    (c, rs) =>
      withDefaults<HttpCheck>(
        { type, loc: c.loc, ...timingDefaults(1, 3), connection: rsConnection(rs, true), urls: [], httpProtocol: '1.0', enableSni: false, fastRecovery: false },
        1,
        3,
      ),
    networkKeywords<HttpCheck>({
      nb_get_retry: value<HttpCheck>((c, ch) => {
        c.warn(`nb_get_retry is deprecated - please use 'retry'`);
        const v = readUnsigned(c, 0, 0, UINT_MAX, (s) => `invalid nb_get_retry value '${s}' - ignoring`);
        if (v === undefined) return;
        ch.retry = v;
        checkerWritten(ch).retry = true;
      }),
      virtualhost: value<HttpCheck>((c, ch) => {
        if (c.n < 1) return c.error(`${type} virtualhost name missing`);
        ch.virtualhost = c.args[0]!;
      }),
      http_protocol: value<HttpCheck>((c, ch) => {
        if (c.n < 1) return c.error('missing http_protocol version: expected 1.0, 1.0C or 1.1');
        const v = c.args[0]!;
        if (v === '1.0' || v === '1.1') ch.httpProtocol = v;
        else if (v === '1.0C' || v === '1.0c') ch.httpProtocol = '1.0C';
        else c.error(`invalid http_protocol version '${v}' - ignoring: expected 1.0, 1.0C or 1.1`);
      }),
      enable_sni: value<HttpCheck>((c, ch) => {
        const b = boolArg(c, (s) => `invalid enable_sni parameter '${s}' - ignoring`);
        if (b !== undefined) ch.enableSni = b;
      }),
      fast_recovery: value<HttpCheck>((c, ch) => {
        const b = boolArg(c, (s) => `invalid fast_recovery parameter '${s}' - ignoring`);
        if (b !== undefined) ch.fastRecovery = b;
      }),
      ...laterHttpKeywords(type),
      url: block<HttpCheck, UrlDraft>(
        type === 'SSL_GET' ? { ...urlKeywords, ...laterSslUrlKeywords } : urlKeywords,
        (c) => ({ url: { loc: c.loc, path: '', statusCodes: [] }, codes: new Set(), options: [], noMatch: false }),
        (c, d, ch) => finishUrl(c, d, ch),
      ),
    }),
    (c, ch) => {
      if (ch.urls.length === 0) {
        c.error(`${type} checker has no urls specified - ignoring the checker: add url { path /... }`);
        return false;
      }
      return connectionOk(c, ch.connection);
    },
  );
}

// ---- SMTP_CHECK ---------------------------------------------------------------------------------------

interface SmtpHost {
  loc: Loc;
  checker: SmtpCheck;
  conn: CheckerConnection;
}
/** The host blocks read for each SMTP_CHECK. */
const smtpHosts = new WeakMap<SmtpCheck, CheckerConnection[]>();

function smtpChecker() {
  return block<RealServer, SmtpCheck>(
    networkKeywords<SmtpCheck>({
      helo_name: value<SmtpCheck>((c, ch) => {
        if (c.n < 1) return c.error('SMTP_CHECK helo name missing');
        ch.heloName = c.args[0]!;
      }),
      host: block<SmtpCheck, SmtpHost>(
        () => ({ ...connectionKeywords<SmtpHost>((h) => h.conn), ...timingKeywords<SmtpHost>((h) => h.checker) }),
        (c, ch) => {
          const rs = (c.state.scratch['lvs.rs'] as RealServer | undefined)!;
          return { loc: c.loc, checker: ch, conn: rsConnection(rs, true) };
        },
        (c, h, ch) => {
          if (!connectionOk(c, h.conn)) return;
          smtpHosts.get(ch)!.push(h.conn);
        },
      ),
    }),
    (c, rs) => {
      const ch = withDefaults<SmtpCheck>({ type: 'SMTP_CHECK', loc: c.loc, ...timingDefaults(1, 1), connection: rsConnection(rs, false), heloName: '' }, 1, 1);
      smtpHosts.set(ch, []);
      return ch;
    },
    (c, ch, rs) => {
      if (ch.heloName === '') ch.heloName = 'smtpchecker.keepalived.org';
      const hosts = smtpHosts.get(ch)!;
      if (hosts.length) c.info('the SMTP_CHECK host block is deprecated: define one SMTP_CHECK per host instead');
      const conns: CheckerConnection[] = [];
      if (connWritten(ch.connection).any || hosts.length === 0) {
        if (!connectionOk(c, ch.connection)) return;
        conns.push(ch.connection);
      }
      conns.push(...hosts);
      for (const conn of conns) {
        const copy: SmtpCheck = { ...ch, connection: conn };
        Object.assign(checkerWritten(copy), checkerWritten(ch));
        rs.checkers.push(copy);
      }
    },
  );
}

// ---- UDP_CHECK ----------------------------------------------------------------------------------------

/**
 * keepalived's read_hex_str(): bytes written as hex, one or two digits each, blanks between bytes
 * optional; with `wildcards`, x/X stands for any nibble. Returns two hex digits a byte (x = wildcard).
 */
export function readHex(text: string, wildcards: boolean): string | undefined {
  const nib = (ch: string | undefined): string | undefined => {
    if (ch === undefined) return undefined;
    if (/^[0-9a-fA-F]$/.test(ch)) return ch.toLowerCase();
    if (wildcards && (ch === 'x' || ch === 'X')) return 'x';
    return undefined;
  };
  let out = '';
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const a = nib(text[i++]);
    if (a === undefined) return undefined;
    if (i < text.length && text[i] !== ' ') {
      const b = nib(text[i++]);
      if (b === undefined) return undefined;
      out += a + b;
    } else out += (a === 'x' ? 'x' : '0') + a;
  }
  return out === '' ? undefined : out;
}

// ---- BFD_CHECK ------------------------------------------------------------------------------------

/**
 * The bfd_instance names the checker process knows: keepalived's checker process records every
 * bfd_instance block by name when it opens (valid or not, the BFD process validates the rest), and
 * forgets it if only `vrrp` events were asked for. The VRRP tables keep every declared block in
 * scratch 'vrrp.bfdDeclared'; without it, the valid instances are used.
 */
function checkerBfdNames(c: KwCtx): Set<string> {
  const declared =
    (c.state.scratch['vrrp.bfdDeclared'] as Array<{ name: string; vrrp: boolean; checker: boolean }> | undefined) ?? c.state.config.vrrp.bfdInstances;
  return new Set(declared.filter((b) => b.checker || !b.vrrp).map((b) => b.name));
}

// ---- the table ----------------------------------------------------------------------------------------

export function checkerKeywords(): Schema {
  return {
    TCP_CHECK: checkerBlock<TcpCheck>(
      (c, rs) => withDefaults<TcpCheck>({ type: 'TCP_CHECK', loc: c.loc, ...timingDefaults(1, 1), connection: rsConnection(rs, true) }, 1, 1),
      networkKeywords<TcpCheck>(),
      (c, ch) => connectionOk(c, ch.connection),
    ),
    PING_CHECK: checkerBlock<PingCheck>(
      (c, rs) => withDefaults<PingCheck>({ type: 'PING_CHECK', loc: c.loc, ...timingDefaults(1, 1), connection: rsConnection(rs, true) }, 1, 1),
      networkKeywords<PingCheck>(),
      (c, ch) => connectionOk(c, ch.connection),
    ),
    HTTP_GET: httpChecker('HTTP_GET'),
    SSL_GET: httpChecker('SSL_GET'),
    SMTP_CHECK: smtpChecker(),
    MISC_CHECK: checkerBlock<MiscCheck>(
      (c) =>
        withDefaults<MiscCheck>(
          { type: 'MISC_CHECK', loc: c.loc, ...timingDefaults(0, 1), script: { cmd: '', argv: [], loc: c.loc }, timeoutS: 0, dynamic: false },
          0,
          1,
        ),
      () => ({
        ...timingKeywords<MiscCheck>((t) => t),
        misc_path: value<MiscCheck>((c, ch) => {
          if (c.n < 1) return;
          const argv = splitCommand(c.args[0]!);
          if (argv.length === 0) return;
          if (c.n > 1) c.info(`misc_path words after '${c.args[0]}' are ignored: put the whole command line in double quotes`);
          const { user, group } = ch.script;
          ch.script = { cmd: c.args[0]!, argv, loc: c.loc };
          if (user !== undefined) ch.script.user = user;
          if (group !== undefined) ch.script.group = group;
        }),
        misc_timeout: value<MiscCheck>((c, ch) => {
          const v = readUnsigned(c, 0, 0, Math.floor(UINT_MAX / 1e6), (s) => `invalid misc_timeout value '${s}' - ignoring`);
          if (v === undefined) return;
          ch.timeoutS = v;
          checkerWritten(ch).timeoutS = v > 0;
        }),
        misc_dynamic: value<MiscCheck>((_c, ch) => {
          ch.dynamic = true;
        }),
        user: value<MiscCheck>((c, ch) => {
          if (c.n < 1) return c.error(`no user specified for misc checker script${ch.script.cmd ? ' ' + ch.script.cmd : ''}: expected 'user USER [GROUP]'`);
          ch.script.user = c.args[0]!;
          if (c.args[1] !== undefined) ch.script.group = c.args[1];
          else delete ch.script.group;
        }),
      }),
      (c, ch) => {
        if (ch.script.argv.length === 0) {
          c.error('no script path has been specified for MISC_CHECK - skipping the checker: add misc_path "/path/to/script args"');
          return false;
        }
        return true;
      },
    ),
    DNS_CHECK: checkerBlock<DnsCheck>(
      (c, rs) =>
        withDefaults<DnsCheck>({ type: 'DNS_CHECK', loc: c.loc, ...timingDefaults(3, 0), connection: rsConnection(rs, true), dnsType: 'SOA', name: '' }, 3, 0),
      networkKeywords<DnsCheck>({
        type: value<DnsCheck>((c, ch) => {
          const t = c.str(0).toUpperCase();
          const hit = DNS_TYPES.find((x) => x === t);
          if (!hit) return c.error(`unknown DNS check type '${c.args[0]}' - ignoring: expected one of ${DNS_TYPES.join(' ')}`);
          ch.dnsType = hit;
        }),
        name: value<DnsCheck>((c, ch) => {
          const w = checkerWritten(ch) as CheckerWritten & { name?: boolean };
          if (w.name) return c.error('DNS_CHECK name already specified - ignoring');
          const n = c.str(0);
          // keepalived 2.2.7's test: a leading '.' (other than the root name), '..' anywhere, or a '.'
          // as the second character - so it also rejects a one-character first label ("a.example.com").
          const bad = (n[0] === '.' && n.length > 1) || n[1] === '.' || n.includes('..');
          if (bad) {
            const why = n[1] === '.' && n[0] !== '.' ? ' (keepalived 2.2.7 also rejects a one-character first label)' : '';
            return c.error(`DNS_CHECK name '${n}' has an empty label - ignoring${why}`);
          }
          ch.name = n;
          w.name = true;
        }),
      }),
      (c, ch) => connectionOk(c, ch.connection),
    ),
    UDP_CHECK: checkerBlock<UdpCheck>(
      (c, rs) =>
        withDefaults<UdpCheck>(
          {
            type: 'UDP_CHECK',
            loc: c.loc,
            ...timingDefaults(1, 1),
            connection: rsConnection(rs, true),
            requireReply: false,
            minReplyLength: 0,
            maxReplyLength: 255,
          },
          1,
          1,
        ),
      networkKeywords<UdpCheck>({
        payload: value<UdpCheck>((c, ch) => {
          if (c.n < 1) return c.error('UDP_CHECK payload requires a payload: expected hex bytes');
          const hex = readHex(c.args.join(' '), false);
          if (hex === undefined) return c.error(`invalid hex string for UDP_CHECK payload '${c.args.join(' ')}': expected hex bytes such as 01 02 ff`);
          ch.payload = hex;
        }),
        require_reply: value<UdpCheck>((c, ch) => {
          ch.requireReply = true;
          if (c.n < 1) return;
          const hex = readHex(c.args.join(' '), true);
          if (hex === undefined) return c.error(`invalid hex string for UDP_CHECK reply '${c.args.join(' ')}': expected hex bytes, x for a wildcard digit`);
          ch.replyPattern = hex;
        }),
        min_reply_length: value<UdpCheck>((c, ch) => {
          const v = readUnsigned(c, 0, 0, 65535, (s) => `UDP_CHECK min length '${s}' not valid - must be between 0 & 65535`);
          if (v !== undefined) ch.minReplyLength = v;
        }),
        max_reply_length: value<UdpCheck>((c, ch) => {
          const v = readUnsigned(c, 0, 0, 65535, (s) => `UDP_CHECK max length '${s}' not valid - must be between 0 & 65535`);
          if (v !== undefined) ch.maxReplyLength = v;
        }),
      }),
      (c, ch) => {
        if (!connectionOk(c, ch.connection)) return false;
        if (ch.minReplyLength > ch.maxReplyLength)
          c.error(`UDP_CHECK min_reply_length ${ch.minReplyLength} > max_reply_length ${ch.maxReplyLength} - the check will always fail`);
        return true;
      },
    ),
    FILE_CHECK: checkerBlock<FileCheck>(
      (c) => ({ type: 'FILE_CHECK', loc: c.loc, trackFile: '', weight: 0, reverse: false }),
      () => ({
        track_file: value<FileCheck>((c, ch) => {
          const n = c.str(0);
          if (!c.state.config.vrrp.trackFiles.some((t) => t.name === n))
            return c.error(`track_file ${n} not found - ignoring: define it with track_file ${n} { file PATH } before use`);
          ch.trackFile = n;
        }),
        weight: value<FileCheck>((c, ch) => {
          if (c.n < 1) return c.error('track file weight missing');
          const v = readSigned(
            c,
            0,
            -IPVS_WEIGHT_LIMIT,
            IPVS_WEIGHT_LIMIT,
            () => `weight for track file must be in [${-IPVS_WEIGHT_LIMIT}..${IPVS_WEIGHT_LIMIT}] inclusive - ignoring`,
          );
          if (v === undefined) return;
          const opt = c.args[1];
          if (opt !== undefined && opt !== 'reverse' && opt !== 'noreverse')
            return c.error(`unknown track file weight option '${opt}' - ignoring: expected reverse or noreverse`);
          ch.weight = v;
          ch.reverse = opt === 'reverse';
          (checkerWritten(ch) as CheckerWritten & { weight?: boolean }).weight = true;
        }),
      }),
      (c, ch) => {
        if (!ch.trackFile) {
          c.error('FILE_CHECK has no track_file specified - ignoring the checker');
          return false;
        }
        if (!(checkerWritten(ch) as CheckerWritten & { weight?: boolean }).weight) {
          const tf = c.state.config.vrrp.trackFiles.find((t) => t.name === ch.trackFile)!;
          ch.weight = tf.weight;
          ch.reverse = tf.weightReverse;
        }
        return true;
      },
    ),
    BFD_CHECK: checkerBlock<BfdCheck>(
      (c) => ({ type: 'BFD_CHECK', loc: c.loc, name: '', alpha: false }),
      () => ({
        name: value<BfdCheck>((c, ch) => {
          if (dropped.has(ch)) return;
          const rs = c.state.scratch['lvs.rs'] as RealServer;
          const drop = (msg: string) => {
            c.error(`[${rs.address}]:${rs.port}: BFD_CHECK - ${msg} - skipping the checker`);
            dropped.add(ch);
          };
          if (c.n !== 1) return drop('no or too many names specified');
          const n = c.args[0]!;
          if (!checkerBfdNames(c).has(n)) return drop(`BFD ${n} not configured`);
          if (ch.name) return drop(`BFD ${n} already specified as ${ch.name}`);
          if (n.length > BFD_NAME_MAX) return drop(`BFD name ${n} too long`);
          if (rs.checkers.some((x) => x.type === 'BFD_CHECK' && x.name === n)) return drop(`RS already monitoring ${n}`);
          ch.name = n;
        }),
        alpha: value<BfdCheck>((c, ch) => {
          if (dropped.has(ch)) return;
          const b = boolArg(c, (s) => `invalid alpha parameter '${s}' - ignoring`);
          if (b === undefined) return;
          ch.alpha = b;
          checkerWritten(ch).alpha = true;
        }),
      }),
      (c, ch) => {
        if (!ch.name) {
          c.error('no name has been specified for BFD_CHECK - skipping the checker: add name BFD_INSTANCE');
          return false;
        }
        return true;
      },
    ),
  };
}
