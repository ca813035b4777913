import { describe, expect, it } from 'vitest';
import { FILE, find, instance, load } from './helpers.js';

const at = (line: number) => ({ file: FILE, line });

describe('vrrp_instance: resolved defaults', () => {
  it('resolves a minimal instance to the full default object', () => {
    const r = load(instance());
    expect(r.diags).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.vrrp.instances).toEqual([
      {
        name: 'VI_1',
        loc: at(1),
        locs: { interface: at(2), virtual_router_id: at(3), virtual_ipaddress: at(5) },
        interface: 'eth0',
        virtualRouterId: 51,
        dontTrackPrimary: false,
        nativeIpv6: false,
        virtualIps: [
          {
            address: '192.0.2.10',
            family: 'inet',
            prefixLen: 24,
            noTrack: false,
            home: false,
            noDad: false,
            mngTmpAddr: false,
            noPrefixRoute: false,
            autoJoin: false,
            useVmac: false,
            loc: at(6),
          },
        ],
        excludedIps: [],
        virtualRoutes: [],
        virtualRules: [],
        trackInterfaces: [],
        trackScripts: [],
        trackFiles: [],
        trackProcesses: [],
        trackBfds: [],
        trackSrcIp: false,
        unicastPeers: [],
        unicastConfigured: false,
        unicastFaultNoPeer: false,
        unicast: false,
        checkUnicastSrc: false,
        useVmac: false,
        useVmacAddr: false,
        vmacXmitBase: false,
        useIpvlan: false,
        promoteSecondaries: false,
        linkbeatUsePolling: false,
        skipCheckAdvAddr: false,
        nopreempt: false,
        preemptDelayS: 0,
        notify: {},
        garpExtraIfAll: false,
        family: 'inet',
        strictMode: false,
        version: 2,
        unicastTtl: 255,
        priority: 100,
        initialState: 'BACKUP',
        downTimerAdverts: 3,
        accept: true,
        mcastGroup: '224.0.0.18',
        garpMasterDelayS: 5,
        garpMasterRepeat: 5,
        garpMasterRefreshS: 0,
        garpMasterRefreshRepeat: 1,
        garpLowerPrioRepeat: 5,
        garpLowerPrioDelayS: 5,
        lowerPrioNoAdvert: false,
        higherPrioSendAdvert: false,
        smtpAlert: false,
        notifyPriorityChanges: false,
        garpExtraIfS: 0,
        advertIntS: 1,
      },
    ]);
  });

  it('state MASTER without priority means priority 255 (address owner)', () => {
    const i = load(instance('  state MASTER')).vrrp.instances[0]!;
    expect(i.priority).toBe(255);
    expect(i.initialState).toBe('MASTER');
  });

  it('priority 255 without state means initial state MASTER; other priorities BACKUP', () => {
    expect(load(instance('  priority 255')).vrrp.instances[0]!.initialState).toBe('MASTER');
    expect(load(instance('  priority 254')).vrrp.instances[0]!.initialState).toBe('BACKUP');
  });

  it('takes vrrp_version and the global garp settings as defaults', () => {
    const r = load(`global_defs {\n vrrp_version 3\n vrrp_garp_master_delay 2\n vrrp_garp_master_repeat 3\n}\n${instance()}`);
    const i = r.vrrp.instances[0]!;
    expect(i.version).toBe(3);
    expect(i.garpMasterDelayS).toBe(2);
    expect(i.garpMasterRepeat).toBe(3);
    expect(i.garpLowerPrioDelayS).toBe(2);
    expect(i.garpLowerPrioRepeat).toBe(3);
  });

  it('deduces IPv6 and VRRP version 3 from IPv6 addresses', () => {
    const r = load('vrrp_instance V6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  fe80::10\n  2001:db8::10/64\n }\n}\n');
    const i = r.vrrp.instances[0]!;
    expect(i.family).toBe('inet6');
    expect(i.version).toBe(3);
    expect(i.mcastGroup).toBe('ff02::12');
    expect(i.unicastTtl).toBeUndefined();
    expect(i.virtualIps.map((v) => [v.address, v.prefixLen, v.preferredLft])).toEqual([
      ['fe80::10', 128, 0],
      ['2001:db8::10', 64, 'forever'],
    ]);
  });
});

describe('vrrp_instance: keepalived corrections (warnings) and errors', () => {
  it('warns and clears nopreempt with initial state MASTER', () => {
    const r = load(instance('  state MASTER\n  priority 150\n  nopreempt'));
    expect(find(r, /nopreempt will not work with initial state MASTER - clearing/)).toEqual([
      { severity: 'warning', message: '(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing', line: 6 },
    ]);
    expect(r.vrrp.instances[0]!.nopreempt).toBe(false);
    expect(r.exitCode).toBe(5);
  });

  it('warns that nopreempt is incompatible with priority 255', () => {
    const r = load(instance('  priority 255\n  nopreempt'));
    expect(find(r, /nopreempt is incompatible with priority 255/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.nopreempt).toBe(false);
  });

  it('keeps nopreempt for a BACKUP instance', () => {
    const r = load(instance('  state BACKUP\n  nopreempt'));
    expect(r.diags).toEqual([]);
    expect(r.vrrp.instances[0]!.nopreempt).toBe(true);
  });

  it('truncates auth_pass to 8 characters with a warning at its line', () => {
    const r = load(instance('  authentication {\n    auth_type PASS\n    auth_pass 123456789012\n  }'));
    expect(find(r, /Truncating auth_pass/)).toEqual([{ severity: 'warning', message: '(VI_1) Truncating auth_pass to 8 characters (was 12)', line: 6 }]);
    expect(r.vrrp.instances[0]!.authentication).toMatchObject({ type: 'PASS', pass: '12345678' });
  });

  it('clears initial state MASTER with AH authentication', () => {
    const r = load(instance('  state MASTER\n  priority 100\n  authentication {\n    auth_type AH\n    auth_pass x\n  }'));
    expect(find(r, /Initial state master is incompatible with AH authentication/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.initialState).toBe('BACKUP');
  });

  it("reports an unknown auth_type such as 'PASS;'", () => {
    const r = load(instance('  authentication {\n    auth_type PASS;\n    auth_pass x\n  }'));
    expect(find(r, /unknown authentication type 'PASS;'/)[0]).toMatchObject({ severity: 'error', line: 5 });
  });

  it('ignores authentication with VRRP version 3', () => {
    const r = load(instance('  version 3\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }'));
    expect(find(r, /VRRP version 3 does not support authentication/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.authentication?.type).toBeUndefined();
  });

  it('ignores AH with VRRP version 3, set in the instance or in global_defs, warning at the authentication block (keepalived 2.2.7 -t: exit 5)', () => {
    const r = load(instance('  version 3\n  authentication {\n    auth_type AH\n    auth_pass s3cret\n  }'));
    expect(find(r, /VRRP version 3 does not support authentication - ignoring it/)).toEqual([expect.objectContaining({ severity: 'warning', line: 5 })]);
    expect(r.vrrp.instances[0]!.authentication?.type).toBeUndefined();
    const g = load('global_defs {\n  vrrp_version 3\n}\n' + instance('  authentication {\n    auth_type AH\n    auth_pass s3cret\n  }'));
    expect(find(g, /VRRP version 3 does not support authentication - ignoring it/)).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(g.vrrp.instances[0]!.authentication?.type).toBeUndefined();
  });

  it('ignores AH on IPv6 with a warning at the authentication block (version 2 given: keepalived 2.2.7 -t says the same, exit 5)', () => {
    const text =
      'vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 52\n  version 2\n  authentication {\n    auth_type AH\n    auth_pass s3cret\n  }\n  virtual_ipaddress {\n    fe80::100/64\n  }\n}\n';
    const r = load(text);
    expect(find(r, /cannot use AH authentication with IPv6 - ignoring it/)).toEqual([expect.objectContaining({ severity: 'warning', line: 5 })]);
    expect(r.vrrp.instances[0]!.authentication?.type).toBeUndefined();
  });

  it('reports a missing virtual_router_id as an error (exit 5, as keepalived -t) and records that VRRP cannot start', () => {
    const r = load('vrrp_instance NOVRID {\n  interface eth0\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n');
    expect(r.diags).toEqual([{ severity: 'error', message: '(NOVRID) the virtual router id must be set: add virtual_router_id (1-255)', line: 1 }]);
    expect(r.exitCode).toBe(5);
    expect(r.vrrp.startupError).toMatch(/virtual router id must be set/);
  });

  it('stops the VRRP checks at the first instance without an interface, even with unicast peers', () => {
    const r = load(
      'vrrp_instance U {\n virtual_router_id 1\n unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n }\n}\n' + 'vrrp_instance V {\n interface eth0\n}\n',
    );
    expect(r.diags.map((d) => d.message)).toEqual([expect.stringMatching(/^\(U\) Unknown interface!/)]);
    expect(r.vrrp.startupError).toBeDefined();
  });

  it('warns about an interface that does not exist, and stops the VRRP checks like keepalived', () => {
    const r = load(instance('  nopreempt\n  state MASTER'), { interfaceExists: (n) => n !== 'eth0' });
    expect(r.diags[0]).toEqual({ severity: 'warning', message: "WARNING - interface eth0 for vrrp_instance VI_1 doesn't exist", line: 2 });
    expect(find(r, /Non-existent interface/)[0]!.severity).toBe('fatal');
    expect(find(r, /nopreempt/)).toEqual([]);
    expect(r.exitCode).toBe(5);
  });

  it('accepts every interface with dynamic_interfaces', () => {
    const r = load(`global_defs {\n dynamic_interfaces\n}\n${instance()}`, { interfaceExists: () => false });
    expect(r.diags).toEqual([]);
  });

  it('reports out-of-range numbers with the line', () => {
    const r = load(instance('  priority 0\n  advert_int 0\n  unicast_ttl 256'));
    expect(r.diags.map((d) => [d.line, d.severity])).toEqual([
      [4, 'error'],
      [5, 'error'],
      [6, 'error'],
    ]);
    expect(r.diags[0]!.message).toContain("'0' outside range [1, 255]");
    expect(r.vrrp.instances[0]!.priority).toBe(100);
  });

  it('rounds a fractional VRRPv2 advert interval with a warning', () => {
    const r = load(instance('  advert_int 1.5'));
    expect(find(r, /VRRPv2 advertisement interval 1.5s must be an integer - rounding/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.advertIntS).toBe(2);
  });

  it('keeps centisecond VRRPv3 intervals and rounds finer ones', () => {
    expect(load(instance('  version 3\n  advert_int 0.25')).vrrp.instances[0]!.advertIntS).toBe(0.25);
    const r = load(instance('  version 3\n  advert_int 1.234'));
    expect(find(r, /units of 10ms - rounding/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.advertIntS).toBe(1.23);
  });

  it('says unknown states default to BACKUP', () => {
    const r = load(instance('  state master'));
    expect(find(r, /unknown state 'master', defaulting to BACKUP/)).toHaveLength(1);
    expect(r.vrrp.instances[0]!.initialState).toBe('BACKUP');
  });

  it('aborts (exit 2) when a keyword is missing its parameter', () => {
    const r = load(instance('  preempt_delay'));
    expect(r.exitCode).toBe(2);
    expect(r.diags.at(-1)).toMatchObject({ line: 4, message: "configuration line starting 'preempt_delay' is missing a parameter at word position 2" });
  });

  it('reports a duplicate instance name and skips the block', () => {
    const r = load(instance() + instance('  priority 7'));
    expect(find(r, /vrrp instance VI_1 already defined/)).toHaveLength(1);
    expect(r.vrrp.instances).toHaveLength(1);
  });

  it('warns about no VIP, and refuses no VIP with VRRP version 3', () => {
    const noVip = 'vrrp_instance N {\n interface eth0\n virtual_router_id 2\n}\n';
    expect(find(load(noVip), /No VIP specified; at least one is sensible/)[0]!.severity).toBe('warning');
    const v3 = load(noVip.replace('virtual_router_id 2', 'virtual_router_id 2\n version 3'));
    expect(find(v3, /No VIP specified; at least one is required/)[0]!.severity).toBe('error');
    expect(v3.vrrp.startupError).toBeDefined();
  });

  it('strict mode: state must match being owner, no authentication, no preempt_delay', () => {
    const r = load(
      `global_defs {\n vrrp_strict\n}\n${instance('  state MASTER\n  priority 100\n  preempt_delay 5\n  authentication {\n auth_type PASS\n auth_pass x\n }')}`,
    );
    expect(r.diags.map((d) => d.message)).toEqual([
      '(VI_1) State MASTER must match being address owner (priority 255) in strict mode',
      '(VI_1) strict mode does not support authentication - ignoring it',
      '(VI_1) preempt_delay is incompatible with strict mode - resetting',
    ]);
    const i = r.vrrp.instances[0]!;
    expect(i.initialState).toBe('BACKUP');
    expect(i.accept).toBe(false);
    expect(i.lowerPrioNoAdvert).toBe(true);
    expect(i.garpLowerPrioRepeat).toBe(0);
  });

  it('reports two instances using the same VRID on the same interface', () => {
    const r = load(instance('', 'A') + instance('', 'B'));
    expect(find(r, /A and B both use VRID 51 with IPv4 on interface eth0/)).toHaveLength(1);
    expect(r.exitCode).toBe(5);
  });

  it('ignores track_interface on its own interface', () => {
    const r = load(instance('  track_interface {\n    eth0\n    eth1 weight 10 reverse\n  }'));
    expect(find(r, /Ignoring track_interface eth0 since own interface/)[0]!.line).toBe(5);
    expect(r.vrrp.instances[0]!.trackInterfaces).toEqual([{ name: 'eth1', weight: 10, reverse: true, loc: at(6) }]);
  });

  it('warns about a tracked interface that does not exist', () => {
    const r = load(instance('  track_interface {\n    eth9\n  }'), { interfaceExists: (n) => n !== 'eth9' });
    expect(r.diags[0]).toEqual({ severity: 'warning', message: "(VI_1) tracked interface eth9 doesn't exist", line: 5 });
  });

  it('warns that unicast_ttl needs unicast peers, and that unicast keywords without peers mean multicast', () => {
    const r = load(instance('  unicast_ttl 4\n  unicast_src_ip 192.0.2.2'));
    expect(r.diags.map((d) => d.message)).toEqual([
      '(VI_1) cannot use unicast_ttl without unicast peers - resetting',
      expect.stringContaining('(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast.'),
    ]);
  });
});

describe('vrrp_instance: addresses', () => {
  it('parses unicast peers (a /prefix is accepted and ignored) and their TTL options', () => {
    const r = load(instance('  unicast_src_ip 192.0.2.2/24\n  unicast_peer {\n    192.0.2.3/24\n    192.0.2.4 min_ttl 10 max_ttl 20\n  }'));
    expect(r.diags).toEqual([]);
    const i = r.vrrp.instances[0]!;
    expect(i.srcIp).toBe('192.0.2.2');
    expect(i.unicast).toBe(true);
    expect(i.checkUnicastSrc).toBe(true);
    expect(i.mcastGroup).toBeUndefined();
    expect(i.unicastPeers.map((p) => [p.address, p.family, p.minTtl, p.maxTtl, p.loc.line])).toEqual([
      ['192.0.2.3', 'inet', 0, 255, 6],
      ['192.0.2.4', 'inet', 10, 20, 7],
    ]);
  });

  it('rejects malformed and wrong-family peers and source addresses; the first good address sets the family', () => {
    const r = load(instance('  unicast_src_ip 9.x.x.1\n  unicast_peer {\n    10.0.0.300\n    192.0.2.7\n    2001:db8::1\n  }'));
    expect(r.diags.map((d) => [d.line, d.message])).toEqual([
      [4, '(VI_1) malformed source address 9.x.x.1 - skipping'],
      [6, '(VI_1) malformed unicast peer address 10.0.0.300 - skipping'],
      [8, '(VI_1) unicast peer address 2001:db8::1 must be of the same family as the instance - skipping'],
    ]);
    expect(r.vrrp.instances[0]!.unicastPeers.map((p) => p.address)).toEqual(['192.0.2.7']);
  });

  it('parses virtual_ipaddress options into typed entries', () => {
    const r = load(
      'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n' +
        '  192.0.2.1/24 brd + dev eth1 scope link label eth1:vip no_track\n' +
        '  192.0.2.2/24 broadcast -\n' +
        '  192.0.2.3 peer 192.0.2.4 home preferred_lft forever use_vmac\n' +
        ' }\n virtual_ipaddress_excluded {\n  2001:db8::5/64 dev eth0\n }\n}\n',
    );
    expect(r.diags).toEqual([]);
    const [a, b, c] = r.vrrp.instances[0]!.virtualIps;
    expect(a).toMatchObject({ address: '192.0.2.1', prefixLen: 24, broadcast: '192.0.2.255', dev: 'eth1', scope: 'link', label: 'eth1:vip', noTrack: true });
    expect(b).toMatchObject({ broadcast: '192.0.2.0' });
    expect(c).toMatchObject({ peer: '192.0.2.4', prefixLen: 32, home: true, preferredLft: 'forever', useVmac: true });
    expect(r.vrrp.instances[0]!.excludedIps).toMatchObject([{ address: '2001:db8::5', family: 'inet6', prefixLen: 64, dev: 'eth0' }]);
  });

  it('reports bad virtual addresses and drops them', () => {
    const r = load(
      'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n' +
        '  192.168.100./24\n  192.0.2.9/33\n  2001:db8::1\n  192.0.2.7 dev\n  192.0.2.8 bogus\n }\n}\n',
    );
    expect(r.diags.map((d) => [d.line, d.message])).toEqual([
      [5, 'invalid IP address 192.168.100./24 - skipping it'],
      [6, 'invalid address prefix length 33 for address 192.0.2.9/33 - using 32'],
      [7, '(A) the address family of 2001:db8::1 must match the VRRP instance - ignoring it'],
      [8, 'no dev parameter specified for 192.0.2.7 - skipping it'],
      [9, "unknown option 'bogus' for ip address 192.0.2.8 - ignoring"],
    ]);
    expect(r.vrrp.instances[0]!.virtualIps.map((v) => v.address)).toEqual(['192.0.2.9', '192.0.2.8']);
  });

  it('drops an address whose dev does not exist, with a warning', () => {
    const r = load(instance('  virtual_ipaddress_excluded {\n    192.0.2.50 dev nope0\n  }'), { interfaceExists: (n) => n !== 'nope0' });
    expect(r.diags[0]).toEqual({ severity: 'warning', message: "WARNING - interface nope0 for ip address 192.0.2.50 doesn't exist", line: 5 });
  });

  it('parses virtual_routes: key fields, deprecated gw, untracked routes without dev', () => {
    const r = load(
      instance(
        '  virtual_routes {\n    10.1.0.0/16 via 192.0.2.254 dev eth0 table 100 metric 5 src 192.0.2.10\n    default gw 192.0.2.1\n    blackhole 10.9.9.9/32\n  }',
      ),
    );
    const [a, b, c] = r.vrrp.instances[0]!.virtualRoutes;
    expect(a).toMatchObject({
      dst: '10.1.0.0/16',
      via: '192.0.2.254',
      dev: 'eth0',
      table: '100',
      metric: 5,
      src: '192.0.2.10',
      family: 'inet',
      noTrack: false,
      protocol: 'keepalived',
    });
    expect(b).toMatchObject({ dst: 'default', via: '192.0.2.1', noTrack: true });
    expect(c).toMatchObject({ dst: '10.9.9.9/32', type: 'blackhole' });
    expect(r.diags.map((d) => [d.line, d.severity, d.message])).toEqual([
      [6, 'warning', '"gw" for routes is deprecated - please use "via"'],
      [6, 'warning', 'Warning - cannot track route default with no interface specified, not tracking'],
      [7, 'warning', 'Warning - cannot track route 10.9.9.9/32 with no interface specified, not tracking'],
    ]);
  });

  it('parses virtual_rules and numbers rules without a preference from 16384 down', () => {
    const r = load(instance('  virtual_rules {\n    from 192.0.2.0/24 table 2\n    to 192.0.2.0/24 lookup 3 priority 100\n    from 10.0.0.0/8 table 4\n  }'));
    const rules = r.vrrp.instances[0]!.virtualRules;
    expect(rules.map((x) => [x.priority, x.priorityDefaulted, x.table, x.action])).toEqual([
      [16384, true, '2', 'table'],
      [100, false, '3', 'table'],
      [16383, true, '4', 'table'],
    ]);
    expect(find(r, /rule has no preference specified - setting to 16384/)[0]!.line).toBe(5);
  });
});

describe('vrrp_instance: notify scripts', () => {
  it('takes the quoted command, and USER [GROUP] after it', () => {
    const r = load(instance('  notify_master "/usr/bin/notify.sh master now" root root\n  notify /usr/bin/all.sh'));
    const n = r.vrrp.instances[0]!.notify;
    expect(n.master).toMatchObject({ cmd: '/usr/bin/notify.sh master now', argv: ['/usr/bin/notify.sh', 'master', 'now'], user: 'root', group: 'root' });
    expect(n.generic?.argv).toEqual(['/usr/bin/all.sh']);
  });

  it('reports a second notify_master and keeps the first', () => {
    const r = load(instance('  notify_master /a.sh\n  notify_master /b.sh'));
    expect(find(r, /notify_master script already specified - ignoring \/b.sh/)[0]!.line).toBe(5);
    expect(r.vrrp.instances[0]!.notify.master?.cmd).toBe('/a.sh');
  });

  it('drops a notify script whose user does not exist (keepalived only logs it)', () => {
    const r = load(instance('  notify_backup /x.sh backup'), { userExists: (u) => u !== 'backup' });
    expect(r.vrrp.instances[0]!.notify.backup).toBeUndefined();
    expect(r.diags).toEqual([expect.objectContaining({ severity: 'info', line: 4 })]);
    expect(r.exitCode).toBe(0);
  });

  it('registers notify scripts for the script-security check', () => {
    const r = load(instance('  notify_master /a.sh'));
    expect(find(r, /SECURITY VIOLATION - scripts are being executed/)).toHaveLength(1);
    expect(r.exitCode).toBe(6);
  });
});
