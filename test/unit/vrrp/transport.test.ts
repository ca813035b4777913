/** Unit tests, VRRP layer: the pure parts of the raw IPv4 transport (the header it sends, the TTL it picks). */
import { describe, expect, it } from 'vitest';
import { ipToBytes } from '../../../src/net/ip.js';
import { onesComplementSum } from '../../../src/vrrp/checksum.js';
import { IPV4_HEADER_LEN, ipv4Header, sendTtl } from '../../../src/vrrp/transport.js';

describe('ipv4Header', () => {
  it('lays out an advert header as keepalived sends it: TOS 0xc0, no DF, our id and TTL, proto 112, the given source', () => {
    const h = ipv4Header({ src: ipToBytes('192.0.2.9'), dst: ipToBytes('198.51.100.1'), ttl: 200, id: 0x1234, payloadLen: 20 });
    expect(h.length).toBe(IPV4_HEADER_LEN);
    expect(h.toString('hex')).toBe('45c0' + '0028' + '1234' + '0000' + 'c8' + '70' + h.subarray(10, 12).toString('hex') + 'c0000209' + 'c6336401');
    // RFC 791 header checksum: the header sums to 0xffff.
    expect(onesComplementSum(h)).toBe(0xffff);
  });

  it('refuses IPv6 addresses', () => {
    expect(() => ipv4Header({ src: ipToBytes('2001:db8::1'), dst: ipToBytes('192.0.2.1'), ttl: 255, id: 1, payloadLen: 8 })).toThrow(RangeError);
  });
});

describe('sendTtl', () => {
  it('255 to a multicast group whatever unicast_ttl says; unicast_ttl (default 255) to a unicast peer', () => {
    expect([
      sendTtl(ipToBytes('224.0.0.18'), 10),
      sendTtl(ipToBytes('224.0.0.88'), undefined),
      sendTtl(ipToBytes('192.0.2.2'), 10),
      sendTtl(ipToBytes('192.0.2.2'), undefined),
    ]).toEqual([255, 255, 10, 255]);
  });
});
