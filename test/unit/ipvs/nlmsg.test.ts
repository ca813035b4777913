/** Netlink framing against hand-written bytes (x86 host order). */
import fc from 'fast-check';
import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AttrWriter, genlHeader, messageErrno, parseAttrs, splitMessages } from '../../../src/ipvs/nlmsg.js';

const hx = (...parts: string[]) => parts.join('').replace(/\s+/g, '');
const buf = (...parts: string[]) => Buffer.from(hx(...parts), 'hex');

describe.skipIf(endianness() !== 'LE')('netlink framing', () => {
  it('AttrWriter: each scalar with its padding, strings with their NUL, nests with their length patched', () => {
    const w = new AttrWriter(8); // small on purpose: it grows
    const n = w.begin(1);
    w.u8(2, 0xab)
      .u16(3, 0x1234)
      .u32(4, 0xdeadbeef)
      .be16(5, 0x1234)
      .be32(6, 0xc0000201)
      .str(7, 'abc')
      .bytes(8, Buffer.from([1, 2, 3, 4, 5]))
      .u32x2(9, 1, 0xffffffff);
    w.end(n);
    expect(w.finish().toString('hex')).toBe(
      hx(
        '4c000180', // 76 bytes, type 1 | NLA_F_NESTED
        '05000200 ab000000',
        '06000300 3412 0000',
        '08000400 efbeadde',
        '06000500 1234 0000',
        '08000600 c0000201',
        '08000700 61626300', // "abc\0"
        '09000800 0102030405 000000',
        '0c000900 01000000 ffffffff',
      ),
    );
  });

  it('parseAttrs masks the flag bits, keeps the last of a repeated type, refuses lengths that overrun', () => {
    const a = parseAttrs(buf('05000280 ab000000', '06000300 3412 0000', '06000300 5678 0000'));
    expect(a?.get(2)?.toString('hex')).toBe('ab');
    expect(a?.get(3)?.toString('hex')).toBe('5678');
    expect(parseAttrs(buf('09000100 0000'))).toBeUndefined();
    expect(parseAttrs(buf('03000100'))).toBeUndefined();
    expect(parseAttrs(buf('040001 00', 'ff'))?.size).toBe(1); // a stray trailing byte is ignored, as nla_parse does
  });

  it('genlHeader: nlmsghdr (len, type, flags, seq, port 0) and genlmsghdr (cmd, version, 0)', () => {
    expect(genlHeader(0x1d, 0x305, 7, 4, 1, 48).toString('hex')).toBe(hx('44000000', '1d00', '0503', '07000000', '00000000', '04 01 0000'));
  });

  it('splitMessages walks a datagram by the aligned lengths and stops at a header that does not fit', () => {
    const d = buf(
      '18000000 1d00 0200 07000000 00000000', // NLMSG 24 bytes, type 0x1d
      'aabbccdd 11223344',
      '24000000 0200 0000 08000000 00000000', // NLMSG_ERROR 36 bytes
      'feffffff', // -2 = ENOENT
      '00000000 00000000 00000000 00000000',
      '14000000 0300 0200 09000000 00000000 00000000', // NLMSG_DONE, error 0
      '40000000 0300', // a header running past the end
    );
    const m = splitMessages(d);
    expect(m.map((x) => [x.type, x.flags, x.seq, x.payload.length])).toEqual([
      [0x1d, 2, 7, 8],
      [2, 0, 8, 20],
      [3, 2, 9, 4],
    ]);
    expect(m.map(messageErrno)).toEqual([undefined, 2, 0]);
    expect(messageErrno({ type: 2, flags: 0, seq: 1, payload: Buffer.alloc(2) })).toBe(5); // EIO: too short to say
  });

  it('readers never throw on junk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(() => {
          parseAttrs(b);
          splitMessages(b).forEach(messageErrno);
        }).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});
