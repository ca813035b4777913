/**
 * Keyword tables: the health-checker blocks inside a real_server — TCP_CHECK, HTTP_GET, SSL_GET,
 * MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK — with the
 * connection and scheduling keywords they share, following keepalived 2.2.7's check_*.c.
 */
import type {
  BfdCheck,
  Checker,
  CheckerCommon,
  CheckerConnection,
  DnsCheck,
  FileCheck,
  HttpCheck,
  HttpUrl,
  MiscCheck,
  PingCheck,
  TcpCheck,
  RealServer,
  SmtpCheck,
  UdpCheck,
} from '../model/lvs.js';
import { IPVS_WEIGHT_MAX, secondsArg, uintArg, UINT_MAX } from './numbers.js';
import { block, value, type KwCtx, type Schema } from '../schema.js';
import { familyOf, isAddress, optBool, scriptFrom } from './vrrp-util.js';




/** connect_ip, connect_port, bindto, bind_port, bind_if, connect_timeout, fwmark. */
function connectionKeywords<T extends CheckerConnection>(): Schema {
  return {
    connect_ip: value<T>((c, o) => {
      const a = c.str(0);
      if (!isAddress(a)) return c.error(`invalid connect_ip address ${a} - ignoring`);
      if (o.bindTo && familyOf(o.bindTo) !== familyOf(a)) return c.error(`connect_ip address ${a} does not match the address family of bindto - skipping`);
      o.connectIp = a;
    }),
    connect_port: value<T>((c, o) => { const v = uintArg(c, 1, 65535, 'invalid checker connect_port'); if (v !== undefined) o.connectPort = v; }),
    bindto: value<T>((c, o) => {
      const a = c.str(0);
      if (!isAddress(a)) return c.error(`invalid bindto address ${a} - ignoring`);
      if (o.connectIp && familyOf(o.connectIp) !== familyOf(a)) return c.error(`bindto address ${a} does not match the address family of connect_ip - skipping`);
      o.bindTo = a;
    }),
    bind_port: value<T>((c, o) => { const v = uintArg(c, 1, 65535, 'invalid checker bind_port'); if (v !== undefined) o.bindPort = v; }),
    bind_if: value<T>((c, o) => {
      const n = c.str(0);
      if (n.length >= 16) return c.error(`interface name ${n} is too long - ignoring`);
      o.bindIf = n;
    }),
    connect_timeout: value<T>((c, o) => { const v = secondsArg(c, 1e-6, 'connect_timeout'); if (v !== undefined) o.connectTimeoutS = v; }),
    fwmark: value<T>((c, o) => { const v = uintArg(c, 0, UINT_MAX, 'invalid fwmark connection value'); if (v !== undefined) o.fwmark = v; }),
  };
}

/** Keywords every checker block has. */
function commonKeywords<T extends CheckerCommon>(): Schema {
  return {
    ...connectionKeywords<T>(),
    retry: value<T>((c, o) => { const v = uintArg(c, 0, UINT_MAX, 'invalid retry connection value'); if (v !== undefined) o.retry = v; }),
    delay_before_retry: value<T>((c, o) => { const v = secondsArg(c, 0, 'delay_before_retry'); if (v !== undefined) o.delayBeforeRetryS = v; }),
    warmup: value<T>((c, o) => { const v = secondsArg(c, 0, 'warmup'); if (v !== undefined) o.warmupS = v; }),
    delay_loop: value<T>((c, o) => { const v = secondsArg(c, 1e-6, 'delay_loop'); if (v !== undefined) o.delayLoopS = v; }),
    alpha: value<T>((c, o) => { const b = optBool(c, 0, `invalid alpha parameter ${c.opt(0)}`); if (b !== undefined) o.alpha = b; }),
    log_all_failures: value<T>((c, o) => { const b = optBool(c, 0, `invalid log_all_failures parameter ${c.opt(0)}`); if (b !== undefined) o.logAllFailures = b; }),
  };
}

/** A checker block: `NAME { ... }`; close() validates and attaches it to the real server. */
function checkerBlock<T extends Checker>(
  make: (c: KwCtx) => T,
  extra: Schema,
  finish?: (c: KwCtx, ch: T, rs: RealServer) => boolean,
) {
  return block<RealServer, T>(
    () => ({ ...commonKeywords<T>(), ...extra }),
    (c) => make(c),
    (c, ch, rs) => {
      if (finish && !finish(c, ch, rs)) return;
      rs.checkers.push(ch);
    },
  );
}

// ---- HTTP_GET / SSL_GET -------------------------------------------------------------------------

function parseStatusCodes(c: KwCtx, url: HttpUrl): void {
  for (const w of c.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      c.error(`invalid HTTP_GET status code '${w}': expected a code 100-599 or a range such as 200-299`);
      continue;
    }
    url.statusCodes.push([lo, hi]);
  }
}

const urlKeywords: Schema = {
  path: value<HttpUrl>((c, u) => { u.path = c.str(0); }),
  digest: value<HttpUrl>((c, u) => {
    const d = c.str(0);
    if (u.digest !== undefined) return c.error(`digest '${d}' is a duplicate`);
    if (d.length !== 32) return c.error(`digest '${d}' character length should be 32 rather than ${d.length}`);
    if (!/^[0-9a-fA-F]{32}$/.test(d)) return c.error(`unable to interpret hex digits in digest '${d}'`);
    u.digest = d.toLowerCase();
  }),
  status_code: value<HttpUrl>((c, u) => parseStatusCodes(c, u)),
  virtualhost: value<HttpUrl>((c, u) => {
    if (c.n < 1) return c.error('missing HTTP_GET virtualhost name');
    u.virtualhost = c.args[0]!;
  }),
  regex: value<HttpUrl>((c, u) => {
    const r = c.str(0);
    try {
      new RegExp(r);
    } catch (e) {
      return c.error(`invalid regex '${r}': ${(e as Error).message}`);
    }
    u.regex = r;
  }),
  regex_no_match: value<HttpUrl>((_c, u) => { u.regexNoMatch = true; }),
  regex_options: value<HttpUrl>((c, u) => { u.regexOptions.push(...c.args); }),
  regex_min_offset: value<HttpUrl>((c, u) => { const v = uintArg(c, 0, UINT_MAX, 'invalid regex_min_offset'); if (v !== undefined) u.regexMinOffset = v; }),
  regex_max_offset: value<HttpUrl>((c, u) => { const v = uintArg(c, 1, UINT_MAX, 'invalid regex_max_offset'); if (v !== undefined) u.regexMaxOffset = v; }),
  regex_stack: value<HttpUrl>((c, u) => { const v = uintArg(c, 1, UINT_MAX, 'invalid regex_stack'); if (v !== undefined) u.regexStack = v; }),
};

function httpKeywords(): Schema {
  return {
    nb_get_retry: value<HttpCheck>((c, o) => {
      c.warn("nb_get_retry is deprecated - please use 'retry'");
      const v = uintArg(c, 0, UINT_MAX, 'invalid nb_get_retry value');
      if (v !== undefined) o.retry = v;
    }),
    virtualhost: value<HttpCheck>((c, o) => {
      if (c.n < 1) return c.error('HTTP_GET virtualhost name missing');
      o.virtualhost = c.args[0]!;
    }),
    http_protocol: value<HttpCheck>((c, o) => {
      if (c.n < 1) return c.error('missing http_protocol version: expected 1.0, 1.1 or 1.0C');
      const v = c.args[0]!;
      if (v === '1.0' || v === '1.1') o.httpProtocol = v;
      else if (v === '1.0C' || v === '1.0c') o.httpProtocol = '1.0C';
      else c.error(`invalid http_protocol version ${v}: expected 1.0, 1.1 or 1.0C`);
    }),
    enable_sni: value<HttpCheck>((c, o) => { const b = optBool(c, 0, `invalid enable_sni parameter ${c.opt(0)}`); if (b !== undefined) o.enableSni = b; }),
    fast_recovery: value<HttpCheck>((c, o) => { const b = optBool(c, 0, `invalid fast_recovery parameter ${c.opt(0)}`); if (b !== undefined) o.fastRecovery = b; }),
    url: block<HttpCheck, HttpUrl>(
      urlKeywords,
      (c) => ({ loc: c.loc, path: '', statusCodes: [], regexNoMatch: false, regexOptions: [] }),
      (c, u, o) => {
        if (u.path === '') return c.error('HTTP/SSL_GET checker url has no path - ignoring');
        o.urls.push(u);
      },
    ),
  };
}

function httpChecker(type: 'HTTP_GET' | 'SSL_GET') {
  return checkerBlock<HttpCheck>(
    (c) => ({ type, loc: c.loc, urls: [], httpProtocol: '1.0', enableSni: false, fastRecovery: false }),
    httpKeywords(),
    (c, ch) => {
      if (ch.urls.length === 0) {
        c.error(`${type} checker has no urls specified - ignoring`);
        return false;
      }
      return true;
    },
  );
}

// ---- the others -----------------------------------------------------------------------------------

const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'] as const;

function hexPattern(s: string, wildcard: boolean): boolean {
  return (wildcard ? /^([0-9a-fA-FxX]{2})+$/ : /^([0-9a-fA-F]{2})+$/).test(s.replace(/\s+/g, ''));
}

export function checkerKeywords(): Schema {
  return {
    TCP_CHECK: checkerBlock<TcpCheck>((c) => ({ type: 'TCP_CHECK', loc: c.loc }), {}),
    PING_CHECK: checkerBlock<PingCheck>((c) => ({ type: 'PING_CHECK', loc: c.loc }), {}),
    HTTP_GET: httpChecker('HTTP_GET'),
    SSL_GET: httpChecker('SSL_GET'),
    MISC_CHECK: checkerBlock<MiscCheck>(
      (c) => ({ type: 'MISC_CHECK', loc: c.loc, miscDynamic: false }),
      {
        misc_path: value<MiscCheck>((c, o) => {
          const s = scriptFrom(c, { withUser: false });
          if (s) o.script = s;
        }),
        misc_timeout: value<MiscCheck>((c, o) => { const v = uintArg(c, 0, Math.floor(UINT_MAX / 1e6), 'invalid misc_timeout value'); if (v !== undefined) o.miscTimeoutS = v; }),
        misc_dynamic: value<MiscCheck>((_c, o) => { o.miscDynamic = true; }),
        user: value<MiscCheck>((c, o) => {
          if (c.n < 1) return c.error('no user specified for misc checker script');
          if (!o.script) return c.error('user given before misc_path - ignoring');
          o.script.user = c.args[0]!;
          if (c.args[1] !== undefined) o.script.group = c.args[1];
        }),
      },
      (c, ch) => {
        if (!ch.script) {
          c.error('no script path has been specified for MISC_CHECK (misc_path) - skipping');
          return false;
        }
        return true;
      },
    ),
    SMTP_CHECK: checkerBlock<SmtpCheck>(
      (c) => ({ type: 'SMTP_CHECK', loc: c.loc, heloName: 'localhost', hosts: [] }),
      {
        helo_name: value<SmtpCheck>((c, o) => {
          if (c.n < 1) return c.error('SMTP_CHECK helo name missing');
          o.heloName = c.args[0]!;
        }),
        host: block<SmtpCheck, CheckerConnection & { loc: import('../diagnostics.js').Loc }>(
          () => connectionKeywords(),
          (c) => ({ loc: c.loc }),
          (_c, h, o) => { o.hosts.push(h); },
        ),
      },
    ),
    DNS_CHECK: checkerBlock<DnsCheck>(
      (c) => ({ type: 'DNS_CHECK', loc: c.loc, dnsType: 'SOA', name: '.' }),
      {
        type: value<DnsCheck>((c, o) => {
          const t = c.str(0).toUpperCase();
          const hit = DNS_TYPES.find((x) => x === t);
          if (!hit) return c.error(`unknown DNS check type ${c.args[0]} - ignoring: expected one of ${DNS_TYPES.join(' ')}`);
          o.dnsType = hit;
        }),
        name: value<DnsCheck>((c, o) => {
          const n = c.str(0);
          if (n.split('.').slice(0, -1).some((l) => l === '') && n !== '.') return c.error(`DNS_CHECK name '${n}' has an empty label - ignoring`);
          o.name = n;
        }),
      },
    ),
    UDP_CHECK: checkerBlock<UdpCheck>(
      (c) => ({ type: 'UDP_CHECK', loc: c.loc, requireReply: false, minReplyLength: 0, maxReplyLength: 65535 }),
      {
        payload: value<UdpCheck>((c, o) => {
          if (c.n < 1) return c.error('UDP_CHECK payload requires a payload');
          const p = c.args.join('');
          if (!hexPattern(p, false)) return c.error('invalid hex string for UDP_CHECK payload: expected pairs of hex digits');
          o.payload = p.toLowerCase();
        }),
        require_reply: value<UdpCheck>((c, o) => {
          o.requireReply = true;
          if (c.n > 0) {
            const p = c.args.join('');
            if (!hexPattern(p, true)) return c.error('invalid hex string for UDP_CHECK reply: expected pairs of hex digits, X for a wildcard digit');
            o.replyPattern = p.toLowerCase();
          }
        }),
        min_reply_length: value<UdpCheck>((c, o) => { const v = uintArg(c, 0, 65535, 'UDP_CHECK min length not valid'); if (v !== undefined) o.minReplyLength = v; }),
        max_reply_length: value<UdpCheck>((c, o) => { const v = uintArg(c, 0, 65535, 'UDP_CHECK max length not valid'); if (v !== undefined) o.maxReplyLength = v; }),
      },
      (c, ch) => {
        if (ch.minReplyLength > ch.maxReplyLength) c.error(`UDP_CHECK min_reply_length ${ch.minReplyLength} > max_reply_length ${ch.maxReplyLength} - will always fail`);
        return true;
      },
    ),
    FILE_CHECK: checkerBlock<FileCheck>(
      (c) => ({ type: 'FILE_CHECK', loc: c.loc, weight: 0, reverse: false }),
      {
        track_file: value<FileCheck>((c, o) => {
          const n = c.str(0);
          if (!c.state.config.vrrp.trackFiles.some((t) => t.name === n)) return c.error(`track_file ${n} not found`);
          o.trackFile = n;
        }),
        weight: value<FileCheck>((c, o) => {
          if (c.n < 1) return c.error('track file weight missing');
          const s = c.args[0]!;
          if (!/^-?\d+$/.test(s) || Math.abs(Number(s)) > IPVS_WEIGHT_MAX) return c.error(`weight for track file must be in [${-IPVS_WEIGHT_MAX}, ${IPVS_WEIGHT_MAX}], not ${s}`);
          o.weight = Number(s);
          const opt = c.args[1];
          if (opt === 'reverse') o.reverse = true;
          else if (opt !== undefined && opt !== 'noreverse') c.error(`unknown track file weight option ${opt} - ignoring`);
        }),
      },
      (c, ch) => {
        if (!ch.trackFile) {
          c.error('FILE_CHECK has no track_file specified - ignoring');
          return false;
        }
        return true;
      },
    ),
    BFD_CHECK: checkerBlock<BfdCheck>(
      (c) => ({ type: 'BFD_CHECK', loc: c.loc }),
      {
        name: value<BfdCheck>((c, o) => {
          if (c.n !== 1) return c.error('BFD_CHECK - no or too many names specified');
          const n = c.args[0]!;
          if (!c.state.config.vrrp.bfdInstances.some((b) => b.name === n)) return c.error(`BFD_CHECK - BFD ${n} not configured`);
          o.name = n;
        }),
      },
      (c, ch) => {
        if (!ch.name) {
          c.error('no name has been specified for BFD_CHECK - skipping');
          return false;
        }
        return true;
      },
    ),
  };
}
