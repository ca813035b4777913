/**
 * Health checkers: the resolved default object of each checker type (keepalived 2.2.7's per-type
 * retry / delay_before_retry defaults, inheritance from the real server), their keyword sets, and
 * each checker-level warning/error with its file:line.
 */
import { describe, expect, it } from 'vitest';
import type { Checker, CheckerConnection } from '../../../src/config/model/lvs.js';
import type { SystemEnv } from '../../../src/config/index.js';
import { at, load, one, vs, rs, STD } from './helpers.js';

/** A checker block inside the real server: its first line is line 6. */
function check(block: string, pre = '', env: Partial<SystemEnv> = {}) {
  const r = load(pre + vs(STD + rs(block)), env);
  return { r, checkers: r.lvs.virtualServers[0]?.realServers[0]?.checkers ?? [], ch: r.lvs.virtualServers[0]?.realServers[0]?.checkers[0] };
}
const L = (n: number) => n; // line numbers below count from 1 = `virtual_server`, 6 = the checker keyword
const conn = (extra: Partial<CheckerConnection> = {}): CheckerConnection => ({
  connectIp: '203.0.113.11',
  family: 'inet',
  connectPort: 80,
  bindPort: 0,
  connectTimeoutS: 5,
  fwmark: 0,
  ...extra,
});
const timing = { alpha: false, retry: 1, delayBeforeRetryS: 1, warmupS: 60, delayLoopS: 60, logAllFailures: false };

describe('checker defaults, one per type', () => {
  it('TCP_CHECK and PING_CHECK', () => {
    for (const type of ['TCP_CHECK', 'PING_CHECK'] as const) {
      const { r, checkers } = check(`    ${type} {\n    }`);
      expect(r.diags).toEqual([]);
      expect(checkers).toEqual([{ type, loc: at(L(6)), ...timing, connection: conn() }] satisfies Checker[]);
    }
  });
  it('HTTP_GET / SSL_GET: delay_before_retry 3 s, status 200-299, HTTP/1.0', () => {
    for (const type of ['HTTP_GET', 'SSL_GET'] as const) {
      const { r, ch } = check(`    ${type} {\n      url {\n        path /\n      }\n    }`);
      expect(r.diags).toEqual([]);
      expect(ch).toEqual({
        type,
        loc: at(6),
        ...timing,
        delayBeforeRetryS: 3,
        connection: conn(),
        urls: [{ loc: at(7), path: '/', statusCodes: [[200, 299]] }],
        httpProtocol: '1.0',
        enableSni: false,
        fastRecovery: false,
      } satisfies Checker);
    }
  });
  it('MISC_CHECK: retry 0, timeout = delay loop, no connection', () => {
    const { r, ch } = check('    MISC_CHECK {\n      misc_path /usr/local/bin/chk\n    }');
    expect(r.diags.filter((d) => d.severity !== 'security')).toEqual([]);
    expect(ch).toEqual({
      type: 'MISC_CHECK',
      loc: at(6),
      ...timing,
      retry: 0,
      script: { cmd: '/usr/local/bin/chk', argv: ['/usr/local/bin/chk'], loc: at(7) },
      timeoutS: 60,
      dynamic: false,
    } satisfies Checker);
  });
  it("SMTP_CHECK: helo smtpchecker.keepalived.org, the real server's port", () => {
    const { r, ch } = check('    SMTP_CHECK {\n    }');
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({ type: 'SMTP_CHECK', loc: at(6), ...timing, connection: conn(), heloName: 'smtpchecker.keepalived.org' } satisfies Checker);
  });
  it('DNS_CHECK: SOA for the root, retry 3, delay_before_retry = delay loop', () => {
    const { r, ch } = check('    DNS_CHECK {\n    }');
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({
      type: 'DNS_CHECK',
      loc: at(6),
      ...timing,
      retry: 3,
      delayBeforeRetryS: 60,
      connection: conn(),
      dnsType: 'SOA',
      name: '',
    } satisfies Checker);
  });
  it('UDP_CHECK: empty datagram, no reply needed, reply length 0-255', () => {
    const { r, ch } = check('    UDP_CHECK {\n    }');
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({
      type: 'UDP_CHECK',
      loc: at(6),
      ...timing,
      connection: conn(),
      requireReply: false,
      minReplyLength: 0,
      maxReplyLength: 255,
    } satisfies Checker);
  });
  it("FILE_CHECK: the track_file's own weight and reverse unless given", () => {
    const pre = 'track_file tf {\n  file /run/tf\n  weight -3 reverse\n}\n';
    const { r, ch } = check('    FILE_CHECK {\n      track_file tf\n    }', pre);
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({ type: 'FILE_CHECK', loc: at(10), trackFile: 'tf', weight: -3, reverse: true } satisfies Checker);
    expect(check('    FILE_CHECK {\n      track_file tf\n      weight 5\n    }', pre).ch).toMatchObject({ weight: 5, reverse: false });
  });
  it('BFD_CHECK: name and alpha only', () => {
    const pre = 'bfd_instance b1 {\n  neighbor_ip 203.0.113.11\n}\n';
    const { r, ch } = check('    BFD_CHECK {\n      name b1\n    }', pre);
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({ type: 'BFD_CHECK', loc: at(9), name: 'b1', alpha: false } satisfies Checker);
  });
  it('empty blocks parse: `TCP_CHECK {}` on one line', () => {
    expect(check('    TCP_CHECK {}').ch).toMatchObject({ type: 'TCP_CHECK', retry: 1 });
  });
});

describe('checker inheritance and common keywords', () => {
  it('unset values come from the real server (and through it from the virtual server)', () => {
    const r = load(
      vs(
        STD +
          '  delay_loop 10\n  retry 4\n  alpha\n' +
          rs('    warmup 2\n    delay_before_retry 0.5\n    connect_timeout 1.5\n    HTTP_GET {\n      url {\n        path /\n      }\n    }'),
      ),
    );
    expect(r.lvs.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({
      retry: 4,
      delayLoopS: 10,
      warmupS: 2,
      delayBeforeRetryS: 0.5,
      alpha: true,
      connection: { connectTimeoutS: 1.5 },
    });
  });
  it('every connection and scheduling keyword of a network checker', () => {
    const { r, ch } = check(
      '    TCP_CHECK {\n      connect_ip 203.0.113.12\n      connect_port 8080\n      bindto 192.0.2.5\n      bind_port 4000\n      bind_if eth0\n      connect_timeout 3\n      fwmark 5\n      retry 0\n      delay_before_retry 2\n      warmup 5\n      delay_loop 10\n      alpha\n      log_all_failures\n    }',
    );
    expect(r.diags).toEqual([]);
    expect(ch).toEqual({
      type: 'TCP_CHECK',
      loc: at(6),
      alpha: true,
      retry: 0,
      delayBeforeRetryS: 2,
      warmupS: 5,
      delayLoopS: 10,
      logAllFailures: true,
      connection: {
        connectIp: '203.0.113.12',
        family: 'inet',
        connectPort: 8080,
        bindTo: '192.0.2.5',
        bindPort: 4000,
        bindIf: 'eth0',
        connectTimeoutS: 3,
        fwmark: 5,
      },
    } satisfies Checker);
  });
  it('connection errors', () => {
    const cases: Array<[string, RegExp]> = [
      ['connect_ip 203.0.113.300', /^invalid connect_ip address '203\.0\.113\.300' - ignoring/],
      ['bindto 2001:db8::1', /^bindto address 2001:db8::1 does not match the address family of connect_ip \(inet\) - skipping$/],
      ['connect_port 0', /^invalid checker connect_port '0' - ignoring: number '0' outside range \[1, 65535\]/],
      ['bind_port 65536', /^invalid checker bind_port '65536' - ignoring/],
      ['bind_if abcdefghijklmnopq', /^interface name abcdefghijklmnopq is too long - ignoring/],
      ['connect_timeout 0', /^connect_timeout '0' invalid - ignoring/],
      ['fwmark -1', /^invalid fwmark connection value '-1' - ignoring: negative number/],
      ['retry -1', /^invalid retry connection value '-1' - ignoring/],
      ['delay_loop 0', /^delay_loop '0' is invalid - ignoring/],
      ['warmup x', /^invalid warmup connection value 'x' - ignoring/],
      ['delay_before_retry -2', /^invalid delay_before_retry connection value '-2' - ignoring/],
      ['alpha maybe', /^invalid alpha parameter 'maybe' - ignoring/],
      ['log_all_failures 1', /^invalid log_all_failures parameter '1' - ignoring/],
    ];
    for (const [line, re] of cases) {
      const { r, ch } = check(`    TCP_CHECK {\n      ${line}\n    }`);
      expect(one(r, re), line).toEqual({ severity: 'error', line: 7 });
      expect(ch, line).toMatchObject({ connection: conn(), retry: 1, delayLoopS: 60 });
    }
  });
  it('bindto then a connect_ip of the other family: the connect_ip is skipped', () => {
    const { r, ch } = check('    TCP_CHECK {\n      bindto 192.0.2.5\n      connect_ip 2001:db8::5\n    }');
    expect(one(r, /^connect_ip address 2001:db8::5 does not match the address family of bindto - skipping$/)).toEqual({ severity: 'error', line: 8 });
    expect(ch).toMatchObject({ connection: { connectIp: '203.0.113.11', bindTo: '192.0.2.5' } });
  });
  it('a link-local IPv6 destination needs bind_if, else the checker is dropped', () => {
    const bad = check('    TCP_CHECK {\n      connect_ip fe80::1\n    }');
    expect(bad.checkers).toEqual([]);
    expect(one(bad.r, /^checker link local address fe80::1 requires a bind_if - ignoring the checker$/)).toEqual({ severity: 'error', line: 6 });
    expect(check('    TCP_CHECK {\n      connect_ip fe80::1\n      bind_if eth0\n    }').ch).toMatchObject({
      connection: { connectIp: 'fe80::1', family: 'inet6', bindIf: 'eth0' },
    });
  });
  it('keyword sets: nb_get_retry and weight are unknown in TCP_CHECK; connect_ip in MISC_CHECK; retry in FILE_CHECK and BFD_CHECK', () => {
    expect(one(check('    TCP_CHECK {\n      nb_get_retry 3\n    }').r, /^unknown keyword 'nb_get_retry'$/).line).toBe(7);
    expect(one(check('    TCP_CHECK {\n      weight 3\n    }').r, /^unknown keyword 'weight'$/).line).toBe(7);
    expect(one(check('    MISC_CHECK {\n      misc_path /bin/true\n      connect_ip 1.2.3.4\n    }').r, /^unknown keyword 'connect_ip'$/).line).toBe(8);
    expect(
      one(check('    FILE_CHECK {\n      track_file tf\n      retry 3\n    }', 'track_file tf {\n  file /run/tf\n}\n').r, /^unknown keyword 'retry'$/).line,
    ).toBe(11);
    expect(
      one(check('    BFD_CHECK {\n      name b1\n      retry 2\n    }', 'bfd_instance b1 {\n  neighbor_ip 203.0.113.11\n}\n').r, /^unknown keyword 'retry'$/)
        .line,
    ).toBe(11);
    expect(one(check('    FOO_CHECK {\n    }').r, /^unknown keyword 'FOO_CHECK'$/).line).toBe(6);
  });
});

describe('HTTP_GET / SSL_GET', () => {
  it('urls with digest, status codes (ranges and lists), virtualhost, regex; checker options', () => {
    const { r, ch } = check(
      '    SSL_GET {\n      url {\n        path /health\n        digest 9B3A0C85A887A256D6939DA88AABD8CD\n        status_code 200-204 301 302\n        virtualhost www.example.com\n' +
        '        regex "ok|up"\n        regex_no_match\n        regex_options caseless multiline\n        regex_min_offset 2\n        regex_max_offset 100\n        regex_stack 1000 2000\n      }\n' +
        '      virtualhost a.example.com\n      http_protocol 1.0c\n      enable_sni\n      fast_recovery off\n      connect_port 443\n    }',
    );
    // Of the PCRE2 options only caseless is acted on; multiline is said at its line.
    expect(r.diags).toEqual([
      { severity: 'info', line: 14, message: 'regex_options multiline is not acted on by tskeepalived: the regex is matched as JavaScript matches it' },
    ]);
    expect(r.reports.map((d) => d.message.split(' ')[0])).toEqual(['regex_stack']);
    expect(ch).toMatchObject({
      type: 'SSL_GET',
      virtualhost: 'a.example.com',
      httpProtocol: '1.0C',
      enableSni: true,
      fastRecovery: false,
      connection: { connectPort: 443 },
      urls: [
        {
          path: '/health',
          digest: '9b3a0c85a887a256d6939da88aabd8cd',
          statusCodes: [
            [200, 204],
            [301, 302],
          ],
          virtualhost: 'www.example.com',
          regex: { pattern: 'ok|up', options: ['caseless', 'multiline'], noMatch: true, minOffset: 2, maxOffset: 100, stack: { start: 1000, max: 2000 } },
        },
      ],
    });
  });
  it('nb_get_retry is a deprecated alias of retry', () => {
    const { r, ch } = check('    HTTP_GET {\n      url {\n        path /\n      }\n      nb_get_retry 3\n    }');
    expect(r.diags).toEqual([{ severity: 'warning', line: 10, message: "nb_get_retry is deprecated - please use 'retry'" }]);
    expect(ch).toMatchObject({ retry: 3 });
  });
  it('no url, or a url without path, drops them', () => {
    const none = check('    HTTP_GET {\n    }');
    expect(none.checkers).toEqual([]);
    expect(one(none.r, /^HTTP_GET checker has no urls specified - ignoring the checker/)).toEqual({ severity: 'error', line: 6 });
    const nopath = check('    SSL_GET {\n      url {\n        status_code 200\n      }\n    }');
    expect(one(nopath.r, /^SSL_GET checker url has no path - ignoring the url$/)).toEqual({ severity: 'error', line: 7 });
    expect(nopath.checkers).toEqual([]);
    expect(check('    HTTP_GET {\n      url {\n        path\n      }\n    }').r.exitCode).toBe(2);
  });
  it('digest, status_code, http_protocol and virtualhost errors', () => {
    const url = (l: string) => check(`    HTTP_GET {\n      url {\n        path /\n        ${l}\n      }\n    }`);
    expect(one(url('digest 00').r, /^digest '00' character length should be 32 rather than 2/)).toEqual({ severity: 'error', line: 9 });
    expect(one(url('digest 9B3A0C85A887A256D6939DA88AABD8CZ').r, /^unable to interpret hex digit in digest '.*' at offset 30\/31/)).toEqual({
      severity: 'error',
      line: 9,
    });
    expect(url('virtualhost').r.diags.map((d) => d.message)).toEqual(['missing HTTP_GET url virtualhost name']);
    const st = url('status_code 2xx 600 300-200 99 204');
    expect(st.r.diags.map((d) => d.message)).toEqual(
      [
        "invalid HTTP_GET status code '2xx'",
        "invalid HTTP_GET status code '600'",
        "invalid HTTP_GET status code '300-200'",
        "invalid HTTP_GET status code '99'",
      ].map((m) => `${m} - ignoring: expected a code 100-599 or a range such as 200-299`),
    );
    expect(st.ch).toMatchObject({ urls: [{ statusCodes: [[204, 204]] }] });
    const dup = check(
      '    HTTP_GET {\n      url {\n        path /\n        digest 9B3A0C85A887A256D6939DA88AABD8CD\n        digest 9B3A0C85A887A256D6939DA88AABD8CD\n      }\n    }',
    );
    expect(one(dup.r, /^digest '9B3A0C85A887A256D6939DA88AABD8CD' is a duplicate/)).toEqual({ severity: 'error', line: 10 });
    const p = check('    HTTP_GET {\n      url {\n        path /\n      }\n      http_protocol 2.0\n      enable_sni maybe\n    }');
    expect(one(p.r, /^invalid http_protocol version '2\.0' - ignoring: expected 1\.0, 1\.0C or 1\.1$/)).toEqual({ severity: 'error', line: 10 });
    expect(one(p.r, /^invalid enable_sni parameter 'maybe'/)).toEqual({ severity: 'error', line: 11 });
  });
  it('regex settings keepalived only logs about', () => {
    const url = (l: string) => check(`    HTTP_GET {\n      url {\n        path /\n        ${l}\n      }\n    }`);
    const noRegex = url('regex_no_match');
    expect(one(noRegex.r, /^regex parameters specified without regex - ignoring them$/)).toEqual({ severity: 'info', line: 7 });
    expect(noRegex.r.exitCode).toBe(0);
    const mm = check('    HTTP_GET {\n      url {\n        path /\n        regex x\n        regex_min_offset 20\n        regex_max_offset 10\n      }\n    }');
    expect(one(mm.r, /^regex min offset 20 > regex_max_offset 10 - ignoring both$/).severity).toBe('info');
    expect(mm.ch).toMatchObject({ urls: [{ regex: { pattern: 'x' } }] });
    expect(one(url('regex_stack 1000').r, /^regex_stack requires start and max values/).severity).toBe('info');
    expect(one(url('regex_options bogus').r, /^unknown regex option 'bogus'/).severity).toBe('info');
  });
});

describe('MISC_CHECK', () => {
  it('misc_path (quoted command line), misc_timeout, misc_dynamic, user before or after misc_path', () => {
    const { r, ch } = check(
      '    MISC_CHECK {\n      user nobody nogroup\n      misc_path "/usr/local/bin/check.sh 203.0.113.11 \'a b\'"\n      misc_timeout 5\n      misc_dynamic\n      retry 2\n    }',
    );
    expect(r.diags.filter((d) => d.severity !== 'security')).toEqual([]);
    expect(ch).toMatchObject({
      type: 'MISC_CHECK',
      timeoutS: 5,
      dynamic: true,
      retry: 2,
      script: { argv: ['/usr/local/bin/check.sh', '203.0.113.11', 'a b'], user: 'nobody', group: 'nogroup' },
    });
  });
  it('words after an unquoted misc_path are ignored, as keepalived', () => {
    const { r, ch } = check('    MISC_CHECK {\n      misc_path /bin/check arg1\n    }');
    expect(ch).toMatchObject({ script: { argv: ['/bin/check'] } });
    expect(one(r, /^misc_path words after '\/bin\/check' are ignored/).severity).toBe('info');
  });
  it('MISC_CHECK {} without misc_path is an error and the checker is dropped', () => {
    for (const block of ['    MISC_CHECK {}', '    MISC_CHECK {\n    }', '    MISC_CHECK {\n      misc_path\n    }']) {
      const { r, checkers } = check(block);
      expect(checkers, block).toEqual([]);
      expect(one(r, /^no script path has been specified for MISC_CHECK - skipping the checker/), block).toEqual({ severity: 'error', line: 6 });
    }
  });
  it('user missing or unknown; misc_timeout out of range', () => {
    expect(one(check('    MISC_CHECK {\n      misc_path /bin/true\n      user\n    }').r, /^no user specified for misc checker script \/bin\/true/)).toEqual({
      severity: 'error',
      line: 8,
    });
    const bad = check('    MISC_CHECK {\n      misc_path /bin/true\n      user nosuchuser\n    }', '', { userExists: (u) => u !== 'nosuchuser' });
    expect(bad.checkers).toEqual([]);
    expect(one(bad.r, /^failed to set uid\/gid for misc checker script \/bin\/true: script user 'nosuchuser' does not exist - removing the checker$/)).toEqual({
      severity: 'error',
      line: 6,
    });
    expect(
      one(
        check('    MISC_CHECK {\n      misc_path /bin/true\n      misc_timeout 5000\n    }').r,
        /^invalid misc_timeout value '5000' - ignoring: number '5000' outside range \[0, 4294\]/,
      ),
    ).toEqual({ severity: 'error', line: 8 });
  });
  it('is registered as a check script (script security), and disabled when not found', () => {
    const run = check('    MISC_CHECK {\n      misc_path /usr/local/bin/chk\n    }');
    expect(run.r.exitCode).toBe(6);
    const missing = check('    MISC_CHECK {\n      misc_path /nonexistent/chk\n    }', '', {
      findScript: () => ({ status: 'notfound', reason: 'no such file' }),
    });
    expect(missing.checkers).toEqual([]);
    expect(one(missing.r, /disabling check script \/nonexistent\/chk/).severity).toBe('info');
    expect(missing.r.exitCode).toBe(0);
  });
});

describe('SMTP_CHECK', () => {
  it('helo_name and options; each deprecated host block becomes a checker of its own', () => {
    const { r, checkers } = check(
      '    SMTP_CHECK {\n      helo_name mx.example.com\n      retry 2\n      host {\n        connect_ip 203.0.113.20\n        connect_port 587\n      }\n      host {\n        connect_ip 203.0.113.21\n      }\n    }',
    );
    expect(one(r, /^the SMTP_CHECK host block is deprecated/)).toEqual({ severity: 'info', line: 6 });
    expect(checkers).toHaveLength(2);
    expect(checkers.map((c) => (c.type === 'SMTP_CHECK' ? [c.heloName, c.retry, c.connection.connectIp, c.connection.connectPort] : []))).toEqual([
      ['mx.example.com', 2, '203.0.113.20', 587],
      ['mx.example.com', 2, '203.0.113.21', 80],
    ]);
  });
  it('with connection keywords of its own, the checker itself is kept besides its hosts', () => {
    const { checkers } = check('    SMTP_CHECK {\n      connect_port 25\n      host {\n        connect_ip 203.0.113.20\n      }\n    }');
    expect(checkers.map((c) => (c.type === 'SMTP_CHECK' ? `${c.connection.connectIp}:${c.connection.connectPort}` : ''))).toEqual([
      '203.0.113.11:25',
      '203.0.113.20:80',
    ]);
  });
  it('helo_name missing; link-local host without bind_if', () => {
    expect(one(check('    SMTP_CHECK {\n      helo_name\n    }').r, /^SMTP_CHECK helo name missing$/)).toEqual({ severity: 'error', line: 7 });
    const h = check('    SMTP_CHECK {\n      host {\n        connect_ip fe80::1\n      }\n    }');
    expect(one(h.r, /^checker link local address fe80::1 requires a bind_if/)).toEqual({ severity: 'error', line: 7 });
  });
});

describe('DNS_CHECK', () => {
  it('type (any case) and name', () => {
    expect(check('    DNS_CHECK {\n      type aaaa\n      name example.com.\n    }').ch).toMatchObject({ dnsType: 'AAAA', name: 'example.com.', retry: 3 });
    expect(check('    DNS_CHECK {\n      name .\n    }').r.diags).toEqual([]);
  });
  it("unknown type, empty labels (including keepalived's one-character first label), a second name", () => {
    expect(
      one(
        check('    DNS_CHECK {\n      type BOGUS\n    }').r,
        /^unknown DNS check type 'BOGUS' - ignoring: expected one of A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY$/,
      ),
    ).toEqual({ severity: 'error', line: 7 });
    for (const n of ['example..com', '.com', 'a.example.com']) {
      const { r, ch } = check(`    DNS_CHECK {\n      name ${n}\n    }`);
      expect(one(r, new RegExp(`^DNS_CHECK name '${n.replace(/\./g, '\\.')}' has an empty label - ignoring`)), n).toEqual({ severity: 'error', line: 7 });
      expect(ch).toMatchObject({ name: '' });
    }
    expect(one(check('    DNS_CHECK {\n      name example.com\n      name example.org\n    }').r, /^DNS_CHECK name already specified - ignoring$/)).toEqual({
      severity: 'error',
      line: 8,
    });
  });
});

describe('UDP_CHECK', () => {
  it('payload and reply pattern in hex (x = any nibble), reply lengths', () => {
    const { r, ch } = check('    UDP_CHECK {\n      payload 01 02 ab c\n      require_reply 01 XX\n      min_reply_length 2\n      max_reply_length 10\n    }');
    expect(r.diags).toEqual([]);
    expect(ch).toMatchObject({ payload: '0102ab0c', requireReply: true, replyPattern: '01xx', minReplyLength: 2, maxReplyLength: 10 });
    expect(check('    UDP_CHECK {\n      require_reply\n    }').ch).toMatchObject({ requireReply: true });
  });
  it('errors: bad hex, missing payload, lengths', () => {
    expect(one(check('    UDP_CHECK {\n      payload zz\n    }').r, /^invalid hex string for UDP_CHECK payload 'zz'/)).toEqual({ severity: 'error', line: 7 });
    expect(one(check('    UDP_CHECK {\n      payload 0x\n    }').r, /^invalid hex string for UDP_CHECK payload '0x'/)).toEqual({ severity: 'error', line: 7 });
    expect(one(check('    UDP_CHECK {\n      payload\n    }').r, /^UDP_CHECK payload requires a payload/)).toEqual({ severity: 'error', line: 7 });
    expect(one(check('    UDP_CHECK {\n      max_reply_length 70000\n    }').r, /^UDP_CHECK max length '70000' not valid - must be between 0 & 65535/)).toEqual(
      { severity: 'error', line: 7 },
    );
    const mm = check('    UDP_CHECK {\n      min_reply_length 300\n    }');
    expect(one(mm.r, /^UDP_CHECK min_reply_length 300 > max_reply_length 255 - the check will always fail$/)).toEqual({ severity: 'error', line: 6 });
    expect(mm.checkers).toHaveLength(1);
  });
});

describe('FILE_CHECK and BFD_CHECK', () => {
  const tf = 'track_file tf {\n  file /run/tf\n}\n';
  it('FILE_CHECK: unknown track_file, none, bad weight', () => {
    const nf = check('    FILE_CHECK {\n      track_file nope\n    }');
    expect(one(nf.r, /^track_file nope not found - ignoring/)).toEqual({ severity: 'error', line: 7 });
    expect(one(nf.r, /^FILE_CHECK has no track_file specified - ignoring the checker$/)).toEqual({ severity: 'error', line: 6 });
    expect(nf.checkers).toEqual([]);
    expect(
      one(check('    FILE_CHECK {\n      track_file tf\n      weight 5 sideways\n    }', tf).r, /^unknown track file weight option 'sideways' - ignoring/),
    ).toEqual({ severity: 'error', line: 11 });
    expect(one(check('    FILE_CHECK {\n      track_file tf\n      weight\n    }', tf).r, /^track file weight missing$/)).toEqual({
      severity: 'error',
      line: 11,
    });
    expect(
      one(
        check('    FILE_CHECK {\n      track_file tf\n      weight 2147483648\n    }', tf).r,
        /^weight for track file must be in \[-2147483647\.\.2147483647\]/,
      ),
    ).toEqual({ severity: 'error', line: 11 });
  });
  it('BFD_CHECK: no name, unknown, two names, twice on one real server', () => {
    const b = 'bfd_instance b1 {\n  neighbor_ip 203.0.113.11\n}\n';
    expect(one(check('    BFD_CHECK {\n    }').r, /^no name has been specified for BFD_CHECK - skipping the checker/)).toEqual({ severity: 'error', line: 6 });
    expect(one(check('    BFD_CHECK {\n      name nope\n    }').r, /BFD_CHECK - BFD nope not configured - skipping the checker$/)).toEqual({
      severity: 'error',
      line: 7,
    });
    const two = check('    BFD_CHECK {\n      name b1 b2\n      alpha\n    }', b);
    expect(one(two.r, /BFD_CHECK - no or too many names specified - skipping the checker$/)).toEqual({ severity: 'error', line: 10 });
    expect(two.checkers).toEqual([]);
    const twice = check('    BFD_CHECK {\n      name b1\n    }\n    BFD_CHECK {\n      name b1\n    }', b);
    expect(one(twice.r, /BFD_CHECK - RS already monitoring b1 - skipping the checker$/)).toEqual({ severity: 'error', line: 13 });
    expect(twice.checkers).toHaveLength(1);
  });
  it("BFD_CHECK knows a bfd_instance the BFD process disables (keepalived's checker process reads only its name)", () => {
    const { r, ch } = check('    BFD_CHECK {\n      name b1\n    }', 'bfd_instance b1 {\n}\n');
    expect(one(r, /BFD instance b1 has no neighbor address set/).severity).toBe('error');
    expect(ch).toMatchObject({ type: 'BFD_CHECK', name: 'b1' });
  });
});
