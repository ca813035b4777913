/**
 * VRRP layer, pure: the Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 adds
 * (RFC 5798 §5.2.8). VRRPv2's checksum covers the VRRP message alone (RFC 3768 §5.3.8).
 */

export const IPPROTO_VRRP = 112;

/** One's-complement sum of 16-bit big-endian words, folded, not yet inverted. */
function sum16(buf: Uint8Array, start = 0, end = buf.length, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8; // odd length: pad with a zero byte
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 1071 checksum of `buf` (with its checksum field zeroed by the caller when computing). */
export function inetChecksum(buf: Uint8Array, initial = 0): number {
  return ~sum16(buf, 0, buf.length, initial) & 0xffff;
}

/**
 * The partial sum of the pseudo-header for `vrrpLength` bytes of VRRP between `src` and `dst`:
 * IPv4 (src, dst, zero, protocol, length) or IPv6 (src, dst, 32-bit length, zeros, next header).
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, vrrpLength: number): number {
  if (src.length === 4) {
    const ph = new Uint8Array(12);
    ph.set(src, 0);
    ph.set(dst, 4);
    ph[9] = IPPROTO_VRRP;
    ph[10] = vrrpLength >> 8;
    ph[11] = vrrpLength & 0xff;
    return sum16(ph);
  }
  const ph = new Uint8Array(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  ph[34] = (vrrpLength >> 8) & 0xff;
  ph[35] = vrrpLength & 0xff;
  ph[39] = IPPROTO_VRRP;
  return sum16(ph);
}
