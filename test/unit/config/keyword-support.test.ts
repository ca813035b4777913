/**
 * The support table (src/config/keywords/support.ts) covers exactly the keywords the tables accept, and a
 * keyword that is not acted on is reported at every use, with its file:line.
 */
import { describe, expect, it } from 'vitest';
import { rootKeywords } from '../../../src/config/keywords/index.js';
import { keywordSupport } from '../../../src/config/keywords/support.js';
import { NOT_ACTED_ON } from '../../../src/config/diagnostics.js';
import { block, value, type Schema } from '../../../src/config/schema.js';
import { keywordPaths } from '../../../src/config/walk.js';
import { instance, load } from './helpers.js';

describe('keyword support table', () => {
  const paths = keywordPaths(rootKeywords());

  it('has an entry for every keyword the tables accept', () => {
    const missing = paths.filter((p) => !(p in keywordSupport));
    expect(missing, 'keywords with no entry in src/config/keywords/support*.ts').toEqual([]);
  });

  it('names no keyword that the tables do not accept', () => {
    const known = new Set(paths);
    const stale = Object.keys(keywordSupport).filter((p) => !known.has(p));
    expect(stale, 'entries naming no keyword').toEqual([]);
  });

  it('gives a reason for every keyword that is not acted on', () => {
    for (const [p, s] of Object.entries(keywordSupport)) if (s.state !== 'acted') expect(s.why.length, p).toBeGreaterThan(10);
  });

  it('walks recursive and late-bound tables once per path', () => {
    const inner: Schema = {};
    const late = (): Schema => inner;
    inner['leaf'] = value(() => undefined);
    inner['again'] = block(late, () => ({}));
    const root: Schema = { top: block(late, () => ({})), plain: block({ x: value(() => undefined) }, () => ({})) };
    expect(keywordPaths(root)).toEqual(['top', 'top.leaf', 'top.again', 'plain', 'plain.x']);
  });
});

describe('reports of keywords not acted on', () => {
  it('says each use at its line, once, and leaves the exit code alone', () => {
    const r = load(`global_defs {\n  router_id A\n  nftables_counters\n  nftables_counters\n}\n${instance('  smtp_alert\n  use_vmac_addr')}`);
    const infos = r.reports;
    expect(infos.map((d) => [d.line, d.message.split(' ')[0]])).toEqual([
      [3, 'nftables_counters'],
      [4, 'nftables_counters'],
      [10, 'use_vmac_addr'],
    ]);
    expect(infos.every((d) => d.severity === 'info')).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('says nothing for keywords that are acted on', () => {
    const r = load(`global_defs {\n  vrrp_garp_master_delay 3\n}\n${instance('  priority 150')}`);
    expect([...r.diags, ...r.reports]).toEqual([]);
  });

  it('track scripts run as their user or script_user: nothing is reported', () => {
    const r = load(
      'global_defs {\n  script_user nobody\n  enable_script_security\n}\nvrrp_script chk {\n  script "/bin/true"\n  user nobody\n}\n' +
        instance('  track_script {\n    chk\n  }'),
    );
    expect(r.reports).toEqual([]);
    expect(r.diags.filter((d) => d.message.includes(NOT_ACTED_ON))).toEqual([]);
  });

  it('conditional keywords are reported by the validator only in their case', () => {
    const v6 = load('vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 51\n  use_vmac\n  virtual_ipaddress {\n    fe80::10\n  }\n}\n');
    expect(v6.diags.filter((d) => d.message.includes(NOT_ACTED_ON))).toEqual([]);
    expect(load(instance('  use_vmac')).diags.filter((d) => d.message.includes(NOT_ACTED_ON))).toEqual([]);
    // garp_extra_if: the global keyword is reported by the walker, an instance's own value above 0 by the validator.
    const extra = load(`global_defs {\n  vrrp_garp_extra_if 10\n}\n${instance('  garp_extra_if 0')}${instance('  garp_extra_if 5', 'VI_2')}`);
    expect(extra.reports.map((d) => d.line)).toEqual([2]);
    expect(extra.diags.filter((d) => d.message.includes(NOT_ACTED_ON)).map((d) => [d.line, d.message.split(' ').slice(0, 2).join(' ')])).toEqual([
      [15, '(VI_2) garp_extra_if'],
    ]);
  });

  it('reports a block that is not acted on on its own line only', () => {
    const r = load('bfd_instance B1 {\n  neighbor_ip 192.0.2.9\n  min_rx 20\n}\n');
    const infos = r.reports;
    expect(infos).toEqual([{ severity: 'info', line: 1, message: `bfd_instance ${NOT_ACTED_ON}: BFD is not built` }]);
  });
});

describe('keywords of keepalived releases after 2.2.7', () => {
  it('are read, warned about (exit 5, as keepalived 2.2.7 gives) and reported as not acted on', () => {
    const r = load(
      'global_defs {\n  json_version 2\n  vrrp_delay_after_boot 15.23\n}\n' +
        instance(
          '  no_virtual_ipaddress\n  timer_expired_backup 200\n  auth_hmac {\n    key 1 hex:' +
            '0a'.repeat(32) +
            '\n    active_key 1\n    anti_replay monotonic\n    time_window 5\n    mode receive-only\n  }',
        ),
    );
    expect(r.diags).toEqual([]);
    expect(r.reports.map((d) => [d.line, d.severity, d.message.split(' ')[0]])).toEqual([
      [2, 'warning', "'json_version'"],
      [2, 'info', 'json_version'],
      [3, 'warning', "'vrrp_delay_after_boot'"],
      [3, 'info', 'vrrp_delay_after_boot'],
      [8, 'warning', "'no_virtual_ipaddress'"],
      [8, 'info', 'no_virtual_ipaddress'],
      [9, 'warning', "'timer_expired_backup'"],
      [9, 'info', 'timer_expired_backup'],
      [10, 'warning', "'auth_hmac'"],
      [10, 'info', 'auth_hmac'],
    ]);
    expect(r.reports[0]!.message).toBe("'json_version' is a keyword of keepalived 2.2.8, not of 2.2.7, whose -t warns 'Unknown keyword'");
    expect(r.exitCode).toBe(5);
  });

  it('check their arguments as keepalived documents them', () => {
    const bad = (text: string) =>
      load(text)
        .diags.filter((d) => d.severity === 'error')
        .map((d) => d.message);
    expect(bad('global_defs {\n  json_version 3\n  json_dump_file\n  vrrp_delay_after_boot soon\n  use_symlink_paths maybe\n}\n')).toEqual([
      "invalid JSON version '3': expected 1 or 2",
      'json_dump_file requires a non-empty path',
      "vrrp_delay_after_boot 'soon' is invalid: expected seconds from 0.001",
      "invalid value 'maybe' for global use_symlink_paths specified: expected true|false|on|off|yes|no",
    ]);
    expect(
      bad(
        instance(
          '  timer_expired_backup 255\n  owner_ignore_adverts perhaps\n  auth_hmac {\n    key 1 short\n    key 0 x\n    active_key 256\n    time_window 301\n    anti_replay never\n    mode strict\n  }',
        ),
      ),
    ).toEqual([
      '(VI_1) timer_expired_backup highest_other_priority not valid! must be between 1 & 254',
      '(VI_1) invalid owner_ignore_adverts perhaps specified: expected true|false|on|off|yes|no',
      '(VI_1) auth_hmac key 1 length 5 not in range [32, 64]',
      "(VI_1) auth_hmac key id '0' must be between 1 and 255",
      "(VI_1) auth_hmac active_key '256' must be between 1 and 255",
      "(VI_1) auth_hmac time_window '301' must be between 1 and 300 seconds",
      "(VI_1) auth_hmac anti_replay 'never' must be time or monotonic",
      "(VI_1) auth_hmac mode 'strict' must be enforce, permissive or receive-only",
    ]);
    const key = 'k'.repeat(32);
    expect(bad(instance(`  auth_hmac {\n    key 7 ${key}\n    key 7 file:/etc/keepalived/k7\n  }`))).toEqual(['(VI_1) duplicate auth_hmac key id 7']);
  });

  it('SSL_GET takes tls_compliant (also in its urls, not acted on) and sni_name (acted on); HTTP_GET only sni_name', () => {
    const http = (type: string, extra: string) =>
      load(
        `virtual_server 192.0.2.1 443 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 203.0.113.11 443 {\n    ${type} {\n      url {\n        path /\n${extra}\n      }\n      sni_name www.example.com\n    }\n  }\n}\n`,
      );
    const ssl = http('SSL_GET', '        tls_compliant');
    expect(ssl.diags).toEqual([]);
    expect(ssl.reports.map((d) => [d.line, d.severity, d.message.split(' ')[0]])).toEqual([
      [9, 'warning', "'tls_compliant'"],
      [9, 'info', 'tls_compliant'],
      [11, 'warning', "'sni_name'"],
    ]);
    // sni_name is acted on: SNI on, with its name.
    expect(ssl.lvs.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({ enableSni: true, sniName: 'www.example.com' });
    expect(http('HTTP_GET', '        tls_compliant').diags.map((d) => d.message)).toEqual(["unknown keyword 'tls_compliant'"]);
  });
});
