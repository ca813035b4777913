/**
 * VRRP layer, edge: VRRPv2 adverts inside an IP Authentication Header (`auth_type AH`), on a raw IPv4
 * socket for IP protocol 51 (raw-socket package). A protocol-112 socket never sees these packets: the
 * kernel hands a raw socket only its own protocol, and the outer protocol here is AH.
 *
 * Unlike transport.ts this one carries whole IPv4 datagrams both ways: the ICV covers the IP header
 * (source, destination, Identification, TTL), so the sender builds the header itself (IP_HDRINCL; the
 * kernel only fills in the header checksum) and the receiver needs the header to verify it. ah.ts
 * builds and checks the bytes; this file only moves them. Socket options as transport.ts: bound to the
 * interface, 224.0.0.18 joined on it, multicast loop off; IP_MINTTL 255 for multicast only: keepalived
 * accepts AH adverts from unicast peers whatever their TTL (it leaves the TTL out of their ICV).
 */
import { createRequire } from 'node:module';
import { ipToBytes } from '../net/ip.js';
import { ifIndex } from '../net/iface.js';
import { VRRP_MCAST_V4, type RxMeta, type VrrpTransport } from './transport.js';
import { IPPROTO_AH } from './ah.js';

const require = createRequire(import.meta.url);

// Linux socket option numbers (include/uapi/linux/in.h, asm-generic/socket.h).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MINTTL = 21;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;

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

export interface AhTransportOptions {
  ifname: string;
  /** Destinations: the unicast peers; none = the multicast group. */
  peers: string[];
  onError: (e: Error) => void;
}

/**
 * send(datagram, to): `datagram` is a whole IPv4 datagram (ah.ts buildAhDatagram) whose destination is
 * `to`; one per destination, since the ICV covers the destination address. onPacket delivers whole
 * received datagrams (IP header included) with their addresses and TTL.
 */
export class RawIpv4AhTransport implements VrrpTransport {
  private readonly sock: RawSocket;
  private readonly peers: string[];

  get destinations(): readonly string[] {
    return this.peers;
  }

  constructor(private readonly opts: AhTransportOptions) {
    const raw = require('raw-socket') as { createSocket(o: { protocol: number; bufferSize?: number }): RawSocket };
    this.sock = raw.createSocket({ protocol: IPPROTO_AH, bufferSize: 65536 });
    this.peers = opts.peers.length ? opts.peers : [VRRP_MCAST_V4];
    const index = ifIndex(opts.ifname);
    const dev = Buffer.from(opts.ifname + '\0');
    this.sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
    this.sock.setOption(IPPROTO_IP, IP_HDRINCL, int32(1), 4);
    if (!opts.peers.length) this.sock.setOption(IPPROTO_IP, IP_MINTTL, int32(255), 4);
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

  send(datagram: Buffer, to?: string): void {
    for (const p of to !== undefined ? [to] : this.peers) {
      this.sock.send(datagram, 0, datagram.length, p, null, (err) => {
        if (err) this.opts.onError(err);
      });
    }
  }

  onPacket(cb: (datagram: Uint8Array, meta: RxMeta) => void): void {
    this.sock.on('message', (buf) => {
      if (buf.length < 20 || buf[0]! >> 4 !== 4) return;
      cb(buf, { ttl: buf[8]!, src: buf.subarray(12, 16), dst: buf.subarray(16, 20), ...(this.opts.peers.length ? { unicast: true } : {}) });
    });
  }

  /** As transport.ts: close once raw-socket's send queue is empty, or after 200 ms at most (BOUNDED). */
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
