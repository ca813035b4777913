/**
 * Net layer, edge: sending whole Ethernet frames on an interface through an AF_PACKET socket, for
 * gratuitous ARP. Node has no AF_PACKET and raw-socket only does IP, so libc's socket()/sendto() are
 * called through koffi (net/libc.ts). The socket is opened once per interface and kept.
 */
import * as fs from 'node:fs';
import { close, libcFunc, socket } from './libc.js';

const AF_PACKET = 17;
const SOCK_RAW = 3;

const sendto = libcFunc<(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number) => number>(
  'long sendto(int, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
);

export function interfaceMac(ifname: string): string {
  return fs.readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim();
}

export class PacketSender {
  private fd = -1;
  private readonly sll: Buffer;

  constructor(
    readonly ifname: string,
    ifindex: number,
    ethertype: number,
    dstMac: Uint8Array,
  ) {
    // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8]
    this.sll = Buffer.alloc(20);
    this.sll.writeUInt16LE(AF_PACKET, 0);
    this.sll.writeUInt16BE(ethertype, 2);
    this.sll.writeInt32LE(ifindex, 4);
    this.sll.writeUInt16LE(1, 8);
    this.sll[11] = 6;
    this.sll.set(dstMac, 12);
    this.fd = socket(AF_PACKET, SOCK_RAW, ((ethertype & 0xff) << 8) | (ethertype >> 8));
    if (this.fd < 0) throw new Error(`cannot open an AF_PACKET socket on ${ifname} (needs CAP_NET_RAW)`);
  }

  send(frame: Buffer): void {
    const n = sendto(this.fd, frame, frame.length, 0, this.sll, this.sll.length);
    if (n !== frame.length) throw new Error(`sending a ${frame.length}-byte frame on ${this.ifname} failed`);
  }

  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }
}
