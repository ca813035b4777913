/**
 * VRRP layer, edge: adverts over raw IPv4 sockets, IP protocol 112 (raw-socket package).
 * Multicast 224.0.0.18 joined on the instance's interface, TTL 255 sent (IP_MULTICAST_TTL / IP_TTL) and
 * required on receipt (IP_MINTTL in the kernel, checked again by the codec), multicast loop off, the socket
 * bound to the interface (SO_BINDTODEVICE). Unicast peers get the same advert one by one.
 * IPv6 is transport6.ts.
 */
import { createRequire } from 'node:module';
import { ipToBytes } from '../net/ip.js';
import { ifIndex } from '../net/iface.js';

const require = createRequire(import.meta.url);

// Linux socket option numbers (include/uapi/linux/in.h, asm-generic/socket.h).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;

export const VRRP_MCAST_V4 = '224.0.0.18';

export interface RxMeta {
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL, or IPv6 Hop Limit (the address length tells which). */
  ttl: number;
  /**
   * Sent to a unicast address: keepalived skips the TTL / Hop Limit 255 check for those (they may be
   * routed, and keepalived sends IPv6 unicast adverts with the default hop limit). Set by the IPv6 transport.
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

interface RawSocket {
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

export interface RawTransportOptions {
  ifname: string;
  /** Destinations: the multicast group, or the unicast peers. */
  peers: string[];
  onError: (e: Error) => void;
}

export class RawIpv4Transport implements VrrpTransport {
  private readonly sock: RawSocket;
  private readonly peers: string[];

  get destinations(): readonly string[] {
    return this.peers;
  }

  constructor(private readonly opts: RawTransportOptions) {
    const raw = require('raw-socket') as { createSocket(o: { protocol: number; bufferSize?: number }): RawSocket };
    this.sock = raw.createSocket({ protocol: 112, bufferSize: 65536 });
    this.peers = opts.peers.length ? opts.peers : [VRRP_MCAST_V4];
    const index = ifIndex(opts.ifname);
    const dev = Buffer.from(opts.ifname + '\0');
    this.sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
    this.sock.setOption(IPPROTO_IP, IP_TTL, int32(255), 4);
    this.sock.setOption(IPPROTO_IP, IP_MINTTL, int32(255), 4);
    this.sock.setOption(IPPROTO_IP, IP_MULTICAST_TTL, int32(255), 4);
    this.sock.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, int32(0), 4);
    const mreqn = Buffer.alloc(12);
    mreqn.writeInt32LE(index, 8);
    this.sock.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreqn, 12);
    const join = Buffer.alloc(12);
    join.set(ipToBytes(VRRP_MCAST_V4), 0);
    join.writeInt32LE(index, 8);
    this.sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, join, 12);
    this.sock.on('error', (e) => opts.onError(e));
  }

  send(payload: Buffer, to?: string): void {
    for (const p of to !== undefined ? [to] : this.peers) {
      this.sock.send(payload, 0, payload.length, p, null, (err) => {
        if (err) this.opts.onError(err);
      });
    }
  }

  onPacket(cb: (payload: Uint8Array, meta: RxMeta) => void): void {
    this.sock.on('message', (buf) => {
      // IPv4 raw sockets deliver the IP header: IHL, TTL at byte 8, addresses at 12 and 16.
      if (buf.length < 20 || buf[0]! >> 4 !== 4) return;
      const ihl = (buf[0]! & 0x0f) * 4;
      cb(buf.subarray(ihl), { ttl: buf[8]!, src: buf.subarray(12, 16), dst: buf.subarray(16, 20) });
    });
  }

  /**
   * raw-socket sends from a queue when the socket turns writable, so the priority-0 advert of a stopping
   * MASTER may still be queued: close once the queue is empty, or after 200 ms at most (BOUNDED).
   */
  close(): void {
    const queue = (this.sock as unknown as { requests?: unknown[] }).requests;
    const until = Date.now() + 200;
    const tryClose = (): void => {
      if ((queue?.length ?? 0) === 0 || Date.now() >= until) this.sock.close();
      else setTimeout(tryClose, 5);
    };
    tryClose();
  }
}
