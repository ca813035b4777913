import { describe, expect, it } from 'vitest';
import { ipToBytes } from '../../../src/net/ip.js';
import { garpFrame, parseMac } from '../../../src/vrrp/announce/garp.js';

describe('gratuitous ARP frame', () => {
  it('is a broadcast ARP request with sender and target protocol address both the VIP', () => {
    const f = garpFrame(parseMac('02:00:5e:00:01:33'), ipToBytes('192.0.2.100'));
    expect(f.toString('hex')).toBe(
      'ffffffffffff' +
        '02005e000133' +
        '0806' + // Ethernet: broadcast, from us, ARP
        '0001' +
        '0800' +
        '06' +
        '04' +
        '0001' + // Ethernet/IPv4, request
        '02005e000133' +
        'c0000264' + // sender: our MAC, the VIP
        'ffffffffffff' +
        'c0000264', // target: ignored MAC, the VIP
    );
  });
  it('rejects a malformed MAC', () => {
    expect(() => parseMac('02:00:5e:00:01')).toThrow(/not a MAC/);
  });
});
