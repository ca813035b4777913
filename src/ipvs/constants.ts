/**
 * Numbers of the IPVS generic netlink family (include/uapi/linux/ip_vs.h). Family "IPVS", version 1,
 * no family header; every command needs CAP_NET_ADMIN.
 */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

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
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** Top-level attributes of every command. */
export const CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

export const SVC_ATTR = {
  AF: 1, // u16
  PROTOCOL: 2, // u16
  ADDR: 3, // 16 bytes, network order
  PORT: 4, // u16, network order
  FWMARK: 5, // u32
  SCHED_NAME: 6, // string
  FLAGS: 7, // struct { u32 flags; u32 mask }
  TIMEOUT: 8, // u32 seconds
  NETMASK: 9, // u32: IPv4 mask in network order, IPv6 prefix length in host order
  STATS: 10, // nested
  PE_NAME: 11, // string
  STATS64: 12, // nested
} as const;

export const DEST_ATTR = {
  ADDR: 1, // 16 bytes, network order
  PORT: 2, // u16, network order
  FWD_METHOD: 3, // u32
  WEIGHT: 4, // u32 (kernel: int, ERANGE beyond INT_MAX)
  U_THRESH: 5, // u32
  L_THRESH: 6, // u32
  ACTIVE_CONNS: 7, // u32
  INACT_CONNS: 8, // u32
  PERSIST_CONNS: 9, // u32
  STATS: 10, // nested
  ADDR_FAMILY: 11, // u16
  STATS64: 12, // nested
  TUN_TYPE: 13, // u8
  TUN_PORT: 14, // u16, network order
  TUN_FLAGS: 15, // u16
} as const;

export const DAEMON_ATTR = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;

export const INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IPVS_STATS_ATTR_*: u32 (bytes u64) in STATS, all u64 in STATS64. */
export const STATS_ATTR = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10 } as const;

export const AF = { inet: 2, inet6: 10 } as const;
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

/** Netlink message flags used here. */
export const NLM_F_DUMP = 0x300;
export const NLMSG_ERROR = 2;
