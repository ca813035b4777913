/**
 * IPVS generic netlink codec (pure): the attribute payloads of every request tskeepalived sends, and
 * decoders for what the kernel sends back. No sockets here; client.ts adds the netlink and genl headers.
 *
 * Byte order: network order only for service ADDR, PORT and the IPv4 NETMASK, destination ADDR, PORT
 * and TUN_PORT; everything else is host order. Decoders never throw: junk yields undefined.
 */
import { endianness } from 'node:os';
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { AF, CMD_ATTR, DAEMON_ATTR, DEST_ATTR, INFO_ATTR, IPPROTO, STATS_ATTR, SVC_ATTR } from './constants.js';
import { SVC_F, type IpvsDest, type IpvsFamily, type IpvsProtocol, type IpvsService, type IpvsStats, type IpvsTimeouts, type ServiceKey } from './types.js';

const LE = endianness() === 'LE';
const NLA_F_NESTED = 1 << 15;
const NLA_TYPE_MASK = 0x3fff;

// ---- attribute writing ------------------------------------------------------------------------

/** One netlink attribute: u16 length (header + payload), u16 type, payload padded to 4 bytes. */
export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.set(u16(len), 0); // nlattr fields are host order
  out.set(u16(type), 2);
  payload.copy(out, 4);
  return out;
}

const u8 = (v: number) => Buffer.from([v & 0xff]);
function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  LE ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  LE ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
  return b;
}
function u16be(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
const str = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
const nested = (type: number, parts: Buffer[]) => attr(type, Buffer.concat(parts));

/** An address as IPVS wants it: 16 bytes (union nf_inet_addr), IPv4 in the first 4. */
function addr16(address: string): Buffer {
  const out = Buffer.alloc(16);
  Buffer.from(ipToBytes(address)).copy(out);
  return out;
}

function serviceKeyAttrs(s: ServiceKey): Buffer[] {
  const parts = [attr(SVC_ATTR.AF, u16(AF[s.af]))];
  if (s.fwmark !== undefined) parts.push(attr(SVC_ATTR.FWMARK, u32(s.fwmark)));
  else parts.push(attr(SVC_ATTR.PROTOCOL, u16(IPPROTO[s.protocol])), attr(SVC_ATTR.ADDR, addr16(s.address)), attr(SVC_ATTR.PORT, u16be(s.port)));
  return parts;
}

/** IPv4 netmask (a u32 like 0xffffff00) in network order; IPv6 prefix length in host order. */
function netmaskAttr(af: IpvsFamily, netmask: number): Buffer {
  if (af === 'inet6') return u32(netmask);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(netmask >>> 0);
  return b;
}

/** IPVS_CMD_ATTR_SERVICE for NEW/SET_SERVICE: the key plus every attribute of a full entry. */
export function encodeService(s: IpvsService): Buffer {
  const flags = Buffer.concat([u32(s.flags & ~SVC_F.HASHED), u32(0xffffffff)]);
  const parts = [
    ...serviceKeyAttrs(s),
    attr(SVC_ATTR.SCHED_NAME, str(s.scheduler)),
    attr(SVC_ATTR.FLAGS, flags),
    attr(SVC_ATTR.TIMEOUT, u32(s.timeoutS)),
    attr(SVC_ATTR.NETMASK, netmaskAttr(s.af, s.netmask)),
  ];
  if (s.peName) parts.push(attr(SVC_ATTR.PE_NAME, str(s.peName)));
  return nested(CMD_ATTR.SERVICE | NLA_F_NESTED, parts);
}

/** IPVS_CMD_ATTR_SERVICE holding only the key (DEL_SERVICE, dest commands, GET_DEST dumps). */
export function encodeServiceKey(s: ServiceKey): Buffer {
  return nested(CMD_ATTR.SERVICE | NLA_F_NESTED, serviceKeyAttrs(s));
}

/** IPVS_CMD_ATTR_DEST: `full` for NEW/SET_DEST, the key alone for DEL_DEST. */
export function encodeDest(d: IpvsDest, full = true): Buffer {
  const parts = [attr(DEST_ATTR.ADDR, addr16(d.address)), attr(DEST_ATTR.PORT, u16be(d.port)), attr(DEST_ATTR.ADDR_FAMILY, u16(AF[d.af]))];
  if (full) {
    parts.push(attr(DEST_ATTR.FWD_METHOD, u32(d.fwd)), attr(DEST_ATTR.WEIGHT, u32(d.weight)), attr(DEST_ATTR.U_THRESH, u32(d.uThreshold)), attr(DEST_ATTR.L_THRESH, u32(d.lThreshold)));
    if (d.fwd === 2) parts.push(attr(DEST_ATTR.TUN_TYPE, u8(d.tunType)), attr(DEST_ATTR.TUN_PORT, u16be(d.tunPort)), attr(DEST_ATTR.TUN_FLAGS, u16(d.tunFlags)));
  }
  return nested(CMD_ATTR.DEST | NLA_F_NESTED, parts);
}

/** SET_CONFIG: connection timeouts in seconds (0 leaves one unchanged). */
export function encodeTimeouts(t: IpvsTimeouts): Buffer {
  return Buffer.concat([attr(CMD_ATTR.TIMEOUT_TCP, u32(t.tcp)), attr(CMD_ATTR.TIMEOUT_TCP_FIN, u32(t.tcpFin)), attr(CMD_ATTR.TIMEOUT_UDP, u32(t.udp))]);
}

// ---- attribute reading ------------------------------------------------------------------------

/** Attributes of a buffer by type (the last one wins); undefined when the framing is broken. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
    const type = (LE ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2)) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) return undefined;
    out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

const rd16 = (b: Buffer | undefined) => (b && b.length >= 2 ? (LE ? b.readUInt16LE(0) : b.readUInt16BE(0)) : undefined);
const rd32 = (b: Buffer | undefined) => (b && b.length >= 4 ? (LE ? b.readUInt32LE(0) : b.readUInt32BE(0)) : undefined);
const rd64 = (b: Buffer | undefined) => (b && b.length >= 8 ? (LE ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0)) : undefined);
const rdStr = (b: Buffer | undefined) => (b ? b.toString('utf8').replace(/\0.*$/s, '') : undefined);

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

/** IPVS_SVC_ATTR_STATS / STATS64 -> counters. */
export function decodeStats(b: Buffer | undefined, is64: boolean): IpvsStats | undefined {
  const a = b && parseAttrs(b);
  if (!a) return undefined;
  const get = (t: number) => {
    const v = a.get(t);
    if (is64 || t === STATS_ATTR.INBYTES || t === STATS_ATTR.OUTBYTES) return rd64(v) ?? 0n;
    return BigInt(rd32(v) ?? 0);
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

/** A GET_SERVICE reply's attributes (after the genl header) -> service; undefined on junk. */
export function decodeService(payload: Buffer): { service: IpvsService; stats?: IpvsStats } | undefined {
  const top = parseAttrs(payload);
  const inner = top?.get(CMD_ATTR.SERVICE);
  const a = inner && parseAttrs(inner);
  if (!a) return undefined;
  const af = familyOf(rd16(a.get(SVC_ATTR.AF)));
  const scheduler = rdStr(a.get(SVC_ATTR.SCHED_NAME));
  const flagsBuf = a.get(SVC_ATTR.FLAGS);
  const flags = rd32(flagsBuf);
  const timeoutS = rd32(a.get(SVC_ATTR.TIMEOUT));
  const nm = a.get(SVC_ATTR.NETMASK);
  if (!af || scheduler === undefined || flags === undefined || timeoutS === undefined || !nm || nm.length < 4) return undefined;
  const netmask = af === 'inet' ? nm.readUInt32BE(0) : rd32(nm)!;
  const common = { scheduler, flags: flags & ~SVC_F.HASHED, timeoutS, netmask, ...(a.has(SVC_ATTR.PE_NAME) ? { peName: rdStr(a.get(SVC_ATTR.PE_NAME))! } : {}) };
  const fwmark = rd32(a.get(SVC_ATTR.FWMARK));
  let service: IpvsService;
  if (fwmark) service = { af, fwmark, ...common };
  else {
    const protocol = protocolOf(rd16(a.get(SVC_ATTR.PROTOCOL)));
    const address = addrOf(a.get(SVC_ATTR.ADDR), af);
    const portB = a.get(SVC_ATTR.PORT);
    if (!protocol || !address || !portB || portB.length < 2) return undefined;
    service = { af, protocol, address, port: portB.readUInt16BE(0), ...common };
  }
  const stats = a.has(SVC_ATTR.STATS64) ? decodeStats(a.get(SVC_ATTR.STATS64), true) : decodeStats(a.get(SVC_ATTR.STATS), false);
  return stats ? { service, stats } : { service };
}

export interface DestReadback {
  dest: IpvsDest;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats?: IpvsStats;
}

/** A GET_DEST reply's attributes -> destination; `svcAf` is the service's family (older kernels send no ADDR_FAMILY). */
export function decodeDest(payload: Buffer, svcAf: IpvsFamily): DestReadback | undefined {
  const top = parseAttrs(payload);
  const inner = top?.get(CMD_ATTR.DEST);
  const a = inner && parseAttrs(inner);
  if (!a) return undefined;
  const af = familyOf(rd16(a.get(DEST_ATTR.ADDR_FAMILY))) ?? svcAf;
  const address = addrOf(a.get(DEST_ATTR.ADDR), af);
  const portB = a.get(DEST_ATTR.PORT);
  const fwdRaw = rd32(a.get(DEST_ATTR.FWD_METHOD));
  const weight = rd32(a.get(DEST_ATTR.WEIGHT));
  if (!address || !portB || portB.length < 2 || fwdRaw === undefined || weight === undefined) return undefined;
  const tunPortB = a.get(DEST_ATTR.TUN_PORT);
  const dest: IpvsDest = {
    af,
    address,
    port: portB.readUInt16BE(0),
    fwd: (fwdRaw & 7) as IpvsDest['fwd'],
    weight,
    uThreshold: rd32(a.get(DEST_ATTR.U_THRESH)) ?? 0,
    lThreshold: rd32(a.get(DEST_ATTR.L_THRESH)) ?? 0,
    tunType: a.get(DEST_ATTR.TUN_TYPE)?.[0] ?? 0,
    tunPort: tunPortB && tunPortB.length >= 2 ? tunPortB.readUInt16BE(0) : 0,
    tunFlags: rd16(a.get(DEST_ATTR.TUN_FLAGS)) ?? 0,
  };
  const stats = a.has(DEST_ATTR.STATS64) ? decodeStats(a.get(DEST_ATTR.STATS64), true) : decodeStats(a.get(DEST_ATTR.STATS), false);
  return {
    dest,
    activeConns: rd32(a.get(DEST_ATTR.ACTIVE_CONNS)) ?? 0,
    inactConns: rd32(a.get(DEST_ATTR.INACT_CONNS)) ?? 0,
    persistConns: rd32(a.get(DEST_ATTR.PERSIST_CONNS)) ?? 0,
    ...(stats ? { stats } : {}),
  };
}

/** GET_INFO reply -> version (e.g. 0x010201 = 1.2.1) and connection table size. */
export function decodeInfo(payload: Buffer): { version: number; connTableSize: number } | undefined {
  const a = parseAttrs(payload);
  const version = rd32(a?.get(INFO_ATTR.VERSION));
  const connTableSize = rd32(a?.get(INFO_ATTR.CONN_TAB_SIZE));
  return version === undefined || connTableSize === undefined ? undefined : { version, connTableSize };
}

/** GET_CONFIG reply -> timeouts. */
export function decodeTimeouts(payload: Buffer): IpvsTimeouts | undefined {
  const a = parseAttrs(payload);
  if (!a) return undefined;
  return { tcp: rd32(a.get(CMD_ATTR.TIMEOUT_TCP)) ?? 0, tcpFin: rd32(a.get(CMD_ATTR.TIMEOUT_TCP_FIN)) ?? 0, udp: rd32(a.get(CMD_ATTR.TIMEOUT_UDP)) ?? 0 };
}

/** lvs_sync_daemon: the connection synchronisation thread (IPVS_CMD_NEW/DEL_DAEMON). */
export interface SyncDaemon {
  state: 'master' | 'backup';
  ifname: string;
  syncId: number;
  /** 0 = the kernel's default. */
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

/** IPVS_CMD_ATTR_DAEMON for NEW_DAEMON (everything) or DEL_DAEMON (`full` false: the state alone). */
export function encodeDaemon(d: SyncDaemon, full = true): Buffer {
  const parts = [attr(DAEMON_ATTR.STATE, u32(d.state === 'master' ? 1 : 2))];
  if (full) {
    parts.push(attr(DAEMON_ATTR.MCAST_IFN, str(d.ifname)), attr(DAEMON_ATTR.SYNC_ID, u32(d.syncId)));
    if (d.maxLen) parts.push(attr(DAEMON_ATTR.SYNC_MAXLEN, u16(d.maxLen)));
    if (d.group) parts.push(attr(d.group.includes(':') ? DAEMON_ATTR.MCAST_GROUP6 : DAEMON_ATTR.MCAST_GROUP, Buffer.from(ipToBytes(d.group))));
    if (d.port) parts.push(attr(DAEMON_ATTR.MCAST_PORT, u16be(d.port)));
    if (d.ttl) parts.push(attr(DAEMON_ATTR.MCAST_TTL, u8(d.ttl)));
  }
  return nested(CMD_ATTR.DAEMON | NLA_F_NESTED, parts);
}
