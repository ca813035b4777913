/**
 * virtual_server: forms, keepalived 2.2.7's defaults after resolution, and every warning/error of the
 * virtual-server level with its file:line. Expected behaviour was checked against `keepalived -t`.
 */
import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/config/model/lvs.js';
import { at, load, one, vs, rs, STD } from './helpers.js';

describe('virtual_server: resolved defaults', () => {
  it('a minimal virtual server resolves to keepalived defaults, with its three warnings', () => {
    const r = load(vs(rs('    TCP_CHECK {\n    }')));
    expect(r.exitCode).toBe(5);
    expect(r.lvs.virtualServers).toEqual([
      {
        loc: at(1),
        kind: 'ip',
        address: '192.0.2.1',
        port: 80,
        family: 'inet',
        protocol: 'UDP',
        scheduler: 'wlc',
        flags: { ops: false, flag1: false, flag2: false, flag3: false, shPort: false, shFallback: false, mhPort: false, mhFallback: false },
        forwarding: { method: 'NAT' },
        persistenceTimeoutS: 0,
        haSuspend: false,
        smtpAlert: false,
        alpha: false,
        omega: false,
        quorum: 1,
        hysteresis: 0,
        weight: 1,
        delayLoopS: 60,
        connectTimeoutS: 5,
        inhibitOnFailure: false,
        realServers: [
          {
            loc: at(2),
            address: '203.0.113.11',
            family: 'inet',
            port: 80,
            weight: 1,
            forwarding: { method: 'NAT' },
            inhibitOnFailure: false,
            alpha: false,
            connectTimeoutS: 5,
            delayLoopS: 60,
            smtpAlert: true,
            checkers: [
              {
                type: 'TCP_CHECK',
                loc: at(3),
                alpha: false,
                retry: 1,
                delayBeforeRetryS: 1,
                warmupS: 60,
                delayLoopS: 60,
                logAllFailures: false,
                connection: { connectIp: '203.0.113.11', family: 'inet', connectPort: 80, bindPort: 0, connectTimeoutS: 5, fwmark: 0 },
              },
            ],
          },
        ],
      } satisfies VirtualServer,
    ]);
    expect(r.diags).toEqual([
      {
        severity: 'warning',
        line: 1,
        message: "virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP (add 'protocol TCP' for TCP services)",
      },
      { severity: 'warning', line: 1, message: "virtual server [192.0.2.1]:udp:80: no scheduler set, setting default 'wlc'" },
      { severity: 'warning', line: 1, message: 'virtual server [192.0.2.1]:udp:80: no forwarding method set, setting default NAT' },
    ]);
  });

  it('is clean when protocol, scheduler and method are given; lb_algo/lb_kind are aliases of lvs_sched/lvs_method', () => {
    for (const [a, k] of [
      ['lb_algo', 'lb_kind'],
      ['lvs_sched', 'lvs_method'],
    ]) {
      const r = load(vs(`  ${a} wrr\n  ${k} DR\n  protocol tcp\n` + rs()));
      expect(r.diags).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.lvs.virtualServers[0]).toMatchObject({ scheduler: 'wrr', forwarding: { method: 'DR' }, protocol: 'TCP' });
      expect(r.lvs.virtualServers[0]!.realServers[0]!.forwarding).toEqual({ method: 'DR' });
    }
  });

  it('every keyword of the virtual server level is read into the model', () => {
    const r = load(
      vs(
        STD +
          '  ha_suspend\n  smtp_alert\n  virtualhost www.example.com\n  snmp_name web\n  alpha\n  omega\n  inhibit_on_failure\n' +
          '  delay_loop 3\n  delay_before_retry 2\n  retry 3\n  warmup 4\n  connect_timeout 2.5\n  weight 5\n' +
          '  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n  persistence_engine sip\n  quorum 4\n  hysteresis 1\n' +
          '  flag-1\n  flag-2\n  flag-3\n' +
          rs(),
      ),
    );
    expect(r.diags).toEqual([]);
    const v = r.lvs.virtualServers[0]!;
    expect(v).toMatchObject({
      haSuspend: true,
      smtpAlert: true,
      virtualhost: 'www.example.com',
      snmpName: 'web',
      alpha: true,
      omega: true,
      inhibitOnFailure: true,
      delayLoopS: 3,
      delayBeforeRetryS: 2,
      retry: 3,
      warmupS: 4,
      connectTimeoutS: 2.5,
      weight: 5,
      persistenceTimeoutS: 600,
      persistenceGranularity: '255.255.255.0',
      persistenceEngine: 'sip',
      quorum: 4,
      hysteresis: 1,
      flags: { flag1: true, flag2: true, flag3: true, ops: false },
    });
    // The real server inherits what it does not set itself.
    expect(v.realServers[0]).toMatchObject({
      weight: 5,
      alpha: true,
      inhibitOnFailure: true,
      retry: 3,
      delayLoopS: 3,
      connectTimeoutS: 2.5,
      warmupS: 4,
      delayBeforeRetryS: 2,
    });
  });

  it('takes the global smtp_alert / smtp_alert_checker defaults', () => {
    const r = load('global_defs {\n  smtp_alert_checker\n}\n' + vs(STD + rs()));
    expect(r.lvs.virtualServers[0]!.smtpAlert).toBe(true);
  });
});

describe('virtual_server forms', () => {
  it('fwmark N: no protocol (warning if one is given), DR real server ports cleared', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n' + rs('', '203.0.113.11 80'), 'fwmark 7'));
    const v = r.lvs.virtualServers[0]!;
    expect(v).toMatchObject({ kind: 'fwmark', fwmark: 7, family: 'inet' });
    expect(v.protocol).toBeUndefined();
    expect(one(r, /^virtual server FWM 7: protocol specified for fwmark - protocol will be ignored$/)).toEqual({ severity: 'warning', line: 1 });
    expect(one(r, /^fwmark virtual server FWM 7, real server \[203\.0\.113\.11\]:none:80 has port specified - clearing$/)).toEqual({
      severity: 'warning',
      line: 5,
    });
    expect(v.realServers[0]!.port).toBe(0);
  });
  it('fwmark out of range or not a number skips the block', () => {
    const r = load(vs(STD + rs(), 'fwmark x'));
    expect(r.lvs.virtualServers).toEqual([]);
    expect(one(r, /^virtual server fwmark 'x' must be in \[0, 4294967295\] - skipping/)).toEqual({ severity: 'error', line: 1 });
  });
  it('IPv6 addresses; [brackets] are not an address', () => {
    const r = load(vs(STD + rs('', '2001:db8::11 80'), '2001:db8::1 80'));
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers[0]).toMatchObject({ kind: 'ip', family: 'inet6', address: '2001:db8::1', port: 80 });
    const b = load(vs(STD + rs('', '2001:db8::11 80'), '[2001:db8::1] 80'));
    expect(one(b, /invalid virtual server IP address\/port \[2001:db8::1\]\/80 - skipping/)).toEqual({ severity: 'error', line: 1 });
  });
  it('an invalid address or port skips the whole block', () => {
    for (const head of ['192.0.2.300 80', '192.0.2.1 70000']) {
      const r = load(vs(STD + rs(), head));
      expect(r.lvs.virtualServers).toEqual([]);
      expect(one(r, /^invalid virtual server IP address\/port/).line).toBe(1);
      expect(r.exitCode).toBe(5);
    }
  });
  it('no port (or port 0) is only valid with persistence: persistence_timeout 360 is set', () => {
    for (const head of ['192.0.2.1', '192.0.2.1 0']) {
      const r = load(vs(STD + rs(), head));
      expect(r.lvs.virtualServers[0]).toMatchObject({ port: 0, persistenceTimeoutS: 360 });
      expect(one(r, /^virtual server \[192\.0\.2\.1\]:tcp:0: zero port only valid for persistent services - setting persistence_timeout 360$/)).toEqual({
        severity: 'warning',
        line: 1,
      });
    }
    expect(load(vs(STD + '  persistence_timeout 60\n' + rs(), '192.0.2.1')).diags).toEqual([]);
  });
  it('group NAME that does not exist is an error and the virtual server is dropped', () => {
    const r = load(vs(STD + rs(), 'group NOPE'));
    expect(r.lvs.virtualServers).toEqual([]);
    expect(one(r, /^virtual server group NOPE specified but not configured - ignoring virtual server \[NOPE\]:0/)).toEqual({ severity: 'error', line: 1 });
  });
  it('a virtual server without real servers is dropped', () => {
    const r = load(vs(STD));
    expect(r.lvs.virtualServers).toEqual([]);
    expect(one(r, /^virtual server \[192\.0\.2\.1\]:tcp:80 has no real servers - ignoring it/)).toEqual({ severity: 'error', line: 1 });
  });
  it('ip_family: unknown value, or a conflict with the address family', () => {
    expect(one(load(vs(STD + '  ip_family ipx\n' + rs())), /^unknown address family 'ipx': expected inet or inet6$/)).toEqual({ severity: 'error', line: 5 });
    expect(one(load(vs(STD + '  ip_family inet6\n' + rs())), /^virtual server specified family inet6 conflicts/)).toEqual({ severity: 'error', line: 5 });
  });
  it('a real server of the other family is skipped unless tunnelled', () => {
    const r = load(vs(STD + rs('', '2001:db8::11 80') + '\n' + rs('', '203.0.113.12 80')));
    expect(one(r, /^address family of virtual server and real server 2001:db8::11 don't match - skipping the real server$/)).toEqual({
      severity: 'error',
      line: 5,
    });
    expect(r.lvs.virtualServers[0]!.realServers.map((x) => x.address)).toEqual(['203.0.113.12']);
    const t = load(vs('  lb_algo rr\n  lb_kind TUN\n  protocol TCP\n' + rs('    lvs_method TUN', '2001:db8::11 80')));
    expect(t.diags).toEqual([]);
    expect(t.lvs.virtualServers[0]!.realServers[0]!.family).toBe('inet6');
  });
});

describe('virtual_server: scheduler, flags, protocol', () => {
  it("accepts exactly keepalived 2.2.7's schedulers, lower case", () => {
    for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos']) {
      const r = load(vs(`  lvs_sched ${s}\n  lvs_method NAT\n  protocol TCP\n` + rs()));
      expect(r.exitCode, s).toBe(0);
      expect(r.lvs.virtualServers[0]!.scheduler).toBe(s);
    }
    for (const s of ['RR', 'fastest']) {
      const r = load(vs(`  lb_algo ${s}\n  lb_kind NAT\n  protocol TCP\n` + rs()));
      expect(one(r, new RegExp(`^invalid lvs_scheduler '${s}' - ignoring: expected one of rr wrr`))).toEqual({ severity: 'error', line: 2 });
      expect(one(r, /no scheduler set, setting default 'wlc'/)).toEqual({ severity: 'warning', line: 1 });
    }
  });
  it('sh-port/sh-fallback need lvs_sched sh first; mh-* with mh; hashed only errors outside sh/mh', () => {
    const ok = load(vs('  lb_algo sh\n  sh-port\n  sh-fallback\n  lb_kind NAT\n  protocol TCP\n' + rs()));
    expect(ok.exitCode).toBe(0);
    expect(ok.lvs.virtualServers[0]!.flags).toMatchObject({ shPort: true, shFallback: true });
    const mh = load(vs('  lb_algo mh\n  mh-port\n  mh-fallback\n  lb_kind NAT\n  protocol TCP\n' + rs()));
    expect(mh.lvs.virtualServers[0]!.flags).toMatchObject({ mhPort: true, mhFallback: true });
    expect(
      one(load(vs('  sh-port\n  lb_algo sh\n  lb_kind NAT\n  protocol TCP\n' + rs())), /^sh-port only applies to the sh \(or mh\) scheduler - ignoring/),
    ).toEqual({ severity: 'error', line: 2 });
    expect(one(load(vs(STD + '  hashed\n' + rs())), /^hashed only applies to the sh/)).toEqual({ severity: 'error', line: 5 });
    const cross = load(vs('  lb_algo sh\n  mh-port\n  lb_kind NAT\n  protocol TCP\n' + rs()));
    expect(cross.exitCode).toBe(0);
    expect(cross.lvs.virtualServers[0]!.flags.mhPort).toBe(false);
  });
  it('ops only for UDP', () => {
    const r = load(vs(STD + '  ops\n' + rs()));
    expect(r.lvs.virtualServers[0]!.flags.ops).toBe(false);
    expect(one(r, /^virtual server \[192\.0\.2\.1\]:tcp:80: one packet scheduling \(ops\) requires UDP - resetting$/)).toEqual({
      severity: 'warning',
      line: 1,
    });
    const u = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol UDP\n  ops\n' + rs()));
    expect(u.diags).toEqual([]);
    expect(u.lvs.virtualServers[0]!.flags.ops).toBe(true);
  });
  it('protocol: TCP/UDP/SCTP in any case; anything else is ignored and UDP defaulted', () => {
    expect(load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol sctp\n' + rs())).lvs.virtualServers[0]!.protocol).toBe('SCTP');
    const r = load(vs('  lb_algo rr\n  lb_kind NAT\n  protocol ICMP\n' + rs()));
    expect(one(r, /^unknown protocol 'ICMP' - ignoring: expected TCP, UDP or SCTP$/)).toEqual({ severity: 'error', line: 4 });
    expect(r.lvs.virtualServers[0]!.protocol).toBe('UDP');
  });
});

describe('virtual_server: forwarding methods', () => {
  const method = (m: string) => load(vs(`  lb_algo rr\n  lb_kind ${m}\n  protocol TCP\n` + rs()));
  it('NAT, DR and TUN only, upper case: dr and FNAT are errors and NAT is defaulted', () => {
    for (const m of ['dr', 'FNAT']) {
      const r = method(m);
      expect(one(r, new RegExp(`^unknown routing method \\[${m}\\] for virtual server: expected NAT, DR or TUN`))).toEqual({ severity: 'error', line: 3 });
      expect(one(r, /no forwarding method set, setting default NAT/)).toEqual({ severity: 'warning', line: 1 });
      expect(r.lvs.virtualServers[0]!.forwarding).toEqual({ method: 'NAT' });
    }
  });
  it('TUN defaults to ipip without checksum; gue needs a port; checksum options per tunnel type', () => {
    expect(method('TUN').lvs.virtualServers[0]!.forwarding).toEqual({ method: 'TUN', tunnel: { type: 'ipip', port: 0, checksum: 'nocsum' } });
    const gue = method('TUN type gue port 6080 csum');
    expect(gue.diags).toEqual([]);
    expect(gue.lvs.virtualServers[0]!.realServers[0]!.forwarding).toEqual({ method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } });
    expect(method('TUN type gre csum').diags).toEqual([]);
    const cases: Array<[string, RegExp]> = [
      ['TUN type gue', /^gue tunnels require a port/],
      ['TUN type ipip csum', /^ipip tunnels do not support the csum checksum option$/],
      ['TUN type gre remcsum', /^gre tunnels do not support the remcsum option/],
      ['TUN type vxlan', /^unknown tunnel type 'vxlan' for virtual server/],
      ['TUN type', /^missing tunnel type after 'type' for virtual server/],
      ['TUN port 0 type gue', /^invalid gue tunnel port '0'/],
      ['TUN foo', /^invalid tunnel option 'foo' for virtual server/],
      ['NAT csum', /^ipip tunnels do not support the csum checksum option$/],
    ];
    for (const [m, re] of cases) expect(one(method(m), re), m).toEqual({ severity: 'error', line: 3 });
  });
});

describe('virtual_server: persistence', () => {
  it('bare persistence_timeout means 360 s; 0 and > 31 days are rejected', () => {
    expect(load(vs(STD + '  persistence_timeout\n' + rs())).lvs.virtualServers[0]!.persistenceTimeoutS).toBe(360);
    expect(load(vs(STD + '  persistence_timeout 2678400\n' + rs())).lvs.virtualServers[0]!.persistenceTimeoutS).toBe(2678400);
    for (const v of ['0', '2678401']) {
      const r = load(vs(STD + `  persistence_timeout ${v}\n` + rs()));
      expect(one(r, new RegExp(`^persistence_timeout '${v}' invalid - ignoring`))).toEqual({ severity: 'error', line: 5 });
      expect(r.lvs.virtualServers[0]!.persistenceTimeoutS).toBe(0);
    }
  });
  it('persistence_granularity: IPv4 netmask (inet_aton forms) or IPv6 prefix; implies persistence', () => {
    const r = load(vs(STD + '  persistence_granularity 0xffffff00\n' + rs()));
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers[0]).toMatchObject({ persistenceGranularity: '255.255.255.0', persistenceTimeoutS: 360 });
    const v6 = load(vs(STD + '  persistence_granularity 64\n' + rs('', '2001:db8::11 80'), '2001:db8::1 80'));
    expect(v6.lvs.virtualServers[0]!.persistenceGranularity).toBe('64');
    expect(one(load(vs(STD + '  persistence_granularity 255.255.255.256\n' + rs())), /^invalid IPv4 persistence_granularity '255\.255\.255\.256'/)).toEqual({
      severity: 'error',
      line: 5,
    });
    expect(
      one(load(vs(STD + '  persistence_granularity 129\n' + rs('', '2001:db8::11 80'), '2001:db8::1 80')), /^invalid IPv6 persistence_granularity '129'/),
    ).toEqual({ severity: 'error', line: 5 });
  });
  it('persistence_engine longer than 15 characters is truncated with an error', () => {
    const r = load(vs(STD + '  persistence_engine abcdefghijklmnopq\n' + rs()));
    expect(r.lvs.virtualServers[0]!.persistenceEngine).toBe('abcdefghijklmno');
    expect(one(r, /too long, truncating to 15 characters/)).toEqual({ severity: 'error', line: 5 });
  });
});

describe('virtual_server: quorum, hysteresis, weights, timers', () => {
  it('quorum above the total real-server weight is reduced to it', () => {
    const r = load(vs(STD + '  quorum 5\n  hysteresis 2\n' + rs('    weight 2') + '\n' + rs('    weight 1', '203.0.113.12 80')));
    expect(r.lvs.virtualServers[0]).toMatchObject({ quorum: 3, hysteresis: 2 });
    expect(r.diags).toEqual([
      { severity: 'warning', line: 1, message: 'quorum 5 for [192.0.2.1]:tcp:80 exceeds total weight of real servers 3, reducing quorum to 3' },
    ]);
  });
  it('hysteresis >= quorum is lowered (unsigned, as keepalived, when all weights are 0)', () => {
    const r = load(vs(STD + '  quorum 2\n  hysteresis 2\n' + rs('    weight 2')));
    expect(r.lvs.virtualServers[0]!.hysteresis).toBe(1);
    expect(one(r, /hysteresis 2 >= quorum 2; setting hysteresis to 1$/)).toEqual({ severity: 'warning', line: 1 });
    const z = load(vs(STD + rs('    weight 0')));
    expect(z.lvs.virtualServers[0]).toMatchObject({ quorum: 0, hysteresis: 4294967295 });
    expect(z.diags.map((d) => d.severity)).toEqual(['warning', 'warning']);
  });
  it('quorum 0 is an error and becomes 1; bad hysteresis and weight are ignored', () => {
    const r = load(vs(STD + '  quorum 0\n  hysteresis -1\n  weight 0\n' + rs()));
    expect(r.lvs.virtualServers[0]).toMatchObject({ quorum: 1, hysteresis: 0, weight: 1 });
    expect(one(r, /^quorum '0' must be in \[1, 4294967295\].* - setting it to 1$/)).toEqual({ severity: 'error', line: 5 });
    expect(one(r, /^hysteresis '-1' must be in \[0, 4294967295\] - ignoring: negative number/)).toEqual({ severity: 'error', line: 6 });
    expect(one(r, /^virtual server weight '0' is outside range 1-2147483647 - ignoring/)).toEqual({ severity: 'error', line: 7 });
  });
  it('timers: microsecond resolution; 0 delay_loop, retry 0 and too long connect_timeout rejected', () => {
    const r = load(vs(STD + '  delay_loop 0\n  retry 0\n  connect_timeout 5000\n  warmup 0.000001\n' + rs()));
    const v = r.lvs.virtualServers[0]!;
    expect(v).toMatchObject({ delayLoopS: 60, connectTimeoutS: 5, warmupS: 0.000001 });
    expect(v.retry).toBeUndefined();
    expect(one(r, /^virtual server delay_loop '0' invalid - ignoring/)).toEqual({ severity: 'error', line: 5 });
    expect(one(r, /^virtual server retry value '0' invalid - ignoring/)).toEqual({ severity: 'error', line: 6 });
    expect(one(r, /^virtual server connect_timeout '5000' invalid - ignoring.*at most 4294\.967295/)).toEqual({ severity: 'error', line: 7 });
    const p = load(vs(STD + '  delay_loop 1.1234567\n' + rs()));
    expect(p.lvs.virtualServers[0]!.delayLoopS).toBe(1.123457);
    expect(one(p, /^number '1\.1234567' has too many decimal places/)).toEqual({ severity: 'error', line: 5 });
  });
  it('ha_suspend cannot be used with fwmarks', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  ha_suspend\n' + rs('', '203.0.113.11'), 'fwmark 3'));
    expect(r.lvs.virtualServers[0]!.haSuspend).toBe(false);
    expect(one(r, /^virtual server FWM 3: cannot use ha_suspend with fwmarks - clearing ha_suspend$/)).toEqual({ severity: 'warning', line: 1 });
  });
  it('bad smtp_alert, missing virtualhost and snmp_name arity are errors', () => {
    const r = load(vs(STD + '  smtp_alert maybe\n  virtualhost\n  snmp_name a b\n' + rs()));
    expect(one(r, /^invalid virtual_server smtp_alert parameter 'maybe'/)).toEqual({ severity: 'error', line: 5 });
    expect(one(r, /^virtual server virtualhost missing/)).toEqual({ severity: 'error', line: 6 });
    expect(one(r, /^virtual server snmp_name missing or extra parameters/)).toEqual({ severity: 'error', line: 7 });
  });
  it('nat_mask and lvs_id are unknown keywords in 2.2.7', () => {
    const r = load('global_defs {\n  lvs_id LVS1\n}\n' + vs(STD + '  nat_mask 255.255.255.0\n' + rs()));
    expect(one(r, /^unknown keyword 'lvs_id'$/).line).toBe(2);
    expect(one(r, /^unknown keyword 'nat_mask'$/).line).toBe(8);
  });
});

describe('virtual_server: quorum scripts', () => {
  it('quorum_up/quorum_down are registered as check scripts; a second quorum_up is an error', () => {
    const r = load(vs(STD + '  quorum_up "/usr/local/bin/up.sh arg"\n  quorum_down /usr/local/bin/down.sh nobody nogroup\n  quorum_up /bin/false\n' + rs()));
    const v = r.lvs.virtualServers[0]!;
    expect(v.quorumUp).toMatchObject({ argv: ['/usr/local/bin/up.sh', 'arg'], loc: at(5) });
    expect(v.quorumDown).toMatchObject({ argv: ['/usr/local/bin/down.sh'], user: 'nobody', group: 'nogroup' });
    expect(one(r, /^quorum_up script already specified - ignoring '\/bin\/false'$/)).toEqual({ severity: 'error', line: 7 });
    expect(one(r, /SECURITY VIOLATION - check scripts are being executed/).severity).toBe('security');
    expect(r.exitCode).toBe(6);
  });
  it('quorum_up without a script stops the parse, as keepalived', () => {
    const r = load(vs(STD + '  quorum_up\n' + rs()));
    expect(r.exitCode).toBe(2);
  });
  it('a script with a user that does not exist is dropped (keepalived logs it only)', () => {
    const r = load(vs(STD + '  quorum_up /bin/up nosuchuser\n' + rs()), { userExists: (u) => u !== 'nosuchuser' });
    expect(r.lvs.virtualServers[0]!.quorumUp).toBeUndefined();
    expect(one(r, /invalid user\/group for quorum_up script \/bin\/up .*nosuchuser/)).toEqual({ severity: 'info', line: 5 });
    expect(r.exitCode).toBe(0);
  });
});
