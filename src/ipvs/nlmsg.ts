/**
 * Netlink framing (pure): nlattr TLVs, the nlmsghdr + genlmsghdr of a request, and splitting a received
 * datagram into messages. No sockets; the IPVS meaning of attributes is codec.ts's job.
 *
 * Layouts (include/uapi/linux/netlink.h, genetlink.h), all header fields in host byte order:
 *   nlmsghdr  = u32 len, u16 type, u16 flags, u32 seq, u32 port        (16 bytes)
 *   genlmsghdr = u8 cmd, u8 version, u16 reserved                       (4 bytes)
 *   nlattr    = u16 len (header + payload), u16 type, payload padded to 4 bytes
 *   nlmsgerr  = s32 error (0 = ack, else -errno), then the request's nlmsghdr
 * Readers never throw: broken framing stops the walk or yields undefined.
 */
import { endianness } from 'node:os';

/** Chosen once at load: host order is little endian on x86 and arm64. */
export const LE = endianness() === 'LE';
export const NLA_F_NESTED = 1 << 15;
const NLA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
import { NLMSG_HDRLEN } from '../net/netlink/message.js';
export { NLMSG_HDRLEN };
export const GENL_HDRLEN = 4;

// ---- host-order reads ---------------------------------------------------------------------------

export const rdU16 = (b: Buffer | undefined): number | undefined => (b && b.length >= 2 ? (LE ? b.readUInt16LE(0) : b.readUInt16BE(0)) : undefined);
export const rdU32 = (b: Buffer | undefined): number | undefined => (b && b.length >= 4 ? (LE ? b.readUInt32LE(0) : b.readUInt32BE(0)) : undefined);
export const rdU64 = (b: Buffer | undefined): bigint | undefined => (b && b.length >= 8 ? (LE ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0)) : undefined);
export const rdBe16 = (b: Buffer | undefined): number | undefined => (b && b.length >= 2 ? b.readUInt16BE(0) : undefined);
export const rdBe32 = (b: Buffer | undefined): number | undefined => (b && b.length >= 4 ? b.readUInt32BE(0) : undefined);
/** A C string up to its first NUL (or the end of the attribute). */
export const rdStr = (b: Buffer | undefined): string | undefined => {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
};

/** A value for a u32 attribute, or RangeError. */
export function checkU32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name} ${v} is not a u32`);
  return v;
}
/** A value for a u16 port attribute, or RangeError. */
export function checkPort(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${name} ${v} is not a port`);
  return v;
}

// ---- attributes ----------------------------------------------------------------------------------

/**
 * Writes attributes into one buffer: no intermediate buffers, nested attributes get their length
 * patched when closed. Padding bytes are zero. Single use: finish() hands out the bytes.
 */
export class AttrWriter {
  private b: Buffer;
  private off = 0;

  constructor(sizeHint = 128) {
    this.b = Buffer.alloc(sizeHint);
  }

  /** Claims `n` bytes (a multiple of 4) at the end, growing the buffer; returns their offset. */
  private reserve(n: number): number {
    if (this.off + n > this.b.length) {
      const bigger = Buffer.alloc(Math.max(this.b.length * 2, this.off + n));
      this.b.copy(bigger, 0, 0, this.off);
      this.b = bigger;
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  /** Writes an attribute header for a payload of `len - 4` bytes; returns the payload's offset. */
  private header(type: number, len: number): number {
    const at = this.reserve((len + 3) & ~3);
    LE ? this.b.writeUInt16LE(len, at) : this.b.writeUInt16BE(len, at);
    LE ? this.b.writeUInt16LE(type, at + 2) : this.b.writeUInt16BE(type, at + 2);
    return at + 4;
  }

  bytes(type: number, payload: Uint8Array): this {
    const at = this.header(type, 4 + payload.length); // before reading this.b: header() may replace it
    this.b.set(payload, at);
    return this;
  }
  u8(type: number, v: number): this {
    const at = this.header(type, 5);
    this.b[at] = v & 0xff;
    return this;
  }
  u16(type: number, v: number): this {
    const at = this.header(type, 6);
    LE ? this.b.writeUInt16LE(v & 0xffff, at) : this.b.writeUInt16BE(v & 0xffff, at);
    return this;
  }
  u32(type: number, v: number): this {
    const at = this.header(type, 8);
    LE ? this.b.writeUInt32LE(v >>> 0, at) : this.b.writeUInt32BE(v >>> 0, at);
    return this;
  }
  /** Two host-order u32s, as in struct ip_vs_flags { flags; mask }. */
  u32x2(type: number, a: number, b: number): this {
    const at = this.header(type, 12);
    LE
      ? (this.b.writeUInt32LE(a >>> 0, at), this.b.writeUInt32LE(b >>> 0, at + 4))
      : (this.b.writeUInt32BE(a >>> 0, at), this.b.writeUInt32BE(b >>> 0, at + 4));
    return this;
  }
  be16(type: number, v: number): this {
    const at = this.header(type, 6);
    this.b.writeUInt16BE(v & 0xffff, at);
    return this;
  }
  be32(type: number, v: number): this {
    const at = this.header(type, 8);
    this.b.writeUInt32BE(v >>> 0, at);
    return this;
  }
  /** A C string: the UTF-8 bytes and a NUL. */
  str(type: number, s: string): this {
    const at = this.header(type, 4 + Buffer.byteLength(s) + 1);
    this.b.write(s, at, 'utf8');
    return this;
  }
  /** Bytes already laid out as attributes (a cached nest), copied as they are. */
  raw(bytes: Uint8Array): this {
    const at = this.reserve((bytes.length + 3) & ~3);
    this.b.set(bytes, at);
    return this;
  }
  /** Opens a nested attribute (NLA_F_NESTED set, as libnl does); close it with end(). */
  begin(type: number): number {
    this.header(type | NLA_F_NESTED, 4);
    return this.off - 4;
  }
  end(start: number): this {
    LE ? this.b.writeUInt16LE(this.off - start, start) : this.b.writeUInt16BE(this.off - start, start);
    return this;
  }
  finish(): Buffer {
    return this.b.subarray(0, this.off);
  }
}

/**
 * Attributes of a buffer by type (flag bits masked off; a repeated type keeps the last), or undefined
 * when an attribute's length is below 4 or runs past the end. Trailing bytes shorter than a header
 * are ignored, as the kernel's nla_parse does.
 */
export function parseAttrs(buf: Buffer): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
    const type = (LE ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2)) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) return undefined;
    out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** The nested attribute `type` at the top level of `payload`, parsed; undefined if absent or broken. */
export function inner(payload: Buffer, type: number): Map<number, Buffer> | undefined {
  const b = parseAttrs(payload)?.get(type);
  return b && parseAttrs(b);
}

// ---- messages ------------------------------------------------------------------------------------

/** nlmsghdr + genlmsghdr of a request whose attributes are `attrsLen` bytes long (port 0: the kernel fills it). */
export function genlHeader(familyId: number, flags: number, seq: number, cmd: number, version: number, attrsLen: number): Buffer {
  const h = Buffer.alloc(NLMSG_HDRLEN + GENL_HDRLEN);
  if (LE) {
    h.writeUInt32LE(NLMSG_HDRLEN + GENL_HDRLEN + attrsLen, 0);
    h.writeUInt16LE(familyId, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt32LE(seq >>> 0, 8);
  } else {
    h.writeUInt32BE(NLMSG_HDRLEN + GENL_HDRLEN + attrsLen, 0);
    h.writeUInt16BE(familyId, 4);
    h.writeUInt16BE(flags, 6);
    h.writeUInt32BE(seq >>> 0, 8);
  }
  h[16] = cmd;
  h[17] = version;
  return h;
}

// Message framing shared by every netlink family.
export { splitMessages, messageErrno, type RxMessage } from '../net/netlink/message.js';
