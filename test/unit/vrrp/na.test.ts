/**
 * Unit tests, VRRP layer: the unsolicited Neighbor Advertisement frame (RFC 4861 §4.4, §7.2.6) and its
 * ICMPv6 checksum (RFC 4443 §2.3). The expected bytes were checked with tshark's ICMPv6 dissector
 * ("Checksum: 0x97fa [correct]", flags "Override"; with the router flag "0x17fa [correct]").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipToBytes } from '../../../src/net/ip.js';
import { parseMac } from '../../../src/vrrp/announce/garp.js';
import { ALL_NODES, icmpv6Checksum, NA_FRAME_LEN, unsolicitedNaFrame } from '../../../src/vrrp/announce/na.js';

const MAC = parseMac('02:00:5e:00:01:33');
const VIP = ipToBytes('2001:db8::100');

/** The textbook checksum: build the RFC 8200 §8.1 pseudo-header, append the message, sum 16-bit words. */
function reference(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  const ph = Buffer.alloc(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  ph.writeUInt32BE(msg.length, 32);
  ph[39] = 58;
  const m = Buffer.from(msg);
  m.writeUInt16BE(0, 2);
  const all = Buffer.concat([ph, m, Buffer.alloc(m.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

describe('unsolicited Neighbor Advertisement frame', () => {
  it('is the exact 86-byte frame keepalived sends: all-nodes, hop limit 255, O set, target and TLLA', () => {
    const f = unsolicitedNaFrame(MAC, VIP);
    expect(f.length).toBe(NA_FRAME_LEN);
    expect(f.toString('hex')).toBe(
      '333300000001' +
        '02005e000133' +
        '86dd' + // Ethernet: 33:33:00:00:00:01 (ff02::1), from us, IPv6
        '60000000' +
        '0020' +
        '3a' +
        'ff' + // IPv6: version 6, payload 32, next header ICMPv6, hop limit 255
        '20010db8000000000000000000000100' + // source: the VIP
        'ff020000000000000000000000000001' + // destination: all-nodes
        '88' +
        '00' +
        '97fa' + // ICMPv6 type 136 (NA), code 0, checksum
        '20000000' + // flags: R=0 S=0 O=1
        '20010db8000000000000000000000100' + // target: the VIP
        '02' +
        '01' +
        '02005e000133', // option: Target Link-Layer Address, 8 bytes, our MAC
    );
  });

  it('sets the Router flag only when asked (the interface forwards IPv6)', () => {
    const f = unsolicitedNaFrame(MAC, VIP, { router: true });
    expect(f[58]).toBe(0xa0); // R and O
    expect(f.readUInt16BE(56)).toBe(0x17fa);
  });

  it('carries a checksum that verifies: the sum over pseudo-header and message is 0xffff', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (mac, vip, router) => {
        const f = unsolicitedNaFrame(mac, vip, { router });
        const msg = f.subarray(54);
        expect(f.readUInt16BE(56)).toBe(reference(vip, ALL_NODES, msg));
        // Summing with the checksum in place gives zero after complement, as a receiver checks.
        expect(icmpv6Checksum(vip, ALL_NODES, msg)).toBe(f.readUInt16BE(56));
      }),
    );
  });

  it('checksums odd-length messages like the reference (a trailing byte padded with zero)', () => {
    const src = ipToBytes('2001:db8::1');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 99 }), (msg) => {
        expect(icmpv6Checksum(src, ALL_NODES, msg)).toBe(reference(src, ALL_NODES, msg));
      }),
    );
  });

  it('refuses a MAC that is not 6 bytes or a target that is not IPv6', () => {
    expect(() => unsolicitedNaFrame(Uint8Array.from([1, 2, 3]), VIP)).toThrow(RangeError);
    expect(() => unsolicitedNaFrame(MAC, ipToBytes('192.0.2.100'))).toThrow(/IPv6/);
  });
});
