import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipToBytes, bytesToIp, compareIp } from '../../../src/net/ip.js';
import { AUTH_NONE, AUTH_PASS, decode, encode, newDropCounters, passBytes, patchPriority, type ReceiveContext } from '../../../src/vrrp/packet.js';

// Fixtures computed independently (Python, RFC 1071 checksum over the RFC layouts).
const V2_PASS = '2133640101017b7cc00002017365637265740000';
const V3_V6 = '3107c8020064accf20010db800000000000000000000001020010db8000000000000000000000011';
const V3_V4 = '310996010001d3fdc0000264';

const rx4 = (extra: Partial<ReceiveContext> = {}): ReceiveContext => ({ family: 4, src: ipToBytes('192.0.2.2'), dst: ipToBytes('224.0.0.18'), ttl: 255, ...extra });

describe('VRRP codec', () => {
  it('encodes a VRRPv2 PASS advertisement byte for byte', () => {
    const b = encode({ version: 2, vrid: 51, priority: 100, advertIntMs: 1000, authType: AUTH_PASS, addresses: [ipToBytes('192.0.2.1')] }, { authPass: passBytes('secret') });
    expect(b.toString('hex')).toBe(V2_PASS);
  });
  it('encodes VRRPv3 with the IPv6 and IPv4 pseudo-header checksums', () => {
    const b6 = encode({ version: 3, vrid: 7, priority: 200, advertIntMs: 1000, authType: AUTH_NONE, addresses: [ipToBytes('2001:db8::10'), ipToBytes('2001:db8::11')] }, { src: ipToBytes('fe80::1'), dst: ipToBytes('ff02::12') });
    expect(b6.toString('hex')).toBe(V3_V6);
    const b4 = encode({ version: 3, vrid: 9, priority: 150, advertIntMs: 10, authType: AUTH_NONE, addresses: [ipToBytes('192.0.2.100')] }, { src: ipToBytes('192.0.2.2'), dst: ipToBytes('224.0.0.18') });
    expect(b4.toString('hex')).toBe(V3_V4);
  });
  it('decodes what it encodes, and the fixtures', () => {
    const r = decode(Buffer.from(V2_PASS, 'hex'), rx4({ expect: { vrid: 51, authType: AUTH_PASS, authPass: passBytes('secret'), advertIntMs: 1000 } }));
    expect(r).toMatchObject({ ok: true, advert: { version: 2, vrid: 51, priority: 100, advertIntMs: 1000, authType: 1 } });
    const r6 = decode(Buffer.from(V3_V6, 'hex'), { family: 6, src: ipToBytes('fe80::1'), dst: ipToBytes('ff02::12'), ttl: 255 });
    expect(r6.ok && r6.advert.addresses.map(bytesToIp)).toEqual(['2001:db8::10', '2001:db8::11']);
    expect(r6.ok && r6.advert.advertIntMs).toBe(1000);
    const r4 = decode(Buffer.from(V3_V4, 'hex'), rx4());
    expect(r4.ok && r4.advert.advertIntMs).toBe(10);
  });
  it('drops with a reason, in RFC 5798 §7.1 order', () => {
    const good = Buffer.from(V2_PASS, 'hex');
    const mut = (i: number, v: number) => { const b = Buffer.from(good); b[i] = v; return b; };
    expect(decode(good, rx4({ ttl: 254 }))).toEqual({ ok: false, reason: 'ttl' });
    expect(decode(good.subarray(0, 7), rx4())).toEqual({ ok: false, reason: 'short' });
    expect(decode(mut(0, 0x41), rx4())).toEqual({ ok: false, reason: 'version' });
    expect(decode(mut(0, 0x22), rx4())).toEqual({ ok: false, reason: 'type' });
    expect(decode(mut(3, 2), rx4())).toEqual({ ok: false, reason: 'length' });
    expect(decode(mut(2, 101), rx4())).toEqual({ ok: false, reason: 'checksum' });
    expect(decode(good, rx4({ expect: { vrid: 52 } }))).toEqual({ ok: false, reason: 'vrid' });
    expect(decode(good, rx4({ expect: { authType: AUTH_NONE } }))).toEqual({ ok: false, reason: 'authType' });
    expect(decode(good, rx4({ expect: { authType: AUTH_PASS, authPass: passBytes('secreT') } }))).toEqual({ ok: false, reason: 'authMismatch' });
    expect(decode(good, rx4({ expect: { advertIntMs: 2000 } }))).toEqual({ ok: false, reason: 'advertInt' });
    expect(decode(good, { ...rx4(), family: 6 })).toEqual({ ok: false, reason: 'family' });
    expect(decode(Buffer.from(V3_V4, 'hex'), rx4({ expect: { version: 2 } }))).toEqual({ ok: false, reason: 'version' });
  });
  it('patches priority and checksum in place', () => {
    const src = ipToBytes('192.0.2.2');
    const dst = ipToBytes('224.0.0.18');
    const b = encode({ version: 3, vrid: 9, priority: 150, advertIntMs: 10, authType: 0, addresses: [ipToBytes('192.0.2.100')] }, { src, dst });
    patchPriority(b, 0, src, dst);
    const r = decode(b, rx4());
    expect(r.ok && r.advert.priority).toBe(0);
  });
  it('never throws on random bytes and counts every drop by reason', () => {
    const counters = newDropCounters();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(4, 6), fc.integer({ min: 250, max: 255 }), (bytes, fam, ttl) => {
        const r = decode(bytes, { family: fam as 4 | 6, src: new Uint8Array(fam === 4 ? 4 : 16), dst: new Uint8Array(fam === 4 ? 4 : 16), ttl, expect: { authType: 1, authPass: passBytes('x') } });
        if (!r.ok) counters[r.reason]++;
      }),
      { numRuns: 3000 },
    );
    expect(counters.ttl).toBeGreaterThan(0);
    expect(Object.values(counters).reduce((a, b) => a + b, 0)).toBeGreaterThan(2500);
  });
});

describe('addresses', () => {
  it('round-trips IPv4 and IPv6 and orders them as unsigned integers', () => {
    for (const a of ['192.0.2.1', '2001:db8::1', '::', 'fe80::1:2', '2001:db8:0:1:2:3:4:5']) expect(bytesToIp(ipToBytes(a))).toBe(a);
    expect(compareIp(ipToBytes('192.0.2.10'), ipToBytes('192.0.2.9'))).toBe(1);
    expect(compareIp(ipToBytes('10.0.0.1'), ipToBytes('192.0.2.1'))).toBe(-1);
  });
});
