/**
 * VRRP layer, pure: the unsolicited Neighbor Advertisement a new MASTER multicasts for each IPv6 virtual
 * address (RFC 5798 §6.4.1/§6.4.2: "send an unsolicited ND Neighbor Advertisement ... Override flag (O)
 * set"; message format RFC 4861 §4.4, unsolicited sending §7.2.6). One job: the whole Ethernet frame,
 * bytes in, bytes out, sent on an AF_PACKET socket like the gratuitous ARP of garp.ts.
 *
 * Frame (86 bytes), the same as keepalived's vrrp_ndisc.c builds it:
 *   Ethernet   33:33:00:00:00:01 (RFC 2464 §7 mapping of ff02::1) <- interface MAC, type 0x86dd
 *   IPv6       src = the VIP itself, dst = ff02::1 (all-nodes), next header 58, hop limit 255
 *              (RFC 4861 §7.1.2: a receiver MUST discard an NA whose hop limit is not 255)
 *   ICMPv6 NA  type 136, code 0, checksum (RFC 4443 §2.3, IPv6 pseudo-header of RFC 8200 §8.1),
 *              flags R (only when the interface forwards IPv6, as keepalived does), S = 0 (unsolicited),
 *              O = 1; target = the VIP
 *   option     Target Link-Layer Address (type 2, length 1 = 8 bytes): the interface MAC
 *
 * Deviation from RFC 5798 §6.4.1, as keepalived: the target link-layer address is the interface MAC,
 * not the virtual router MAC 00-00-5E-00-02-{VRID} (no VMAC here), and R follows the interface's
 * forwarding setting instead of being always set (a host that advertises R would be taken for a router).
 */
import { onesComplementSum } from '../checksum.js';

export const ETH_P_IPV6 = 0x86dd;
/** IPv6 next header of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
/** RFC 4861 §4.6.1 option type: Target Link-Layer Address. */
export const ND_OPT_TARGET_LINKADDR = 2;
/** RFC 4861 §4.4 flag bits, in the first byte after the checksum. */
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;
/** ff02::1, the link-local all-nodes group, and its Ethernet mapping 33:33 + low 32 bits (RFC 2464 §7). */
export const ALL_NODES = Uint8Array.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);
export const ALL_NODES_MAC = Uint8Array.from([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
/** RFC 4861 §7.1.2 / §7.2.6: ND messages are sent, and must arrive, with hop limit 255. */
export const NDISC_HOP_LIMIT = 255;

const ETH_LEN = 14;
const IPV6_LEN = 40;
/** NA header (8) + target (16) + Target Link-Layer Address option for a 6-byte MAC (8). */
const NA_LEN = 8 + 16 + 8;
export const NA_FRAME_LEN = ETH_LEN + IPV6_LEN + NA_LEN;

/**
 * The ICMPv6 checksum (RFC 4443 §2.3) of `msg` (its checksum field, bytes 2-3, treated as zero) sent
 * from `src` to `dst`: the one's complement of the one's-complement sum of the IPv6 pseudo-header
 * (source, destination, upper-layer length as 32 bits, three zero bytes, next header 58) and the message.
 */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  if (src.length !== 16 || dst.length !== 16) throw new RangeError('ICMPv6 checksum needs two IPv6 addresses');
  let sum = onesComplementSum(src);
  sum = onesComplementSum(dst, sum);
  sum += (msg.length >>> 16) + (msg.length & 0xffff) + IPPROTO_ICMPV6;
  sum = onesComplementSum(msg, sum, 0, Math.min(2, msg.length));
  if (msg.length > 4) sum = onesComplementSum(msg, sum, 4, msg.length);
  return ~sum & 0xffff;
}

export interface NaOptions {
  /** Set the Router flag: the interface forwards IPv6 (keepalived reads net.ipv6.conf.IF.forwarding). */
  router?: boolean;
}

/** The 86-byte Ethernet frame of an unsolicited NA for `vip` (16 bytes) from `mac` (6 bytes). */
export function unsolicitedNaFrame(mac: Uint8Array, vip: Uint8Array, opts: NaOptions = {}): Buffer {
  if (mac.length !== 6) throw new RangeError(`unsolicited NA: a 6-byte Ethernet address is needed, got ${mac.length} bytes`);
  if (vip.length !== 16) throw new RangeError(`unsolicited NA: the target must be an IPv6 address, got ${vip.length} bytes`);
  const f = Buffer.alloc(NA_FRAME_LEN);
  // Ethernet
  f.set(ALL_NODES_MAC, 0);
  f.set(mac, 6);
  f.writeUInt16BE(ETH_P_IPV6, 12);
  // IPv6 header (RFC 8200 §3): version 6, traffic class 0, flow label 0
  const ip = ETH_LEN;
  f.writeUInt32BE(0x6000_0000, ip);
  f.writeUInt16BE(NA_LEN, ip + 4); // payload length
  f[ip + 6] = IPPROTO_ICMPV6;
  f[ip + 7] = NDISC_HOP_LIMIT;
  f.set(vip, ip + 8); // source: the VIP (keepalived does the same)
  f.set(ALL_NODES, ip + 24);
  // ICMPv6 Neighbor Advertisement (RFC 4861 §4.4)
  const na = ip + IPV6_LEN;
  f[na] = ND_NEIGHBOR_ADVERT;
  f[na + 1] = 0; // code
  f[na + 4] = NA_FLAG_OVERRIDE | (opts.router ? NA_FLAG_ROUTER : 0); // S stays 0: unsolicited
  f.set(vip, na + 8); // target address
  f[na + 24] = ND_OPT_TARGET_LINKADDR;
  f[na + 25] = 1; // option length in units of 8 bytes
  f.set(mac, na + 26);
  f.writeUInt16BE(icmpv6Checksum(vip, ALL_NODES, f.subarray(na)), na + 2);
  return f;
}
