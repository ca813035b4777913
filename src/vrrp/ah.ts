/**
 * VRRP layer, pure: the IP Authentication Header of VRRPv2 `auth_type AH` (RFC 3768 §5.3.6.2 keeps it
 * from RFC 2338; the header is RFC 2402's). One job: given the bytes and the key, build a whole IPv4
 * datagram (IP header, AH, VRRP message) with its ICV, verify one, and hold the sequence-number rule.
 * No I/O. The VRRP message inside is packet.ts's.
 *
 * Layout, as keepalived 2.2.7 sends it (test/unit/vrrp/ah.test.ts replays one of its packets):
 *
 *   IPv4 header, 20 bytes: TOS 0xc0, ID a per-instance counter from 1, no flags, TTL 255, protocol 51
 *   AH, 24 bytes (RFC 2402 §2):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Next Hdr 112  | Payload Len 4 |          RESERVED 0           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   SPI: the sender's IPv4 source address, as the same 4 bytes  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Sequence Number (see AhSequence)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       ICV: HMAC-MD5 (RFC 2104) truncated to 96 bits (12 bytes) |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   VRRPv2 message with Auth Type 2 and 8 zero bytes of Authentication Data
 *
 * ICV (RFC 2402 §3.3.3): HMAC-MD5 keyed with auth_pass (at most 8 bytes; HMAC pads a short key with zeros,
 * so "s3cret" and "s3cret\0\0" are the same key) over the whole datagram with the ICV field zeroed and
 * the IP header's TOS, flags + fragment offset and header checksum zeroed. The TTL, which RFC 2402
 * §3.3.3.1.1.1 lists as mutable, keepalived treats in two ways: multicast adverts have it inside the ICV
 * (255; a TTL-zeroed ICV is refused), unicast adverts (an instance with unicast peers) have it zeroed
 * (so a routed advert verifies; a TTL-included ICV is refused). Both as keepalived 2.2.7 sends and
 * accepts them; `unicast` below selects which.
 *
 * Unicast peers all get the same round: one sequence number and one IP Identification, an ICV each
 * (the destination address is inside it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { internetChecksum, IPPROTO_VRRP } from './checksum.js';

export const IPPROTO_AH = 51;
export const IPV4_HEADER_LEN = 20;
/** RFC 2402 §2: 12 fixed bytes + the ICV; HMAC-MD5-96 (RFC 2403) gives a 12-byte ICV. */
export const AH_ICV_LEN = 12;
export const AH_LEN = 12 + AH_ICV_LEN;
/** RFC 2402 §2.2: Payload Length is the AH length in 32-bit words minus 2. */
export const AH_PAYLOAD_LEN = AH_LEN / 4 - 2;
/** keepalived's IP TOS for adverts (DSCP CS6, "network control"). */
export const VRRP_TOS = 0xc0;
/** Offsets in the datagram. */
const ICV_OFF = IPV4_HEADER_LEN + 12;
const SEQ_OFF = IPV4_HEADER_LEN + 8;
const SPI_OFF = IPV4_HEADER_LEN + 4;

/** The HMAC key: the auth_pass bytes (the parser truncates to 8, as keepalived). */
export function ahKey(pass: string): Buffer {
  return Buffer.from(pass, 'utf8').subarray(0, 8);
}

/** keepalived's SPI: the sender's IPv4 address read as a 32-bit big-endian number. */
export function ahSpi(src: Uint8Array): number {
  return ((src[0]! << 24) | (src[1]! << 16) | (src[2]! << 8) | src[3]!) >>> 0;
}

/**
 * The 12-byte ICV of a datagram (IP header + AH + payload): HMAC-MD5-96 over a copy with the mutable
 * fields zeroed (TOS, flags + fragment offset, header checksum; the TTL only for `unicast` - see the
 * file's docblock) and the ICV field zeroed. The IP header must be the 20-byte one (adverts carry no
 * options).
 */
export function ahIcv(datagram: Uint8Array, key: Uint8Array, unicast = false): Buffer {
  const c = Buffer.from(datagram);
  c[1] = 0; // TOS
  if (unicast) c[8] = 0; // TTL
  c.writeUInt16BE(0, 6); // flags + fragment offset
  c.writeUInt16BE(0, 10); // header checksum
  c.fill(0, ICV_OFF, ICV_OFF + AH_ICV_LEN);
  return createHmac('md5', key).update(c).digest().subarray(0, AH_ICV_LEN);
}

export interface AhBuildInput {
  src: Uint8Array;
  dst: Uint8Array;
  /** IP Identification, 1..65535 (0 would let the kernel choose one after the ICV was computed). */
  ipId: number;
  /** AH Sequence Number, 0..2^32-1. */
  seq: number;
  /** 255 for multicast (RFC 3768 §5.2.3); unicast may differ. */
  ttl: number;
  /** An advert to a unicast peer: the TTL is left out of the ICV. */
  unicast?: boolean;
  key: Uint8Array;
  /** The VRRPv2 message (packet.ts encode(), Auth Type 2, zero Authentication Data). */
  vrrp: Uint8Array;
}

/**
 * The whole IPv4 datagram for a raw IP_HDRINCL socket: IP header (with its checksum, which the kernel
 * would fill in anyway), AH with the ICV, and the VRRP message.
 */
export function buildAhDatagram(i: AhBuildInput): Buffer {
  if (i.src.length !== 4 || i.dst.length !== 4) throw new RangeError('AH datagram: IPv4 addresses only');
  if (!Number.isInteger(i.ipId) || i.ipId < 1 || i.ipId > 0xffff) throw new RangeError(`AH datagram: IP ID must be 1..65535, got ${i.ipId}`);
  const total = IPV4_HEADER_LEN + AH_LEN + i.vrrp.length;
  const b = Buffer.alloc(total);
  b[0] = 0x45; // version 4, IHL 5
  b[1] = VRRP_TOS;
  b.writeUInt16BE(total, 2);
  b.writeUInt16BE(i.ipId, 4);
  b[8] = i.ttl;
  b[9] = IPPROTO_AH;
  b.set(i.src, 12);
  b.set(i.dst, 16);
  b.writeUInt16BE(internetChecksum(b.subarray(0, IPV4_HEADER_LEN)), 10);
  const ah = IPV4_HEADER_LEN;
  b[ah] = IPPROTO_VRRP;
  b[ah + 1] = AH_PAYLOAD_LEN;
  b.writeUInt32BE(ahSpi(i.src), SPI_OFF);
  b.writeUInt32BE(i.seq >>> 0, SEQ_OFF);
  b.set(i.vrrp, IPV4_HEADER_LEN + AH_LEN);
  ahIcv(b, i.key, i.unicast === true).copy(b, ICV_OFF);
  return b;
}

/** What a received datagram holds, before authentication (parseAhDatagram). */
export interface AhParsed {
  src: Uint8Array;
  dst: Uint8Array;
  ttl: number;
  spi: number;
  seq: number;
  /** The VRRP message after the AH. */
  vrrp: Uint8Array;
}

/**
 * short     not a whole IPv4 header + AH
 * authType  not AH (protocol 51) carrying VRRP (next header 112), or an AH of another length
 */
export type AhParseResult = { ok: true; ah: AhParsed } | { ok: false; reason: 'short' | 'authType' };

/** Splits a received IPv4 datagram (as a raw socket delivers it) into its AH fields and VRRP message. Never throws. */
export function parseAhDatagram(d: Uint8Array): AhParseResult {
  if (!(d instanceof Uint8Array) || d.length < IPV4_HEADER_LEN || d[0]! >> 4 !== 4) return { ok: false, reason: 'short' };
  const ihl = (d[0]! & 0x0f) * 4;
  if (ihl < IPV4_HEADER_LEN || d.length < ihl + AH_LEN) return { ok: false, reason: 'short' };
  if (d[9] !== IPPROTO_AH || d[ihl] !== IPPROTO_VRRP || d[ihl + 1] !== AH_PAYLOAD_LEN) return { ok: false, reason: 'authType' };
  const word = (o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  return {
    ok: true,
    ah: { src: d.subarray(12, 16), dst: d.subarray(16, 20), ttl: d[8]!, spi: word(ihl + 4), seq: word(ihl + 8), vrrp: d.subarray(ihl + AH_LEN) },
  };
}

/**
 * Authenticates a received datagram: the SPI must be the source address (keepalived: "invalid IPSEC SPI
 * value") and the ICV must verify with our key (keepalived: "invalid IPSEC HMAC-MD5 value"), compared in
 * constant time; `unicast` for an instance with unicast peers (the TTL left out of the ICV). Options in
 * the IP header are not covered: adverts carry none, and one with options fails.
 */
export function verifyAhDatagram(d: Uint8Array, key: Uint8Array, unicast = false): boolean {
  if (d.length < IPV4_HEADER_LEN + AH_LEN || (d[0]! & 0x0f) !== 5) return false;
  const p = parseAhDatagram(d);
  if (!p.ok || p.ah.spi !== ahSpi(p.ah.src)) return false;
  return timingSafeEqual(ahIcv(d, key, unicast), d.subarray(ICV_OFF, ICV_OFF + AH_ICV_LEN));
}

/**
 * keepalived's sequence numbers (observed from keepalived 2.2.7 on the wire; test/unit/vrrp/ah.test.ts
 * holds the cases). One counter per instance, shared by sending and receiving, starting at 0 when the
 * process starts (the first advert carries 1):
 * - sending: the counter goes up by one and the advert carries it; from 0xfffffffe on it no longer moves
 *   (no wrap: every advert repeats the last number, which a receiver then drops);
 * - receiving, in any state: an advert whose number is not above the counter is dropped ("already
 *   processed", equal numbers too); an accepted one sets the counter to its number, so a BACKUP goes on
 *   from its MASTER's sequence when it takes over, and a restarted router (counter 0) accepts its peer's;
 * - a MASTER that answers a lower-priority advert at once (the "forcing new election" advert: not
 *   priority 0, not a router that outranks it) sets the counter one above the advert's number, so its
 *   answer carries that number + 2.
 */
export const AH_SEQ_LAST = 0xfffffffe;

/** The number the next advert carries, which is also the counter after sending it. */
export function ahSeqNext(counter: number): number {
  return counter < AH_SEQ_LAST ? counter + 1 : counter;
}

export type AhSeqVerdict = { accept: false } | { accept: true; counter: number };

/**
 * The receive rule: `counter` is the instance's, `seq` the advert's; `masterAnswers` is true when this
 * router is MASTER and will answer the advert at once (lower priority, or equal priority from a lower
 * address; not priority 0).
 */
export function ahSeqReceive(counter: number, seq: number, masterAnswers: boolean): AhSeqVerdict {
  if (seq <= counter) return { accept: false };
  return { accept: true, counter: masterAnswers ? (seq + 1) >>> 0 : seq };
}
