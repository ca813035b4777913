/**
 * Unit tests, VRRP layer: the Internet checksum (RFC 1071), the VRRPv3 pseudo-headers (RFC 5798 §5.2.8,
 * RFC 2460 §8.1) and the incremental update (RFC 1624), against RFC examples and a naive reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  internetChecksum,
  ipv4PseudoHeader,
  ipv6PseudoHeader,
  onesComplementSum,
  pseudoHeaderSum,
  updateChecksum16,
  vrrpChecksum,
} from '../../../src/vrrp/checksum.js';
import { ipToBytes } from '../../../src/net/ip.js';

/** The textbook definition, no cleverness: add 16-bit words as plain numbers, fold at the end. */
function reference(buf: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i]! << 8) | (i + 1 < buf.length ? buf[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

describe('Internet checksum (RFC 1071)', () => {
  it('reproduces the RFC 1071 §3 numerical example', () => {
    // 00 01 f2 03 f4 f5 f6 f7: 0001 + f203 + f4f5 + f6f7 = 0x2ddf0, folded 0xddf2, complemented 0x220d.
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesComplementSum(b)).toBe(0xddf2);
    expect(internetChecksum(b)).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero on the right', () => {
    expect(internetChecksum(Uint8Array.from([0x12]))).toBe(~0x1200 & 0xffff);
    expect(internetChecksum(Uint8Array.from([0x12, 0x34, 0x56]))).toBe(~(0x1234 + 0x5600) & 0xffff);
  });

  it('a buffer carrying its own checksum sums to 0xffff (verifies to zero)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 300 }), (raw) => {
        const b = Uint8Array.from(raw.length % 2 ? [...raw, 0] : raw);
        b[0] = b[0]! | 1; // never all zero
        b[b.length - 2] = 0;
        b[b.length - 1] = 0;
        const c = internetChecksum(b);
        b[b.length - 2] = c >> 8;
        b[b.length - 1] = c & 0xff;
        expect(onesComplementSum(b)).toBe(0xffff);
        expect(internetChecksum(b)).toBe(0);
      }),
    );
  });

  it('agrees with the naive reference on any input, including long ones and partial sums', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 0xffff }), (b, initial) => {
        expect(internetChecksum(b, initial)).toBe(reference(b, initial));
      }),
    );
    const big = new Uint8Array(200_000).fill(0xff);
    expect(internetChecksum(big)).toBe(reference(big));
  });
});

describe('VRRPv3 pseudo-headers (RFC 5798 §5.2.8)', () => {
  it('IPv4: src, dst, zero, protocol 112, 16-bit length', () => {
    const ph = ipv4PseudoHeader(ipToBytes('192.0.2.2'), ipToBytes('224.0.0.18'), 12);
    expect(ph.toString('hex')).toBe('c0000202' + 'e0000012' + '00' + '70' + '000c');
  });

  it('IPv6 (RFC 2460 §8.1): src, dst, 32-bit length, three zero bytes, next header 112', () => {
    const ph = ipv6PseudoHeader(ipToBytes('fe80::1'), ipToBytes('ff02::12'), 40);
    expect(ph.toString('hex')).toBe('fe800000000000000000000000000001' + 'ff020000000000000000000000000012' + '00000028' + '000000' + '70');
  });

  it('pseudoHeaderSum() is the sum of the built header, without building it', () => {
    const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
    const addr16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const len = fc.integer({ min: 0, max: 0xffff });
    fc.assert(fc.property(addr4, addr4, len, (s, d, l) => pseudoHeaderSum(s, d, l) === onesComplementSum(ipv4PseudoHeader(s, d, l))));
    fc.assert(fc.property(addr16, addr16, len, (s, d, l) => pseudoHeaderSum(s, d, l) === onesComplementSum(ipv6PseudoHeader(s, d, l))));
  });

  it('refuses mixed or odd address sizes', () => {
    expect(() => pseudoHeaderSum(new Uint8Array(4), new Uint8Array(16), 8)).toThrow(RangeError);
    expect(() => ipv4PseudoHeader(new Uint8Array(16), new Uint8Array(16), 8)).toThrow(RangeError);
    expect(() => ipv6PseudoHeader(new Uint8Array(4), new Uint8Array(4), 8)).toThrow(RangeError);
  });

  it('vrrpChecksum() ignores whatever sits in the checksum field (bytes 6-7)', () => {
    const msg = Uint8Array.from([0x31, 0x09, 0x96, 0x01, 0x00, 0x01, 0xaa, 0xbb, 0xc0, 0x00, 0x02, 0x64]);
    const pseudo = { srcAddr: ipToBytes('192.0.2.2'), dstAddr: ipToBytes('224.0.0.18') };
    expect(vrrpChecksum(msg, pseudo)).toBe(0xd3fd);
    const zeroed = Uint8Array.from(msg);
    zeroed[6] = 0;
    zeroed[7] = 0;
    expect(vrrpChecksum(msg)).toBe(internetChecksum(zeroed));
  });
});

describe('incremental update (RFC 1624 eqn. 3)', () => {
  it('gives exactly what a full recomputation gives', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (raw, at, newWord) => {
        const b = Uint8Array.from(raw.length % 2 ? [...raw, 0] : raw);
        b[0] = 0x31; // a VRRP-like first byte: the data is never all zero
        const words = b.length / 2;
        const i = 1 + (at % (words - 1)); // any word but the first
        const old = (b[2 * i]! << 8) | b[2 * i + 1]!;
        const before = internetChecksum(b);
        b[2 * i] = newWord >> 8;
        b[2 * i + 1] = newWord & 0xff;
        expect(updateChecksum16(before, old, newWord)).toBe(internetChecksum(b));
      }),
      { numRuns: 2000 },
    );
  });
});
