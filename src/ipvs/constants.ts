/**
 * Numbers of the IPVS generic netlink family, one table per kernel enum.
 *
 * Based on include/uapi/linux/ip_vs.h at torvalds/linux 0a255400 (the genl part has been unchanged
 * since Linux 5.3 added IPVS_DEST_ATTR_TUN_FLAGS; TUN_TYPE/TUN_PORT came in 5.2). Each table's kernel
 * name is its prefix plus the key: SVC_ATTR.PORT is IPVS_SVC_ATTR_PORT. Family "IPVS", version 1, no
 * family header; every command needs CAP_NET_ADMIN (GENL_ADMIN_PERM).
 *
 * Byte order (net/netfilter/ipvs/ip_vs_ctl.c, nla_get_be16/be32 vs nla_get_u16/u32): network order for
 * the service ADDR, PORT and IPv4 NETMASK, the destination ADDR, PORT and TUN_PORT, and the daemon's
 * MCAST_GROUP; host order for everything else, the daemon's MCAST_PORT included (the kernel htons() it).
 */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_* */
export const CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14, // only in GET_INFO replies
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** IPVS_CMD_ATTR_*: the top level of every command. */
export const CMD_ATTR = {
  SERVICE: 1, // nested SVC_ATTR
  DEST: 2, // nested DEST_ATTR
  DAEMON: 3, // nested DAEMON_ATTR
  TIMEOUT_TCP: 4, // u32 seconds
  TIMEOUT_TCP_FIN: 5, // u32 seconds
  TIMEOUT_UDP: 6, // u32 seconds
} as const;

/** IPVS_SVC_ATTR_* (inside CMD_ATTR.SERVICE). */
export const SVC_ATTR = {
  AF: 1, // u16
  PROTOCOL: 2, // u16
  ADDR: 3, // 16 bytes (union nf_inet_addr), network order
  PORT: 4, // be16
  FWMARK: 5, // u32
  SCHED_NAME: 6, // NUL-terminated string, at most 15 characters
  FLAGS: 7, // struct ip_vs_flags { u32 flags; u32 mask }
  TIMEOUT: 8, // u32 seconds
  NETMASK: 9, // u32: IPv4 mask in network order, IPv6 prefix length in host order
  STATS: 10, // nested STATS_ATTR (32-bit counters, 64-bit bytes)
  PE_NAME: 11, // NUL-terminated string
  STATS64: 12, // nested STATS_ATTR (all 64-bit)
} as const;

/** IPVS_DEST_ATTR_* (inside CMD_ATTR.DEST). */
export const DEST_ATTR = {
  ADDR: 1, // 16 bytes, network order
  PORT: 2, // be16
  FWD_METHOD: 3, // u32, IP_VS_CONN_F_FWD_MASK bits
  WEIGHT: 4, // u32 (the kernel's int: ERANGE above INT_MAX)
  U_THRESH: 5, // u32
  L_THRESH: 6, // u32
  ACTIVE_CONNS: 7, // u32, read only
  INACT_CONNS: 8, // u32, read only
  PERSIST_CONNS: 9, // u32, read only
  STATS: 10, // nested, read only
  ADDR_FAMILY: 11, // u16 (absent from kernels before 4.3: the service's family)
  STATS64: 12, // nested, read only
  TUN_TYPE: 13, // u8
  TUN_PORT: 14, // be16
  TUN_FLAGS: 15, // u16
} as const;

/** IPVS_DAEMON_ATTR_* (inside CMD_ATTR.DAEMON). */
export const DAEMON_ATTR = {
  STATE: 1, // u32, DAEMON_STATE
  MCAST_IFN: 2, // NUL-terminated string
  SYNC_ID: 3, // u32
  SYNC_MAXLEN: 4, // u16
  MCAST_GROUP: 5, // 4 bytes, network order
  MCAST_GROUP6: 6, // 16 bytes, network order
  MCAST_PORT: 7, // u16, host order
  MCAST_TTL: 8, // u8
} as const;

/** IP_VS_STATE_* */
export const DAEMON_STATE = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

/** IPVS_INFO_ATTR_*: top level of a GET_INFO reply. */
export const INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IPVS_STATS_ATTR_*: u32 (bytes u64) in STATS, all u64 in STATS64; PAD aligns the u64s. */
export const STATS_ATTR = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10, PAD: 11 } as const;

/** IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_IFNAME_MAXLEN: buffer sizes, NUL included. */
export const SCHEDNAME_MAXLEN = 16;
export const PENAME_MAXLEN = 16;
export const IFNAME_MAXLEN = 16;
/** IP_VS_CONN_F_FWD_MASK */
export const CONN_F_FWD_MASK = 0x7;

/** Address families (AF_INET, AF_INET6) and L4 protocols (IPPROTO_*) as IPVS reads them. */
export const AF = { inet: 2, inet6: 10 } as const;
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

// Netlink message types, flags and protocol numbers, shared by every family (net/netlink/message.ts).
export {
  NETLINK_GENERIC,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
} from '../net/netlink/message.js';
/** The generic netlink controller (linux/genetlink.h): its fixed family id, the family lookup and its attributes. */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;

const CMD_NAMES = new Map<number, string>(Object.entries(CMD).map(([k, v]) => [v, `IPVS_CMD_${k}`]));

/** The kernel's name of a command, for logs: cmdName(5) = "IPVS_CMD_NEW_DEST". */
export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `IPVS command ${cmd}`;
}
