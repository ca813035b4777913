import { describe, expect, it } from 'vitest';
import { FILE, find, instance, load } from './helpers.js';

const at = (line: number) => ({ file: FILE, line });

describe('vrrp_script', () => {
  it('resolves the defaults: interval 1, weight 0, rise/fall 1, timeout = interval', () => {
    const r = load('vrrp_script chk {\n  script "/usr/bin/pgrep -x haproxy"\n}\n');
    expect(r.vrrp.scripts).toEqual([
      {
        name: 'chk',
        script: { cmd: '/usr/bin/pgrep -x haproxy', argv: ['/usr/bin/pgrep', '-x', 'haproxy'], loc: at(2) },
        intervalS: 1,
        timeoutS: 1,
        weight: 0,
        weightReverse: false,
        rise: 1,
        fall: 1,
        initFail: false,
        loc: at(1),
      },
    ]);
    // Defined but used by no instance: nothing runs, nothing to report.
    expect(r.exitCode).toBe(0);
  });

  it('reads every keyword; the timeout follows the interval unless given', () => {
    const s = load('vrrp_script c {\n script /bin/true\n interval 5\n weight -20 reverse\n rise 2\n fall 3\n user nobody nogroup\n init_fail\n}\n').vrrp
      .scripts[0]!;
    expect(s).toMatchObject({
      intervalS: 5,
      timeoutS: 5,
      weight: -20,
      weightReverse: true,
      rise: 2,
      fall: 3,
      user: 'nobody',
      group: 'nogroup',
      initFail: true,
    });
    expect(load('vrrp_script c {\n script /bin/true\n interval 5\n timeout 2\n}\n').vrrp.scripts[0]!.timeoutS).toBe(2);
  });

  it('removes a vrrp_script without script, with an error', () => {
    const r = load('vrrp_script chk_x {\n  interval 2\n}\n');
    expect(r.diags).toEqual([{ severity: 'error', message: 'No script set for vrrp_script chk_x - removing', line: 1 }]);
    expect(r.vrrp.scripts).toEqual([]);
  });

  it('corrects interval 0 to 1 with a warning and rejects out-of-range weights', () => {
    const r = load('vrrp_script c {\n script /bin/true\n interval 0\n weight 254\n}\n');
    expect(r.diags.map((d) => [d.line, d.severity])).toEqual([
      [3, 'warning'],
      [4, 'error'],
    ]);
    expect(r.vrrp.scripts[0]!.intervalS).toBe(1);
    expect(r.vrrp.scripts[0]!.weight).toBe(0);
  });

  it('removes a script whose user does not exist, and the references to it', () => {
    const r = load(`vrrp_script c {\n script /bin/true\n user nosuch\n}\n${instance('  track_script {\n    c\n  }')}`, { userExists: (u) => u !== 'nosuch' });
    expect(r.vrrp.scripts).toEqual([]);
    expect(r.vrrp.instances[0]!.trackScripts).toEqual([]);
    expect(r.diags[0]).toMatchObject({ severity: 'error', line: 1, message: expect.stringContaining("user 'nosuch'") });
  });

  it('registers scripts of a configuration with instances as track scripts (script security)', () => {
    const r = load(`vrrp_script c {\n script /bin/true\n}\n${instance('  track_script {\n    c\n  }')}`);
    expect(r.diags.map((d) => d.severity)).toEqual(['security']);
    const missing = load(`vrrp_script c {\n script /no/such\n}\n${instance('  track_script {\n    c\n  }')}`, {
      findScript: () => ({ status: 'notfound', reason: 'no such file' }),
    });
    expect(find(missing, /disabling track script c/)).toHaveLength(1);
    expect(missing.vrrp.scripts).toEqual([]);
    expect(missing.vrrp.instances[0]!.trackScripts).toEqual([]);
  });
});

describe('track_script / track_interface / track_file / track_process / track_bfd entries', () => {
  const defs =
    'vrrp_script s {\n script /bin/true\n weight 7\n}\n' +
    'track_file f {\n file /run/f\n}\n' +
    'vrrp_track_process p {\n process haproxy\n weight 4 reverse\n}\n' +
    'bfd_instance b {\n neighbor_ip 192.0.2.99\n weight 3\n}\n';

  it('inherits the tracked object weight, or takes "weight N [reverse]"', () => {
    const r = load(
      defs +
        instance(
          '  track_script {\n    s\n  }\n  track_file {\n    f weight -3 reverse\n  }\n  track_process {\n    p\n  }\n  track_bfd {\n    b weight 9\n  }',
        ),
    );
    const i = r.vrrp.instances[0]!;
    expect(i.trackScripts).toEqual([{ name: 's', weight: 7, reverse: false, weightGiven: false, loc: at(20) }]);
    expect(i.trackFiles).toMatchObject([{ name: 'f', weight: -3, reverse: true, weightGiven: true }]);
    expect(i.trackProcesses).toMatchObject([{ name: 'p', weight: 4, reverse: true }]);
    expect(i.trackBfds).toMatchObject([{ name: 'b', weight: 9 }]);
  });

  it('warns about a track_script naming an unknown (or later-defined) vrrp_script, as keepalived', () => {
    const r = load(instance('  track_script {\n    later\n  }') + 'vrrp_script later {\n script /bin/true\n}\n');
    expect(r.diags[0]).toEqual({ severity: 'warning', message: '(VI_1) track script later not found, ignoring...', line: 5 });
    expect(r.vrrp.instances[0]!.trackScripts).toEqual([]);
  });

  it("reports 'weight=0' and a missing weight value", () => {
    const r = load(defs + instance('  track_script {\n    s weight=0\n  }\n  track_file {\n    f weight\n  }'));
    expect(r.diags.filter((d) => d.severity !== 'security').map((d) => [d.line, d.message])).toEqual([
      [20, "(VI_1) unknown track script option weight=0 - ignoring: expected 'weight N [reverse]'"],
      [23, '(VI_1) weight without value specified for track file f - ignoring'],
    ]);
  });

  it('corrects a track_interface / track_script weight of +/-254 to +/-253', () => {
    const r = load(defs + instance('  track_interface {\n    eth1 weight -254\n  }\n  track_script {\n    s weight 254\n  }'));
    expect(r.vrrp.instances[0]!.trackInterfaces[0]!.weight).toBe(-253);
    expect(r.vrrp.instances[0]!.trackScripts[0]!.weight).toBe(253);
    expect(find(r, /cannot be \+\/-254/)).toHaveLength(2);
  });

  it('ignores weighted tracking for the address owner', () => {
    const r = load(defs + instance('  priority 255\n  track_script {\n    s\n  }\n  track_file {\n    f\n  }'));
    const i = r.vrrp.instances[0]!;
    expect(i.trackScripts).toEqual([]);
    expect(i.trackFiles).toMatchObject([{ name: 'f', weight: 0 }]);
    expect(r.diags.map((d) => d.message)).toEqual([
      '(VI_1) ignoring tracked script s with weights due to address owner',
      '(VI_1) ignoring weight from tracked file f due to address owner - specify weight 0',
      expect.stringMatching(/SECURITY VIOLATION/),
    ]);
  });
});

describe('vrrp_sync_group', () => {
  const two = instance('', 'A') + instance('', 'B').replace('virtual_router_id 51', 'virtual_router_id 52');

  it('resolves members and defaults', () => {
    const r = load(two + 'vrrp_sync_group G {\n  group {\n    A B\n  }\n  notify_master /bin/g.sh\n}\n');
    expect(r.vrrp.syncGroups).toEqual([
      {
        name: 'G',
        members: ['A', 'B'],
        trackInterfaces: [],
        trackScripts: [],
        trackFiles: [],
        trackProcesses: [],
        trackBfds: [],
        notify: { master: { cmd: '/bin/g.sh', argv: ['/bin/g.sh'], loc: at(21) } },
        trackingWeight: false,
        smtpAlert: false,
        loc: at(17),
      },
    ]);
    expect(r.vrrp.instances.map((i) => i.syncGroup)).toEqual(['G', 'G']);
  });

  it('is an error without a group block (the instance name is an unknown keyword)', () => {
    const r = load(two + 'vrrp_sync_group G {\n  A\n}\n');
    expect(r.diags.map((d) => [d.line, d.severity, d.message])).toEqual([
      [18, 'error', "unknown keyword 'A'"],
      [17, 'error', "sync group G has no virtual router(s): add a 'group { INSTANCE ... }' block - removing it"],
    ]);
    expect(r.vrrp.syncGroups).toEqual([]);
  });

  it('reports members that do not exist, and a group left with one member', () => {
    const r = load(two + 'vrrp_sync_group G {\n  group {\n    A\n    NOPE\n  }\n}\n');
    expect(r.diags.map((d) => [d.severity, d.message])).toEqual([
      ['error', "virtual router NOPE specified in sync group G doesn't exist - ignoring it"],
      ['warning', "sync group G has only 1 virtual router - this probably isn't what you want"],
    ]);
  });

  it('removes a group none of whose members exist', () => {
    const r = load(two + 'vrrp_sync_group G {\n  group {\n    X Y\n  }\n}\n');
    expect(find(r, /no matching virtual router found/)).toHaveLength(1);
    expect(r.vrrp.syncGroups).toEqual([]);
  });

  it('ignores weighted tracking of its members unless sync_group_tracking_weight', () => {
    const t = 'vrrp_script s {\n script /bin/true\n weight 5\n}\n';
    const inst = instance('  track_script {\n    s\n  }', 'A');
    const g = 'vrrp_sync_group G {\n group {\n  A\n }\n';
    const r = load(t + inst + g + '}\n');
    expect(find(r, /ignoring tracked script s with weights due to SYNC group/)).toHaveLength(1);
    const r2 = load(t + inst + g + ' sync_group_tracking_weight\n}\n');
    expect(r2.vrrp.instances[0]!.trackScripts).toHaveLength(1);
  });

  it('reports a duplicate sync group', () => {
    const r = load('vrrp_sync_group G {\n}\nvrrp_sync_group G {\n}\n');
    expect(find(r, /vrrp sync group G already defined/)[0]!.line).toBe(3);
  });
});

describe('track_file, vrrp_track_process, bfd_instance', () => {
  it('track_file: default weight 1, init_file, deprecated vrrp_track_file', () => {
    const r = load('track_file tf {\n file /run/tf\n init_file 5 overwrite\n}\nvrrp_track_file old {\n file /run/old\n weight -2 reverse\n}\n');
    expect(r.vrrp.trackFiles).toEqual([
      { name: 'tf', file: '/run/tf', weight: 1, weightReverse: false, init: { value: 5, overwrite: true }, loc: at(1) },
      { name: 'old', file: '/run/old', weight: -2, weightReverse: true, loc: at(5) },
    ]);
    expect(r.diags).toEqual([{ severity: 'info', message: '"vrrp_track_file" is deprecated, please use "track_file"', line: 5 }]);
  });

  it('track_file without file is reported and dropped', () => {
    const r = load('track_file tf {\n weight 3\n}\n');
    expect(r.diags).toEqual([{ severity: 'error', message: 'no file set for track_file tf - ignoring it', line: 1 }]);
    expect(r.vrrp.trackFiles).toEqual([]);
  });

  it('vrrp_track_process: defaults, parameters, quorum checks', () => {
    const r = load('vrrp_track_process p {\n process haproxy -f /etc/h.cfg\n quorum 2\n quorum_max 4\n delay 1.5\n}\n');
    expect(r.vrrp.trackProcesses).toEqual([
      {
        name: 'p',
        process: 'haproxy',
        params: ['-f', '/etc/h.cfg'],
        paramMatch: 'exact',
        weight: 0,
        weightReverse: false,
        quorum: 2,
        quorumMax: 4,
        terminateDelayS: 1.5,
        forkDelayS: 1.5,
        fullCommand: true,
        loc: at(1),
      },
    ]);
    const bad = load('vrrp_track_process p {\n quorum_max 1\n quorum 3\n}\n');
    expect(bad.diags.map((d) => d.message)).toEqual([
      'quorum 3 is greater than quorum_max 1 - ignoring',
      "track process 'p' process name not specified - ignoring it",
    ]);
    expect(bad.vrrp.trackProcesses).toEqual([]);
    expect(load('vrrp_track_process q {\n process x\n}\n').vrrp.trackProcesses[0]).toMatchObject({
      quorum: 1,
      quorumMax: 4294967295,
      paramMatch: 'none',
      fullCommand: false,
    });
  });

  it('bfd_instance: defaults and resolved TTL', () => {
    const r = load('bfd_instance b {\n neighbour_ip 2001:db8::9\n}\n');
    expect(r.vrrp.bfdInstances).toEqual([
      {
        name: 'b',
        neighborIp: '2001:db8::9',
        family: 'inet6',
        minRxMs: 10,
        minTxMs: 10,
        idleTxMs: 1000,
        multiplier: 5,
        passive: false,
        ttl: 64,
        maxHops: 0,
        weight: 0,
        weightReverse: false,
        vrrp: true,
        checker: true,
        loc: at(1),
      },
    ]);
    expect(load('bfd_instance b {\n neighbor_ip 192.0.2.1\n vrrp\n}\n').vrrp.bfdInstances[0]).toMatchObject({ ttl: 255, vrrp: true, checker: false });
  });

  it('bfd_instance: disabled without neighbor, or with a source of the other family', () => {
    const r = load('bfd_instance a {\n min_rx 5\n}\nbfd_instance b {\n neighbor_ip 192.0.2.1\n source_ip 2001:db8::1\n}\n');
    expect(r.diags.map((d) => [d.line, d.message])).toEqual([
      [1, 'BFD instance a has no neighbor address set - disabling the instance'],
      [4, 'BFD instance b source address 2001:db8::1 and neighbor address 192.0.2.1 are not of the same family - disabling the instance'],
    ]);
    expect(r.vrrp.bfdInstances).toEqual([]);
  });
});

describe('static_ipaddress / static_routes / static_rules / track_group / garp_group / linkbeat / up-down delays', () => {
  it('parses the static blocks; a static address without dev takes the default interface', () => {
    const r = load(
      'track_group TG {\n group {\n  VI_1\n }\n}\n' +
        'static_ipaddress {\n 192.0.2.1/24 dev eth0 track_group TG\n 192.0.2.2/24\n}\n' +
        'static_routes {\n 10.0.0.0/8 via 192.0.2.254 dev eth0 track_group TG\n}\n' +
        'static_rules {\n from 10.0.0.0/8 table 10 priority 100 iif eth0\n}\n',
    );
    // track_group on a static entry is reported as not acted on (once per entry that has one).
    expect(r.diags.map((d) => [d.severity, d.line])).toEqual([
      ['info', 7],
      ['info', 11],
    ]);
    expect(r.diags[0]!.message).toContain('is not acted on by tskeepalived');
    expect(r.vrrp.trackGroups).toEqual([{ name: 'TG', members: ['VI_1'], loc: at(1) }]);
    expect(r.vrrp.staticAddresses.map((a) => [a.address, a.dev, a.trackGroup])).toEqual([
      ['192.0.2.1', 'eth0', 'TG'],
      ['192.0.2.2', 'eth0', undefined],
    ]);
    expect(r.vrrp.staticRoutes).toMatchObject([{ dst: '10.0.0.0/8', via: '192.0.2.254', dev: 'eth0', trackGroup: 'TG', family: 'inet' }]);
    expect(r.vrrp.staticRules).toMatchObject([{ from: '10.0.0.0/8', table: '10', priority: 100, iif: 'eth0', action: 'table', family: 'inet' }]);
  });

  it('static address without dev and no default interface is fatal', () => {
    const r = load('static_ipaddress {\n 192.0.2.2/24\n}\n', { interfaceExists: () => false });
    expect(r.diags).toEqual([{ severity: 'fatal', message: expect.stringContaining('static address 192.0.2.2 requires'), line: 2 }]);
    expect(r.exitCode).toBe(4);
  });

  it('reports unknown track groups and invalid rules', () => {
    const r = load(
      'static_routes {\n 10.0.0.0/8 dev eth0 track_group NOPE\n}\nstatic_rules {\n from 10.0.0.0/8 goto 5 priority 10\n to 192.168.100./24 table 1\n}\n',
    );
    expect(r.diags.map((d) => [d.line, d.message])).toEqual([
      [2, 'track_group NOPE not found'],
      [5, 'invalid rule - preference 10 >= goto target 5'],
      [6, 'invalid rule to address 192.168.100./24'],
    ]);
  });

  it('a second track_group is a duplicate: the address keeps the first, the route and rule are rejected', () => {
    const tg = 'track_group TG {\n group {\n  VI_1\n }\n}\n';
    const r = load(
      tg +
        instance() +
        'static_ipaddress {\n 192.0.2.1/24 dev eth0 track_group TG track_group TG\n}\n' +
        'static_routes {\n 10.0.0.0/8 dev eth0 track_group TG track_group TG\n}\n' +
        'static_rules {\n from 10.0.0.0/8 table 1 priority 10 track_group TG track_group TG\n}\n',
    );
    expect(find(r, /track_group TG is a duplicate/).map((d) => d.line)).toEqual([15, 18, 21]);
    expect(find(r, /trailing nonsense - TG/).map((d) => d.line)).toEqual([18, 21]);
    expect(r.vrrp.staticAddresses[0]!.trackGroup).toBe('TG');
    expect(r.vrrp.staticRoutes).toEqual([]);
    expect(r.vrrp.staticRules).toEqual([]);
  });

  it('garp_group: intervals and interfaces; an interface in two groups is an error; no delay removes the group', () => {
    const r = load(
      'garp_group {\n garp_interval 0.002\n interfaces {\n  eth1 eth2\n }\n}\ngarp_group {\n gna_interval 0.5\n interface eth1\n}\ngarp_group {\n interface eth3\n}\n',
    );
    expect(r.vrrp.garpGroups).toEqual([
      { garpIntervalS: 0.002, interfaces: ['eth1', 'eth2'], loc: at(1) },
      { gnaIntervalS: 0.5, interfaces: [], loc: at(7) },
    ]);
    expect(r.diags.map((d) => [d.line, d.message])).toEqual([
      [9, 'garp_group already specified for eth1 - ignoring'],
      [11, 'garp group 3 does not have any delay set (garp_interval or gna_interval) - removing it'],
    ]);
  });

  it('linkbeat_interfaces and interface_up_down_delays', () => {
    const r = load('linkbeat_interfaces {\n eth0 MII\n eth1\n eth2 FOO\n}\ninterface_up_down_delays {\n eth0 1.5 2\n eth1 300\n}\n');
    expect(r.vrrp.linkbeatInterfaces).toEqual([
      { name: 'eth0', type: 'MII', loc: at(2) },
      { name: 'eth1', loc: at(3) },
      { name: 'eth2', loc: at(4) },
    ]);
    expect(r.vrrp.interfaceUpDownDelays).toEqual([{ name: 'eth0', downDelayS: 1.5, upDelayS: 2, loc: at(7) }]);
    expect(r.diags.map((d) => [d.line, d.severity])).toEqual([
      [4, 'error'],
      [8, 'info'],
    ]);
  });

  it('an unknown linkbeat interface is fatal', () => {
    const r = load('linkbeat_interfaces {\n eth7\n}\n', { interfaceExists: () => false });
    expect(r.diags).toEqual([{ severity: 'fatal', message: 'unknown interface eth7 specified for linkbeat interface', line: 2 }]);
  });
});
