/**
 * VRRP layer, pure: checksums. One job: the Internet checksum (RFC 1071) over bytes, the pseudo-headers
 * VRRPv3 adds to it (RFC 5798 §5.2.8: IPv4 per RFC 791-style src/dst/zero/protocol/length, IPv6 per
 * RFC 2460 §8.1), and the incremental update of RFC 1624 for the advert hot path.
 * VRRPv2's checksum covers the VRRP message alone, no pseudo-header (RFC 3768 §5.3.8).
 * No I/O, no allocation on the hot paths.
 */

/** IP protocol number / IPv6 Next Header of VRRP (RFC 5798 §5.1.1.4, §5.1.2.3). */
export const IPPROTO_VRRP = 112;

/**
 * RFC 1071 §4.1: the one's-complement sum of `buf[start, end)` taken as big-endian 16-bit words (an odd
 * trailing byte is padded with a zero byte on its right), added to `initial`, folded to 16 bits.
 * Not inverted: this is the running sum, to be combined with other partial sums.
 */
export function onesComplementSum(buf: Uint8Array, initial = 0, start = 0, end = buf.length): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
    // Fold now and then so the accumulator stays a small integer whatever the length.
    if (sum > 0x7fff_ffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += buf[i]! << 8;
  return fold(sum);
}

/** End-around carry until 16 bits remain (RFC 1071 §2 (C)). */
function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * RFC 1071: the 16-bit one's complement of the one's-complement sum. To compute a checksum, zero the
 * checksum field first; to verify one, sum everything including the field: a correct packet gives 0.
 */
export function internetChecksum(buf: Uint8Array, initial = 0): number {
  return ~onesComplementSum(buf, initial) & 0xffff;
}

function checkPair(src: Uint8Array, dst: Uint8Array): 4 | 16 {
  if ((src.length !== 4 && src.length !== 16) || src.length !== dst.length) {
    throw new RangeError(`pseudo-header needs two IPv4 or two IPv6 addresses, got ${src.length} and ${dst.length} bytes`);
  }
  return src.length;
}

/**
 * The IPv4 pseudo-header VRRPv3 checksums over (RFC 5798 §5.2.8, layout of RFC 768/793):
 * source (4), destination (4), zero (1), protocol 112 (1), VRRP length (2). 12 bytes.
 */
export function ipv4PseudoHeader(srcAddr: Uint8Array, dstAddr: Uint8Array, vrrpLength: number): Buffer {
  if (checkPair(srcAddr, dstAddr) !== 4) throw new RangeError('IPv4 pseudo-header needs IPv4 addresses');
  const ph = Buffer.alloc(12);
  ph.set(srcAddr, 0);
  ph.set(dstAddr, 4);
  ph[9] = IPPROTO_VRRP;
  ph.writeUInt16BE(vrrpLength & 0xffff, 10);
  return ph;
}

/**
 * The IPv6 pseudo-header of RFC 2460 §8.1 (used by RFC 5798 §5.2.8): source (16), destination (16),
 * upper-layer packet length (4), zero (3), next header 112 (1). 40 bytes.
 */
export function ipv6PseudoHeader(srcAddr: Uint8Array, dstAddr: Uint8Array, vrrpLength: number): Buffer {
  if (checkPair(srcAddr, dstAddr) !== 16) throw new RangeError('IPv6 pseudo-header needs IPv6 addresses');
  const ph = Buffer.alloc(40);
  ph.set(srcAddr, 0);
  ph.set(dstAddr, 16);
  ph.writeUInt32BE(vrrpLength >>> 0, 32);
  ph[39] = IPPROTO_VRRP;
  return ph;
}

/**
 * The one's-complement sum of the IPv4 or IPv6 pseudo-header (chosen by the address length), computed
 * without building it: what ipv4PseudoHeader()/ipv6PseudoHeader() would sum to.
 */
export function pseudoHeaderSum(srcAddr: Uint8Array, dstAddr: Uint8Array, vrrpLength: number): number {
  checkPair(srcAddr, dstAddr);
  let sum = onesComplementSum(srcAddr);
  sum = onesComplementSum(dstAddr, sum);
  // IPv4: 16-bit length; IPv6: 32-bit length (the high half is zero for any VRRP packet). The
  // protocol / next header byte lands in the low byte of a zero-padded word in both layouts.
  sum += (vrrpLength >>> 16) + (vrrpLength & 0xffff) + IPPROTO_VRRP;
  return fold(sum);
}

/**
 * The checksum a VRRP message should carry (its checksum field, bytes 6-7, is treated as zero).
 * `pseudo` given: VRRPv3 (RFC 5798 §5.2.8); absent: VRRPv2, the message alone (RFC 3768 §5.3.8).
 */
export function vrrpChecksum(msg: Uint8Array, pseudo?: { srcAddr: Uint8Array; dstAddr: Uint8Array }): number {
  const initial = pseudo ? pseudoHeaderSum(pseudo.srcAddr, pseudo.dstAddr, msg.length) : 0;
  let sum = onesComplementSum(msg, initial, 0, Math.min(6, msg.length));
  if (msg.length > 8) sum = onesComplementSum(msg, sum, 8, msg.length);
  return ~sum & 0xffff;
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from `oldWord`
 * to `newWord`: HC' = ~(~HC + ~m + m'). Gives exactly what a full recomputation gives.
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(sum) & 0xffff;
}
