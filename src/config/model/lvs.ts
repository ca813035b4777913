/**
 * Config model: virtual servers, virtual server groups, real servers, health checkers and SSL, as the
 * IPVS and checker subsystems will read them. Times are in seconds (`...S`), ports 0 mean "none given",
 * and unset optional fields are filled from the level above by validate/lvs.ts (real server from its
 * virtual server, checker from its real server), as keepalived does.
 */
import type { Loc } from '../diagnostics.js';
import type { Script } from '../schema.js';

export type Family = 'inet' | 'inet6';
export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type LvsProtocol = 'TCP' | 'UDP' | 'SCTP';

/** The schedulers keepalived 2.2.7 accepts for lvs_sched / lb_algo. */
export const LVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;
export type LvsScheduler = (typeof LVS_SCHEDULERS)[number];

export interface Forwarding {
  method: LvsMethod;
  /** TUN only. */
  tunnelType?: 'ipip' | 'gue' | 'gre';
  /** gue only. */
  tunnelPort?: number;
  tunnelChecksum?: 'nocsum' | 'csum' | 'remcsum';
}

export interface ServiceFlags {
  ops: boolean;
  hashed: boolean;
  flag1: boolean;
  flag2: boolean;
  flag3: boolean;
  shPort: boolean;
  shFallback: boolean;
  mhPort: boolean;
  mhFallback: boolean;
}

/** Connection options every checker (and every SMTP_CHECK host) has. */
export interface CheckerConnection {
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeoutS?: number;
  fwmark?: number;
}

export interface CheckerCommon extends CheckerConnection {
  loc: Loc;
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  delayLoopS?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

export interface HttpUrl {
  loc: Loc;
  path: string;
  /** MD5 of the body, lower-case hex. */
  digest?: string;
  /** Inclusive ranges; empty means 200-299. */
  statusCodes: Array<[number, number]>;
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  regexOptions: string[];
  regexMinOffset?: number;
  regexMaxOffset?: number;
  regexStack?: number;
}

export interface TcpCheck extends CheckerCommon { type: 'TCP_CHECK' }
export interface PingCheck extends CheckerCommon { type: 'PING_CHECK' }
export interface HttpCheck extends CheckerCommon {
  type: 'HTTP_GET' | 'SSL_GET';
  urls: HttpUrl[];
  virtualhost?: string;
  httpProtocol: '1.0' | '1.1' | '1.0C';
  enableSni: boolean;
  fastRecovery: boolean;
}
export interface MiscCheck extends CheckerCommon {
  type: 'MISC_CHECK';
  script?: Script;
  miscTimeoutS?: number;
  /** Exit status 2..255 sets the weight to status - 2 (keepalived's misc_dynamic). */
  miscDynamic: boolean;
}
export interface SmtpCheck extends CheckerCommon {
  type: 'SMTP_CHECK';
  heloName: string;
  /** Extra hosts to check (`host { ... }`); empty means the real server itself. */
  hosts: Array<CheckerConnection & { loc: Loc }>;
}
export interface DnsCheck extends CheckerCommon {
  type: 'DNS_CHECK';
  dnsType: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA' | 'RRSIG' | 'DNSKEY';
  name: string;
}
export interface UdpCheck extends CheckerCommon {
  type: 'UDP_CHECK';
  /** Hex payload to send. */
  payload?: string;
  requireReply: boolean;
  /** Hex pattern the reply must match (`X` digits are wildcards), when given. */
  replyPattern?: string;
  minReplyLength: number;
  maxReplyLength: number;
}
export interface FileCheck extends CheckerCommon {
  type: 'FILE_CHECK';
  trackFile?: string;
  weight: number;
  reverse: boolean;
}
export interface BfdCheck extends CheckerCommon {
  type: 'BFD_CHECK';
  name?: string;
}

export type Checker = TcpCheck | PingCheck | HttpCheck | MiscCheck | SmtpCheck | DnsCheck | UdpCheck | FileCheck | BfdCheck;
export type CheckerType = Checker['type'];

export interface RealServer {
  loc: Loc;
  address: string;
  family: Family;
  /** 0 when not given (then the virtual server's port for NAT/DR/TUN address services). */
  port: number;
  /** Unset until validated: inherits the virtual server's `weight` (default 1). */
  weight?: number;
  forwarding?: Forwarding;
  uthreshold?: number;
  lthreshold?: number;
  inhibitOnFailure?: boolean;
  notifyUp?: Script;
  notifyDown?: Script;
  alpha?: boolean;
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  connectTimeoutS?: number;
  delayLoopS?: number;
  smtpAlert?: boolean;
  virtualhost?: string;
  checkers: Checker[];
}

export interface SorryServer {
  loc: Loc;
  address: string;
  family: Family;
  port: number;
  inhibit: boolean;
  forwarding?: Forwarding;
}

export interface VirtualServer {
  loc: Loc;
  kind: 'ip' | 'fwmark' | 'group';
  /** kind 'ip' */
  address?: string;
  port?: number;
  /** kind 'fwmark' */
  fwmark?: number;
  /** kind 'group': name of a virtual_server_group */
  group?: string;
  family?: Family;
  protocol?: LvsProtocol;
  scheduler?: LvsScheduler;
  flags: ServiceFlags;
  forwarding?: Forwarding;
  persistenceTimeoutS?: number;
  /** IPv4 netmask (dotted) or IPv6 prefix length (as a string). */
  persistenceGranularity?: string;
  persistenceEngine?: string;
  haSuspend: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
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
  retry?: number;
  delayBeforeRetryS?: number;
  warmupS?: number;
  inhibitOnFailure: boolean;
  sorryServer?: SorryServer;
  realServers: RealServer[];
}

export interface VsgEntry {
  loc: Loc;
  kind: 'ip' | 'fwmark';
  address?: string;
  /** Last address of an `A.B.C.D-E` range (same family), when a range was given. */
  rangeEnd?: string;
  family?: Family;
  port?: number;
  fwmark?: number;
}

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
  virtualServers: VirtualServer[];
  groups: VirtualServerGroup[];
  ssl?: SslConfig;
}

export function emptyLvs(): LvsConfig {
  return { virtualServers: [], groups: [] };
}

/** keepalived's way of naming a virtual server in messages: `[192.0.2.1]:tcp:80`, `FWM 1`, `[group NAME]`. */
export function formatVs(vs: VirtualServer): string {
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark}`;
  if (vs.kind === 'group') return `[${vs.group}]:${vs.port ?? 0}`;
  const proto = vs.protocol ? vs.protocol.toLowerCase() : 'none';
  return `[${vs.address}]:${proto}:${vs.port ?? 0}`;
}

export function formatRs(rs: { address: string; port: number }): string {
  return `[${rs.address}]:${rs.port}`;
}

/** Addresses of a virtual_server_group entry, range expanded (last IPv4 octet / IPv6 group). */
export function expandVsgEntry(e: VsgEntry): string[] {
  if (e.kind !== 'ip' || !e.address) return [];
  if (!e.rangeEnd) return [e.address];
  if (e.family === 'inet') {
    const base = e.address.split('.');
    const first = Number(base[3]);
    const last = Number(e.rangeEnd.split('.')[3]);
    const out: string[] = [];
    for (let i = first; i <= last; i++) out.push(`${base[0]}.${base[1]}.${base[2]}.${i}`);
    return out;
  }
  const head = e.address.slice(0, e.address.lastIndexOf(':') + 1);
  const first = Number.parseInt(e.address.slice(e.address.lastIndexOf(':') + 1) || '0', 16);
  const last = Number.parseInt(e.rangeEnd.slice(e.rangeEnd.lastIndexOf(':') + 1) || '0', 16);
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(head + i.toString(16));
  return out;
}
