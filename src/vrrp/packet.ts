/**
 * VRRP layer, pure: the advertisement codec for VRRPv2 (RFC 3768 §5) and VRRPv3 (RFC 5798 §5), IPv4
 * and IPv6. encode() builds the VRRP payload (the IP header is the transport's); decode() runs the
 * receive checks of RFC 5798 §7.1 / RFC 3768 §7.1 in order and returns a typed advert or the reason the
 * packet is dropped. decode() never throws, whatever the bytes.
 *
 * Wire layout (all big-endian):
 *   v2: ver|type, VRID, priority, count, auth type, adver int (s), checksum, IPv4 addrs, 8 bytes auth data
 *   v3: ver|type, VRID, priority, count, rsvd(4)|max adver int (12 bits, centiseconds), checksum, addrs
 */
import { timingSafeEqual } from 'node:crypto';
import { inetChecksum, pseudoHeaderSum } from './checksum.js';

export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_TTL = 255;
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
const HEADER_LEN = 8;
const AUTH_DATA_LEN = 8;

export type Version = 2 | 3;
export type Family = 4 | 6;

export interface Advert {
  version: Version;
  vrid: number;
  /** 0 = the master is stopping, 255 = the address owner. */
  priority: number;
  /** v2: whole seconds on the wire; v3: centiseconds. Kept in ms here. */
  advertIntMs: number;
  /** v2 only. */
  authType: number;
  /** Virtual addresses, 4 or 16 bytes each. */
  addresses: Uint8Array[];
}

export interface EncodeOptions {
  /** v2 PASS: the password (up to 8 bytes, zero padded). */
  authPass?: Uint8Array;
  /** v3: the IP source and destination for the pseudo-header checksum. */
  src?: Uint8Array;
  dst?: Uint8Array;
}

/** Password bytes as keepalived stores them: the first 8 bytes, zero padded. */
export function passBytes(pass: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LEN);
  out.set(Buffer.from(pass, 'utf8').subarray(0, AUTH_DATA_LEN));
  return out;
}

export function encode(a: Advert, opts: EncodeOptions = {}): Buffer {
  const addrLen = a.addresses[0]?.length ?? 4;
  const len = HEADER_LEN + a.addresses.length * addrLen + (a.version === 2 ? AUTH_DATA_LEN : 0);
  const b = Buffer.alloc(len);
  b[0] = (a.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  if (a.version === 2) {
    b[4] = a.authType;
    b[5] = Math.max(1, Math.round(a.advertIntMs / 1000)) & 0xff;
  } else {
    b.writeUInt16BE(Math.round(a.advertIntMs / 10) & 0x0fff, 4);
  }
  let off = HEADER_LEN;
  for (const addr of a.addresses) {
    b.set(addr, off);
    off += addr.length;
  }
  if (a.version === 2 && a.authType === AUTH_PASS && opts.authPass) b.set(opts.authPass.subarray(0, AUTH_DATA_LEN), off);
  writeChecksum(b, a.version, opts.src, opts.dst);
  return b;
}

function writeChecksum(b: Buffer, version: Version, src?: Uint8Array, dst?: Uint8Array): void {
  b.writeUInt16BE(0, 6);
  const initial = version === 3 && src && dst ? pseudoHeaderSum(src, dst, b.length) : 0;
  b.writeUInt16BE(inetChecksum(b, initial), 6);
}

/**
 * Hot path: change the priority of an advert built once by encode() and fix its checksum in place
 * (keepalived rebuilds only what changes, so do we).
 */
export function patchPriority(b: Buffer, priority: number, src?: Uint8Array, dst?: Uint8Array): void {
  b[2] = priority;
  writeChecksum(b, (b[0]! >> 4) as Version, src, dst);
}

export type DropReason =
  | 'ttl'
  | 'short'
  | 'version'
  | 'type'
  | 'checksum'
  | 'length'
  | 'family'
  | 'authType'
  | 'authMismatch'
  | 'vrid'
  | 'advertInt';

export const DROP_REASONS: readonly DropReason[] = ['ttl', 'short', 'version', 'type', 'checksum', 'length', 'family', 'authType', 'authMismatch', 'vrid', 'advertInt'];

export interface ReceiveContext {
  family: Family;
  /** IP source and destination: needed for the v3 pseudo-header. */
  src: Uint8Array;
  dst: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6) of the received packet. */
  ttl: number;
  /** What this instance expects; omitted fields are not checked. */
  expect?: {
    version?: Version;
    vrid?: number;
    authType?: number;
    authPass?: Uint8Array;
    /** v2: the advertisement interval must match ours (RFC 3768 §7.1). */
    advertIntMs?: number;
  };
}

export type DecodeResult = { ok: true; advert: Advert } | { ok: false; reason: DropReason };

const drop = (reason: DropReason): DecodeResult => ({ ok: false, reason });

export function decode(b: Uint8Array, rx: ReceiveContext): DecodeResult {
  // RFC 5798 §7.1: "MUST verify that the IPv4 TTL or IPv6 Hop Limit is 255".
  if (rx.ttl !== VRRP_TTL) return drop('ttl');
  if (b.length < HEADER_LEN) return drop('short');
  const version = b[0]! >> 4;
  if (version !== 2 && version !== 3) return drop('version');
  if (rx.expect?.version !== undefined && version !== rx.expect.version) return drop('version');
  if ((b[0]! & 0x0f) !== VRRP_TYPE_ADVERTISEMENT) return drop('type');
  if (version === 2 && rx.family !== 4) return drop('family');
  const addrLen = rx.family === 4 ? 4 : 16;
  const count = b[3]!;
  const expectedLen = HEADER_LEN + count * addrLen + (version === 2 ? AUTH_DATA_LEN : 0);
  if (b.length < expectedLen) return drop('length');
  // v2 carries 8 bytes of authentication data after the addresses; anything beyond is padding we ignore.
  const body = b.subarray(0, expectedLen);
  const initial = version === 3 ? pseudoHeaderSum(rx.src, rx.dst, body.length) : 0;
  if (inetChecksum(body, initial) !== 0) return drop('checksum');
  if (rx.expect?.vrid !== undefined && b[1] !== rx.expect.vrid) return drop('vrid');
  const addresses: Uint8Array[] = [];
  for (let i = 0; i < count; i++) addresses.push(Uint8Array.from(body.subarray(HEADER_LEN + i * addrLen, HEADER_LEN + (i + 1) * addrLen)));
  let authType = AUTH_NONE;
  let advertIntMs: number;
  if (version === 2) {
    authType = b[4]!;
    advertIntMs = b[5]! * 1000;
    const want = rx.expect?.authType;
    if (want !== undefined && authType !== want) return drop('authType');
    if (want === AUTH_PASS && rx.expect?.authPass) {
      const got = Buffer.from(body.subarray(expectedLen - AUTH_DATA_LEN, expectedLen));
      const exp = Buffer.alloc(AUTH_DATA_LEN);
      exp.set(rx.expect.authPass.subarray(0, AUTH_DATA_LEN));
      if (!timingSafeEqual(got, exp)) return drop('authMismatch');
    }
    if (rx.expect?.advertIntMs !== undefined && advertIntMs !== Math.round(rx.expect.advertIntMs / 1000) * 1000) return drop('advertInt');
  } else {
    advertIntMs = ((b[4]! << 8) | b[5]!) & 0x0fff;
    advertIntMs *= 10;
  }
  return { ok: true, advert: { version, vrid: b[1]!, priority: b[2]!, advertIntMs, authType, addresses } };
}

/** Per-instance counters of dropped packets by reason (BOUNDED: one key per DropReason). */
export type DropCounters = Record<DropReason, number>;

export function newDropCounters(): DropCounters {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounters;
}
