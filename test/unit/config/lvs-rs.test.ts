/**
 * real_server and sorry_server: resolved defaults, inheritance from the virtual server, ports for
 * NAT/DR/TUN, duplicates, and every real-server-level warning/error with its file:line.
 */
import { describe, expect, it } from 'vitest';
import type { RealServer } from '../../../src/config/model/lvs.js';
import { at, load, one, vs, rs, STD } from './helpers.js';

describe('real_server: resolved defaults and inheritance', () => {
  it('a bare real server takes every default (smtp_alert on, as keepalived for backward compatibility)', () => {
    const r = load(vs(STD + rs()));
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers[0]!.realServers).toEqual([
      {
        loc: at(5),
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
        checkers: [],
      } satisfies RealServer,
    ]);
  });

  it('every real_server keyword is read; its own values win over the virtual server', () => {
    const r = load(
      vs(
        STD +
          '  weight 7\n  delay_loop 9\n  alpha\n' +
          rs(
            '    weight 0\n    lvs_method DR\n    uthreshold 100\n    lthreshold 10\n    inhibit_on_failure\n    notify_up "/bin/up.sh a"\n    notify_down /bin/down.sh root root\n' +
              '    alpha off\n    retry 2\n    delay_before_retry 1.5\n    warmup 4\n    connect_timeout 1\n    delay_loop 2\n    smtp_alert no\n    virtualhost rs.example.com\n    snmp_name rs1',
          ),
      ),
    );
    const real = r.lvs.virtualServers[0]!.realServers[0]!;
    expect(real).toMatchObject({
      weight: 0,
      forwarding: { method: 'DR' },
      uthreshold: 100,
      lthreshold: 10,
      inhibitOnFailure: true,
      alpha: false,
      retry: 2,
      delayBeforeRetryS: 1.5,
      warmupS: 4,
      connectTimeoutS: 1,
      delayLoopS: 2,
      smtpAlert: false,
      virtualhost: 'rs.example.com',
      snmpName: 'rs1',
    });
    expect(real.notifyUp).toMatchObject({ cmd: '/bin/up.sh a', argv: ['/bin/up.sh', 'a'], loc: at(14) });
    expect(real.notifyDown).toMatchObject({ argv: ['/bin/down.sh'], user: 'root', group: 'root' });
    // weight 0 is allowed for a real server; with all weights 0 keepalived lowers the quorum.
    expect(one(r, /exceeds total weight of real servers 0, reducing quorum to 0/).severity).toBe('warning');
  });

  it('unset values come from the virtual server, whatever the order of the keywords', () => {
    const r = load(vs(STD + rs('') + '\n  delay_loop 4\n  weight 3\n  inhibit_on_failure\n  lb_kind DR\n'));
    expect(r.lvs.virtualServers[0]!.realServers[0]).toMatchObject({ delayLoopS: 4, weight: 3, inhibitOnFailure: true });
  });

  it("global smtp_alert off turns real servers' default off", () => {
    const r = load('global_defs {\n  smtp_alert off\n}\n' + vs(STD + rs()));
    expect(r.lvs.virtualServers[0]!.realServers[0]!.smtpAlert).toBe(false);
  });
});

describe('real_server: errors', () => {
  it('an invalid address skips the block (its checkers too)', () => {
    const r = load(vs(STD + rs('    TCP_CHECK {\n    }', '203.0.113.1111 80') + '\n' + rs()));
    expect(one(r, /^invalid real server ip address\/port 203\.0\.113\.1111\/80 - skipping the real_server block/)).toEqual({ severity: 'error', line: 5 });
    expect(r.lvs.virtualServers[0]!.realServers).toHaveLength(1);
  });
  it('weight: 0 to 2147483647', () => {
    for (const w of ['-1', '2147483648']) {
      const r = load(vs(STD + rs(`    weight ${w}`)));
      expect(one(r, new RegExp(`^real server weight '${w}' is outside range 0-2147483647 - ignoring`))).toEqual({ severity: 'error', line: 6 });
      expect(r.lvs.virtualServers[0]!.realServers[0]!.weight).toBe(1);
    }
  });
  it('retry 0, bad thresholds, bad booleans, missing virtualhost', () => {
    const r = load(
      vs(STD + rs('    retry 0\n    uthreshold x\n    inhibit_on_failure maybe\n    alpha 1\n    smtp_alert 2\n    virtualhost\n    lvs_method FNAT')),
    );
    expect(one(r, /^real server retry value '0' invalid/).line).toBe(6);
    expect(one(r, /^invalid real_server uthreshold 'x' - ignoring/).line).toBe(7);
    expect(one(r, /^invalid inhibit_on_failure parameter 'maybe'/).line).toBe(8);
    expect(one(r, /^invalid alpha parameter '1'/).line).toBe(9);
    expect(one(r, /^invalid real_server smtp_alert parameter '2'/).line).toBe(10);
    expect(one(r, /^real server virtualhost missing/).line).toBe(11);
    expect(one(r, /^unknown routing method \[FNAT\] for real server/).line).toBe(12);
    expect(r.diags.every((d) => d.severity === 'error')).toBe(true);
  });
  it('a duplicated real server (same address and port) is removed', () => {
    const r = load(vs(STD + rs() + '\n' + rs()));
    expect(r.lvs.virtualServers[0]!.realServers).toHaveLength(1);
    expect(one(r, /^VS \[192\.0\.2\.1\]:tcp:80: real server \[203\.0\.113\.11\]:tcp:80 is duplicated - removing second rs$/)).toEqual({
      severity: 'error',
      line: 8,
    });
    // Without a port it is not the same server for keepalived (ports are compared as written).
    expect(load(vs(STD + rs('', '203.0.113.11') + '\n' + rs())).diags).toEqual([]);
  });
  it('a second notify_up is an error; a notify script user that does not exist drops the script', () => {
    const r = load(vs(STD + rs('    notify_up /bin/true\n    notify_up /bin/false')));
    expect(one(r, /^real server \[203\.0\.113\.11\]:80: notify_up script already specified - ignoring '\/bin\/false'$/)).toEqual({
      severity: 'error',
      line: 7,
    });
    const u = load(vs(STD + rs('    notify_down /bin/true nosuchuser')), { userExists: (n) => n !== 'nosuchuser' });
    expect(u.lvs.virtualServers[0]!.realServers[0]!.notifyDown).toBeUndefined();
    expect(one(u, /invalid user\/group for notify_down script/).severity).toBe('info');
  });
});

describe('real_server ports', () => {
  it('NAT: a real server without port takes the service port, another port is kept', () => {
    const r = load(vs(STD + rs('', '203.0.113.11 8080') + '\n' + rs('', '203.0.113.12')));
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers[0]!.realServers.map((x) => x.port)).toEqual([8080, 80]);
  });
  it('DR/TUN: ports that differ from the service port are reset with a warning', () => {
    for (const m of ['DR', 'TUN']) {
      const r = load(vs(`  lb_algo rr\n  lb_kind ${m}\n  protocol TCP\n` + rs('', '203.0.113.11 8080') + '\n' + rs('', '203.0.113.12')));
      expect(r.lvs.virtualServers[0]!.realServers.map((x) => x.port)).toEqual([80, 80]);
      expect(
        one(
          r,
          new RegExp(
            `^virtual server \\[192\\.0\\.2\\.1\\]:tcp:80 and real server \\[203\\.0\\.113\\.11\\]:tcp:8080 ports don't match - resetting to 80 \\(${m} cannot change the port\\)$`,
          ),
        ),
      ).toEqual({ severity: 'warning', line: 5 });
    }
  });
  it('the checker connects to the resolved real server port', () => {
    const r = load(vs(STD + rs('    TCP_CHECK {\n    }', '203.0.113.11')));
    expect(r.lvs.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({ connection: { connectIp: '203.0.113.11', connectPort: 80 } });
  });
});

describe('sorry_server', () => {
  it('takes the service forwarding method unless it has its own; inhibit', () => {
    const r = load(
      vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  sorry_server 203.0.113.99 80\n  sorry_server_inhibit\n  sorry_server_lvs_method NAT\n' + rs()),
    );
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers[0]!.sorryServer).toEqual({
      loc: at(5),
      address: '203.0.113.99',
      family: 'inet',
      port: 80,
      inhibit: true,
      forwarding: { method: 'NAT' },
    });
    const d = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  sorry_server 203.0.113.99\n' + rs()));
    expect(d.lvs.virtualServers[0]!.sorryServer).toMatchObject({ port: 80, forwarding: { method: 'DR' }, inhibit: false });
  });
  it('DR sorry server with another port is reset', () => {
    const r = load(vs('  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  sorry_server 203.0.113.99 8080\n' + rs()));
    expect(r.lvs.virtualServers[0]!.sorryServer!.port).toBe(80);
    expect(one(r, /^virtual server \[192\.0\.2\.1\]:tcp:80 and sorry server ports don't match - resetting to 80$/)).toEqual({ severity: 'warning', line: 5 });
  });
  it('sorry_server_inhibit / sorry_server_lvs_method before sorry_server, bad address, other family', () => {
    expect(one(load(vs(STD + '  sorry_server_inhibit\n' + rs())), /^sorry_server_inhibit used before or without sorry_server - ignoring$/)).toEqual({
      severity: 'error',
      line: 5,
    });
    expect(one(load(vs(STD + '  sorry_server_lvs_method DR\n' + rs())), /^sorry_server_lvs_method used before or without sorry_server - ignoring$/)).toEqual({
      severity: 'error',
      line: 5,
    });
    expect(one(load(vs(STD + '  sorry_server 203.0.113.999 80\n' + rs())), /^invalid sorry server IP address 203\.0\.113\.999 80 - skipping/)).toEqual({
      severity: 'error',
      line: 5,
    });
    const f = load(vs(STD + '  sorry_server 2001:db8::99 80\n' + rs()));
    expect(f.lvs.virtualServers[0]!.sorryServer).toBeUndefined();
    expect(one(f, /^address family of virtual server and sorry server 2001:db8::99 don't match - skipping the sorry server$/)).toEqual({
      severity: 'error',
      line: 1,
    });
  });
  it('a real server equal to the sorry server must have the same inhibit setting', () => {
    const r = load(vs(STD + '  sorry_server 203.0.113.11 80\n' + rs('    inhibit_on_failure')));
    expect(r.lvs.virtualServers[0]!.sorryServer!.inhibit).toBe(true);
    expect(one(r, /real server \[203\.0\.113\.11\]:tcp:80 matches the sorry server, but inhibit setting differs - setting it on the sorry server$/)).toEqual({
      severity: 'warning',
      line: 5,
    });
  });
  it('a method only on the real server still leaves the sorry server to the NAT default, with the warning', () => {
    const r = load(vs('  lb_algo rr\n  protocol TCP\n  sorry_server 203.0.113.99 80\n' + rs('    lvs_method DR')));
    expect(r.lvs.virtualServers[0]!.sorryServer!.forwarding).toEqual({ method: 'NAT' });
    expect(one(r, /no forwarding method set, setting default NAT/)).toEqual({ severity: 'warning', line: 1 });
  });
});
