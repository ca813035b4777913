import { describe, expect, it } from 'vitest';
import { expandVsgEntry } from '../../../src/config/model/lvs.js';
import { find, load } from './vrrp-helpers.js';

const vs = (body: string, head = '192.0.2.1 80') => `virtual_server ${head} {\n${body}\n}\n`;
const rs = (body = '', head = '203.0.113.11 80') => `  real_server ${head} {\n${body}\n  }`;

describe('virtual_server defaults', () => {
  it('resolves a minimal virtual server to keepalived defaults, with the three warnings', () => {
    const r = load(vs(rs('    TCP_CHECK {\n    }')));
    expect(r.exitCode).toBe(5);
    const v = r.config.lvs.virtualServers[0]!;
    expect(v).toMatchObject({
      kind: 'ip', address: '192.0.2.1', port: 80, family: 'inet', protocol: 'UDP', scheduler: 'wlc', forwarding: { method: 'NAT' },
      delayLoopS: 60, connectTimeoutS: 5, quorum: 1, hysteresis: 0, weight: 1, haSuspend: false, alpha: false, omega: false,
      inhibitOnFailure: false, smtpAlert: false,
    });
    expect(v.realServers[0]).toMatchObject({ address: '203.0.113.11', port: 80, weight: 1, forwarding: { method: 'NAT' }, inhibitOnFailure: false, smtpAlert: true, delayLoopS: 60, connectTimeoutS: 5 });
    expect(v.realServers[0]!.checkers[0]).toMatchObject({ type: 'TCP_CHECK', retry: 1, delayBeforeRetryS: 1, delayLoopS: 60, warmupS: 60, connectTimeoutS: 5, connectIp: '203.0.113.11', connectPort: 80 });
    expect(find(r, /no protocol set - defaulting to UDP/)[0]!.line).toBe(1);
    expect(find(r, /no scheduler set, setting default 'wlc'/)).toHaveLength(1);
    expect(find(r, /no forwarding method set, setting default NAT/)).toHaveLength(1);
  });
  it('is clean when protocol, scheduler and method are given; lb_algo/lb_kind are synonyms of lvs_sched/lvs_method', () => {
    for (const [a, k] of [['lb_algo', 'lb_kind'], ['lvs_sched', 'lvs_method']]) {
      const r = load(vs(`  ${a} wrr\n  ${k} DR\n  protocol TCP\n` + rs('    weight 3')));
      expect(r.diags).toEqual([]);
      expect(r.config.lvs.virtualServers[0]).toMatchObject({ scheduler: 'wrr', forwarding: { method: 'DR' }, protocol: 'TCP' });
      expect(r.config.lvs.virtualServers[0]!.realServers[0]!.weight).toBe(3);
    }
  });
  it('drops a virtual server with no real servers', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP'));
    expect(r.config.lvs.virtualServers).toEqual([]);
    expect(find(r, /has no real servers - ignoring/)[0]!.line).toBe(1);
  });
  it('takes fwmark and group forms, and warns about a protocol on a fwmark service', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n' + rs('', '203.0.113.11'), 'fwmark 7'));
    expect(r.config.lvs.virtualServers[0]).toMatchObject({ kind: 'fwmark', fwmark: 7 });
    expect(r.config.lvs.virtualServers[0]!.protocol).toBeUndefined();
    expect(find(r, /protocol specified for fwmark - protocol will be ignored/)).toHaveLength(1);
  });
  it('reports a group that does not exist', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs(), 'group NOPE'));
    expect(find(r, /virtual server group NOPE does not exist/)).toHaveLength(1);
  });
  it('persistence: a bare persistence_timeout means 360 s, granularity implies persistence', () => {
    let r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  persistence_timeout\n' + rs()));
    expect(r.config.lvs.virtualServers[0]!.persistenceTimeoutS).toBe(360);
    r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  persistence_granularity 255.255.255.0\n' + rs()));
    expect(r.config.lvs.virtualServers[0]).toMatchObject({ persistenceTimeoutS: 360, persistenceGranularity: '255.255.255.0' });
    r = load(vs('  persistence_timeout 0\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs()));
    expect(find(r, /persistence_timeout invalid/)[0]!.line).toBe(2);
  });
  it('rejects unknown schedulers and lower-case or fork routing methods', () => {
    const r = load(vs('  lb_algo fastest\n  lb_kind dr\n  protocol TCP\n' + rs()));
    expect(find(r, /invalid lvs_scheduler 'fastest'/)[0]!.line).toBe(2);
    expect(find(r, /unknown \[dr\] routing method/)[0]!.line).toBe(3);
    expect(load(vs('  lb_kind FNAT\n' + rs())).diags.some((d) => /unknown \[FNAT\] routing method/.test(d.message))).toBe(true);
  });
  it('accepts every 2.2.7 scheduler and the sh/mh flags only after their scheduler', () => {
    for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos']) {
      expect(load(vs(`  lb_algo ${s}\n  lb_kind NAT\n  protocol TCP\n` + rs())).exitCode).toBe(0);
    }
    const ok = load(vs('  lb_algo sh\n  sh-port\n  sh-fallback\n  lb_kind NAT\n  protocol TCP\n' + rs()));
    expect(ok.config.lvs.virtualServers[0]!.flags).toMatchObject({ shPort: true, shFallback: true });
    expect(find(load(vs('  lb_algo rr\n  mh-port\n  lb_kind NAT\n  protocol TCP\n' + rs())), /mh-port only applies to the mh scheduler/)).toHaveLength(1);
  });
  it('TUN with tunnel types and their constraints', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind TUN type gue port 6080 csum\n  protocol TCP\n' + rs()));
    expect(r.config.lvs.virtualServers[0]!.forwarding).toEqual({ method: 'TUN', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' });
    expect(find(load(vs('  lb_kind TUN type gue\n' + rs())), /gue tunnels require a port/)).toHaveLength(1);
    expect(find(load(vs('  lb_kind TUN type ipip csum\n' + rs())), /ipip tunnels do not support checksum/)).toHaveLength(1);
  });
  it('caps quorum at the total weight and hysteresis below quorum', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  quorum 5\n  hysteresis 2\n' + rs('    weight 2') + '\n' + rs('    weight 1', '203.0.113.12 80')));
    const v = r.config.lvs.virtualServers[0]!;
    expect(v.quorum).toBe(3);
    expect(v.hysteresis).toBe(2);
    expect(find(r, /quorum 5 for \[192.0.2.1\]:tcp:80 exceeds total weight of real servers 3, reducing quorum to 3/)).toHaveLength(1);
  });
  it('DR/TUN real server ports follow the service port, with a warning when they differ', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n' + rs('', '203.0.113.11 8080') + '\n' + rs('', '203.0.113.12')));
    const [a, b] = r.config.lvs.virtualServers[0]!.realServers;
    expect(a!.port).toBe(80);
    expect(b!.port).toBe(80);
    expect(find(r, /ports don't match - resetting/)[0]!.line).toBe(5);
  });
  it('real servers inherit timing, inhibit and alpha from the virtual server; weight 0 is allowed', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  delay_loop 3\n  retry 4\n  delay_before_retry 2\n  connect_timeout 1.5\n  inhibit_on_failure\n  alpha\n' + rs('    weight 0\n    HTTP_GET {\n      url {\n        path /\n      }\n    }')));
    const real = r.config.lvs.virtualServers[0]!.realServers[0]!;
    expect(real).toMatchObject({ weight: 0, delayLoopS: 3, retry: 4, delayBeforeRetryS: 2, connectTimeoutS: 1.5, inhibitOnFailure: true, alpha: true });
    expect(real.checkers[0]).toMatchObject({ type: 'HTTP_GET', retry: 4, delayBeforeRetryS: 2, delayLoopS: 3, connectTimeoutS: 1.5, alpha: true });
  });
  it('removes a duplicated real server and reports it', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs() + '\n' + rs()));
    expect(r.config.lvs.virtualServers[0]!.realServers).toHaveLength(1);
    expect(find(r, /is duplicated - removing second rs/)).toHaveLength(1);
  });
  it('sorry server with inhibit and its own method', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  sorry_server 203.0.113.99 80\n  sorry_server_inhibit\n  sorry_server_lvs_method NAT\n' + rs()));
    expect(r.config.lvs.virtualServers[0]!.sorryServer).toMatchObject({ address: '203.0.113.99', port: 80, inhibit: true, forwarding: { method: 'NAT' } });
    expect(find(load(vs('  sorry_server_inhibit\n' + rs())), /sorry_server_inhibit used before or without sorry_server/)).toHaveLength(1);
  });
  it('IPv6 services, and a family mismatch between virtual and real server', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs('', '2001:db8::11 80'), '2001:db8::1 80'));
    expect(r.config.lvs.virtualServers[0]).toMatchObject({ family: 'inet6', address: '2001:db8::1' });
    const bad = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs('', '2001:db8::11 80') + '\n' + rs()));
    expect(find(bad, /address family of virtual server and real server 2001:db8::11 don't match/)).toHaveLength(1);
  });
  it('nb_get_retry is deprecated in HTTP_GET but unknown in TCP_CHECK; nat_mask and lvs_id are unknown', () => {
    const http = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs('    HTTP_GET {\n      url {\n        path /\n      }\n      nb_get_retry 3\n    }')));
    expect(find(http, /nb_get_retry is deprecated - please use 'retry'/)[0]!.line).toBe(10);
    expect(http.config.lvs.virtualServers[0]!.realServers[0]!.checkers[0]!.retry).toBe(3);
    const tcp = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  nat_mask 255.255.255.0\n' + rs('    TCP_CHECK {\n      nb_get_retry 3\n    }')));
    expect(find(tcp, /unknown keyword 'nat_mask'/)[0]!.line).toBe(5);
    expect(find(tcp, /unknown keyword 'nb_get_retry'/)[0]!.line).toBe(8);
  });
});

describe('checkers', () => {
  const one = (block: string) => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs(block)));
    return { r, ch: r.config.lvs.virtualServers[0]?.realServers[0]?.checkers[0] };
  };
  it('HTTP_GET / SSL_GET: urls with digest, status ranges, virtualhost, regex; defaults', () => {
    const { r, ch } = one('    SSL_GET {\n      url {\n        path /health\n        digest 9B3A0C85A887A256D6939DA88AABD8CD\n        status_code 200-299 301\n        virtualhost www.example.com\n        regex "ok|up"\n      }\n      http_protocol 1.1\n      enable_sni\n      connect_port 443\n    }');
    expect(r.diags).toEqual([]);
    expect(ch).toMatchObject({
      type: 'SSL_GET', httpProtocol: '1.1', enableSni: true, fastRecovery: false, retry: 1, delayBeforeRetryS: 3, connectPort: 443,
      urls: [{ path: '/health', digest: '9b3a0c85a887a256d6939da88aabd8cd', statusCodes: [[200, 299], [301, 301]], virtualhost: 'www.example.com', regex: 'ok|up' }],
    });
    expect(find(one('    HTTP_GET {\n      url {\n        digest 00\n      }\n    }').r, /digest '00' character length should be 32/)).toHaveLength(1);
    expect(find(one('    HTTP_GET {\n    }').r, /HTTP_GET checker has no urls specified/)).toHaveLength(1);
    expect(find(one('    HTTP_GET {\n      url {\n        status_code 2xx\n      }\n    }').r, /invalid HTTP_GET status code '2xx'/)).toHaveLength(1);
  });
  it('MISC_CHECK: script argv, timeout, dynamic, user; a missing misc_path is an error', () => {
    const { ch } = one('    MISC_CHECK {\n      misc_path "/usr/local/bin/check.sh 203.0.113.11 \'a b\'"\n      misc_timeout 5\n      misc_dynamic\n      user nobody nogroup\n    }');
    expect(ch).toMatchObject({ type: 'MISC_CHECK', miscTimeoutS: 5, miscDynamic: true, script: { argv: ['/usr/local/bin/check.sh', '203.0.113.11', 'a b'], user: 'nobody', group: 'nogroup' } });
    expect(find(one('    MISC_CHECK {}').r, /no script path has been specified for MISC_CHECK/)[0]!.line).toBe(6);
  });
  it('SMTP_CHECK with hosts, DNS_CHECK, PING_CHECK, UDP_CHECK', () => {
    expect(one('    SMTP_CHECK {\n      helo_name mx.example.com\n      host {\n        connect_ip 203.0.113.20\n        connect_port 587\n      }\n    }').ch).toMatchObject({ type: 'SMTP_CHECK', heloName: 'mx.example.com', connectPort: 25, hosts: [{ connectIp: '203.0.113.20', connectPort: 587 }] });
    expect(one('    DNS_CHECK {\n      type a\n      name example.com.\n    }').ch).toMatchObject({ type: 'DNS_CHECK', dnsType: 'A', name: 'example.com.', connectPort: 53, retry: 3 });
    expect(one('    PING_CHECK {\n    }').ch).toMatchObject({ type: 'PING_CHECK' });
    const u = one('    UDP_CHECK {\n      payload 01 02 ab\n      require_reply 01 XX\n      min_reply_length 2\n      max_reply_length 10\n    }').ch;
    expect(u).toMatchObject({ type: 'UDP_CHECK', payload: '0102ab', requireReply: true, replyPattern: '01xx', minReplyLength: 2, maxReplyLength: 10 });
    expect(find(one('    UDP_CHECK {\n      payload zz\n    }').r, /invalid hex string for UDP_CHECK payload/)).toHaveLength(1);
    expect(find(one('    DNS_CHECK {\n      type BOGUS\n    }').r, /unknown DNS check type BOGUS/)).toHaveLength(1);
  });
  it('FILE_CHECK needs a track_file defined earlier; BFD_CHECK a bfd_instance', () => {
    const tf = 'track_file tf1 {\n  file /run/tf1\n}\n';
    const r = load(tf + vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs('    FILE_CHECK {\n      track_file tf1\n      weight -5 reverse\n    }')));
    expect(r.config.lvs.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({ type: 'FILE_CHECK', trackFile: 'tf1', weight: -5, reverse: true });
    expect(find(one('    FILE_CHECK {\n      track_file nope\n    }').r, /track_file nope not found/)).toHaveLength(1);
    expect(find(one('    BFD_CHECK {\n      name nope\n    }').r, /BFD nope not configured/)).toHaveLength(1);
  });
  it('checker connection options and their checks', () => {
    const { ch } = one('    TCP_CHECK {\n      connect_ip 203.0.113.50\n      connect_port 8080\n      bindto 192.0.2.5\n      bind_port 5555\n      bind_if eth0\n      connect_timeout 2\n      fwmark 9\n      retry 0\n      delay_before_retry 0.5\n      warmup 4\n    }');
    expect(ch).toMatchObject({ connectIp: '203.0.113.50', connectPort: 8080, bindTo: '192.0.2.5', bindPort: 5555, bindIf: 'eth0', connectTimeoutS: 2, fwmark: 9, retry: 0, delayBeforeRetryS: 0.5, warmupS: 4 });
    expect(find(one('    TCP_CHECK {\n      connect_ip 203.0.113.50\n      bindto 2001:db8::1\n    }').r, /does not match the address family/)).toHaveLength(1);
    expect(find(one('    TCP_CHECK {\n      connect_port 70000\n    }').r, /connect_port '70000'/)[0]!.line).toBe(7);
  });
});

describe('virtual_server_group and SSL', () => {
  it('expands address ranges and keeps fwmarks', () => {
    const r = load('virtual_server_group G {\n  192.0.2.1-3 80\n  2001:db8::a-c 443\n  fwmark 5 inet\n}\n' + vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs(), 'group G'));
    const g = r.config.lvs.groups[0]!;
    expect(g.entries.map(expandVsgEntry)).toEqual([['192.0.2.1', '192.0.2.2', '192.0.2.3'], ['2001:db8::a', '2001:db8::b', '2001:db8::c'], []]);
    expect(g.entries[2]).toMatchObject({ kind: 'fwmark', fwmark: 5, family: 'inet' });
  });
  it('reports empty groups and bad ranges', () => {
    expect(find(load('virtual_server_group E {\n}\n'), /virtual server group E has no entries/)).toHaveLength(1);
    expect(find(load('virtual_server_group B {\n  192.0.2.9-3 80\n}\n'), /range end is less than/)[0]!.line).toBe(2);
  });
  it('SSL block', () => {
    const r = load('SSL {\n  password secret\n  ca /etc/ssl/ca.pem\n  certificate /etc/ssl/c.pem\n  key /etc/ssl/k.pem\n}\n');
    expect(r.config.lvs.ssl).toMatchObject({ password: 'secret', ca: '/etc/ssl/ca.pem', certificate: '/etc/ssl/c.pem', key: '/etc/ssl/k.pem' });
  });
});

describe('checker-side scripts', () => {
  it('without script security, MISC_CHECK and notify scripts are a security problem (exit 6)', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  quorum_up /bin/true\n' + rs('    MISC_CHECK {\n      misc_path /bin/true\n    }')));
    expect(r.exitCode).toBe(6);
    expect(find(r, /check scripts are being executed but script_security not enabled/)).toHaveLength(1);
  });
  it('a missing MISC_CHECK script disables the checker', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' + rs('    MISC_CHECK {\n      misc_path /nonexistent\n    }')), {
      findScript: () => ({ status: 'notfound', reason: 'no such file' }),
    });
    expect(r.config.lvs.virtualServers[0]!.realServers[0]!.checkers).toEqual([]);
  });
});
