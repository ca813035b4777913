import { describe, expect, it } from 'vitest';
import { emptyGlobal } from '../../../src/config/model/global.js';
import { FILE, find, instance, load } from './helpers.js';

const at = (line: number) => ({ file: FILE, line });

describe('global_defs: resolved defaults', () => {
  it('an empty file resolves to keepalived 2.2.7 global defaults', () => {
    const r = load('');
    expect(r.global).toEqual({
      notificationEmail: [],
      smtpConnectTimeoutS: 30,
      noEmailFaults: false,
      maxAutoPriority: 0,
      minAutoPriorityDelayUs: 1_000_000,
      dynamicInterfaces: false,
      allowIfChanges: false,
      disableLocalIgmp: false,
      lvsTimeouts: {},
      lvsFlush: false,
      vrrpMcastGroup4: '224.0.0.18',
      vrrpMcastGroup6: 'ff02::12',
      vrrpGarpMasterDelayS: 5,
      vrrpGarpMasterRepeat: 5,
      vrrpGarpMasterRefreshS: 0,
      vrrpGarpMasterRefreshRepeat: 1,
      vrrpGarpLowerPrioDelayS: 5,
      vrrpGarpLowerPrioRepeat: 5,
      vrrpDownTimerAdverts: 3,
      vrrpGarpIntervalS: 0,
      vrrpGnaIntervalS: 0,
      vrrpMinGarp: false,
      vrrpGarpExtraIfS: 0,
      vrrpGarpExtraIfAll: false,
      vrrpLowerPrioNoAdvert: false,
      vrrpHigherPrioSendAdvert: false,
      vrrpVersion: 2,
      vrrpCheckUnicastSrc: false,
      vrrpSkipCheckAdvAddr: false,
      vrrpStrict: false,
      vrrpNotifyPriorityChanges: false,
      fifoWriteVrrpStatesOnReload: false,
      restoreDeletedVips: false,
      ipvsCheckIntervalS: 60,
      vrrpStartupDelayS: 0,
      nftablesIfindex: false,
      nftablesCounters: false,
      reloadRepeat: false,
      namespaceWithIpsets: false,
      usePidDir: false,
      linkbeatUsePolling: false,
      locs: {},
      other: {},
    });
    expect(emptyGlobal().vrrpGarpLowerPrioDelayS).toBeUndefined();
  });

  it('reads the typed keywords, with units', () => {
    const r = load(
      [
        'global_defs {',
        '  router_id LVS_1',
        '  notification_email {',
        '    a@example.com',
        '    b@example.com c@example.com',
        '  }',
        '  notification_email_from ka@example.com',
        '  smtp_server 192.0.2.25 2525',
        '  smtp_helo_name ka.example.com',
        '  smtp_connect_timeout 10',
        '  smtp_alert',
        '  smtp_alert_vrrp off',
        '  vrrp_garp_master_delay 2',
        '  vrrp_garp_master_refresh 60',
        '  vrrp_garp_interval 0.001',
        '  vrrp_gna_interval 0.000002',
        '  vrrp_version 3',
        '  vrrp_strict',
        '  vrrp_skip_check_adv_addr',
        '  vrrp_mcast_group4 224.0.0.19',
        '  default_interface eth9',
        '  dynamic_interfaces allow_if_changes',
        '  max_auto_priority',
        '  vrrp_startup_delay 5.5',
        '  lvs_flush',
        '  lvs_flush_onstop VS',
        '  lvs_timeouts tcp 900 tcpfin 120 udp 300',
        '  lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8848 ttl 2 group 239.0.0.1',
        '  enable_script_security',
        '  script_user nobody nogroup',
        '  nftables',
        '  vrrp_netlink_monitor_rcv_bufs 8388608',
        '  vrrp_netlink_monitor_rcv_bufs_force',
        '}',
      ].join('\n'),
    );
    expect(r.diags).toEqual([]);
    expect(r.global).toMatchObject({
      vrrpNetlinkMonitorRcvBufs: 8388608,
      vrrpNetlinkMonitorRcvBufsForce: true,
      routerId: 'LVS_1',
      notificationEmail: ['a@example.com', 'b@example.com', 'c@example.com'],
      notificationEmailFrom: 'ka@example.com',
      smtpServer: { host: '192.0.2.25', port: 2525, loc: at(8) },
      smtpHeloName: 'ka.example.com',
      smtpConnectTimeoutS: 10,
      smtpAlert: true,
      smtpAlertVrrp: false,
      vrrpGarpMasterDelayS: 2,
      vrrpGarpLowerPrioDelayS: 2,
      vrrpGarpMasterRefreshS: 60,
      vrrpGarpIntervalS: 0.001,
      vrrpGnaIntervalS: 0.000002,
      vrrpVersion: 3,
      vrrpStrict: true,
      vrrpSkipCheckAdvAddr: true,
      vrrpMcastGroup4: '224.0.0.19',
      defaultInterface: 'eth9',
      dynamicInterfaces: true,
      allowIfChanges: true,
      maxAutoPriority: 99,
      vrrpStartupDelayS: 5.5,
      lvsFlush: true,
      lvsFlushOnStop: 'vs',
      lvsTimeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 },
      lvsSyncDaemon: { interface: 'eth1', vrrpInstance: 'VI_1', syncId: 7, maxLen: 1400, port: 8848, ttl: 2, group: '239.0.0.1', loc: at(28) },
      enableScriptSecurity: true,
      scriptUser: 'nobody',
      scriptGroup: 'nogroup',
      nftablesTable: 'keepalived',
    });
    expect(r.global.locs['router_id']).toEqual(at(2));
  });

  it('keeps keywords not acted on yet in `other`, with their words', () => {
    const r = load(
      'global_defs {\n  enable_snmp_vrrp\n  snmp_socket tcp:localhost:705\n  vrrp_rt_priority 50\n  checker_priority -5\n  enable_dbus\n  umask IWGRP|IWOTH\n  random_seed 42\n}\n',
    );
    expect(r.diags).toEqual([]);
    expect(r.global.other).toEqual({
      enable_snmp_vrrp: [],
      snmp_socket: ['tcp:localhost:705'],
      vrrp_rt_priority: ['50'],
      checker_priority: ['-5'],
      enable_dbus: [],
      umask: ['IWGRP|IWOTH'],
      random_seed: ['42'],
    });
  });

  it('reads the root-level globals', () => {
    const r = load('net_namespace blue\nnet_namespace_ipvs\ninstance i1\nuse_pid_dir\nlinkbeat_use_polling\nchild_wait_time 5\nnamespace_with_ipsets\n');
    expect(r.diags).toEqual([]);
    expect(r.global).toMatchObject({
      netNamespace: 'blue',
      netNamespaceIpvs: '',
      instance: 'i1',
      usePidDir: true,
      linkbeatUsePolling: true,
      childWaitTimeS: 5,
      namespaceWithIpsets: true,
    });
    expect(find(load('net_namespace a\nnet_namespace b\n'), /duplicate net_namespace definition b/)[0]!.line).toBe(2);
  });
});

describe('global_defs: keepalived diagnostics', () => {
  it("rejects vrrp_garp_interval 0 and vrrp_gna_interval 0 (number '0' outside range)", () => {
    const r = load('global_defs {\n  vrrp_garp_interval 0\n  vrrp_gna_interval 0\n}\n');
    expect(r.diags).toEqual([
      { severity: 'error', message: "number '0' outside range [0.000001, 4294.967295] for vrrp_garp_interval", line: 2 },
      { severity: 'error', message: "number '0' outside range [0.000001, 4294.967295] for vrrp_gna_interval", line: 3 },
    ]);
    expect(r.exitCode).toBe(5);
  });

  it('warns that vrrp_iptables is replaced by nftables', () => {
    const r = load('global_defs {\n  vrrp_iptables INPUT OUTPUT\n}\n');
    expect(r.diags).toEqual([{ severity: 'warning', message: expect.stringContaining('iptables not supported, using nftables instead'), line: 2 }]);
    expect(r.global.nftablesTable).toBe('keepalived');
  });

  it('does not know vrrp_ipsets (no ipset support in this build)', () => {
    expect(find(load('global_defs {\n  vrrp_ipsets a\n}\n'), /unknown keyword 'vrrp_ipsets'/)).toHaveLength(1);
  });

  it('garp_master_delay is not a global_defs keyword (the global form is vrrp_garp_master_delay)', () => {
    const r = load('global_defs {\n  garp_master_delay 5\n}\n');
    expect(r.diags).toEqual([{ severity: 'error', message: "unknown keyword 'garp_master_delay'", line: 2 }]);
  });

  it('warns about an empty notification_email block', () => {
    const r = load('global_defs {\n  notification_email {\n  }\n}\n');
    expect(r.diags).toEqual([{ severity: 'warning', message: 'Warning - empty notification_email block', line: 2 }]);
  });

  it('reports script_user naming a user that does not exist, and drops scripts without their own user', () => {
    const conf = `global_defs {\n  script_user ghost\n}\nvrrp_script s {\n  script /bin/true\n}\n${instance('  track_script {\n    s\n  }')}`;
    const r = load(conf, { userExists: (u) => u !== 'ghost' });
    expect(r.diags.slice(0, 3)).toEqual([
      { severity: 'error', message: "Error setting global script uid/gid: script user 'ghost' does not exist", line: 2 },
      { severity: 'error', message: 'unable to set the default user for vrrp script s - removing it', line: 4 },
      { severity: 'warning', message: '(VI_1) track script s not found (removed), ignoring...', line: 11 },
    ]);
    expect(r.global.scriptUserError).toBe(true);
    expect(r.global.scriptUser).toBeUndefined();
    expect(r.vrrp.scripts).toEqual([]);
    expect(r.exitCode).toBe(5);
  });

  it('reports an smtp_server that cannot be an address or a host name (host names are not resolved)', () => {
    expect(load('global_defs {\n  smtp_server ** 25\n}\n').diags).toEqual([
      { severity: 'error', message: 'invalid smtp server ** 25: expected an IP address or a host name', line: 2 },
    ]);
    expect(load('global_defs {\n  smtp_server mail.example.com\n}\n').global.smtpServer).toMatchObject({ host: 'mail.example.com', port: 25 });
    expect(find(load('global_defs {\n  smtp_server 192.0.2.1 70000\n}\n'), /port '70000' outside range \[1, 65535\]/)).toHaveLength(1);
  });

  it('corrects zero repeats and timeouts with warnings', () => {
    const r = load('global_defs {\n  vrrp_garp_master_repeat 0\n  smtp_connect_timeout 0\n}\n');
    expect(r.diags.map((d) => [d.line, d.severity])).toEqual([
      [2, 'warning'],
      [3, 'warning'],
    ]);
    expect(r.global.vrrpGarpMasterRepeat).toBe(1);
    expect(r.global.smtpConnectTimeoutS).toBe(1);
  });

  it('checks arguments of keywords kept in `other`', () => {
    const r = load('global_defs {\n  vrrp_priority 30\n  process_name abcdefghijklmnopq\n  snmp_socket a b\n  umask 0999\n  vrrp_rx_bufs_multiplier\n}\n');
    expect(r.diags.map((d) => d.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.diags.every((d) => d.severity === 'error')).toBe(true);
  });

  it('validates mcast groups and the vrrp_version range', () => {
    const r = load('global_defs {\n  vrrp_mcast_group4 10.0.0.1\n  vrrp_mcast_group6 ff05::12\n  vrrp_version 4\n}\n');
    expect(r.diags.map((d) => [d.line, d.severity, d.message])).toEqual([
      [2, 'error', 'vrrp_mcast_group4 [10.0.0.1] is not multicast - skipping'],
      [3, 'warning', 'vrrp_mcast_group6 [ff05::12] should be link-local multicast'],
      [4, 'error', "version '4' outside range [2, 3] for vrrp_version"],
    ]);
    expect(r.global.vrrpMcastGroup4).toBe('224.0.0.18');
    expect(r.global.vrrpMcastGroup6).toBe('ff05::12');
  });

  it('registers startup/shutdown scripts for the script-security check', () => {
    const r = load('global_defs {\n  startup_script "/usr/local/bin/up.sh now"\n}\n');
    expect(r.global.startupScript).toMatchObject({ argv: ['/usr/local/bin/up.sh', 'now'] });
    expect(r.global.startupScriptTimeoutS).toBe(10);
    expect(find(r, /start\/shutdown scripts are being executed/)).toHaveLength(1);
    expect(r.exitCode).toBe(6);
  });

  it('aborts (exit 2) on a keyword missing its required word', () => {
    const r = load('global_defs {\n  smtp_server\n}\n');
    expect(r.exitCode).toBe(2);
    expect(r.diags.at(-1)!.line).toBe(2);
  });
});
