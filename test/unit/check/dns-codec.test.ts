/** Unit tests, checker layer: DNS_CHECK's query encoder and reply decoder (pure). */
import { describe, expect, it } from 'vitest';
import { DNS_TYPE_CODE, decodeDnsHeader, decodeDnsQuestion, dnsReplyRcode, encodeDnsName, encodeDnsQuery } from '../../../src/check/probes/dns.js';

describe('DNS codec', () => {
  it('names: labels with their lengths, the root as a single zero; a trailing dot changes nothing', () => {
    expect(encodeDnsName('www.example.com')).toEqual(Buffer.from('\x03www\x07example\x03com\x00', 'latin1'));
    expect(encodeDnsName('www.example.com.')).toEqual(encodeDnsName('www.example.com'));
    expect(encodeDnsName('')).toEqual(Buffer.of(0));
    expect(encodeDnsName('.')).toEqual(Buffer.of(0));
    expect(() => encodeDnsName('a..b')).toThrow(RangeError);
    expect(() => encodeDnsName(`${'a'.repeat(64)}.com`)).toThrow(RangeError);
    expect(() => encodeDnsName(Array(50).fill('abcdef').join('.'))).toThrow(RangeError);
  });
  it('a query: id, RD only, one question of class IN with the type code', () => {
    const q = encodeDnsQuery(0xbeef, 'example.org', 'AAAA');
    expect(q.subarray(0, 12)).toEqual(Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]));
    expect(q.length).toBe(12 + 13 + 4);
    expect(decodeDnsQuestion(q)).toEqual({ name: 'example.org', type: 28, qclass: 1, end: q.length });
    expect(decodeDnsHeader(q)).toEqual({
      id: 0xbeef,
      qr: false,
      opcode: 0,
      aa: false,
      tc: false,
      rd: true,
      ra: false,
      rcode: 0,
      qdcount: 1,
      ancount: 0,
      nscount: 0,
      arcount: 0,
    });
    expect(encodeDnsQuery(0x1ffff, '', 'SOA').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xff]));
    expect(decodeDnsQuestion(encodeDnsQuery(1, '', 'SOA'))).toEqual({ name: '', type: 6, qclass: 1, end: 17 });
  });
  it("the types are keepalived's codes", () => {
    expect(DNS_TYPE_CODE).toEqual({ A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48 });
  });
  it('replies: runts, other ids and queries are not answers; otherwise the RCODE', () => {
    const reply = (id: number, flags: number, an = 0) => Buffer.from([id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, an, 0, 0, 0, 0]);
    expect(dnsReplyRcode(7, Buffer.alloc(11))).toBeUndefined();
    expect(dnsReplyRcode(7, reply(8, 0x8180, 1))).toBeUndefined();
    expect(dnsReplyRcode(7, reply(7, 0x0100))).toBeUndefined();
    expect(dnsReplyRcode(7, reply(7, 0x8180, 1))).toBe(0);
    expect(dnsReplyRcode(7, reply(7, 0x8180, 0))).toBe(0);
    expect(dnsReplyRcode(7, reply(7, 0x8183))).toBe(3);
    expect(decodeDnsHeader(reply(7, 0x8583, 2))).toMatchObject({ qr: true, aa: true, rd: true, ra: true, rcode: 3, ancount: 2 });
    expect(decodeDnsHeader(reply(7, 0x7a00))).toMatchObject({ qr: false, opcode: 15, tc: true });
  });
  it('malformed questions are undefined', () => {
    expect(decodeDnsQuestion(Buffer.from('\x03ww', 'latin1'), 0)).toBeUndefined();
    expect(decodeDnsQuestion(Buffer.from('\x03www\x00\x00', 'latin1'), 0)).toBeUndefined();
    expect(decodeDnsQuestion(Buffer.from('\xc0\x0c\x00\x01\x00\x01', 'latin1'), 0)).toBeUndefined();
  });
});
