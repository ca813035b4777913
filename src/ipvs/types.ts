/**
 * The IPVS table as tskeepalived reasons about it: the contract between the pure side (desired.ts
 * builds it from keepalived.conf, diff.ts compares two of them) and the kernel side (codec.ts encodes
 * and decodes it, client.ts sends it over generic netlink).
 *
 * Values are kept in the kernel's own terms (numeric flags, forwarding codes, netmask as the kernel
 * reads it back) so that a table dumped from the kernel and a table built from the config compare
 * field by field without translation.
 */

export type IpvsFamily = 'inet' | 'inet6';
export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** IP_VS_SVC_F_* (include/uapi/linux/ip_vs.h). HASHED is kernel-internal and stripped on read. */
export const SVC_F = {
  PERSISTENT: 0x0001,
  HASHED: 0x0002,
  ONEPACKET: 0x0004,
  SCHED1: 0x0008,
  SCHED2: 0x0010,
  SCHED3: 0x0020,
} as const;

/** IP_VS_CONN_F_FWD_MASK values: how a destination is reached. */
export const FWD = { MASQ: 0, LOCAL: 1, TUNNEL: 2, DROUTE: 3 } as const;
export type FwdMethod = (typeof FWD)[keyof typeof FWD];

/** IP_VS_CONN_F_TUNNEL_TYPE_* */
export const TUN_TYPE = { IPIP: 0, GUE: 1, GRE: 2 } as const;
/** IP_VS_TUNNEL_ENCAP_FLAG_* */
export const TUN_FLAG = { NOCSUM: 0, CSUM: 1, REMCSUM: 2 } as const;

/** Identity of a virtual service: protocol/address/port, or a firewall mark. */
export type ServiceKey =
  | { af: IpvsFamily; protocol: IpvsProtocol; address: string; port: number; fwmark?: undefined }
  | { af: IpvsFamily; fwmark: number; protocol?: undefined; address?: undefined; port?: undefined };

export type IpvsService = ServiceKey & {
  scheduler: string;
  /** SVC_F bits, HASHED never set. */
  flags: number;
  /** Persistence timeout in seconds (0 = not persistent). */
  timeoutS: number;
  /** IPv4: the netmask as a u32 (0xffffffff by default); IPv6: the prefix length (128 by default). */
  netmask: number;
  /** Persistence engine name (e.g. "sip"); undefined = none. */
  peName?: string;
};

export interface IpvsDest {
  af: IpvsFamily;
  address: string;
  /** 0 for fwmark services' destinations without a port. */
  port: number;
  fwd: FwdMethod;
  weight: number;
  /** 0 = no threshold. */
  uThreshold: number;
  lThreshold: number;
  /** Tunnel encapsulation, meaningful when fwd is TUNNEL (kernels >= 5.2). */
  tunType: number;
  tunPort: number;
  tunFlags: number;
}

/** Counters of a service or a destination (IPVS_STATS_ATTR_* / STATS64). */
export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

/** The connection timeouts of IPVS_CMD_GET/SET_CONFIG, in seconds; 0 = unchanged on SET. */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** A service with its destinations, keyed by destKey(). */
export interface ServiceEntry {
  service: IpvsService;
  dests: Map<string, IpvsDest>;
}

/** A whole table keyed by serviceKey(). */
export type IpvsTable = Map<string, ServiceEntry>;

/** Stable text key of a service: `tcp|inet|192.0.2.1|80` or `fwm|inet|1`. */
export function serviceKey(s: ServiceKey): string {
  return s.fwmark !== undefined ? `fwm|${s.af}|${s.fwmark}` : `${s.protocol}|${s.af}|${s.address}|${s.port}`;
}

/** Stable text key of a destination within its service: `inet|203.0.113.11|80`. */
export function destKey(d: { af: IpvsFamily; address: string; port: number }): string {
  return `${d.af}|${d.address}|${d.port}`;
}

/** What ipvsadm would print for a service: `TCP  192.0.2.1:80`, `FWM  1`. For logs and errors. */
export function formatService(s: ServiceKey): string {
  if (s.fwmark !== undefined) return `FWM ${s.fwmark}${s.af === 'inet6' ? ' IPv6' : ''}`;
  const a = s.af === 'inet6' ? `[${s.address}]` : s.address;
  return `${s.protocol.toUpperCase()} ${a}:${s.port}`;
}

export function formatDest(d: { af: IpvsFamily; address: string; port: number }): string {
  return `${d.af === 'inet6' ? `[${d.address}]` : d.address}:${d.port}`;
}

/**
 * One netlink request of a reconciliation, in the order it must be sent. `set-*` carries the whole
 * new entry (the kernel replaces every attribute). `del-service` also removes its destinations.
 */
export type IpvsOp =
  | { op: 'new-service'; service: IpvsService }
  | { op: 'set-service'; service: IpvsService }
  | { op: 'del-service'; service: ServiceKey }
  | { op: 'new-dest'; service: ServiceKey; dest: IpvsDest }
  | { op: 'set-dest'; service: ServiceKey; dest: IpvsDest }
  | { op: 'del-dest'; service: ServiceKey; dest: IpvsDest };
