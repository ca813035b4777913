/**
 * The AH codec (src/vrrp/ah.ts) against bytes keepalived 2.2.7 put on the wire, and keepalived's
 * sequence-number rule as observed from it.
 */
import { describe, expect, it } from 'vitest';
import { ipToBytes } from '../../../src/net/ip.js';
import { AH_LEN, AH_SEQ_LAST, ahIcv, ahKey, ahSeqNext, ahSeqReceive, ahSpi, buildAhDatagram, parseAhDatagram, verifyAhDatagram } from '../../../src/vrrp/ah.js';
import { AUTH_AH, decode, encode } from '../../../src/vrrp/packet.js';

/**
 * Captured once (tshark on the bridge of a namespace pair) from keepalived 2.2.7: the first two adverts of
 * `vrrp_instance { interface ...; virtual_router_id 51; priority 150; advert_int 1; authentication
 * { auth_type AH; auth_pass s3cret }; virtual_ipaddress { 192.0.2.100/24 } }` on 192.0.2.1 as MASTER.
 * The IP datagrams, without the Ethernet header.
 */
const KA_SEQ1 = Buffer.from(
  '45c0004000010000ff3318b6c0000201e000001270040000c000020100000001dbf63c07114bcf7ec73aeafa2133960102018465c00002640000000000000000',
  'hex',
);
const KA_SEQ2 = Buffer.from(
  '45c0004000020000ff3318b5c0000201e000001270040000c0000201000000022d9b568de9e218e97945af402133960102018465c00002640000000000000000',
  'hex',
);
/**
 * The same instance with `unicast_src_ip 192.0.2.1` and `unicast_peer { 192.0.2.2 192.0.2.9 }`: one round,
 * one datagram per peer (same IP ID and sequence number, TTL 255).
 */
const KA_UNI_TO_2 = Buffer.from(
  '45c0004000030000ff3336c4c0000201c000020270040000c0000201000000033d1b39e61de5ce2638e0f57b2133960102018465c00002640000000000000000',
  'hex',
);
const KA_UNI_TO_9 = Buffer.from(
  '45c0004000030000ff3336bdc0000201c000020970040000c000020100000003d116c8a99309430aa4fe0e4b2133960102018465c00002640000000000000000',
  'hex',
);
const KEY = ahKey('s3cret');
const SRC = ipToBytes('192.0.2.1');
const GROUP = ipToBytes('224.0.0.18');
const vrrp = (priority = 150) =>
  encode({ version: 2, vrid: 51, priority, advertIntMs: 1000, authType: AUTH_AH, authData: new Uint8Array(8), addresses: [ipToBytes('192.0.2.100')] });

describe('AH datagram: keepalived 2.2.7 test vector', () => {
  it('builds byte for byte what keepalived sent (IP header, SPI = source address, sequence, ICV, VRRP)', () => {
    expect(buildAhDatagram({ src: SRC, dst: GROUP, ipId: 1, seq: 1, ttl: 255, key: KEY, vrrp: vrrp() }).toString('hex')).toBe(KA_SEQ1.toString('hex'));
    expect(buildAhDatagram({ src: SRC, dst: GROUP, ipId: 2, seq: 2, ttl: 255, key: KEY, vrrp: vrrp() }).toString('hex')).toBe(KA_SEQ2.toString('hex'));
  });

  it("unicast: builds keepalived's datagrams to each peer byte for byte; their ICV leaves the TTL out, the multicast ones keep it in", () => {
    for (const [dst, pkt] of [
      ['192.0.2.2', KA_UNI_TO_2],
      ['192.0.2.9', KA_UNI_TO_9],
    ] as const) {
      expect(buildAhDatagram({ src: SRC, dst: ipToBytes(dst), ipId: 3, seq: 3, ttl: 255, unicast: true, key: KEY, vrrp: vrrp() }).toString('hex')).toBe(
        pkt.toString('hex'),
      );
      expect(verifyAhDatagram(pkt, KEY, true)).toBe(true);
      expect(verifyAhDatagram(pkt, KEY, false)).toBe(false);
      const routed = Buffer.from(pkt);
      routed[8] = 62; // keepalived accepts a unicast advert with another TTL
      expect(verifyAhDatagram(routed, KEY, true)).toBe(true);
    }
    expect(verifyAhDatagram(KA_SEQ1, KEY, true)).toBe(false);
  });

  it("verifies keepalived's ICV with its auth_pass, and the inner VRRP message decodes", () => {
    expect(verifyAhDatagram(KA_SEQ1, KEY)).toBe(true);
    expect(verifyAhDatagram(KA_SEQ2, ahKey('s3cret\0\0'))).toBe(true); // HMAC pads short keys with zeros
    const p = parseAhDatagram(KA_SEQ1);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect({ spi: p.ah.spi, seq: p.ah.seq, ttl: p.ah.ttl, len: p.ah.vrrp.length }).toEqual({ spi: 0xc0000201, seq: 1, ttl: 255, len: 20 });
    const d = decode(p.ah.vrrp, {
      family: 4,
      ttl: 255,
      srcAddr: p.ah.src,
      dstAddr: p.ah.dst,
      expected: { version: 2, vrid: 51, authType: AUTH_AH, advertIntMs: 1000 },
    });
    expect(d.ok && { prio: d.advert.priority, auth: d.advert.authType }).toEqual({ prio: 150, auth: AUTH_AH });
  });

  it('the ICV leaves out TOS, flags + fragment offset and the header checksum, but covers the TTL (keepalived)', () => {
    const m = (at: number, v: number) => {
      const c = Buffer.from(KA_SEQ1);
      c[at] = v;
      return c;
    };
    expect(verifyAhDatagram(m(1, 0x00), KEY)).toBe(true); // TOS
    expect(verifyAhDatagram(m(6, 0x40), KEY)).toBe(true); // DF
    expect(verifyAhDatagram(m(11, 0x00), KEY)).toBe(true); // header checksum
    expect(verifyAhDatagram(m(8, 254), KEY)).toBe(false); // TTL
    expect(verifyAhDatagram(m(5, 9), KEY)).toBe(false); // Identification
    expect(verifyAhDatagram(m(19, 19), KEY)).toBe(false); // destination
    expect(verifyAhDatagram(m(46, 151), KEY)).toBe(false); // VRRP priority
  });

  it('refuses another key, a forged SPI, a changed ICV', () => {
    expect(verifyAhDatagram(KA_SEQ1, ahKey('wrong'))).toBe(false);
    const spi = Buffer.from(KA_SEQ1);
    spi[27] = 0x02;
    spi.set(ahIcv(spi, KEY), 32); // a right ICV over the wrong SPI
    expect(verifyAhDatagram(spi, KEY)).toBe(false);
    const icv = Buffer.from(KA_SEQ1);
    icv[43]! ^= 1;
    expect(verifyAhDatagram(icv, KEY)).toBe(false);
  });

  it('parse: short datagrams and non-AH or non-VRRP payloads, never a throw', () => {
    expect(parseAhDatagram(KA_SEQ1.subarray(0, 20 + AH_LEN - 1))).toEqual({ ok: false, reason: 'short' });
    expect(parseAhDatagram(new Uint8Array(0))).toEqual({ ok: false, reason: 'short' });
    const proto = Buffer.from(KA_SEQ1);
    proto[9] = 112;
    expect(parseAhDatagram(proto)).toEqual({ ok: false, reason: 'authType' });
    const next = Buffer.from(KA_SEQ1);
    next[20] = 6;
    expect(parseAhDatagram(next)).toEqual({ ok: false, reason: 'authType' });
    for (let n = 0; n < 200; n++) {
      const junk = Buffer.from(KA_SEQ1.subarray(0, n % KA_SEQ1.length)).map(() => (n * 37) & 0xff);
      expect(() => parseAhDatagram(junk)).not.toThrow();
      expect(verifyAhDatagram(junk, KEY)).toBe(false);
    }
  });

  it('SPI is the source address; the IP ID must leave the kernel nothing to fill in', () => {
    expect(ahSpi(ipToBytes('198.51.100.7'))).toBe(0xc6336407);
    expect(() => buildAhDatagram({ src: SRC, dst: GROUP, ipId: 0, seq: 1, ttl: 255, key: KEY, vrrp: vrrp() })).toThrow(RangeError);
  });
});

describe('AH sequence numbers (keepalived 2.2.7 as observed on the wire)', () => {
  it('sending: 1, 2, 3 ... from a fresh counter; stuck at 0xfffffffe and 0xffffffff, no wrap', () => {
    expect([0, 1, 99].map(ahSeqNext)).toEqual([1, 2, 100]);
    expect(ahSeqNext(0xfffffffd)).toBe(0xfffffffe);
    expect(ahSeqNext(AH_SEQ_LAST)).toBe(AH_SEQ_LAST);
    expect(ahSeqNext(0xffffffff)).toBe(0xffffffff);
  });

  it.each([
    // [counter, received, MASTER answering it, verdict] - each row seen from keepalived with -D
    [0, 100, false, { accept: true, counter: 100 }], // a fresh BACKUP takes on its MASTER's numbers
    [100, 101, false, { accept: true, counter: 101 }],
    [101, 101, false, { accept: false }], // "sequence number 101 already processed ... Local(101)"
    [101, 50, false, { accept: false }],
    [102, 104, false, { accept: true, counter: 104 }], // gaps are fine
    [104, 103, false, { accept: false }],
    [1, 1, false, { accept: false }], // two MASTERs that both started at 1 drop each other's first advert
    [4, 100, true, { accept: true, counter: 101 }], // MASTER answering priority 50: its answer carries 102
    [106, 200, false, { accept: true, counter: 200 }], // MASTER hearing priority 200: BACKUP, then sends 201
    [2, 500, false, { accept: true, counter: 500 }], // MASTER hearing priority 0: answers with 501
    [0xfffffffe, 5, false, { accept: false }],
    [0xfffffffe, 0xffffffff, false, { accept: true, counter: 0xffffffff }],
  ] as const)('counter %i, received %i, answering %s', (counter, seq, answers, verdict) => {
    expect(ahSeqReceive(counter, seq, answers)).toEqual(verdict);
  });
});
