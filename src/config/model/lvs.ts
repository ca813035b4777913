/**
 * Config model: virtual servers, virtual server groups, real servers, health checkers and SSL, as the
 * IPVS and checker engines read them after validate/lvs.ts has resolved keepalived 2.2.7's defaults
 * and inheritance (checker <- real server <- virtual server <- global_defs).
 *
 * Conventions: times in seconds with microsecond resolution (`...S`); port 0 means "none"; every node
 * keeps the `loc` (file:line) it was defined at. Fields marked optional are really optional after
 * resolution (e.g. a real server's `uthreshold`), never "not resolved yet".
 */
import { bytesToIp, ipToBytes } from '../../net/ip.js';
import type { Loc } from '../diagnostics.js';
import type { Script } from './script.js';

export type Family = 'inet' | 'inet6';
export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type LvsProtocol = 'TCP' | 'UDP' | 'SCTP';

/** The schedulers keepalived 2.2.7 accepts for lvs_sched / lb_algo (exact, lower case). */
export const LVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;
export type LvsScheduler = (typeof LVS_SCHEDULERS)[number];
/** keepalived's IPVS_DEF_SCHED. */
export const DEFAULT_SCHEDULER: LvsScheduler = 'wlc';
/** keepalived's IPVS_SVC_PERSISTENT_TIMEOUT: `persistence_timeout` without a value, or implied. */
export const DEFAULT_PERSISTENCE_TIMEOUT_S = 360;

export interface Tunnel {
  type: 'ipip' | 'gue' | 'gre';
  /** gue only (1-65535); 0 otherwise. */
  port: number;
  checksum: 'nocsum' | 'csum' | 'remcsum';
}

/** lvs_method / lb_kind / sorry_server_lvs_method. */
export interface Forwarding {
  method: LvsMethod;
  /** Present for TUN: keepalived's tunnel type (default ipip, no port, nocsum). */
  tunnel?: Tunnel;
}

/** IPVS service flags (`ops`, `flag-1..3`, `sh-port`, ...). */
export interface ServiceFlags {
  /** One-packet scheduling (UDP only). */
  ops: boolean;
  flag1: boolean;
  flag2: boolean;
  flag3: boolean;
  shPort: boolean;
  shFallback: boolean;
  mhPort: boolean;
  mhFallback: boolean;
}

// ---- checkers ---------------------------------------------------------------------------------

/** Where a network checker connects: connect_ip/connect_port default to the real server. */
export interface CheckerConnection {
  connectIp: string;
  family: Family;
  connectPort: number;
  bindTo?: string;
  /** 0 = any. */
  bindPort: number;
  bindIf?: string;
  connectTimeoutS: number;
  /** SO_MARK on the checker's socket; 0 = none. */
  fwmark: number;
}

/** Scheduling every checker with a thread has (all but FILE_CHECK and BFD_CHECK). */
export interface CheckerTiming {
  /** Start the real server as failed until this checker succeeds. */
  alpha: boolean;
  /** Failures in a row before the checker is down (0 = first failure). */
  retry: number;
  delayBeforeRetryS: number;
  /** Maximum random delay before the first check. */
  warmupS: number;
  delayLoopS: number;
  logAllFailures: boolean;
}

export interface TcpCheck extends CheckerTiming {
  type: 'TCP_CHECK';
  loc: Loc;
  connection: CheckerConnection;
}

export interface PingCheck extends CheckerTiming {
  type: 'PING_CHECK';
  loc: Loc;
  connection: CheckerConnection;
}

export interface HttpRegex {
  pattern: string;
  /** PCRE2 option names (caseless, multiline, ...), as given. */
  options: string[];
  /** The check succeeds when the regex does not match. */
  noMatch: boolean;
  /** Offsets in the body where a match may start (inclusive); undefined = anywhere. */
  minOffset?: number;
  maxOffset?: number;
  /** regex_stack START MAX (PCRE2 JIT stack). */
  stack?: { start: number; max: number };
}

export interface HttpUrl {
  loc: Loc;
  path: string;
  /** MD5 of the body, 32 lower-case hex digits. */
  digest?: string;
  /** Accepted status codes as inclusive ranges, merged and sorted; default [[200, 299]]. */
  statusCodes: Array<[number, number]>;
  virtualhost?: string;
  regex?: HttpRegex;
}

export interface HttpCheck extends CheckerTiming {
  type: 'HTTP_GET' | 'SSL_GET';
  loc: Loc;
  connection: CheckerConnection;
  urls: HttpUrl[];
  /** Host header for every url without its own (falls back to the real/virtual server's). */
  virtualhost?: string;
  httpProtocol: '1.0' | '1.0C' | '1.1';
  enableSni: boolean;
  /** `sni_name NAME` (keepalived after 2.4.3, implies enable_sni): the server name sent instead of the virtualhost. */
  sniName?: string;
  fastRecovery: boolean;
}

export interface MiscCheck extends CheckerTiming {
  type: 'MISC_CHECK';
  loc: Loc;
  /** The command (argv) and the user/group to run it as (`user`), when given. */
  script: Script;
  /** Kill the script after this long; defaults to the delay loop. */
  timeoutS: number;
  /** Exit status 2..255 sets the real server's weight to status - 2. */
  dynamic: boolean;
}

export interface SmtpCheck extends CheckerTiming {
  type: 'SMTP_CHECK';
  loc: Loc;
  /** keepalived expands each deprecated `host { }` block into a checker of its own. */
  connection: CheckerConnection;
  heloName: string;
}

export const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsCheck extends CheckerTiming {
  type: 'DNS_CHECK';
  loc: Loc;
  connection: CheckerConnection;
  dnsType: DnsType;
  /** The name queried; '' is the root. */
  name: string;
}

export interface UdpCheck extends CheckerTiming {
  type: 'UDP_CHECK';
  loc: Loc;
  connection: CheckerConnection;
  /** Bytes to send, lower-case hex, two digits a byte; undefined = 32 filler bytes (as keepalived). */
  payload?: string;
  requireReply: boolean;
  /** Bytes the reply must start with, hex; `x` digits are wildcards. */
  replyPattern?: string;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface FileCheck {
  type: 'FILE_CHECK';
  loc: Loc;
  /** Name of a `track_file` block. */
  trackFile: string;
  /** Defaults to the track_file's own weight and reverse setting. */
  weight: number;
  reverse: boolean;
}

export interface BfdCheck {
  type: 'BFD_CHECK';
  loc: Loc;
  /** Name of a `bfd_instance`. */
  name: string;
  alpha: boolean;
}

export type Checker = TcpCheck | PingCheck | HttpCheck | MiscCheck | SmtpCheck | DnsCheck | UdpCheck | FileCheck | BfdCheck;
export type CheckerType = Checker['type'];
export type NetworkChecker = Extract<Checker, { connection: CheckerConnection }>;

// ---- servers ----------------------------------------------------------------------------------

export interface RealServer {
  loc: Loc;
  address: string;
  family: Family;
  /** After resolution: the virtual server's port unless NAT translates it; 0 for fwmark services. */
  port: number;
  /** IPVS weight, 0 allowed; default the virtual server's `weight`. */
  weight: number;
  forwarding: Forwarding;
  /** IPVS connection thresholds; undefined = none. */
  uthreshold?: number;
  lthreshold?: number;
  /** On failure set weight 0 instead of removing the real server. */
  inhibitOnFailure: boolean;
  notifyUp?: Script;
  notifyDown?: Script;
  alpha: boolean;
  /** undefined = each checker's own default. */
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  connectTimeoutS: number;
  delayLoopS: number;
  smtpAlert: boolean;
  virtualhost?: string;
  snmpName?: string;
  checkers: Checker[];
}

export interface SorryServer {
  loc: Loc;
  address: string;
  family: Family;
  port: number;
  inhibit: boolean;
  forwarding: Forwarding;
}

interface VirtualServerCommon {
  loc: Loc;
  /** Resolved; for a group from its entries, for a fwmark from its real servers (default inet). */
  family: Family;
  /** undefined for a fwmark service (ignored by IPVS); UDP when none was given for an address. */
  protocol?: LvsProtocol;
  scheduler: LvsScheduler;
  flags: ServiceFlags;
  /** The default for real servers without their own lvs_method. */
  forwarding: Forwarding;
  /** 0 = not persistent. */
  persistenceTimeoutS: number;
  /** IPv4: a netmask (dotted quad); IPv6: a prefix length (as decimal text). */
  persistenceGranularity?: string;
  persistenceEngine?: string;
  haSuspend: boolean;
  smtpAlert: boolean;
  virtualhost?: string;
  snmpName?: string;
  alpha: boolean;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: Script;
  quorumDown?: Script;
  /** Default weight of its real servers. */
  weight: number;
  delayLoopS: number;
  connectTimeoutS: number;
  /** Defaults handed to real servers; undefined = the checkers' own. */
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  inhibitOnFailure: boolean;
  sorryServer?: SorryServer;
  realServers: RealServer[];
}

export interface IpVirtualServer extends VirtualServerCommon {
  kind: 'ip';
  address: string;
  /** 0 = any port (persistent services only). */
  port: number;
}
export interface FwmarkVirtualServer extends VirtualServerCommon {
  kind: 'fwmark';
  fwmark: number;
}
export interface GroupVirtualServer extends VirtualServerCommon {
  kind: 'group';
  /** Name of a virtual_server_group. */
  group: string;
}
export type VirtualServer = IpVirtualServer | FwmarkVirtualServer | GroupVirtualServer;

export type VsgEntry =
  | {
      kind: 'range';
      loc: Loc;
      family: Family;
      /** First and last address (equal for a single address). */
      address: string;
      rangeEnd: string;
      /** 0 = none (persistent services only). */
      port: number;
    }
  | {
      kind: 'fwmark';
      loc: Loc;
      fwmark: number;
      /** Needed when the group mixes IPv4 and IPv6. */
      family?: Family;
    };

export interface VirtualServerGroup {
  loc: Loc;
  name: string;
  entries: VsgEntry[];
}

export interface SslConfig {
  loc: Loc;
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
}

export interface LvsConfig {
  /** The `SSL { }` block for SSL_GET; undefined = an automatically generated context. */
  ssl?: SslConfig;
  groups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
}

export function emptyLvs(): LvsConfig {
  return { groups: [], virtualServers: [] };
}

// ---- helpers for messages and engines ------------------------------------------------------------

/**
 * keepalived's way of naming a virtual server: `[192.0.2.1]:tcp:80`, `FWM 1`, `[NAME]:N` where N
 * numbers the virtual servers using the same group (`groupMember`, from 0).
 */
export function formatVs(vs: VirtualServer, groupMember = 0): string {
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark}`;
  if (vs.kind === 'group') return `[${vs.group}]:${groupMember}`;
  const protocol = vs.protocol;
  return `[${vs.address}]:${protocol ? protocol.toLowerCase() : 'none'}:${vs.port}`;
}

/** keepalived's way of naming a real server of a service: `[203.0.113.11]:tcp:80` (`none` without protocol). */
export function formatRs(rs: { address: string; port: number }, protocol: LvsProtocol | undefined): string {
  return `[${rs.address}]:${protocol ? protocol.toLowerCase() : 'none'}:${rs.port}`;
}

/** An IPv4 or IPv6 address (valid text assumed) as an unsigned integer (the bytes of net/ip.ts). */
export function addressToBigInt(a: string): bigint {
  return ipToBytes(a).reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/** The text form of an address integer: a dotted quad, or RFC 5952 IPv6 (net/ip.ts). */
export function bigIntToAddress(n: bigint, family: Family): string {
  const len = family === 'inet' ? 4 : 16;
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) bytes[i] = Number((n >> BigInt(8 * (len - 1 - i))) & 0xffn);
  return bytesToIp(bytes);
}

/** Number of addresses of a range entry. */
export function vsgEntrySize(e: VsgEntry): bigint {
  return e.kind === 'range' ? addressToBigInt(e.rangeEnd) - addressToBigInt(e.address) + 1n : 0n;
}

/**
 * The addresses of a range entry, first to last, at most `limit` of them (a /8 is 16 million).
 * fwmark entries have none.
 */
export function expandVsgEntry(e: VsgEntry, limit = 65536): string[] {
  if (e.kind !== 'range') return [];
  const out: string[] = [];
  const last = addressToBigInt(e.rangeEnd);
  for (let n = addressToBigInt(e.address); n <= last && out.length < limit; n++) out.push(bigIntToAddress(n, e.family));
  return out;
}
