/**
 * Netlink layer (pure): the nlmsghdr every netlink family shares, and splitting a received datagram into
 * messages. Attributes and family headers (genl, rtnetlink) are their users' business.
 *
 *   nlmsghdr = u32 len, u16 type, u16 flags, u32 seq, u32 port   (16 bytes, host byte order)
 *   nlmsgerr = s32 error (0 = ack, else -errno), then the request's nlmsghdr
 * Readers never throw: broken framing stops the walk.
 */
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

/** Netlink protocol numbers (linux/netlink.h). */
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** NLM_F_ROOT | NLM_F_MATCH */
export const NLM_F_DUMP = 0x300;

export interface RxMessage {
  type: number;
  flags: number;
  seq: number;
  /** Everything after the nlmsghdr (for a genl message: genlmsghdr then attributes). */
  payload: Buffer;
}

/** A whole message: the header (to the kernel, port 0) followed by `payload`. */
export function message(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  const len = b.length;
  if (LE) {
    b.writeUInt32LE(len, 0);
    b.writeUInt16LE(type, 4);
    b.writeUInt16LE(flags, 6);
    b.writeUInt32LE(seq >>> 0, 8);
  } else {
    b.writeUInt32BE(len, 0);
    b.writeUInt16BE(type, 4);
    b.writeUInt16BE(flags, 6);
    b.writeUInt32BE(seq >>> 0, 8);
  }
  payload.copy(b, NLMSG_HDRLEN);
  return b;
}

/** The messages of one datagram, in order; stops at the first header that does not fit. */
export function splitMessages(buf: Buffer): RxMessage[] {
  const out: RxMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    out.push({
      type: LE ? buf.readUInt16LE(off + 4) : buf.readUInt16BE(off + 4),
      flags: LE ? buf.readUInt16LE(off + 6) : buf.readUInt16BE(off + 6),
      seq: LE ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/**
 * The errno a message reports as a positive number: 0 for an ack or a clean NLMSG_DONE, the negated
 * s32 of NLMSG_ERROR / NLMSG_DONE otherwise (EIO for an error message too short to say); undefined for
 * any other type.
 */
export function messageErrno(m: RxMessage): number | undefined {
  if (m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE) return undefined;
  if (m.payload.length < 4) return m.type === NLMSG_DONE ? 0 : 5; // EIO
  const e = LE ? m.payload.readInt32LE(0) : m.payload.readInt32BE(0);
  return e < 0 ? -e : 0;
}
