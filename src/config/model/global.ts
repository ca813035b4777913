/**
 * Config model: global_defs and the root-level global keywords (net_namespace, instance, ...).
 *
 * Keywords a subsystem will act on are typed fields with the unit in the name; keywords that
 * tskeepalived accepts (with keepalived's argument checks) but does not act on yet are kept, with
 * their words, in `other`. Defaults are those of keepalived 2.2.7 (global_data.c), filled in by
 * emptyGlobal() or, where they depend on other keywords, by validate/global.ts.
 */
import type { Loc } from '../diagnostics.js';
import type { Script } from './script.js';

/** `notify_fifo` / `vrrp_notify_fifo` / `lvs_notify_fifo` with its optional `*_script`. */
export interface NotifyFifo {
  /** Path of the FIFO. */
  name?: string;
  /** `notify_fifo NAME [USER [GROUP]]`: the owner of the FIFO. */
  user?: string;
  group?: string;
  /** `*_notify_fifo_script`: run with the FIFO name as its last argument. */
  script?: Script;
  loc: Loc;
}

/** `lvs_sync_daemon IF [VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`. */
export interface LvsSyncDaemon {
  interface: string;
  /** The VRRP instance whose state drives the sync daemon (`inst NAME` or the legacy 2nd word). */
  vrrpInstance?: string;
  /** Sync id; when absent it is resolved to the instance's virtual_router_id. */
  syncId?: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  loc: Loc;
}

export interface LvsTimeouts {
  tcpS?: number;
  tcpFinS?: number;
  udpS?: number;
}

export interface GlobalDefs {
  /** `router_id`; resolved to the host name when absent (done by the daemon, not the parser). */
  routerId?: string;

  // --- script security (read by validate/scripts.ts) ---
  enableScriptSecurity?: boolean;
  /** `script_user USER [GROUP]`, only when USER (and GROUP) exist. */
  scriptUser?: string;
  scriptGroup?: string;
  /** `script_user` was given but its user or group does not exist: every script without its own user is dropped. */
  scriptUserError?: boolean;

  // --- email / SMTP ---
  notificationEmail: string[];
  notificationEmailFrom?: string;
  /** `smtp_server HOST [PORT]`: an IP address or a host name (not resolved here). */
  smtpServer?: { host: string; port: number; loc: Loc };
  smtpHeloName?: string;
  /** `smtp_connect_timeout`; 30 s when an SMTP server is set. */
  smtpConnectTimeoutS: number;
  /** `smtp_alert`, `smtp_alert_vrrp`, `smtp_alert_checker`: unset = not specified. */
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  noEmailFaults: boolean;

  // --- start/stop scripts (parent process) ---
  startupScript?: Script;
  /** Default 10 s when a startup script is set. */
  startupScriptTimeoutS?: number;
  shutdownScript?: Script;
  shutdownScriptTimeoutS?: number;

  // --- scheduling ---
  /** `max_auto_priority [N]`: -1 disables, 0 = not set. */
  maxAutoPriority: number;
  minAutoPriorityDelayUs: number;

  // --- interfaces ---
  dynamicInterfaces: boolean;
  /** `dynamic_interfaces allow_if_changes`. */
  allowIfChanges: boolean;
  defaultInterface?: string;
  disableLocalIgmp: boolean;

  // --- LVS globals (acted on by the IPVS side) ---
  lvsTimeouts: LvsTimeouts;
  lvsFlush: boolean;
  /** `lvs_flush_on_stop [VS]` (alias `lvs_flush_onstop`, deprecated). */
  lvsFlushOnStop?: 'full' | 'vs';
  lvsSyncDaemon?: LvsSyncDaemon;

  // --- VRRP globals ---
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  vrrpGarpMasterDelayS: number;
  vrrpGarpMasterRepeat: number;
  vrrpGarpMasterRefreshS: number;
  vrrpGarpMasterRefreshRepeat: number;
  /** Unset = same as vrrpGarpMasterDelayS (resolved in validateGlobal). */
  vrrpGarpLowerPrioDelayS?: number;
  /** Unset = same as vrrpGarpMasterRepeat (resolved in validateGlobal). */
  vrrpGarpLowerPrioRepeat?: number;
  vrrpDownTimerAdverts: number;
  /** Delay between gratuitous ARPs / unsolicited NAs on one interface; 0 = none. */
  vrrpGarpIntervalS: number;
  vrrpGnaIntervalS: number;
  vrrpMinGarp: boolean;
  /** `vrrp_garp_extra_if [all] SECS` (old name `vrrp_vmac_garp_intvl`); 0 = off. */
  vrrpGarpExtraIfS: number;
  vrrpGarpExtraIfAll: boolean;
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  vrrpVersion: 2 | 3;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  vrrpNotifyPriorityChanges: boolean;
  fifoWriteVrrpStatesOnReload: boolean;
  /**
   * tskeepalived_restore_deleted_vips (tskeepalived's own keyword): a VIP deleted behind a MASTER's back
   * is put back at once instead of keepalived's step-down and re-election.
   */
  restoreDeletedVips: boolean;
  /**
   * tskeepalived_ipvs_check_interval (tskeepalived's own keyword): seconds between two checks of the
   * kernel's IPVS table against the configuration (what was changed behind our back is put back); 0 = off.
   */
  ipvsCheckIntervalS: number;
  /** `vrrp_startup_delay` in seconds; 0 = none. */
  vrrpStartupDelayS: number;
  /** `vrrp_netlink_monitor_rcv_bufs`: the VRRP process's rtnetlink subscription's receive buffer (bytes). */
  vrrpNetlinkMonitorRcvBufs?: number;
  /** `vrrp_netlink_monitor_rcv_bufs_force`: set it with SO_RCVBUFFORCE, past net.core.rmem_max. */
  vrrpNetlinkMonitorRcvBufsForce?: boolean;
  vmacPrefix?: string;
  vmacAddrPrefix?: string;
  /** nftables table for VRRP (`nftables [NAME]`, or `vrrp_iptables`, which this build maps to nftables). */
  nftablesTable?: string;
  nftablesPriority?: number;
  nftablesIfindex: boolean;
  nftablesIpvsTable?: string;
  nftablesIpvsPriority?: number;
  nftablesIpvsStartFwmark?: number;
  nftablesCounters: boolean;

  // --- notify FIFOs ---
  notifyFifo?: NotifyFifo;
  vrrpNotifyFifo?: NotifyFifo;
  lvsNotifyFifo?: NotifyFifo;

  // --- reload ---
  reloadCheckConfig?: string;
  reloadTimeFile?: string;
  reloadRepeat: boolean;
  reloadFile?: string;

  // --- root-level keywords ---
  netNamespace?: string;
  /** `net_namespace_ipvs [NAME]`: '' = the default namespace. */
  netNamespaceIpvs?: string;
  namespaceWithIpsets: boolean;
  instance?: string;
  usePidDir: boolean;
  linkbeatUsePolling: boolean;
  childWaitTimeS?: number;

  /** Where each keyword was (last) given, for later messages. */
  locs: Record<string, Loc>;
  /** Keywords parsed but not yet acted on by any subsystem: keyword -> words of its last occurrence. */
  other: Record<string, string[]>;
}

export function emptyGlobal(): GlobalDefs {
  return {
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
  };
}
