/** Keyword tables, pure: support entries of the VRRP blocks (vrrp_instance, sync groups, trackers, statics...). */
import { ACTED, conditional, each, later, not, type SupportTable } from './support-kinds.js';

const BFD = not('BFD is not built');
const GARP_EXTRA = conditional('not acted on with a time above 0: no periodic announcements on the interfaces of VIPs with another dev');

const instance: SupportTable = {
  ...each(
    'vrrp_instance',
    [
      'state', 'interface', 'virtual_router_id', 'priority', 'advert_int', 'version', 'native_ipv6', 'dont_track_primary',
      'track_interface', 'track_script', 'track_file', 'track_process', 'mcast_src_ip', 'unicast_src_ip', 'mcast_dst_ip',
      'unicast_peer', 'unicast_fault_no_peer', 'check_unicast_src', 'unicast_ttl', 'virtual_ipaddress',
      'virtual_ipaddress_excluded', 'virtual_routes', 'virtual_rules', 'promote_secondaries', 'preempt', 'nopreempt',
      'preempt_delay', 'notify_backup', 'notify_master', 'notify_fault', 'notify_stop', 'notify', 'notify_master_rx_lower_pri',
      'notify_priority_changes', 'lvs_sync_daemon_interface', 'garp_master_delay', 'garp_master_refresh', 'garp_master_repeat',
      'garp_master_refresh_repeat', 'garp_lower_prio_delay', 'garp_lower_prio_repeat', 'down_timer_adverts',
      'lower_prio_no_advert', 'higher_prio_send_advert', 'vmac_xmit_base', 'authentication',
      'authentication.auth_type', 'authentication.auth_pass',
      // The source address is always tracked (FAULT while it is missing), with or without the keyword.
      'track_src_ip',
      // Received adverts' address lists are never compared with the VIPs: always the behaviour.
      'skip_check_adv_addr',
    ],
    ACTED,
  ),
  'vrrp_instance.use_vmac': ACTED,
  'vrrp_instance.use_vmac_addr': not('VIPs on other interfaces get no VMAC of their own'),
  'vrrp_instance.use_ipvlan': conditional('not acted on for IPv6 instances: no IPv6 ipvlan is built, the instance runs on its interface'),
  'vrrp_instance.old_unicast_checksum': conditional('not acted on for unicast VRRPv3: its checksums are computed and checked as RFC 5798 says'),
  'vrrp_instance.vrf': not('an instance given a VRF instead of an interface has no interface and is not started'),
  'vrrp_instance.track_bfd': BFD,
  'vrrp_instance.linkbeat_use_polling': not('link state comes from rtnetlink notifications; there is no MII/ethtool polling'),
  // accept: traffic to the VIPs is accepted, which is what happens without firewall rules.
  'vrrp_instance.accept': ACTED,
  'vrrp_instance.no_accept': ACTED,
  'vrrp_instance.strict_mode': ACTED,
  'vrrp_instance.debug': not('the log detail is set by -D or --log-level, for the whole daemon'),
  'vrrp_instance.notify_deleted': not('no script is run when a reload removes the instance'),
  'vrrp_instance.smtp_alert': ACTED,
  'vrrp_instance.garp_extra_if': GARP_EXTRA,
  'vrrp_instance.vmac_garp_intvl': GARP_EXTRA,
  'vrrp_instance.kernel_rx_buf_size': not('VRRP sockets keep their default receive buffers'),
  // keepalived releases after 2.2.7
  'vrrp_instance.no_virtual_ipaddress': later('2.2.8', 'an instance without VIPs is checked as keepalived 2.2.7 checks it'),
  'vrrp_instance.v3_checksum_as_v2': later('2.2.8', "VRRPv3 IPv4 checksums include the pseudo-header, as keepalived 2.2.7's"),
  'vrrp_instance.timer_expired_backup': later('2.2.8', 'a late MASTER does not revert to BACKUP by itself'),
  'vrrp_instance.thread_timer_expired': later('2.3.2', 'a late MASTER does not revert to BACKUP by itself'),
  'vrrp_instance.owner_ignore_adverts': later('2.3.3', 'an address owner handles adverts as keepalived 2.2.7 does'),
  'vrrp_instance.auth_hmac': later('2.4.0', 'adverts carry no HMAC trailer and none is checked: its wire format could not be matched against a live keepalived 2.4 peer (Debian 12 ships 2.2.7)'),
  ...each('vrrp_instance.auth_hmac', ['key', 'active_key', 'time_window', 'anti_replay', 'mode'], later('2.4.0', 'auth_hmac is not built')),
};

export const vrrpSupport: SupportTable = {
  ...instance,
  vrrp_instance: ACTED,
  vrrp_sync_group: ACTED,
  ...each(
    'vrrp_sync_group',
    ['group', 'notify_backup', 'notify_master', 'notify_fault', 'notify_stop', 'notify', 'global_tracking', 'sync_group_tracking_weight', 'notify_priority_changes'],
    ACTED,
  ),
  ...each('vrrp_sync_group', ['track_interface', 'track_script', 'track_file', 'track_process'], ACTED),
  'vrrp_sync_group.track_bfd': BFD,
  'vrrp_sync_group.smtp_alert': ACTED,
  vrrp_script: ACTED,
  ...each('vrrp_script', ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'init_fail'], ACTED),
  'vrrp_script.user': ACTED,
  vrrp_track_process: ACTED,
  ...each('vrrp_track_process', ['process', 'param_match', 'weight', 'quorum', 'quorum_max', 'delay', 'terminate_delay', 'fork_delay', 'full_command'], ACTED),
  track_file: ACTED,
  ...each('track_file', ['file', 'weight', 'init_file'], ACTED),
  vrrp_track_file: ACTED,
  ...each('vrrp_track_file', ['file', 'weight', 'init_file'], ACTED),
  bfd_instance: BFD,
  ...each('bfd_instance', ['source_ip', 'neighbor_ip', 'neighbour_ip', 'min_rx', 'min_tx', 'idle_tx', 'multiplier', 'passive', 'ttl', 'hoplimit', 'max_hops', 'weight', 'vrrp', 'checker'], BFD),
  'bfd_instance.multihop': later('2.2.8', 'BFD is not built'),
  // track_group on a static entry is reported by the validator, at the entry.
  ...each('', ['static_ipaddress', 'static_routes', 'static_rules'], conditional('acted on, except a track_group option on an entry')),
  track_group: not("static entries are put back when deleted; the group's instances are not put in FAULT"),
  'track_group.group': not("static entries are put back when deleted; the group's instances are not put in FAULT"),
  garp_group: not('per-interface GARP/NA intervals are not applied (vrrp_garp_interval and vrrp_gna_interval are)'),
  ...each('garp_group', ['garp_interval', 'gna_interval', 'interface', 'interfaces'], not('garp_group is not acted on')),
  linkbeat_interfaces: not('link state comes from rtnetlink notifications; there is no MII/ethtool polling'),
  interface_up_down_delays: not('interface state changes act at once, with no delay'),
};
