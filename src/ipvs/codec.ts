/**
 * IPVS generic netlink codec (pure): the attributes of every request tskeepalived sends and the
 * decoders of what the kernel sends back, following net/netfilter/ipvs/ip_vs_ctl.c
 * (ip_vs_genl_parse_service/_dest, ip_vs_genl_fill_service/_dest/_stats/_daemon). No sockets: an
 * IpvsRequest is a command and its attribute bytes; requester.ts adds the headers.
 *
 * Byte order: see constants.ts (network order only for addresses, ports and the IPv4 netmask).
 * Encoders throw TypeError/RangeError on values no kernel could accept (an IPv6 address in an IPv4
 * entry, a port above 65535); decoders never throw and return undefined for junk.
 */
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { AF, CMD, CMD_ATTR, CONN_F_FWD_MASK, DEST_ATTR, INFO_ATTR, IPPROTO, STATS_ATTR, SVC_ATTR } from './constants.js';
import { AttrWriter, checkPort, checkU32, inner, parseAttrs, rdBe16, rdBe32, rdStr, rdU16, rdU32, rdU64 } from './nlmsg.js';
import { encodeDaemon, type SyncDaemon } from './sync-daemon.js';
export { decodeDaemon, encodeDaemon, type SyncDaemon } from './sync-daemon.js';
import {
  FWD,
  SVC_F,
  type FwdMethod,
  type IpvsDest,
  type IpvsFamily,
  type IpvsOp,
  type IpvsProtocol,
  type IpvsService,
  type IpvsStats,
  type IpvsTimeouts,
  type ServiceKey,
} from './types.js';

/** One IPVS request before framing: the command, its attributes, and whether it is a dump. */
export interface IpvsRequest {
  cmd: number;
  attrs: Buffer;
  dump?: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * Encoded addresses by family and spelling: a table names the same few addresses thousands of times, and
 * parsing each again was the largest part of encoding it. Only read (copied into each message).
 * BOUNDED: cleared when it holds ADDR_MEMO_MAX addresses.
 */
const addrMemo = new Map<string, Uint8Array>();
const ADDR_MEMO_MAX = 100_000;

/** union nf_inet_addr: 16 bytes, an IPv4 address in the first 4; the address must be of family `af`. */
function addr16(af: IpvsFamily, address: string): Uint8Array {
  const k = `${af}|${address}`;
  let out = addrMemo.get(k);
  if (!out) {
    out = parseAddr16(af, address);
    if (addrMemo.size >= ADDR_MEMO_MAX) addrMemo.clear();
    addrMemo.set(k, out);
  }
  return out;
}

function parseAddr16(af: IpvsFamily, address: string): Uint8Array {
  const bytes = ipToBytes(address); // TypeError when not an address
  if ((bytes.length === 4) !== (af === 'inet')) throw new TypeError(`${address} is not an ${af} address`);
  if (bytes.length === 16) return bytes;
  const out = new Uint8Array(16);
  out.set(bytes);
  return out;
}

// ---- services and destinations -------------------------------------------------------------------

function writeServiceKey(w: AttrWriter, s: ServiceKey): void {
  w.u16(SVC_ATTR.AF, AF[s.af]);
  if (s.fwmark !== undefined) w.u32(SVC_ATTR.FWMARK, checkU32('fwmark', s.fwmark));
  else w.u16(SVC_ATTR.PROTOCOL, IPPROTO[s.protocol]).bytes(SVC_ATTR.ADDR, addr16(s.af, s.address)).be16(SVC_ATTR.PORT, checkPort('port', s.port));
}

/** CMD_ATTR.SERVICE of a full entry (NEW/SET_SERVICE): the key, SCHED_NAME, FLAGS {flags, mask ~0}, TIMEOUT, NETMASK, PE_NAME if any. */
export function encodeService(s: IpvsService, w = new AttrWriter()): Buffer {
  const nest = w.begin(CMD_ATTR.SERVICE);
  writeServiceKey(w, s);
  w.str(SVC_ATTR.SCHED_NAME, s.scheduler)
    .u32x2(SVC_ATTR.FLAGS, checkU32('flags', s.flags) & ~SVC_F.HASHED, 0xffffffff)
    .u32(SVC_ATTR.TIMEOUT, checkU32('timeout', s.timeoutS));
  // IPv4: the mask as a u32 (0xffffff00) in network order. IPv6: the prefix length in host order.
  if (s.af === 'inet') w.be32(SVC_ATTR.NETMASK, checkU32('netmask', s.netmask));
  else w.u32(SVC_ATTR.NETMASK, checkU32('netmask', s.netmask));
  if (s.peName) w.str(SVC_ATTR.PE_NAME, s.peName);
  return w.end(nest).finish();
}

/** CMD_ATTR.SERVICE holding only the key (DEL_SERVICE, the destination commands, GET_SERVICE, GET_DEST). */
export function encodeServiceKey(s: ServiceKey, w = new AttrWriter()): Buffer {
  const nest = w.begin(CMD_ATTR.SERVICE);
  writeServiceKey(w, s);
  return w.end(nest).finish();
}

/**
 * CMD_ATTR.DEST. `full` (NEW/SET_DEST): the key, ADDR_FAMILY, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH,
 * and for TUNNEL the TUN_TYPE/TUN_PORT/TUN_FLAGS; otherwise (DEL_DEST) the key and ADDR_FAMILY.
 */
export function encodeDest(d: IpvsDest, full = true, w = new AttrWriter()): Buffer {
  const nest = w.begin(CMD_ATTR.DEST);
  w.bytes(DEST_ATTR.ADDR, addr16(d.af, d.address)).be16(DEST_ATTR.PORT, checkPort('port', d.port)).u16(DEST_ATTR.ADDR_FAMILY, AF[d.af]);
  if (full) {
    w.u32(DEST_ATTR.FWD_METHOD, d.fwd & CONN_F_FWD_MASK)
      .u32(DEST_ATTR.WEIGHT, checkU32('weight', d.weight))
      .u32(DEST_ATTR.U_THRESH, checkU32('uthreshold', d.uThreshold))
      .u32(DEST_ATTR.L_THRESH, checkU32('lthreshold', d.lThreshold));
    if (d.fwd === FWD.TUNNEL)
      w.u8(DEST_ATTR.TUN_TYPE, d.tunType).be16(DEST_ATTR.TUN_PORT, checkPort('tunnel port', d.tunPort)).u16(DEST_ATTR.TUN_FLAGS, d.tunFlags);
  }
  return w.end(nest).finish();
}

/** SET_CONFIG attributes: the three timeouts in seconds, top level (0 leaves one unchanged). */
export function encodeTimeouts(t: IpvsTimeouts): Buffer {
  return new AttrWriter()
    .u32(CMD_ATTR.TIMEOUT_TCP, checkU32('tcp timeout', t.tcp))
    .u32(CMD_ATTR.TIMEOUT_TCP_FIN, checkU32('tcp_fin timeout', t.tcpFin))
    .u32(CMD_ATTR.TIMEOUT_UDP, checkU32('udp timeout', t.udp))
    .finish();
}

// ---- whole requests ------------------------------------------------------------------------------

/** Encoded service keys by service object, for the many destination ops of one service (one apply()). */
export type KeyCache = WeakMap<ServiceKey, Buffer>;

/**
 * The request of one reconciliation step. With `keys`, a service's key is encoded once for all of its
 * destination ops (the ops must not change the service objects meanwhile).
 */
export function encodeOp(op: IpvsOp, keys?: KeyCache): IpvsRequest {
  switch (op.op) {
    case 'new-service':
      return { cmd: CMD.NEW_SERVICE, attrs: encodeService(op.service) };
    case 'set-service':
      return { cmd: CMD.SET_SERVICE, attrs: encodeService(op.service) };
    case 'del-service':
      return { cmd: CMD.DEL_SERVICE, attrs: encodeServiceKey(op.service) };
    default: {
      let key = keys?.get(op.service);
      if (!key) {
        key = encodeServiceKey(op.service);
        keys?.set(op.service, key);
      }
      const w = new AttrWriter(key.length + 128).raw(key);
      const cmd = op.op === 'new-dest' ? CMD.NEW_DEST : op.op === 'set-dest' ? CMD.SET_DEST : CMD.DEL_DEST;
      return { cmd, attrs: encodeDest(op.dest, op.op !== 'del-dest', w) };
    }
  }
}

export const request = {
  /** Every service (dump; replies decode with decodeService). */
  getServices: (): IpvsRequest => ({ cmd: CMD.GET_SERVICE, attrs: EMPTY, dump: true }),
  /** One service (ESRCH when absent). */
  getService: (key: ServiceKey): IpvsRequest => ({ cmd: CMD.GET_SERVICE, attrs: encodeServiceKey(key) }),
  /** The destinations of one service (dump; empty, not an error, when the service is absent). */
  getDests: (key: ServiceKey): IpvsRequest => ({ cmd: CMD.GET_DEST, attrs: encodeServiceKey(key), dump: true }),
  flush: (): IpvsRequest => ({ cmd: CMD.FLUSH, attrs: EMPTY }),
  getInfo: (): IpvsRequest => ({ cmd: CMD.GET_INFO, attrs: EMPTY }),
  getConfig: (): IpvsRequest => ({ cmd: CMD.GET_CONFIG, attrs: EMPTY }),
  setConfig: (t: IpvsTimeouts): IpvsRequest => ({ cmd: CMD.SET_CONFIG, attrs: encodeTimeouts(t) }),
  newDaemon: (d: SyncDaemon): IpvsRequest => ({ cmd: CMD.NEW_DAEMON, attrs: encodeDaemon(d) }),
  delDaemon: (state: SyncDaemon['state']): IpvsRequest => ({ cmd: CMD.DEL_DAEMON, attrs: encodeDaemon({ state, ifname: '', syncId: 0 }, false) }),
  getDaemons: (): IpvsRequest => ({ cmd: CMD.GET_DAEMON, attrs: EMPTY, dump: true }),
};

// ---- decoding ------------------------------------------------------------------------------------

function familyOf(n: number | undefined): IpvsFamily | undefined {
  return n === AF.inet ? 'inet' : n === AF.inet6 ? 'inet6' : undefined;
}
function protocolOf(n: number | undefined): IpvsProtocol | undefined {
  return n === IPPROTO.tcp ? 'tcp' : n === IPPROTO.udp ? 'udp' : n === IPPROTO.sctp ? 'sctp' : undefined;
}
function addrOf(b: Buffer | undefined, af: IpvsFamily): string | undefined {
  const len = af === 'inet' ? 4 : 16;
  return b && b.length >= len ? bytesToIp(new Uint8Array(b.subarray(0, len))) : undefined;
}
/** STATS (u32 counters, u64 bytes) or STATS64 (all u64) -> counters; absent counters read 0. */
export function decodeStats(b: Buffer | undefined, is64: boolean): IpvsStats | undefined {
  const a = b && parseAttrs(b);
  if (!a) return undefined;
  const get = (t: number) => {
    const v = a.get(t);
    if (is64 || t === STATS_ATTR.INBYTES || t === STATS_ATTR.OUTBYTES) return rdU64(v) ?? 0n;
    return BigInt(rdU32(v) ?? 0);
  };
  return {
    conns: get(STATS_ATTR.CONNS),
    inPkts: get(STATS_ATTR.INPKTS),
    outPkts: get(STATS_ATTR.OUTPKTS),
    inBytes: get(STATS_ATTR.INBYTES),
    outBytes: get(STATS_ATTR.OUTBYTES),
    cps: get(STATS_ATTR.CPS),
    inPps: get(STATS_ATTR.INPPS),
    outPps: get(STATS_ATTR.OUTPPS),
    inBps: get(STATS_ATTR.INBPS),
    outBps: get(STATS_ATTR.OUTBPS),
  };
}

function statsOf(a: Map<number, Buffer>, t32: number, t64: number): IpvsStats | undefined {
  return a.has(t64) ? decodeStats(a.get(t64), true) : decodeStats(a.get(t32), false);
}

/** A GET_SERVICE reply's attributes -> the service (HASHED stripped) and its counters; undefined on junk. */
export function decodeService(payload: Buffer): { service: IpvsService; stats?: IpvsStats } | undefined {
  const a = inner(payload, CMD_ATTR.SERVICE);
  if (!a) return undefined;
  const af = familyOf(rdU16(a.get(SVC_ATTR.AF)));
  const scheduler = rdStr(a.get(SVC_ATTR.SCHED_NAME));
  const flags = rdU32(a.get(SVC_ATTR.FLAGS));
  const timeoutS = rdU32(a.get(SVC_ATTR.TIMEOUT));
  const nm = a.get(SVC_ATTR.NETMASK);
  if (!af || scheduler === undefined || flags === undefined || timeoutS === undefined) return undefined;
  const netmask = af === 'inet' ? rdBe32(nm) : rdU32(nm);
  if (netmask === undefined) return undefined;
  const peName = rdStr(a.get(SVC_ATTR.PE_NAME));
  const common = { scheduler, flags: flags & ~SVC_F.HASHED, timeoutS, netmask, ...(peName ? { peName } : {}) };
  const fwmark = rdU32(a.get(SVC_ATTR.FWMARK));
  let service: IpvsService;
  if (fwmark) service = { af, fwmark, ...common };
  else {
    const protocol = protocolOf(rdU16(a.get(SVC_ATTR.PROTOCOL)));
    const address = addrOf(a.get(SVC_ATTR.ADDR), af);
    const port = rdBe16(a.get(SVC_ATTR.PORT));
    if (!protocol || !address || port === undefined) return undefined;
    service = { af, protocol, address, port, ...common };
  }
  const stats = statsOf(a, SVC_ATTR.STATS, SVC_ATTR.STATS64);
  return stats ? { service, stats } : { service };
}

/** A destination as read back, with the kernel's connection counters. */
export interface DestReadback {
  dest: IpvsDest;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats?: IpvsStats;
}

/** A GET_DEST reply's attributes -> destination; `svcAf` stands in when ADDR_FAMILY is absent (kernels before 4.3). */
export function decodeDest(payload: Buffer, svcAf: IpvsFamily): DestReadback | undefined {
  const a = inner(payload, CMD_ATTR.DEST);
  if (!a) return undefined;
  const afAttr = a.get(DEST_ATTR.ADDR_FAMILY);
  const af = afAttr ? familyOf(rdU16(afAttr)) : svcAf;
  if (!af) return undefined;
  const address = addrOf(a.get(DEST_ATTR.ADDR), af);
  const port = rdBe16(a.get(DEST_ATTR.PORT));
  const fwd = rdU32(a.get(DEST_ATTR.FWD_METHOD));
  const weight = rdU32(a.get(DEST_ATTR.WEIGHT));
  if (!address || port === undefined || fwd === undefined || weight === undefined) return undefined;
  const dest: IpvsDest = {
    af,
    address,
    port,
    fwd: (fwd & CONN_F_FWD_MASK) as FwdMethod, // LOCAL (1) included: the kernel turns a local MASQ address into it
    weight,
    uThreshold: rdU32(a.get(DEST_ATTR.U_THRESH)) ?? 0,
    lThreshold: rdU32(a.get(DEST_ATTR.L_THRESH)) ?? 0,
    tunType: a.get(DEST_ATTR.TUN_TYPE)?.[0] ?? 0,
    tunPort: rdBe16(a.get(DEST_ATTR.TUN_PORT)) ?? 0,
    tunFlags: rdU16(a.get(DEST_ATTR.TUN_FLAGS)) ?? 0,
  };
  const stats = statsOf(a, DEST_ATTR.STATS, DEST_ATTR.STATS64);
  return {
    dest,
    activeConns: rdU32(a.get(DEST_ATTR.ACTIVE_CONNS)) ?? 0,
    inactConns: rdU32(a.get(DEST_ATTR.INACT_CONNS)) ?? 0,
    persistConns: rdU32(a.get(DEST_ATTR.PERSIST_CONNS)) ?? 0,
    ...(stats ? { stats } : {}),
  };
}

/** GET_INFO reply -> IPVS version (0x010201 = 1.2.1) and connection table size. */
export function decodeInfo(payload: Buffer): { version: number; connTableSize: number } | undefined {
  const a = parseAttrs(payload);
  const version = rdU32(a?.get(INFO_ATTR.VERSION));
  const connTableSize = rdU32(a?.get(INFO_ATTR.CONN_TAB_SIZE));
  return version === undefined || connTableSize === undefined ? undefined : { version, connTableSize };
}

/** GET_CONFIG reply -> timeouts (a protocol compiled out of the kernel reads 0). */
export function decodeTimeouts(payload: Buffer): IpvsTimeouts | undefined {
  const a = parseAttrs(payload);
  if (!a) return undefined;
  return { tcp: rdU32(a.get(CMD_ATTR.TIMEOUT_TCP)) ?? 0, tcpFin: rdU32(a.get(CMD_ATTR.TIMEOUT_TCP_FIN)) ?? 0, udp: rdU32(a.get(CMD_ATTR.TIMEOUT_UDP)) ?? 0 };
}
