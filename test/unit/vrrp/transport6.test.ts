/**
 * Unit tests, VRRP layer: the pure parts of the raw IPv6 transport - struct sockaddr_in6, the
 * IPV6_PKTINFO control message that picks the advert source, and the walk over the control messages
 * recvmsg() returns (destination and hop limit, RFC 3542 §6). Layouts are Linux LP64 (x86_64, aarch64).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipToBytes } from '../../../src/net/ip.js';
import { IPV6_HOPLIMIT, IPV6_PKTINFO, isIpv6Multicast, parseRxCmsgs, PKTINFO_CMSG_SPACE, pktinfoCmsg, sockaddrIn6 } from '../../../src/vrrp/transport6.js';

/** A control message as the kernel writes it: cmsg_len (u64), level, type, data padded to 8 bytes. */
function cmsg(level: number, type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(16 + ((data.length + 7) & ~7));
  b.writeBigUInt64LE(BigInt(16 + data.length), 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, 16);
  return b;
}
const hopLimit = (n: number) => {
  const d = Buffer.alloc(4);
  d.writeInt32LE(n);
  return cmsg(41, IPV6_HOPLIMIT, d);
};
const pktinfo = (addr: string, ifindex: number) => {
  const d = Buffer.alloc(20);
  d.set(ipToBytes(addr));
  d.writeUInt32LE(ifindex, 16);
  return cmsg(41, IPV6_PKTINFO, d);
};

describe('raw IPv6 transport: socket structures', () => {
  it('sockaddr_in6: AF_INET6, port 0, flowinfo 0, the address, the scope id', () => {
    expect(sockaddrIn6(ipToBytes('ff02::12'), 7).toString('hex')).toBe('0a00' + '0000' + '00000000' + 'ff020000000000000000000000000012' + '07000000');
    expect(() => sockaddrIn6(ipToBytes('192.0.2.1'), 1)).toThrow(RangeError);
  });

  it('IPV6_PKTINFO control message: CMSG_LEN(20) = 36, level IPPROTO_IPV6, type 50, source, ifindex', () => {
    const c = pktinfoCmsg(ipToBytes('fe80::a'), 214);
    expect(c.length).toBe(PKTINFO_CMSG_SPACE);
    expect(c.toString('hex')).toBe('2400000000000000' + '29000000' + '32000000' + 'fe80000000000000000000000000000a' + 'd6000000' + '00000000');
  });

  it('reads the destination, interface and hop limit back, in either order', () => {
    for (const ctl of [Buffer.concat([pktinfo('ff02::12', 3), hopLimit(255)]), Buffer.concat([hopLimit(255), pktinfo('ff02::12', 3)])]) {
      const a = parseRxCmsgs(ctl);
      expect(a.dst && Buffer.from(a.dst).toString('hex')).toBe('ff020000000000000000000000000012');
      expect(a.ifindex).toBe(3);
      expect(a.hopLimit).toBe(255);
    }
    // The control message we build for sending parses as what it says.
    const back = parseRxCmsgs(pktinfoCmsg(ipToBytes('2001:db8::1'), 9));
    expect([Buffer.from(back.dst!).toString('hex'), back.ifindex]).toEqual(['20010db8000000000000000000000001', 9]);
  });

  it('ignores other levels and types, and stops at a truncated or zero-length header', () => {
    const other = cmsg(1, 29, Buffer.alloc(16, 0xaa)); // SOL_SOCKET SO_TIMESTAMP
    expect(parseRxCmsgs(Buffer.concat([other, hopLimit(254)]))).toEqual({ hopLimit: 254 });
    const cut = Buffer.concat([hopLimit(1), pktinfo('ff02::12', 3)]).subarray(0, 24 + 30);
    expect(parseRxCmsgs(cut)).toEqual({ hopLimit: 1 });
    expect(parseRxCmsgs(Buffer.alloc(64))).toEqual({});
  });

  it('never throws and never reads past the buffer, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const a = parseRxCmsgs(b);
        if (a.dst) expect(a.dst.length).toBe(16);
      }),
    );
  });

  it('tells multicast destinations (ff00::/8) from unicast ones', () => {
    expect(isIpv6Multicast(ipToBytes('ff02::12'))).toBe(true);
    expect(isIpv6Multicast(ipToBytes('2001:db8::1'))).toBe(false);
    expect(isIpv6Multicast(ipToBytes('fe80::1'))).toBe(false);
  });
});
