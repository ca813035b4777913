/**
 * VRRP layer, pure: the advertisement codec. One job: VRRP payload bytes <-> a typed advert, for VRRPv2
 * (RFC 3768 §5, IPv4 only) and VRRPv3 (RFC 5798 §5, IPv4 and IPv6). The IP header belongs to the
 * transport. decode() runs the receive checks of RFC 5798 §7.1 / RFC 3768 §7.1 in order and returns
 * the advert or a stable drop reason; it never throws, whatever the bytes or the context.
 *
 * Wire layout (RFC 3768 §5.1, RFC 5798 §5.1), big-endian:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   v2: |   Auth Type   |   Adver Int   |          Checksum         |
 *   v3: |(rsvd) |     Max Adver Int     |          Checksum         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 IPvX Address(es): Count x 4 or 16 bytes        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   v2 only: | Authentication Data (8 bytes)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * v2 Adver Int is whole seconds (u8); v3 Max Adver Int is centiseconds (12 bits, 4 reserved bits that
 * are sent as zero and ignored on receipt). Both are carried as milliseconds in `advertIntMs` here.
 *
 * keepalived compatibility note (not implemented, on purpose): older keepalived releases computed the
 * VRRPv3 checksum of *unicast* adverts with the multicast group 224.0.0.18 in the pseudo-header instead
 * of the real destination; keepalived's `old_unicast_checksum` keeps doing so, and its receiver accepts
 * either form. We implement the RFC: the pseudo-header carries the packet's real IP destination. A peer
 * configured with old_unicast_checksum will see our unicast v3 adverts as checksum errors and vice versa.
 */
import { timingSafeEqual } from 'node:crypto';
import { onesComplementSum, pseudoHeaderSum, updateChecksum16, vrrpChecksum } from './checksum.js';

export type VrrpVersion = 2 | 3;
/** IP version the advert travels in. */
export type IpFamily = 4 | 6;

export const VRRP_TYPE_ADVERTISEMENT = 1;
/** RFC 5798 §5.1.1.3 / §5.1.2.3: adverts are sent, and must arrive, with TTL / Hop Limit 255. */
export const VRRP_TTL = 255;
/** RFC 3768 §5.3.6 (kept from RFC 2338): 0 none, 1 simple text password, 2 IP Authentication Header. */
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
/** RFC 5798 §5.2.4: priority 0 = the master stops; 255 = the address owner. */
export const PRIORITY_STOP = 0;
export const PRIORITY_OWNER = 255;

export const VRRP_HEADER_LEN = 8;
export const VRRP_AUTH_DATA_LEN = 8;
/** The largest legal VRRP message: v3 over IPv6 with 255 addresses (v2: 8 + 255 x 4 + 8 = 1036). */
export const VRRP_MAX_LEN = VRRP_HEADER_LEN + 255 * 16;

/** What encode() takes. */
export interface AdvertInput {
  version: VrrpVersion;
  /** Virtual Router ID, 1..255. */
  vrid: number;
  /** 0..255. */
  priority: number;
  /** v2: a whole number of seconds, 1..255 s; v3: a multiple of 10 ms, 10..40950 ms. */
  advertIntMs: number;
  /** Virtual addresses, all 4 bytes (IPv4) or all 16 bytes (IPv6, v3 only); 0..255 of them. */
  addresses: readonly Uint8Array[];
  /** v2 only; default AUTH_NONE. */
  authType?: number;
  /** v2 only: the 8 authentication bytes (PASS: the password, zero padded - see passAuthData()). */
  authData?: Uint8Array;
}

/** What decode() returns: every field of the message. */
export interface Advert {
  version: VrrpVersion;
  type: typeof VRRP_TYPE_ADVERTISEMENT;
  vrid: number;
  priority: number;
  countIp: number;
  /** v2: the Auth Type field; v3: always 0 (the field does not exist). */
  authType: number;
  /** v2: Adver Int x 1000; v3: Max Adver Int x 10. */
  advertIntMs: number;
  /** The checksum as received (already verified). */
  checksum: number;
  addresses: Uint8Array[];
  /** v2 only: the 8 bytes of Authentication Data as received. */
  authData?: Uint8Array;
}

/** Pseudo-header addresses: the advert's IP source and destination (VRRPv3 only). */
export interface PseudoHeader {
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
}

/**
 * PASS authentication data as keepalived builds it: the password's first 8 bytes, zero padded
 * (RFC 2338 §5.3.7; longer passwords are truncated, keepalived warns about that at config time).
 */
export function passAuthData(password: string | Uint8Array): Uint8Array {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const out = new Uint8Array(VRRP_AUTH_DATA_LEN);
  out.set(bytes.subarray(0, VRRP_AUTH_DATA_LEN));
  return out;
}

/** The advertisement interval the wire can carry for `version`, nearest to `ms` (for config values). */
export function representableAdvertIntMs(version: VrrpVersion, ms: number): number {
  if (version === 2) return Math.min(255, Math.max(1, Math.round(ms / 1000))) * 1000;
  return Math.min(0x0fff, Math.max(1, Math.round(ms / 10))) * 10;
}

function int(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`VRRP advert: ${what} must be an integer in ${min}..${max}, got ${String(v)}`);
  return v;
}

/**
 * Builds the VRRP message (no IP header) with its checksum. VRRPv3 needs the IP source and destination
 * the message will travel with (the pseudo-header); VRRPv2 ignores them. Throws RangeError on an advert
 * the wire cannot carry (that is a programming error, not a network event). Build once per instance and
 * use patchPriority() afterwards.
 */
export function encode(a: AdvertInput, pseudo?: PseudoHeader): Buffer {
  const version = a.version;
  if (version !== 2 && version !== 3) throw new RangeError(`VRRP advert: version must be 2 or 3, got ${String(version)}`);
  int(a.vrid, 1, 255, 'vrid');
  int(a.priority, 0, 255, 'priority');
  int(a.addresses.length, 0, 255, 'address count');
  const addrLen = a.addresses[0]?.length ?? pseudo?.srcAddr.length ?? 4;
  if (addrLen !== 4 && addrLen !== 16) throw new RangeError(`VRRP advert: addresses must be 4 or 16 bytes, got ${addrLen}`);
  if (a.addresses.some((x) => x.length !== addrLen)) throw new RangeError('VRRP advert: addresses must all be of one family');
  if (version === 2 && addrLen !== 4) throw new RangeError('VRRP advert: VRRPv2 is IPv4 only (RFC 3768)');
  if (version === 3) {
    if (!pseudo) throw new RangeError('VRRP advert: VRRPv3 needs the IP source and destination for its checksum (RFC 5798 §5.2.8)');
    if (pseudo.srcAddr.length !== addrLen || pseudo.dstAddr.length !== addrLen)
      throw new RangeError('VRRP advert: pseudo-header addresses must be of the advert family');
  }
  const len = VRRP_HEADER_LEN + a.addresses.length * addrLen + (version === 2 ? VRRP_AUTH_DATA_LEN : 0);
  const b = Buffer.alloc(len);
  b[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  if (version === 2) {
    if (a.advertIntMs % 1000 !== 0) throw new RangeError(`VRRP advert: VRRPv2 carries whole seconds, got ${a.advertIntMs} ms`);
    b[4] = int(a.authType ?? AUTH_NONE, 0, 255, 'auth type');
    b[5] = int(a.advertIntMs / 1000, 1, 255, 'v2 advert interval (s)');
  } else {
    if (a.advertIntMs % 10 !== 0) throw new RangeError(`VRRP advert: VRRPv3 carries centiseconds, got ${a.advertIntMs} ms`);
    b.writeUInt16BE(int(a.advertIntMs / 10, 1, 0x0fff, 'v3 advert interval (cs)'), 4); // reserved bits: 0
  }
  let off = VRRP_HEADER_LEN;
  for (const addr of a.addresses) {
    b.set(addr, off);
    off += addrLen;
  }
  if (version === 2 && a.authData) {
    if (a.authData.length > VRRP_AUTH_DATA_LEN) throw new RangeError('VRRP advert: authentication data is 8 bytes');
    b.set(a.authData, off);
  }
  b.writeUInt16BE(vrrpChecksum(b, version === 3 ? pseudo : undefined), 6);
  return b;
}

/**
 * Recomputes the checksum of a built advert in place, for a new pseudo-header (e.g. one copy per
 * unicast peer: the v3 checksum depends on the destination).
 */
export function rechecksum(b: Buffer, pseudo?: PseudoHeader): Buffer {
  b.writeUInt16BE(vrrpChecksum(b, b[0]! >> 4 === 3 ? pseudo : undefined), 6);
  return b;
}

/**
 * Hot path, as keepalived does it: set the priority of an advert built once by encode() and fix its
 * checksum in place, incrementally (RFC 1624) - O(1), no pseudo-header needed, no allocation.
 * The priority shares a 16-bit word with Count IP Addrs (bytes 2-3).
 */
export function patchPriority(b: Buffer, priority: number): Buffer {
  const count = b[3]!;
  const oldWord = (b[2]! << 8) | count;
  const newWord = ((priority & 0xff) << 8) | count;
  if (oldWord === newWord) return b;
  b[2] = priority & 0xff;
  b.writeUInt16BE(updateChecksum16(b.readUInt16BE(6), oldWord, newWord), 6);
  return b;
}

/**
 * Why a packet was dropped, in the order the checks run:
 * ttl      TTL / Hop Limit not 255 (RFC 5798 §7.1 first check)
 * short    fewer bytes than the 8-byte fixed header
 * version  not 2 or 3, or not the version the instance runs
 * type     not ADVERTISEMENT (RFC 5798 §5.2.2: unknown types MUST be discarded)
 * family   VRRPv2 over IPv6, or a receive context whose addresses do not match its family
 * checksum the Internet checksum (with the v3 pseudo-header) does not verify
 * length   the length does not match Count IP Addrs (the "complete packet" check) or is beyond any VRRP packet
 * vrid     not the VRID the instance runs
 * authType v2 Auth Type differs from ours
 * authMismatch  v2 PASS data differs from our password; AH (ah.ts): a wrong SPI or an ICV that does not
 *               verify, checked after advertInt
 * advertInt     v2 Adver Int differs from ours (RFC 3768 §7.1), or a zero interval
 * source   check_unicast_src: not from a configured unicast peer (admit.ts, after decode; a TTL outside a
 *          peer's min_ttl..max_ttl counts as ttl)
 * ahSequence    AH: a sequence number already processed (ah.ts ahSeqReceive; counted after the others)
 */
export type DropReason =
  | 'ttl'
  | 'short'
  | 'version'
  | 'type'
  | 'family'
  | 'checksum'
  | 'length'
  | 'vrid'
  | 'authType'
  | 'authMismatch'
  | 'advertInt'
  | 'source'
  | 'ahSequence';

export const DROP_REASONS: readonly DropReason[] = [
  'ttl',
  'short',
  'version',
  'type',
  'family',
  'checksum',
  'length',
  'vrid',
  'authType',
  'authMismatch',
  'advertInt',
  'source',
  'ahSequence',
];

/** What the receiving instance expects; an omitted field is not checked. */
export interface Expected {
  version?: VrrpVersion;
  vrid?: number;
  /** v2: our Auth Type. */
  authType?: number;
  /** v2 PASS: our 8 authentication bytes (passAuthData()); compared in constant time. */
  authData?: Uint8Array;
  /** v2: our Advertisement_Interval, which the packet's must equal (RFC 3768 §7.1). Ignored for v3. */
  advertIntMs?: number;
}

interface RxCommon {
  /** IP source and destination of the packet (4 or 16 bytes): the v3 pseudo-header. */
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  /**
   * keepalived skips the TTL/Hop Limit check for unicast adverts (they may be routed). Off by default:
   * the RFC check applies.
   */
  unicast?: boolean;
  expected?: Expected;
}

/** The receive context: which IP version carried the packet, its addresses and its TTL / Hop Limit. */
export type RxContext = (RxCommon & { family: 4; ttl: number }) | (RxCommon & { family: 6; hopLimit: number });

export type DecodeResult = { ok: true; advert: Advert } | { ok: false; reason: DropReason };

const DROPS = Object.fromEntries(DROP_REASONS.map((r) => [r, Object.freeze({ ok: false as const, reason: r })])) as Record<DropReason, DecodeResult>;

function isBytes(v: unknown, len: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === len;
}

/**
 * Parses and checks one received VRRP message. Never throws. Check order (RFC 5798 §7.1, RFC 3768 §7.1;
 * the RFCs put the VRID check before the authentication checks, and so do we):
 * ttl, short, version, type, family, checksum, length (Count IP Addrs vs bytes), vrid, authType,
 * authMismatch, advertInt.
 */
export function decode(buf: Uint8Array, rx: RxContext): DecodeResult {
  try {
    return decodeUnsafe(buf, rx);
  } catch {
    // Only a malformed context from untyped callers can get here; the bytes alone cannot make us throw.
    return DROPS.family;
  }
}

function decodeUnsafe(b: Uint8Array, rx: RxContext): DecodeResult {
  // RFC 5798 §7.1: "MUST verify that the IPv4 TTL or IPv6 Hop Limit is 255." (keepalived: not for unicast)
  const ttl = rx.family === 6 ? rx.hopLimit : rx.ttl;
  if (ttl !== VRRP_TTL && rx.unicast !== true) return DROPS.ttl;
  if (!(b instanceof Uint8Array) || b.length < VRRP_HEADER_LEN) return DROPS.short;
  // RFC 5798 §7.1: "MUST verify that the VRRP version is 3" (RFC 3768: 2); we speak both unless told.
  const version = b[0]! >> 4;
  if (version !== 2 && version !== 3) return DROPS.version;
  const want = rx.expected;
  if (want?.version !== undefined && version !== want.version) return DROPS.version;
  if ((b[0]! & 0x0f) !== VRRP_TYPE_ADVERTISEMENT) return DROPS.type;
  if (rx.family !== 4 && rx.family !== 6) return DROPS.family;
  const addrLen = rx.family === 4 ? 4 : 16;
  if (version === 2 && rx.family !== 4) return DROPS.family;
  if (!isBytes(rx.srcAddr, addrLen) || !isBytes(rx.dstAddr, addrLen)) return DROPS.family;
  if (b.length > VRRP_MAX_LEN) return DROPS.length;
  // RFC 5798 §7.1: "MUST verify the VRRP checksum" - over the whole message as received, plus the
  // pseudo-header for v3 (RFC 5798 §5.2.8); v2 covers the message only (RFC 3768 §5.3.8).
  const initial = version === 3 ? pseudoHeaderSum(rx.srcAddr, rx.dstAddr, b.length) : 0;
  if (onesComplementSum(b, initial) !== 0xffff) return DROPS.checksum;
  // RFC 5798 §7.1: "MUST verify that the received packet contains the complete VRRP packet (including
  // fixed fields, and IPvX address(es))". We also refuse trailing bytes: the kernel trims Ethernet
  // padding for raw IP sockets, so a longer message is not the one Count IP Addrs describes.
  const countIp = b[3]!;
  const expectedLen = VRRP_HEADER_LEN + countIp * addrLen + (version === 2 ? VRRP_AUTH_DATA_LEN : 0);
  if (b.length !== expectedLen) return DROPS.length;
  // RFC 5798 §7.1: "MUST verify that the VRID is configured on the receiving interface".
  const vrid = b[1]!;
  if (want?.vrid !== undefined && vrid !== want.vrid) return DROPS.vrid;
  let authType = AUTH_NONE;
  let advertIntMs: number;
  let authData: Uint8Array | undefined;
  if (version === 2) {
    authType = b[4]!;
    advertIntMs = b[5]! * 1000;
    authData = Uint8Array.from(b.subarray(expectedLen - VRRP_AUTH_DATA_LEN, expectedLen));
    // RFC 3768 §7.1: "MUST verify that the Auth Type matches the locally configured authentication
    // method for the virtual router and perform that authentication method".
    if (want?.authType !== undefined && authType !== want.authType) return DROPS.authType;
    if (want?.authType === AUTH_PASS && want.authData !== undefined) {
      const ours = passAuthData(want.authData);
      if (!timingSafeEqual(authData, ours)) return DROPS.authMismatch;
    }
    // RFC 3768 §7.1: "MUST verify that the Adver Interval in the packet is the same as the locally
    // configured for this virtual router".
    if (advertIntMs === 0) return DROPS.advertInt;
    if (want?.advertIntMs !== undefined && advertIntMs !== want.advertIntMs) return DROPS.advertInt;
  } else {
    advertIntMs = (((b[4]! << 8) | b[5]!) & 0x0fff) * 10;
    // A zero Max Adver Int would make a backup's Master_Down_Interval almost nothing: refuse it.
    if (advertIntMs === 0) return DROPS.advertInt;
  }
  const addresses: Uint8Array[] = [];
  for (let i = 0, off = VRRP_HEADER_LEN; i < countIp; i++, off += addrLen) addresses.push(Uint8Array.from(b.subarray(off, off + addrLen)));
  const advert: Advert = {
    version,
    type: VRRP_TYPE_ADVERTISEMENT,
    vrid,
    priority: b[2]!,
    countIp,
    authType,
    advertIntMs,
    checksum: (b[6]! << 8) | b[7]!,
    addresses,
  };
  if (authData) advert.authData = authData;
  return { ok: true, advert };
}

/** Per-instance count of dropped packets by reason. Bounded: one key per DropReason. */
export type DropCounters = Record<DropReason, number>;

export function newDropCounters(): DropCounters {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounters;
}

/** Counts a drop; returns the decode result unchanged, so `countDrop(c, decode(...))` reads naturally. */
export function countDrop(counters: DropCounters, r: DecodeResult): DecodeResult {
  if (!r.ok) counters[r.reason]++;
  return r;
}
