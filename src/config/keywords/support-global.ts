/** Keyword tables, pure: support entries of `global_defs` and the root-level global keywords (support.ts). */
import { ACTED, conditional, each, later, not, type SupportTable } from './support-kinds.js';

const SNMP = not('SNMP is not built');
const DBUS = not('D-Bus is not built');
const BFD = not('BFD is not built');
const NAMES = not('the processes are named tskeepalived, tskeepalived-vrrp and tskeepalived-checkers');
const RT = not('processes run at normal scheduling: only the nice value of vrrp_priority/checker_priority is set (a Node process under SCHED_RR would be stopped by its own garbage collector)');
const NETLINK_BUFS = not('netlink socket receive buffers keep their default sizes');
const NFT = not('no_accept filtering always uses nftables, in its own table with keepalived\'s default layout; iptables, ipsets and the nftables tuning keywords are not used, nor IPVS fwmark rules');
const RELOAD = not('reloads happen on SIGHUP only, after the file is parsed and checked');

export const globalSupport: SupportTable = {
  linkbeat_use_polling: not('link state comes from rtnetlink notifications; there is no MII/ethtool polling'),
  net_namespace: ACTED,
  net_namespace_ipvs: not('IPVS is programmed in the namespace the checker process runs in'),
  namespace_with_ipsets: not('no ipsets are used'),
  use_pid_dir: not('pid files are where -p/-r/-c or the defaults put them'),
  instance: not('the instance name does not change pid file or log names'),
  child_wait_time: not('the time the supervisor waits for its children at stop is fixed'),
  global_defs: ACTED,
  'global_defs.router_id': ACTED,
  ...each('global_defs', ['notification_email_from', 'smtp_server', 'smtp_helo_name', 'smtp_connect_timeout', 'notification_email', 'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker', 'no_email_faults'], ACTED),
  'global_defs.no_checker_emails': conditional('mails are always sent per real server added or removed, as with no_checker_emails; without it keepalived also mails each checker change'),
  ...each('global_defs', ['process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name', 'bfd_process_name'], NAMES),
  'global_defs.checker_log_all_failures': not('the default of the checkers\' log_all_failures stays off'),
  ...each('global_defs', ['startup_script', 'startup_script_timeout', 'shutdown_script', 'shutdown_script_timeout'], ACTED),
  ...each('global_defs', ['max_auto_priority', 'min_auto_priority_delay'], RT),
  'global_defs.dynamic_interfaces': ACTED,
  'global_defs.default_interface': ACTED,
  'global_defs.disable_local_igmp': not('igmp_link_local_mcast_reports is left as it is'),
  ...each('global_defs', ['lvs_timeouts', 'lvs_flush', 'lvs_flush_on_stop', 'lvs_flush_onstop', 'lvs_sync_daemon'], ACTED),
  ...each('global_defs', ['vrrp_mcast_group4', 'vrrp_mcast_group6'], ACTED),
  ...each(
    'global_defs',
    ['vrrp_garp_master_delay', 'vrrp_garp_master_repeat', 'vrrp_garp_master_refresh', 'vrrp_garp_master_refresh_repeat', 'vrrp_garp_lower_prio_delay', 'vrrp_garp_lower_prio_repeat', 'vrrp_garp_interval', 'vrrp_gna_interval', 'vrrp_min_garp', 'vrrp_down_timer_adverts'],
    ACTED,
  ),
  ...each('global_defs', ['vrrp_garp_extra_if', 'vrrp_vmac_garp_intvl'], not('no periodic announcements on the interfaces of VIPs with another dev')),
  ...each('global_defs', ['vrrp_lower_prio_no_advert', 'vrrp_higher_prio_send_advert', 'vrrp_version', 'vrrp_check_unicast_src'], ACTED),
  // Received adverts' address lists are never compared with the VIPs: this is always the behaviour.
  'global_defs.vrrp_skip_check_adv_addr': ACTED,
  'global_defs.vrrp_strict': ACTED,
  ...each('global_defs', ['vrrp_iptables', 'nftables', 'nftables_priority', 'nftables_ifindex', 'nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark', 'nftables_counters'], NFT),
  ...each('global_defs', ['vrrp_priority', 'checker_priority'], ACTED),
  'global_defs.bfd_priority': BFD,
  ...each('global_defs', ['vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime'], RT),
  ...each('global_defs', ['checker_no_swap', 'checker_rt_priority', 'checker_cpu_affinity', 'checker_rlimit_rttime', 'checker_rlimit_rtime'], RT),
  ...each('global_defs', ['bfd_no_swap', 'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rttime', 'bfd_rlimit_rtime'], BFD),
  ...each('global_defs', ['notify_fifo', 'notify_fifo_script', 'vrrp_notify_fifo', 'vrrp_notify_fifo_script', 'vrrp_notify_priority_changes', 'lvs_notify_fifo', 'lvs_notify_fifo_script', 'fifo_write_vrrp_states_on_reload'], ACTED),
  'global_defs.tskeepalived_restore_deleted_vips': ACTED,
  'global_defs.tskeepalived_ipvs_check_interval': ACTED,
  ...each('global_defs', ['snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_snmp_checker'], SNMP),
  ...each('global_defs', ['enable_dbus', 'dbus_service_name'], DBUS),
  'global_defs.script_user': ACTED,
  'global_defs.enable_script_security': ACTED,
  ...each(
    'global_defs',
    ['vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force', 'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs', 'lvs_netlink_monitor_rcv_bufs_force'],
    NETLINK_BUFS,
  ),
  ...each('global_defs', ['vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force'], ACTED),
  'global_defs.rs_init_notifies': not('no notification is sent for real servers as the checkers start'),
  ...each('global_defs', ['vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier'], not('VRRP sockets keep their default receive buffers')),
  'global_defs.vrrp_startup_delay': ACTED,
  'global_defs.log_unknown_vrids': not('adverts for unknown VRIDs are not logged'),
  ...each('global_defs', ['vmac_prefix', 'vmac_addr_prefix'], not('VMACs are named vrrp.VRID unless use_vmac gives a name')),
  'global_defs.umask': not('files are created with the process umask'),
  'global_defs.random_seed': not('${_RANDOM} is not seeded by it'),
  ...each('global_defs', ['reload_check_config', 'reload_time_file', 'reload_repeat', 'reload_file'], RELOAD),
  'global_defs.include_check': not('the checks made on included files do not change with it'),
  'global_defs.config_save_dir': not('configurations are not saved on reload'),
  'global_defs.tmp_config_directory': not('the configuration is read by the supervisor only; no copy is written'),
  'global_defs.data_use_instance': not('dump file names do not carry the instance name'),
  // keepalived releases after 2.2.7
  'global_defs.json_version': later('2.2.8', "the JSON dump keeps keepalived 2.2.7's layout"),
  ...each('global_defs', ['json_dump_file', 'state_dump_file', 'stats_dump_file'], later('2.3.3', 'dumps are written to --dump-dir')),
  ...each('global_defs', ['iproute_usr_dir', 'iproute_etc_dir'], later('2.3.2', 'route and rule names from iproute2 files are not looked up')),
  'global_defs.dbus_no_interface_name': later('2.3.0', 'D-Bus is not built'),
  ...each('global_defs', ['snmp_vs_stats_update_interval', 'snmp_rs_stats_update_interval'], later('2.3.0', 'SNMP is not built')),
  'global_defs.use_symlink_paths': later('2.3.0', 'script paths are run as written'),
  'global_defs.set_supplementary_groups': later('after 2.4.3 (development)', "scripts run as their user with no supplementary groups, as keepalived 2.2.7 runs them"),
  'global_defs.v3_checksum_as_v2': later('2.2.8', 'VRRPv3 IPv4 checksums include the pseudo-header, as keepalived 2.2.7\'s'),
  'global_defs.vrrp_delay_after_boot': later('2.4.0', 'instances start after vrrp_startup_delay only'),
  'global_defs.vrrp_owner_ignore_adverts': later('2.3.3', 'an address owner handles adverts as keepalived 2.2.7 does'),
};
