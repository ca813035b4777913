/**
 * Config model: VRRP instances, sync groups, track scripts/files/processes, BFD instances,
 * static addresses/routes/rules, track groups, garp groups.
 *
 * Plain objects in definition order (arrays of named nodes). Fields that keepalived resolves after
 * parsing (priority from state, version from family, advert interval rounding, ...) are filled in
 * by validate/vrrp.ts; until then optional fields are `undefined` when the keyword was not given.
 * Times are in seconds (`advertIntS`), with keepalived's microsecond resolution.
 */
import type { Loc } from '../diagnostics.js';
import type { Script } from './script.js';

export type Family = 'inet' | 'inet6';
export type VrrpState = 'MASTER' | 'BACKUP';

/** An entry of virtual_ipaddress, virtual_ipaddress_excluded or static_ipaddress. */
export interface VirtualIp {
  /** The address without its prefix length. */
  address: string;
  family: Family;
  /** /len as written, else 32 or 128. With `peer`, the peer's prefix length. */
  prefixLen: number;
  /** `brd ADDR|+|-`, resolved to an address for + and -. */
  broadcast?: string;
  dev?: string;
  /** `scope NAME|N` as written (host, link, site, global, nowhere or a number). */
  scope?: string;
  label?: string;
  peer?: string;
  /** `no_track`: the instance does not go to fault if the address's interface goes down. */
  noTrack: boolean;
  home: boolean;
  noDad: boolean;
  mngTmpAddr: boolean;
  noPrefixRoute: boolean;
  autoJoin: boolean;
  /** Seconds, or 'forever'; IPv6 default: 0 for a /128, forever otherwise. */
  preferredLft?: number | 'forever';
  /** `use_vmac` (VIPs only). */
  useVmac: boolean;
  /** `track_group NAME` (static addresses only). */
  trackGroup?: string;
  loc: Loc;
}
export type StaticAddress = VirtualIp;

export interface RouteNexthop {
  via?: string;
  dev?: string;
  weight?: number;
  onlink: boolean;
  words: string[];
}

/** An entry of virtual_routes or static_routes. Words are kept; the key fields are typed. */
export interface VirtualRoute {
  words: string[];
  family: Family;
  /** Destination as written (`default`, `192.0.2.0/24`, ...). */
  dst: string;
  /** Route type when given (`blackhole`, `unreachable`, `prohibit`, `local`, ...). */
  type?: string;
  /** `src ADDR`: preferred source address. */
  src?: string;
  /** `from PREFIX` (IPv6 source routing). */
  from?: string;
  /** `via ADDR` (or the deprecated `gw`). */
  via?: string;
  dev?: string;
  table?: string;
  metric?: number;
  scope?: string;
  protocol?: string;
  tos?: string;
  onlink: boolean;
  nexthops: RouteNexthop[];
  /** `no_track`, or forced when no interface is given. */
  noTrack: boolean;
  trackGroup?: string;
  loc: Loc;
}
export type StaticRoute = VirtualRoute;

/** An entry of virtual_rules or static_rules. */
export interface VirtualRule {
  words: string[];
  family: Family;
  from?: string;
  to?: string;
  not: boolean;
  table?: string;
  /** `preference|priority|order N`; when absent keepalived assigns 16384, 16383, ... per family. */
  priority: number;
  priorityDefaulted: boolean;
  /** table (lookup), goto, nop, blackhole, unreachable, prohibit, l3mdev. */
  action: 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit' | 'l3mdev';
  gotoTarget?: number;
  iif?: string;
  oif?: string;
  fwmark?: string;
  tos?: string;
  noTrack: boolean;
  trackGroup?: string;
  loc: Loc;
}
export type StaticRule = VirtualRule;

/** `NAME [weight N [reverse|noreverse]]` in track_script / track_file / track_process / track_bfd. */
export interface TrackRef {
  name: string;
  weight: number;
  reverse: boolean;
  /** A weight was written on the line (else inherited from the tracked object). */
  weightGiven: boolean;
  loc: Loc;
}

/** `IFNAME [weight N [reverse]]` in track_interface. */
export interface TrackedInterface {
  name: string;
  weight: number;
  reverse: boolean;
  loc: Loc;
}

export interface UnicastPeer {
  address: string;
  family: Family;
  minTtl: number;
  maxTtl: number;
  loc: Loc;
}

export interface NotifyScripts {
  master?: Script;
  backup?: Script;
  fault?: Script;
  stop?: Script;
  /** `notify_deleted [SCRIPT]` (instances only). */
  deleted?: Script;
  /** `notify SCRIPT`: called with type, name, state and priority. */
  generic?: Script;
  /** `notify_master_rx_lower_pri` (instances only). */
  masterRxLowerPri?: Script;
}

export interface VrrpScript {
  name: string;
  /** Unset after parsing means the block had no `script`: the script is removed. */
  script?: Script;
  intervalS: number;
  /** Unset in the file = same as intervalS (keepalived's 0). */
  timeoutS: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: string;
  group?: string;
  initFail: boolean;
  loc: Loc;
}

export interface TrackFile {
  name: string;
  file?: string;
  /** Default 1; with a sync group or an address owner a default weight of 1 becomes 0. */
  weight: number;
  weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`: create (or overwrite) the file with VALUE at start. */
  init?: { value: number; overwrite: boolean };
  loc: Loc;
}

export interface TrackProcess {
  name: string;
  process?: string;
  /** Words after the process name: the parameters to match. */
  params: string[];
  paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  /** Default 2^32-1 (no maximum). */
  quorumMax: number;
  terminateDelayS?: number;
  forkDelayS?: number;
  fullCommand: boolean;
  loc: Loc;
}

export interface BfdInstance {
  name: string;
  neighborIp?: string;
  sourceIp?: string;
  family?: Family;
  minRxMs: number;
  minTxMs: number;
  idleTxMs: number;
  multiplier: number;
  passive: boolean;
  /** Resolved to 255 (IPv4) or 64 (IPv6) when not given. */
  ttl?: number;
  maxHops: number;
  weight: number;
  weightReverse: boolean;
  /** `vrrp` / `checker`: which processes get events; neither given = both. */
  vrrp: boolean;
  checker: boolean;
  loc: Loc;
}

export interface VrrpSyncGroup {
  name: string;
  /** `group { ... }` names as written; unset = no group block. */
  members?: string[];
  trackInterfaces: TrackedInterface[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  trackBfds: TrackRef[];
  notify: NotifyScripts;
  smtpAlert?: boolean;
  /** `sync_group_tracking_weight` (or deprecated `global_tracking`). */
  trackingWeight: boolean;
  notifyPriorityChanges?: boolean;
  loc: Loc;
}

export interface VrrpAuth {
  type?: 'PASS' | 'AH';
  /** At most 8 characters (longer is truncated). */
  pass?: string;
  loc: Loc;
}

export interface VrrpInstance {
  name: string;
  loc: Loc;
  /** Where each keyword of the block was (last) given. */
  locs: Record<string, Loc>;
  /** `state` as written; `initialState` is the resolved one. */
  state?: VrrpState;
  initialState?: VrrpState;
  interface?: string;
  vrf?: string;
  dontTrackPrimary: boolean;
  virtualRouterId?: number;
  /** Resolved: 255 for an initial MASTER without priority, else 100. */
  priority?: number;
  /** Resolved default 1 s, rounded as keepalived does for the version. */
  advertIntS?: number;
  /** Resolved from vrrp_version and the address family. */
  version?: 2 | 3;
  /** Deduced from the first address seen; resolved default inet. */
  family?: Family;
  nativeIpv6: boolean;
  virtualIps: VirtualIp[];
  excludedIps: VirtualIp[];
  virtualRoutes: VirtualRoute[];
  virtualRules: VirtualRule[];
  trackInterfaces: TrackedInterface[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  /** May name a bfd_instance that was declared but disabled (as in keepalived: it then never comes up). */
  trackBfds: TrackRef[];
  /** `mcast_src_ip` / `unicast_src_ip`. */
  srcIp?: string;
  trackSrcIp: boolean;
  mcastDstIp?: string;
  unicastPeers: UnicastPeer[];
  /** A unicast keyword was given (unicast_peer, unicast_src_ip, check_unicast_src, ...). */
  unicastConfigured: boolean;
  /** Resolved: unicast peers are used. */
  unicast?: boolean;
  unicastFaultNoPeer: boolean;
  checkUnicastSrc: boolean;
  oldUnicastChecksum?: 'config' | 'never';
  /** `unicast_ttl`; resolved to 255 for IPv4. */
  unicastTtl?: number;
  useVmac: boolean;
  vmacName?: string;
  vmacMac?: string;
  useVmacAddr: boolean;
  vmacXmitBase: boolean;
  useIpvlan: boolean;
  ipvlan?: { name?: string; address?: string; prefixLen?: number; type?: 'bridge' | 'private' | 'vepa' };
  promoteSecondaries: boolean;
  linkbeatUsePolling: boolean;
  /** `accept` / `no_accept`; resolved: true unless strict (or always for the address owner). */
  accept?: boolean;
  skipCheckAdvAddr: boolean;
  strictMode?: boolean;
  nopreempt: boolean;
  preemptDelayS: number;
  debug?: number;
  notify: NotifyScripts;
  smtpAlert?: boolean;
  notifyPriorityChanges?: boolean;
  garpMasterDelayS?: number;
  garpMasterRefreshS?: number;
  garpMasterRepeat?: number;
  garpMasterRefreshRepeat?: number;
  garpLowerPrioDelayS?: number;
  garpLowerPrioRepeat?: number;
  downTimerAdverts?: number;
  garpExtraIfS?: number;
  garpExtraIfAll: boolean;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  kernelRxBufSize?: number;
  authentication?: VrrpAuth;
  /** Multicast destination resolved from vrrp_mcast_group4/6 when not unicast. */
  mcastGroup?: string;
  /** Name of the sync group the instance is a member of (resolved). */
  syncGroup?: string;
}

export interface StaticTrackGroup {
  name: string;
  members?: string[];
  loc: Loc;
}

export interface GarpGroup {
  garpIntervalS?: number;
  gnaIntervalS?: number;
  interfaces: string[];
  loc: Loc;
}

export interface LinkbeatInterface {
  name: string;
  type?: 'MII' | 'ETHTOOL' | 'IOCTL';
  loc: Loc;
}

export interface InterfaceUpDownDelay {
  name: string;
  downDelayS: number;
  upDelayS: number;
  loc: Loc;
}

/** Config model: VRRP instances, sync groups, track scripts/files/processes, static addresses/routes/rules, BFD. */
export interface VrrpConfig {
  instances: VrrpInstance[];
  syncGroups: VrrpSyncGroup[];
  scripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  bfdInstances: BfdInstance[];
  staticAddresses: StaticAddress[];
  staticRoutes: StaticRoute[];
  staticRules: StaticRule[];
  trackGroups: StaticTrackGroup[];
  garpGroups: GarpGroup[];
  linkbeatInterfaces: LinkbeatInterface[];
  interfaceUpDownDelays: InterfaceUpDownDelay[];
  /**
   * Set when keepalived's VRRP process would refuse to start with this configuration (for `-t`
   * keepalived reports it as an ordinary error, exit 5): the reason, e.g. a missing virtual_router_id.
   */
  startupError?: string;
}

export function emptyVrrp(): VrrpConfig {
  return {
    instances: [],
    syncGroups: [],
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
    bfdInstances: [],
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
    trackGroups: [],
    garpGroups: [],
    linkbeatInterfaces: [],
    interfaceUpDownDelays: [],
  };
}
