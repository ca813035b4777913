/**
 * VRRP layer, edge: adverts over raw IPv4 sockets, IP protocol 112 (raw-socket package). IPv6 is
 * transport6.ts.
 *
 * - Send: the socket has IP_HDRINCL and every advert gets an IPv4 header built here (ipv4Header()), as
 *   keepalived builds its own: source `src` (unicast_src_ip / mcast_src_ip, else the interface's primary
 *   address) whatever the kernel's source selection would pick, TOS 0xc0 (precedence internetwork
 *   control), no DF, an identification counting from 1, TTL 255 to the multicast group (RFC 5798
 *   §5.1.1.3) and unicast_ttl (default 255) to unicast peers. The socket is bound to the interface
 *   (SO_BINDTODEVICE) and multicast leaves through it (IP_MULTICAST_IF), loop off.
 * - Receive: multicast instances join their group (vrrp_mcast_group4 / mcast_dst_ip, default 224.0.0.18)
 *   on the interface; unicast instances join nothing. Raw IPv4 sockets deliver the IP header, so TTL,
 *   source and destination come from it. No IP_MINTTL: Linux does not apply it to raw sockets (measured
 *   on 6.18: a raw socket with IP_MINTTL 255 still received adverts with TTL 254); the TTL rules are
 *   packet.ts (255) and admit.ts (unicast, min_ttl/max_ttl).
 */
import { createRequire } from 'node:module';
import { ipToBytes } from '../net/ip.js';
import { ifIndex } from '../net/iface.js';
import { isMulticastAddr } from './admit.js';
import { IPPROTO_VRRP, internetChecksum } from './checksum.js';
import { VRRP_TTL } from './packet.js';

const require = createRequire(import.meta.url);

// Linux socket option numbers (include/uapi/linux/in.h, asm-generic/socket.h).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;

/** RFC 791 header without options, in bytes. */
export const IPV4_HEADER_LEN = 20;
/** IPTOS_PREC_INTERNETCONTROL (RFC 791 precedence 6), what keepalived sends adverts with. */
export const VRRP_TOS = 0xc0;

export const VRRP_MCAST_V4 = '224.0.0.18';

export interface RxMeta {
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL, or IPv6 Hop Limit (the address length tells which). */
  ttl: number;
  /**
   * Sent to a unicast address: keepalived skips the TTL / Hop Limit 255 check for those (they may be
   * routed, and keepalived sends IPv6 unicast adverts with the default hop limit). Set by both transports
   * from the packet's destination; instance.ts also asks admit.ts whether the instance runs unicast.
   */
  unicast?: boolean;
}

export interface VrrpTransport {
  /** Destinations, in order: the multicast group, or the unicast peers. */
  readonly destinations: readonly string[];
  /** Send to every destination, or only to `to` (v3 needs one checksum per destination). */
  send(payload: Buffer, to?: string): void;
  onPacket(cb: (payload: Uint8Array, meta: RxMeta) => void): void;
  close(): void;
}

/**
 * unicast_fault_no_peer with no unicast_peer: the instance stays in FAULT and has nothing to send to, so it
 * opens no socket (keepalived: "Cannot use unicast without any peers - going to fault state").
 */
export class SilentTransport implements VrrpTransport {
  readonly destinations: readonly string[] = [];
  send(): void {}
  onPacket(): void {}
  close(): void {}
}

export interface RawSocket {
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(buf: Buffer, offset: number, length: number, address: string, before: null | (() => void), after: (err: Error | null, bytes: number) => void): void;
  on(ev: 'message', cb: (buf: Buffer, addr: string) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  close(): void;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/**
 * A raw IPv4 socket for `protocol` (112, or 51 for AH) as keepalived opens its own: IP_HDRINCL (the caller
 * builds every IP header), bound to the interface, multicast out through it with loop off, and `join`
 * joined on it when the instance runs multicast.
 */
export function openIpv4Raw(o: { protocol: number; ifname: string; join?: string; onError: (e: Error) => void }): RawSocket {
  const raw = require('raw-socket') as { createSocket(o: { protocol: number; bufferSize?: number }): RawSocket };
  const index = ifIndex(o.ifname);
  const sock = raw.createSocket({ protocol: o.protocol, bufferSize: 65536 });
  const dev = Buffer.from(o.ifname + '\0');
  sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
  sock.setOption(IPPROTO_IP, IP_HDRINCL, int32(1), 4);
  sock.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, int32(0), 4);
  const mreqn = Buffer.alloc(12);
  mreqn.writeInt32LE(index, 8);
  sock.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreqn, 12);
  if (o.join !== undefined) {
    const join = Buffer.alloc(12);
    join.set(ipToBytes(o.join), 0);
    join.writeInt32LE(index, 8);
    sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, join, 12);
  }
  sock.on('error', (e) => o.onError(e));
  return sock;
}

/**
 * raw-socket sends from a queue when the socket turns writable, so the priority-0 advert of a stopping
 * MASTER may still be queued: close once the queue is empty, or after 200 ms at most (BOUNDED).
 */
export function closeWhenSent(sock: RawSocket): void {
  const queue = (sock as unknown as { requests?: unknown[] }).requests;
  const until = Date.now() + 200;
  const tryClose = (): void => {
    if ((queue?.length ?? 0) === 0 || Date.now() >= until) sock.close();
    else setTimeout(tryClose, 5);
  };
  tryClose();
}

/**
 * The IPv4 header (RFC 791, no options) of an advert: version 4, IHL 5, TOS 0xc0, total length, `id`,
 * no fragmentation flags, `ttl`, protocol 112, header checksum, `src` and `dst`. Pure. (With IP_HDRINCL
 * the kernel rewrites total length and checksum anyway - raw(7) - so they are what it would write.)
 */
export function ipv4Header(o: { src: Uint8Array; dst: Uint8Array; ttl: number; id: number; payloadLen: number }): Buffer {
  if (o.src.length !== 4 || o.dst.length !== 4) throw new RangeError('IPv4 header needs IPv4 addresses');
  const h = Buffer.alloc(IPV4_HEADER_LEN);
  h[0] = 0x45;
  h[1] = VRRP_TOS;
  h.writeUInt16BE(IPV4_HEADER_LEN + o.payloadLen, 2);
  h.writeUInt16BE(o.id & 0xffff, 4);
  h[8] = o.ttl;
  h[9] = IPPROTO_VRRP;
  h.set(o.src, 12);
  h.set(o.dst, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return h;
}

/** The TTL an advert to `dst` leaves with: 255 to a multicast group, unicast_ttl to a unicast peer. */
export function sendTtl(dst: Uint8Array, unicastTtl: number | undefined): number {
  return isMulticastAddr(dst) ? VRRP_TTL : (unicastTtl ?? VRRP_TTL);
}

export interface RawTransportOptions {
  ifname: string;
  /** The adverts' source address (unicast_src_ip / mcast_src_ip, or the interface's primary address). */
  src: string;
  /** Unicast peers; none = multicast to `group`. */
  peers: string[];
  /** vrrp_mcast_group4 / mcast_dst_ip; default 224.0.0.18. */
  group?: string;
  /** unicast_ttl: the TTL of unicast adverts (default 255). */
  unicastTtl?: number;
  onError: (e: Error) => void;
}

export class RawIpv4Transport implements VrrpTransport {
  private readonly sock: RawSocket;
  private readonly peers: string[];
  private readonly src: Uint8Array;
  /** Destination text -> its bytes and TTL. BOUNDED by the peers. */
  private readonly dests = new Map<string, { addr: Uint8Array; ttl: number }>();
  /** IPv4 identification of the next advert (keepalived counts from 1 too). */
  private nextId = 1;

  get destinations(): readonly string[] {
    return this.peers;
  }

  constructor(private readonly opts: RawTransportOptions) {
    this.src = ipToBytes(opts.src);
    if (this.src.length !== 4) throw new Error(`advert source ${opts.src} is not an IPv4 address`);
    const group = opts.group ?? VRRP_MCAST_V4;
    this.peers = opts.peers.length ? opts.peers : [group];
    for (const p of this.peers) {
      const addr = ipToBytes(p);
      this.dests.set(p, { addr, ttl: sendTtl(addr, opts.unicastTtl) });
    }
    this.sock = openIpv4Raw({ protocol: IPPROTO_VRRP, ifname: opts.ifname, ...(opts.peers.length === 0 ? { join: group } : {}), onError: opts.onError });
  }

  /** One frame (header + advert) per destination; a new buffer each, as raw-socket queues it until sent. */
  send(payload: Buffer, to?: string): void {
    for (const p of to !== undefined ? [to] : this.peers) {
      const d = this.dests.get(p) ?? { addr: ipToBytes(p), ttl: sendTtl(ipToBytes(p), this.opts.unicastTtl) };
      const id = this.nextId;
      this.nextId = (this.nextId % 0xffff) + 1;
      const frame = Buffer.concat([ipv4Header({ src: this.src, dst: d.addr, ttl: d.ttl, id, payloadLen: payload.length }), payload]);
      this.sock.send(frame, 0, frame.length, p, null, (err) => {
        if (err) this.opts.onError(err);
      });
    }
  }

  onPacket(cb: (payload: Uint8Array, meta: RxMeta) => void): void {
    this.sock.on('message', (buf) => {
      // IPv4 raw sockets deliver the IP header: IHL, TTL at byte 8, addresses at 12 and 16.
      if (buf.length < 20 || buf[0]! >> 4 !== 4) return;
      const ihl = (buf[0]! & 0x0f) * 4;
      const dst = buf.subarray(16, 20);
      cb(buf.subarray(ihl), { ttl: buf[8]!, src: buf.subarray(12, 16), dst, ...(isMulticastAddr(dst) ? {} : { unicast: true }) });
    });
  }
  close(): void {
    closeWhenSent(this.sock);
  }
}
