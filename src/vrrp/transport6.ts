/**
 * VRRP layer, edge: adverts over raw IPv6 sockets, next header 112 (RFC 5798 §5.1.2). One job: put VRRP
 * messages on an interface and hand received ones up with the addresses and hop limit they came with.
 *
 * - Multicast: the socket joins ff02::12 (or vrrp_mcast_group6 / mcast_dst_ip) on the interface and is
 *   bound to that group, so it only receives adverts sent to it, as keepalived's read socket is.
 *   Unicast: bound to our own address (IPV6_FREEBIND, as keepalived), no group joined.
 * - Sent with hop limit 255 (IPV6_MULTICAST_HOPS; IPV6_UNICAST_HOPS for peers, or unicast_ttl), multicast
 *   loop off, out of the interface (SO_BINDTODEVICE, IPV6_MULTICAST_IF), from `src`: the interface's
 *   link-local address by default (RFC 5798 §5.1.2.2 "MUST be the IPv6 link-local address of the
 *   interface the packet is being sent from"; keepalived uses the first link-local address it sees),
 *   chosen per packet with an IPV6_PKTINFO control message (RFC 3542 §6), as keepalived does, so a
 *   link-local VIP on the same interface is never picked by source address selection.
 * - Receive: a raw IPv6 socket delivers the VRRP message WITHOUT the IPv6 header (RFC 3542 §3), so the
 *   hop limit (RFC 5798 §7.1: MUST be 255) and the destination (part of the v3 checksum's pseudo-header,
 *   §5.2.8) only arrive as ancillary data: IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO, read with recvmsg().
 *   IPV6_MINHOPCOUNT (73) is not a substitute: Linux accepts it on a raw socket but only enforces it for
 *   TCP (measured on 6.18: an advert sent with hop limit 254 was still delivered).
 *
 * How: raw-socket (the `raw-socket` package) only offers recvfrom()/sendto(), without control messages.
 * We keep it for what it does well - opening the socket and watching it in libuv's event loop - and do
 * the rest on its descriptor through koffi (already our FFI for AF_PACKET): the descriptor is found by
 * its SO_COOKIE, raw-socket's own "recvReady" handler is replaced by one that drains the socket with
 * recvmsg(MSG_DONTWAIT), and sends are sendmsg() with the IPV6_PKTINFO control message. The structs are
 * laid out by hand for 64-bit little-endian Linux (x86_64, aarch64); elsewhere the constructor refuses.
 * The layout helpers are pure and unit-tested (test/unit/vrrp/transport6.test.ts).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import type { EventEmitter } from 'node:events';
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { ifIndex } from '../net/iface.js';
import { VRRP_TTL } from './packet.js';
import type { RxMeta, VrrpTransport } from './transport.js';

const require = createRequire(import.meta.url);

export const VRRP_MCAST_V6 = 'ff02::12';

// Linux numbers: include/linux/socket.h, include/uapi/linux/in6.h, include/uapi/asm-generic/socket.h.
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_COOKIE = 57;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_MULTICAST_ALL = 29;
const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
const IPV6_FREEBIND = 78;
const MSG_DONTWAIT = 0x40;

/** struct sockaddr_in6: family, port, flowinfo, address (16), scope id. */
export const SOCKADDR_IN6_LEN = 28;
/** LP64 struct cmsghdr: cmsg_len (size_t), level, type; data aligned to 8 bytes. */
const CMSG_HDR = 16;
const cmsgAlign = (n: number): number => (n + 7) & ~7;
/** CMSG_SPACE(sizeof(struct in6_pktinfo)): struct in6_pktinfo is the address (16) and an ifindex. */
export const PKTINFO_CMSG_SPACE = CMSG_HDR + cmsgAlign(20);

/** A struct sockaddr_in6 for `addr`; the scope id matters for link-local and multicast addresses only. */
export function sockaddrIn6(addr: Uint8Array, scopeId: number): Buffer {
  if (addr.length !== 16) throw new RangeError(`sockaddr_in6 needs an IPv6 address, got ${addr.length} bytes`);
  const b = Buffer.alloc(SOCKADDR_IN6_LEN);
  b.writeUInt16LE(AF_INET6, 0);
  b.set(addr, 8);
  b.writeUInt32LE(scopeId >>> 0, 24);
  return b;
}

/** The IPV6_PKTINFO control message that sends a packet from `src` out of interface `ifindex`. */
export function pktinfoCmsg(src: Uint8Array, ifindex: number): Buffer {
  if (src.length !== 16) throw new RangeError(`IPV6_PKTINFO needs an IPv6 source, got ${src.length} bytes`);
  const b = Buffer.alloc(PKTINFO_CMSG_SPACE);
  b.writeBigUInt64LE(BigInt(CMSG_HDR + 20), 0); // cmsg_len = CMSG_LEN(20)
  b.writeInt32LE(IPPROTO_IPV6, 8);
  b.writeInt32LE(IPV6_PKTINFO, 12);
  b.set(src, CMSG_HDR);
  b.writeUInt32LE(ifindex >>> 0, CMSG_HDR + 16);
  return b;
}

/** What the receive control messages say; a field is absent when its message was not there. */
export interface RxAncillary {
  /** The packet's IPv6 destination (IPV6_PKTINFO). */
  dst?: Uint8Array;
  /** The interface it arrived on (IPV6_PKTINFO). */
  ifindex?: number;
  /** The IPv6 Hop Limit it arrived with (IPV6_HOPLIMIT). */
  hopLimit?: number;
}

/**
 * Walks the control messages recvmsg() filled in (`ctl`, msg_controllen bytes) like CMSG_NXTHDR does,
 * stopping at anything malformed. Copies what it returns.
 */
export function parseRxCmsgs(ctl: Uint8Array): RxAncillary {
  const out: RxAncillary = {};
  const b = Buffer.from(ctl.buffer, ctl.byteOffset, ctl.byteLength);
  for (let off = 0; off + CMSG_HDR <= b.length; ) {
    const len = Number(b.readBigUInt64LE(off));
    if (len < CMSG_HDR || off + len > b.length) break;
    const level = b.readInt32LE(off + 8);
    const type = b.readInt32LE(off + 12);
    const data = off + CMSG_HDR;
    if (level === IPPROTO_IPV6 && type === IPV6_PKTINFO && len >= CMSG_HDR + 20) {
      out.dst = Uint8Array.from(b.subarray(data, data + 16));
      out.ifindex = b.readUInt32LE(data + 16);
    } else if (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT && len >= CMSG_HDR + 4) {
      out.hopLimit = b.readInt32LE(data);
    }
    off += cmsgAlign(len);
  }
  return out;
}

/** ff00::/8. */
export function isIpv6Multicast(addr: Uint8Array): boolean {
  return addr.length === 16 && addr[0] === 0xff;
}

interface Libc {
  getsockopt: (fd: number, level: number, name: number, val: Buffer, len: number[]) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  recvmsg: (fd: number, msg: unknown, flags: number) => number | bigint;
  sendmsg: (fd: number, msg: unknown, flags: number) => number | bigint;
}

interface Koffi {
  load(name: string): { func(sig: string): (...a: unknown[]) => unknown };
  alloc(type: string, len: number): unknown;
  free(p: unknown): void;
  address(p: unknown): bigint;
  view(p: unknown, len: number): ArrayBuffer;
  sizeof(type: string): number;
  errno(): number;
}

let ffi: { koffi: Koffi; libc: Libc } | undefined;
function getFfi(): { koffi: Koffi; libc: Libc } {
  if (ffi) return ffi;
  const koffi = require('koffi') as Koffi;
  if (koffi.sizeof('void *') !== 8 || os.endianness() !== 'LE')
    throw new Error('the IPv6 VRRP transport lays out its socket structs for 64-bit little-endian Linux only');
  const lib = koffi.load('libc.so.6');
  ffi = {
    koffi,
    libc: {
      getsockopt: lib.func('int getsockopt(int, int, int, _Out_ uint8_t *val, _Inout_ uint32_t *len)') as Libc['getsockopt'],
      setsockopt: lib.func('int setsockopt(int, int, int, const uint8_t *val, uint32_t len)') as Libc['setsockopt'],
      bind: lib.func('int bind(int, const uint8_t *addr, uint32_t len)') as Libc['bind'],
      recvmsg: lib.func('long recvmsg(int, void *msg, int flags)') as Libc['recvmsg'],
      sendmsg: lib.func('long sendmsg(int, void *msg, int flags)') as Libc['sendmsg'],
    },
  };
  return ffi;
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));
function errnoError(what: string, errno: number): Error & { errno: number; code: string } {
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(`${what}: ${code}`), { errno, code });
}

const int32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

interface RawSocket {
  getOption(level: number, option: number, value: Buffer, length: number): number;
  on(ev: 'error', cb: (err: Error) => void): void;
  close(): void;
  /** raw-socket's native wrapper: emits "recvReady" when libuv sees the socket readable. */
  wrap?: EventEmitter;
}

/** The descriptor behind a raw-socket socket: the one in /proc/self/fd with the same SO_COOKIE. */
function descriptorOf(sock: RawSocket, libc: Libc): number {
  const cookie = Buffer.alloc(8);
  sock.getOption(SOL_SOCKET, SO_COOKIE, cookie, 8);
  for (const name of fs.readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    if (!link.startsWith('socket:')) continue;
    const fd = Number(name);
    const mine = Buffer.alloc(8);
    if (libc.getsockopt(fd, SOL_SOCKET, SO_COOKIE, mine, [8]) === 0 && mine.equals(cookie)) return fd;
  }
  throw new Error('cannot find the raw socket descriptor (SO_COOKIE needs Linux 4.12+)');
}

/**
 * Native memory for one struct msghdr with its iovec, address, control and data buffers, laid out once
 * and reused for every packet (LP64: msghdr 56 bytes, iovec 16).
 */
class MsgBuffer {
  static readonly NAME = 96;
  static readonly CONTROL = 128;
  static readonly CONTROL_LEN = 128;
  static readonly DATA = 256;
  static readonly DATA_LEN = 4096;
  readonly ptr: unknown;
  readonly view: Buffer;
  private readonly base: bigint;

  constructor(private readonly koffi: Koffi) {
    const size = MsgBuffer.DATA + MsgBuffer.DATA_LEN;
    this.ptr = koffi.alloc('uint8_t', size);
    this.base = koffi.address(this.ptr);
    this.view = Buffer.from(koffi.view(this.ptr, size));
    this.view.fill(0);
  }

  /** Points the msghdr at the buffers: `dataLen` bytes of data, `controlLen` bytes of control. */
  reset(dataLen: number, controlLen: number): void {
    const v = this.view;
    v.writeBigUInt64LE(this.base + BigInt(MsgBuffer.NAME), 0); // msg_name
    v.writeUInt32LE(SOCKADDR_IN6_LEN, 8); // msg_namelen
    v.writeBigUInt64LE(this.base + 64n, 16); // msg_iov
    v.writeBigUInt64LE(1n, 24); // msg_iovlen
    v.writeBigUInt64LE(controlLen ? this.base + BigInt(MsgBuffer.CONTROL) : 0n, 32); // msg_control
    v.writeBigUInt64LE(BigInt(controlLen), 40); // msg_controllen
    v.writeInt32LE(0, 48); // msg_flags
    v.writeBigUInt64LE(this.base + BigInt(MsgBuffer.DATA), 64); // iov_base
    v.writeBigUInt64LE(BigInt(dataLen), 72); // iov_len
  }

  get controlLen(): number {
    return Number(this.view.readBigUInt64LE(40));
  }

  free(): void {
    this.koffi.free(this.ptr);
  }
}

export interface RawIpv6TransportOptions {
  ifname: string;
  /** The advert source: the interface's link-local address, or unicast_src_ip / mcast_src_ip. */
  src: string;
  /** Unicast peers; none = multicast to `group`. */
  peers: string[];
  /** The multicast group (default ff02::12; vrrp_mcast_group6 / mcast_dst_ip). */
  group?: string;
  /** Hop limit of unicast adverts (unicast_ttl); default 255. Multicast adverts always use 255. */
  unicastHopLimit?: number;
  onError: (e: Error) => void;
}

/** At most this many packets are read per wakeup, so a flood cannot starve the event loop (BOUNDED). */
const MAX_RX_PER_WAKEUP = 64;

export class RawIpv6Transport implements VrrpTransport {
  private readonly sock: RawSocket;
  private readonly fd: number;
  private readonly ifindex: number;
  private readonly peers: string[];
  private readonly src: Uint8Array;
  private readonly rx: MsgBuffer;
  private readonly tx: MsgBuffer;
  private readonly ffi: { koffi: Koffi; libc: Libc };
  private cb: ((payload: Uint8Array, meta: RxMeta) => void) | undefined;
  private closed = false;

  get destinations(): readonly string[] {
    return this.peers;
  }

  constructor(private readonly opts: RawIpv6TransportOptions) {
    this.ffi = getFfi();
    const { libc } = this.ffi;
    this.ifindex = ifIndex(opts.ifname);
    this.src = ipToBytes(opts.src);
    if (this.src.length !== 16) throw new Error(`advert source ${opts.src} is not an IPv6 address`);
    const group = opts.group ?? VRRP_MCAST_V6;
    const unicast = opts.peers.length > 0;
    this.peers = unicast ? opts.peers : [group];
    for (const p of this.peers) if (ipToBytes(p).length !== 16) throw new Error(`VRRP destination ${p} is not an IPv6 address`);
    const raw = require('raw-socket') as {
      createSocket(o: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
      AddressFamily: { IPv6: number };
    };
    // raw-socket's own receive buffer is never used: we read with recvmsg() below.
    this.sock = raw.createSocket({ protocol: 112, addressFamily: raw.AddressFamily.IPv6, bufferSize: 16 });
    try {
      this.fd = descriptorOf(this.sock, libc);
      const set = (level: number, name: number, value: Buffer, what: string, optional = false) => {
        if (libc.setsockopt(this.fd, level, name, value, value.length) !== 0) {
          const errno = this.ffi.koffi.errno();
          if (!optional) throw errnoError(`setsockopt ${what}`, errno);
        }
      };
      const dev = Buffer.from(`${opts.ifname}\0`);
      set(SOL_SOCKET, SO_BINDTODEVICE, dev, 'SO_BINDTODEVICE');
      set(IPPROTO_IPV6, IPV6_RECVPKTINFO, int32(1), 'IPV6_RECVPKTINFO');
      set(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int32(1), 'IPV6_RECVHOPLIMIT');
      set(IPPROTO_IPV6, IPV6_MULTICAST_IF, int32(this.ifindex), 'IPV6_MULTICAST_IF');
      set(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int32(VRRP_TTL), 'IPV6_MULTICAST_HOPS');
      set(IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(opts.unicastHopLimit ?? VRRP_TTL), 'IPV6_UNICAST_HOPS');
      set(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int32(0), 'IPV6_MULTICAST_LOOP');
      // Only the groups this socket joined (Linux 4.20+; older kernels: the bind below filters anyway).
      set(IPPROTO_IPV6, IPV6_MULTICAST_ALL, int32(0), 'IPV6_MULTICAST_ALL', true);
      let bindTo: Uint8Array;
      if (unicast) {
        // keepalived: bind the read socket to the unicast source, even before the address is up.
        set(IPPROTO_IPV6, IPV6_FREEBIND, int32(1), 'IPV6_FREEBIND');
        bindTo = this.src;
      } else {
        bindTo = ipToBytes(group);
        const mreq = Buffer.alloc(20); // struct ipv6_mreq: group, ifindex
        mreq.set(bindTo, 0);
        mreq.writeInt32LE(this.ifindex, 16);
        set(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, `IPV6_ADD_MEMBERSHIP ${group}`);
      }
      const sa = sockaddrIn6(bindTo, this.ifindex);
      if (libc.bind(this.fd, sa, sa.length) !== 0) throw errnoError(`bind ${bytesToIp(bindTo)}%${opts.ifname}`, this.ffi.koffi.errno());
      const wrap = this.sock.wrap;
      if (!wrap || typeof wrap.removeAllListeners !== 'function') throw new Error('raw-socket has no event wrapper to take over (raw-socket 1.8 expected)');
      wrap.removeAllListeners('recvReady');
      wrap.on('recvReady', () => this.drain());
    } catch (e) {
      this.sock.close();
      throw e;
    }
    this.rx = new MsgBuffer(this.ffi.koffi);
    this.tx = new MsgBuffer(this.ffi.koffi);
    this.tx.view.set(pktinfoCmsg(this.src, this.ifindex), MsgBuffer.CONTROL);
    this.sock.on('error', (e) => opts.onError(e));
  }

  send(payload: Buffer, to?: string): void {
    if (this.closed) return;
    if (payload.length > MsgBuffer.DATA_LEN) {
      this.opts.onError(new Error(`a ${payload.length}-byte advert is larger than the send buffer`));
      return;
    }
    const tx = this.tx;
    tx.view.set(payload, MsgBuffer.DATA);
    for (const p of to !== undefined ? [to] : this.peers) {
      tx.view.set(sockaddrIn6(ipToBytes(p), this.ifindex), MsgBuffer.NAME);
      tx.reset(payload.length, PKTINFO_CMSG_SPACE);
      const n = Number(this.ffi.libc.sendmsg(this.fd, tx.ptr, MSG_DONTWAIT));
      if (n !== payload.length)
        this.opts.onError(
          n < 0
            ? errnoError(`sendmsg to ${p} from ${this.opts.src}`, this.ffi.koffi.errno())
            : new Error(`sendmsg to ${p}: ${n} of ${payload.length} bytes sent`),
        );
    }
  }

  onPacket(cb: (payload: Uint8Array, meta: RxMeta) => void): void {
    this.cb = cb;
  }

  /** Reads what is queued (at most MAX_RX_PER_WAKEUP packets); never throws into the event loop. */
  private drain(): void {
    const rx = this.rx;
    for (let i = 0; i < MAX_RX_PER_WAKEUP && !this.closed; i++) {
      rx.reset(MsgBuffer.DATA_LEN, MsgBuffer.CONTROL_LEN);
      const n = Number(this.ffi.libc.recvmsg(this.fd, rx.ptr, MSG_DONTWAIT));
      if (n < 0) {
        const errno = this.ffi.koffi.errno();
        if (errno !== os.constants.errno.EAGAIN && errno !== os.constants.errno.EINTR) this.opts.onError(errnoError('recvmsg', errno));
        return;
      }
      // A message longer than the buffer arrives cut (MSG_TRUNC) at more than VRRP_MAX_LEN bytes:
      // the codec drops it as 'length', so it is counted like any other bad packet.
      const anc = parseRxCmsgs(rx.view.subarray(MsgBuffer.CONTROL, MsgBuffer.CONTROL + Math.min(rx.controlLen, MsgBuffer.CONTROL_LEN)));
      // Without the destination or the hop limit the RFC 5798 §7.1 checks cannot be made: drop.
      if (!anc.dst || anc.hopLimit === undefined || !this.cb) continue;
      const src = Uint8Array.from(rx.view.subarray(MsgBuffer.NAME + 8, MsgBuffer.NAME + 24));
      const payload = Uint8Array.from(rx.view.subarray(MsgBuffer.DATA, MsgBuffer.DATA + n));
      try {
        this.cb(payload, { src, dst: anc.dst, ttl: anc.hopLimit, unicast: !isIpv6Multicast(anc.dst) });
      } catch (e) {
        this.opts.onError(e as Error);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    this.rx.free();
    this.tx.free();
  }
}
