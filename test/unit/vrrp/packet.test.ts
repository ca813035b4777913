/**
 * Unit tests, VRRP layer: the advert codec. Hand-built fixtures from the RFC layouts (checksums worked
 * out in the comments), round trips for v2/v3 over IPv4/IPv6, every drop reason and their order, the
 * priority hot path, and fuzzing: decode() never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToIp, ipToBytes } from '../../../src/net/ip.js';
import { onesComplementSum } from '../../../src/vrrp/checksum.js';
import {
  AUTH_NONE,
  AUTH_PASS,
  DROP_REASONS,
  VRRP_MAX_LEN,
  countDrop,
  decode,
  encode,
  newDropCounters,
  passAuthData,
  patchPriority,
  rechecksum,
  representableAdvertIntMs,
  type AdvertInput,
  type Expected,
  type PseudoHeader,
  type RxContext,
} from '../../../src/vrrp/packet.js';

/**
 * VRRPv2 advertisement, simple text password, written byte by byte from RFC 3768 §5.1.
 * Checksum (RFC 3768 §5.3.8: over the VRRP message only), 16-bit words with the field taken as zero:
 *   2133 + 6401 + 0101 + 0000 + c000 + 0201 + 7365 + 6372 + 6574 + 0000 = 0x28481
 *   end-around carry: 0x8481 + 0x2 = 0x8483; one's complement: ~0x8483 = 0x7b7c
 */
const V2_PASS = Buffer.from([
  0x21, // Version 2 | Type 1 (ADVERTISEMENT)
  0x33, // Virtual Rtr ID 51
  0x64, // Priority 100
  0x01, // Count IP Addrs 1
  0x01, // Auth Type 1 (simple text password)
  0x01, // Adver Int 1 s
  0x7b,
  0x7c, // Checksum
  0xc0,
  0x00,
  0x02,
  0x01, // IP Address 192.0.2.1
  0x73,
  0x65,
  0x63,
  0x72,
  0x65,
  0x74,
  0x00,
  0x00, // Authentication Data "secret", zero padded to 8
]);
const V2_RX: RxContext = { family: 4, srcAddr: ipToBytes('192.0.2.2'), dstAddr: ipToBytes('224.0.0.18'), ttl: 255 };

/**
 * VRRPv3 advertisement over IPv6, written byte by byte from RFC 5798 §5.1, sent from fe80::1 to ff02::12.
 * Checksum (RFC 5798 §5.2.8) over the IPv6 pseudo-header of RFC 2460 §8.1, then the message:
 *   pseudo-header: src fe80::1 -> fe80 + 0001 = 0xfe81; dst ff02::12 -> ff02 + 0012 = 0xff14;
 *                  length 0x00000028 (8 + 2 x 16 = 40) -> 0x0028; zero + next header 112 -> 0x0070
 *                  0xfe81 + 0xff14 + 0x0028 + 0x0070 = 0x1fe2d
 *   message:       3107 + c802 + 0064 + 0000 + (2001 + 0db8 + 0010) + (2001 + 0db8 + 0011)
 *                  = 0xf96d + 0x2dc9 + 0x2dca = 0x15500
 *   total 0x1fe2d + 0x15500 = 0x3532d; carry: 0x532d + 0x3 = 0x5330; one's complement: 0xaccf
 */
const V3_V6 = Buffer.from([
  0x31, // Version 3 | Type 1
  0x07, // Virtual Rtr ID 7
  0xc8, // Priority 200
  0x02, // Count IPv6 Addrs 2
  0x00,
  0x64, // rsvd (4 bits) 0 | Max Adver Int 100 centiseconds = 1 s
  0xac,
  0xcf, // Checksum
  0x20,
  0x01,
  0x0d,
  0xb8,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x00,
  0x10, // 2001:db8::10
  0x20,
  0x01,
  0x0d,
  0xb8,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x00,
  0x11, // 2001:db8::11
]);
const V3_V6_PSEUDO: PseudoHeader = { srcAddr: ipToBytes('fe80::1'), dstAddr: ipToBytes('ff02::12') };
const V3_V6_RX: RxContext = { family: 6, ...V3_V6_PSEUDO, hopLimit: 255 };

/**
 * VRRPv3 over IPv4, 192.0.2.2 -> 224.0.0.18, VRID 9, priority 150, 10 ms, one address 192.0.2.100.
 *   pseudo-header: c000 + 0202 + e000 + 0012 + 0070 + 000c (length 12) = 0x1a290
 *   message: 3109 + 9601 + 0001 + 0000 + c000 + 0264 = 0x1896f
 *   0x1a290 + 0x1896f = 0x32bff; carry 0x2bff + 0x3 = 0x2c02; one's complement 0xd3fd
 */
const V3_V4 = Buffer.from('310996010001d3fdc0000264', 'hex');
const V3_V4_RX: RxContext = { family: 4, srcAddr: ipToBytes('192.0.2.2'), dstAddr: ipToBytes('224.0.0.18'), ttl: 255 };

const PASS_EXPECTED: Expected = { version: 2, vrid: 51, authType: AUTH_PASS, authData: passAuthData('secret'), advertIntMs: 1000 };

describe('hand-built fixtures', () => {
  it('the v2 PASS fixture: checksum verifies, encode() reproduces it, decode() reads every field', () => {
    expect(onesComplementSum(V2_PASS)).toBe(0xffff);
    const built = encode({
      version: 2,
      vrid: 51,
      priority: 100,
      advertIntMs: 1000,
      authType: AUTH_PASS,
      authData: passAuthData('secret'),
      addresses: [ipToBytes('192.0.2.1')],
    });
    expect(built.toString('hex')).toBe(V2_PASS.toString('hex'));
    const r = decode(V2_PASS, { ...V2_RX, expected: PASS_EXPECTED });
    expect(r).toEqual({
      ok: true,
      advert: {
        version: 2,
        type: 1,
        vrid: 51,
        priority: 100,
        countIp: 1,
        authType: 1,
        advertIntMs: 1000,
        checksum: 0x7b7c,
        addresses: [ipToBytes('192.0.2.1')],
        authData: passAuthData('secret'),
      },
    });
  });

  it('the v3 IPv6 fixture: checksum verifies with the pseudo-header, encode() reproduces it, decode() reads it', () => {
    const ph = Buffer.concat([Buffer.from(V3_V6_PSEUDO.srcAddr), Buffer.from(V3_V6_PSEUDO.dstAddr), Buffer.from([0, 0, 0, 40, 0, 0, 0, 112])]);
    expect(onesComplementSum(V3_V6, onesComplementSum(ph))).toBe(0xffff);
    const built = encode(
      { version: 3, vrid: 7, priority: 200, advertIntMs: 1000, addresses: [ipToBytes('2001:db8::10'), ipToBytes('2001:db8::11')] },
      V3_V6_PSEUDO,
    );
    expect(built.toString('hex')).toBe(V3_V6.toString('hex'));
    const r = decode(V3_V6, V3_V6_RX);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({ ...r.advert, addresses: r.advert.addresses.map(bytesToIp) }).toEqual({
      version: 3,
      type: 1,
      vrid: 7,
      priority: 200,
      countIp: 2,
      authType: 0,
      advertIntMs: 1000,
      checksum: 0xaccf,
      addresses: ['2001:db8::10', '2001:db8::11'],
    });
  });

  it('the v3 IPv4 fixture', () => {
    expect(encode({ version: 3, vrid: 9, priority: 150, advertIntMs: 10, addresses: [ipToBytes('192.0.2.100')] }, V3_V4_RX).toString('hex')).toBe(
      V3_V4.toString('hex'),
    );
    expect(decode(V3_V4, V3_V4_RX)).toMatchObject({ ok: true, advert: { version: 3, vrid: 9, priority: 150, advertIntMs: 10, checksum: 0xd3fd } });
  });

  it('the v3 checksum depends on the destination (the same bytes fail for another dst)', () => {
    expect(decode(V3_V4, { ...V3_V4_RX, dstAddr: ipToBytes('192.0.2.3') })).toEqual({ ok: false, reason: 'checksum' });
    const copy = rechecksum(Buffer.from(V3_V4), { srcAddr: V3_V4_RX.srcAddr, dstAddr: ipToBytes('192.0.2.3') });
    expect(decode(copy, { ...V3_V4_RX, dstAddr: ipToBytes('192.0.2.3') }).ok).toBe(true);
  });

  it('ignores the 4 reserved bits of v3 on receipt', () => {
    const b = rechecksum(Buffer.from(V3_V4), V3_V4_RX);
    b[4] = b[4]! | 0xf0;
    rechecksum(b, V3_V4_RX);
    expect(decode(b, V3_V4_RX)).toMatchObject({ ok: true, advert: { advertIntMs: 10 } });
  });
});

const addr = (family: 4 | 6) => fc.uint8Array({ minLength: family === 4 ? 4 : 16, maxLength: family === 4 ? 4 : 16 });
const advertArb = fc.oneof(
  fc.record({
    version: fc.constant(2 as const),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    advertIntMs: fc.integer({ min: 1, max: 255 }).map((s) => s * 1000),
    authType: fc.constantFrom(AUTH_NONE, AUTH_PASS),
    authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    addresses: fc.array(addr(4), { maxLength: 255 }),
    family: fc.constant(4 as const),
    src: addr(4),
    dst: addr(4),
  }),
  ...([4, 6] as const).map((family) =>
    fc.record({
      version: fc.constant(3 as const),
      vrid: fc.integer({ min: 1, max: 255 }),
      priority: fc.integer({ min: 0, max: 255 }),
      advertIntMs: fc.integer({ min: 1, max: 0x0fff }).map((cs) => cs * 10),
      addresses: fc.array(addr(family), { maxLength: 40 }),
      family: fc.constant(family),
      src: addr(family),
      dst: addr(family),
    }),
  ),
);
type Arb = typeof advertArb extends fc.Arbitrary<infer T> ? T : never;
const input = (a: Arb): AdvertInput => {
  const { family: _f, src: _s, dst: _d, ...rest } = a;
  return rest;
};
const rxOf = (a: Arb, expected?: Expected): RxContext =>
  a.family === 4
    ? { family: 4, srcAddr: a.src, dstAddr: a.dst, ttl: 255, ...(expected ? { expected } : {}) }
    : { family: 6, srcAddr: a.src, dstAddr: a.dst, hopLimit: 255, ...(expected ? { expected } : {}) };

describe('round trips', () => {
  it('decode(encode(a)) gives a back, for v2 and v3 over IPv4 and IPv6', () => {
    fc.assert(
      fc.property(advertArb, (a) => {
        const b = encode(input(a), { srcAddr: a.src, dstAddr: a.dst });
        const expected: Expected = { version: a.version, vrid: a.vrid };
        if (a.version === 2) Object.assign(expected, { authType: a.authType, authData: a.authData, advertIntMs: a.advertIntMs });
        const r = decode(b, rxOf(a, expected));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.advert).toMatchObject({
          version: a.version,
          vrid: a.vrid,
          priority: a.priority,
          advertIntMs: a.advertIntMs,
          countIp: a.addresses.length,
          addresses: a.addresses,
        });
        if (a.version === 2) expect(r.advert).toMatchObject({ authType: a.authType, authData: a.authData });
      }),
      { numRuns: 500 },
    );
  });

  it('patchPriority() (incremental, RFC 1624) gives the same bytes as a fresh encode()', () => {
    fc.assert(
      fc.property(advertArb, fc.integer({ min: 0, max: 255 }), (a, p) => {
        const pseudo = { srcAddr: a.src, dstAddr: a.dst };
        const b = encode(input(a), pseudo);
        patchPriority(b, p);
        expect(b.toString('hex')).toBe(encode({ ...input(a), priority: p }, pseudo).toString('hex'));
      }),
      { numRuns: 500 },
    );
    // And every priority in turn on one buffer, as a MASTER would over its life.
    const b = Buffer.from(V3_V6);
    for (let p = 0; p <= 255; p++) {
      patchPriority(b, p);
      expect(decode(b, V3_V6_RX)).toMatchObject({ ok: true, advert: { priority: p } });
    }
  });

  it('the wire intervals: v2 whole seconds, v3 centiseconds', () => {
    expect(representableAdvertIntMs(2, 1400)).toBe(1000);
    expect(representableAdvertIntMs(2, 0.2)).toBe(1000);
    expect(representableAdvertIntMs(2, 999_000)).toBe(255_000);
    expect(representableAdvertIntMs(3, 15)).toBe(20);
    expect(representableAdvertIntMs(3, 1)).toBe(10);
    expect(representableAdvertIntMs(3, 100_000)).toBe(40_950);
  });

  it('encode() refuses what the wire cannot carry', () => {
    const ok: AdvertInput = { version: 3, vrid: 1, priority: 100, advertIntMs: 1000, addresses: [ipToBytes('192.0.2.1')] };
    const pseudo = V3_V4_RX;
    expect(() => encode(ok, pseudo)).not.toThrow();
    for (const bad of [
      { ...ok, vrid: 0 },
      { ...ok, vrid: 256 },
      { ...ok, priority: -1 },
      { ...ok, priority: 1.5 },
      { ...ok, advertIntMs: 0 },
      { ...ok, advertIntMs: 15 },
      { ...ok, advertIntMs: 40_960 },
      { ...ok, addresses: [ipToBytes('192.0.2.1'), ipToBytes('2001:db8::1')] },
      { ...ok, addresses: Array.from({ length: 256 }, () => ipToBytes('192.0.2.1')) },
      { ...ok, version: 2 as const, advertIntMs: 1500 },
      { ...ok, version: 2 as const, addresses: [ipToBytes('2001:db8::1')] },
      { ...ok, version: 2 as const, authData: new Uint8Array(9) },
      { ...ok, version: 4 as unknown as 3 },
    ]) {
      expect(() => encode(bad, pseudo)).toThrow(RangeError);
    }
    expect(() => encode(ok)).toThrow(/source and destination/); // v3 without the pseudo-header addresses
  });
});

/** A copy of `b` with some bytes changed and the checksum made valid again (to reach later checks). */
function mutate(b: Buffer, changes: Record<number, number>, pseudo?: PseudoHeader, extra?: number[]): Buffer {
  let out = Buffer.from(b);
  for (const [i, v] of Object.entries(changes)) out[Number(i)] = v;
  if (extra) out = Buffer.concat([out, Buffer.from(extra)]);
  return rechecksum(out, pseudo);
}

describe('receive checks (RFC 5798 §7.1, RFC 3768 §7.1): every reason', () => {
  const drop = (reason: string) => ({ ok: false, reason });
  const v2 = (b: Buffer, expected: Expected = PASS_EXPECTED, extra: Partial<RxContext> = {}) => decode(b, { ...V2_RX, expected, ...extra } as RxContext);

  it('ttl: TTL / Hop Limit other than 255 (unless unicast, like keepalived)', () => {
    expect(v2(V2_PASS, PASS_EXPECTED, { ttl: 254 })).toEqual(drop('ttl'));
    expect(v2(V2_PASS, PASS_EXPECTED, { ttl: 1 })).toEqual(drop('ttl'));
    expect(decode(V3_V6, { ...V3_V6_RX, hopLimit: 64 })).toEqual(drop('ttl'));
    expect(v2(V2_PASS, PASS_EXPECTED, { ttl: 64, unicast: true }).ok).toBe(true);
  });

  it('short: less than the 8-byte fixed header', () => {
    for (let n = 0; n < 8; n++) expect(v2(V2_PASS.subarray(0, n))).toEqual(drop('short'));
  });

  it('version: neither 2 nor 3, or not the one we run', () => {
    expect(v2(mutate(V2_PASS, { 0: 0x41 }))).toEqual(drop('version'));
    expect(v2(mutate(V2_PASS, { 0: 0x11 }))).toEqual(drop('version'));
    expect(decode(V3_V4, { ...V3_V4_RX, expected: { version: 2 } })).toEqual(drop('version'));
  });

  it('type: not ADVERTISEMENT', () => {
    expect(v2(mutate(V2_PASS, { 0: 0x22 }))).toEqual(drop('type'));
    expect(v2(mutate(V2_PASS, { 0: 0x20 }))).toEqual(drop('type'));
  });

  it('family: v2 over IPv6, or addresses that do not fit the family', () => {
    expect(decode(V2_PASS, { ...V3_V6_RX })).toEqual(drop('family'));
    expect(decode(V3_V4, { ...V3_V4_RX, srcAddr: ipToBytes('fe80::1') })).toEqual(drop('family'));
  });

  it('checksum: any bit flipped', () => {
    expect(v2(Buffer.from(V2_PASS).fill(0x65, 2, 3))).toEqual(drop('checksum'));
    for (let i = 1; i < V3_V6.length; i++) {
      const b = Buffer.from(V3_V6);
      b[i] = b[i]! ^ 0x01;
      expect(decode(b, V3_V6_RX)).toEqual(drop('checksum'));
    }
  });

  it('length: Count IP Addrs disagrees with the bytes (too few, too many, trailing), or beyond any VRRP packet', () => {
    expect(v2(mutate(V2_PASS, { 3: 2 }))).toEqual(drop('length')); // says 2 addresses, carries 1
    expect(v2(mutate(V2_PASS, { 3: 0 }))).toEqual(drop('length')); // says 0, carries 1
    expect(v2(mutate(V2_PASS.subarray(0, 19), {}))).toEqual(drop('length')); // auth data cut short
    expect(v2(Buffer.concat([V2_PASS, Buffer.from([0])]))).toEqual(drop('length')); // a zero byte keeps the checksum
    expect(decode(mutate(V3_V6, { 3: 3 }, V3_V6_PSEUDO), V3_V6_RX)).toEqual(drop('length'));
    expect(decode(Buffer.alloc(VRRP_MAX_LEN + 1, 0x31), V3_V6_RX)).toEqual(drop('length'));
  });

  it('vrid: not ours', () => {
    expect(v2(V2_PASS, { ...PASS_EXPECTED, vrid: 52 })).toEqual(drop('vrid'));
    expect(decode(V3_V6, { ...V3_V6_RX, expected: { vrid: 8 } })).toEqual(drop('vrid'));
  });

  it('authType: not our authentication method', () => {
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authType: AUTH_NONE })).toEqual(drop('authType'));
    expect(v2(mutate(V2_PASS, { 4: 2 }))).toEqual(drop('authType'));
  });

  it('authMismatch: another password, down to the 8th byte; only 8 bytes count (keepalived truncates)', () => {
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authData: passAuthData('secreT') })).toEqual(drop('authMismatch'));
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authData: passAuthData('secret\0x') })).toEqual(drop('authMismatch'));
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authData: passAuthData('') })).toEqual(drop('authMismatch'));
    const eight = encode({ version: 2, vrid: 51, priority: 100, advertIntMs: 1000, authType: AUTH_PASS, authData: passAuthData('12345678'), addresses: [] });
    expect(v2(eight, { ...PASS_EXPECTED, authData: passAuthData('123456789-and-more') }).ok).toBe(true);
  });

  it('advertInt: a v2 interval other than ours, or a zero interval', () => {
    expect(v2(V2_PASS, { ...PASS_EXPECTED, advertIntMs: 2000 })).toEqual(drop('advertInt'));
    expect(v2(mutate(V2_PASS, { 5: 0 }))).toEqual(drop('advertInt'));
    expect(decode(mutate(V3_V4, { 4: 0, 5: 0 }, V3_V4_RX), V3_V4_RX)).toEqual(drop('advertInt'));
    // v3: a different interval is not a drop (RFC 5798 has backups adopt the master's).
    expect(decode(V3_V4, { ...V3_V4_RX, expected: { advertIntMs: 1000 } }).ok).toBe(true);
  });

  it('checks run in order: the first failing check names the drop', () => {
    const badSum = Buffer.from(V2_PASS).fill(0x65, 2, 3);
    expect(v2(badSum, PASS_EXPECTED, { ttl: 64 })).toEqual(drop('ttl')); // ttl before checksum
    expect(v2(mutate(badSum, { 0: 0x31 }))).toEqual(drop('version')); // version before checksum
    expect(v2(badSum, { ...PASS_EXPECTED, vrid: 52 })).toEqual(drop('checksum')); // checksum before vrid
    const wrongCount = Buffer.from(V2_PASS);
    wrongCount[3] = 2; // checksum now also wrong
    expect(v2(wrongCount)).toEqual(drop('checksum')); // checksum before length (RFC order)
    expect(v2(V2_PASS, { ...PASS_EXPECTED, vrid: 52, authData: passAuthData('other') })).toEqual(drop('vrid')); // vrid before auth
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authType: AUTH_NONE, advertIntMs: 2000 })).toEqual(drop('authType'));
    expect(v2(V2_PASS, { ...PASS_EXPECTED, authData: passAuthData('x'), advertIntMs: 2000 })).toEqual(drop('authMismatch'));
  });

  it('counts drops per reason, one key per reason', () => {
    const c = newDropCounters();
    expect(Object.keys(c).sort()).toEqual([...DROP_REASONS].sort());
    countDrop(c, v2(V2_PASS, PASS_EXPECTED, { ttl: 1 }));
    countDrop(c, v2(V2_PASS, PASS_EXPECTED, { ttl: 1 }));
    countDrop(c, v2(V2_PASS, { ...PASS_EXPECTED, vrid: 9 }));
    const ok = countDrop(c, v2(V2_PASS));
    expect(ok.ok).toBe(true);
    expect(c).toMatchObject({ ttl: 2, vrid: 1, checksum: 0 });
  });
});

describe('fuzz: decode() never throws', () => {
  it('random bytes under random contexts', () => {
    const c = newDropCounters();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(4 as const, 6 as const),
        fc.integer({ min: 250, max: 255 }),
        fc.option(
          fc.record({
            version: fc.constantFrom(2 as const, 3 as const),
            vrid: fc.integer({ min: 1, max: 255 }),
            authType: fc.integer({ min: 0, max: 2 }),
            authData: fc.uint8Array({ maxLength: 12 }),
          }),
          { nil: undefined },
        ),
        (bytes, family, ttl, expected) => {
          const n = family === 4 ? 4 : 16;
          const common = { srcAddr: new Uint8Array(n), dstAddr: new Uint8Array(n), ...(expected ? { expected } : {}) };
          const r = family === 4 ? decode(bytes, { family, ttl, ...common }) : decode(bytes, { family, hopLimit: ttl, ...common });
          if (!r.ok) expect(DROP_REASONS).toContain(r.reason);
          countDrop(c, r);
        },
      ),
      { numRuns: 5000 },
    );
    expect(c.ttl).toBeGreaterThan(0);
    expect(c.short).toBeGreaterThan(0);
  });

  it('valid packets with random corruption (truncation, extension, byte changes)', () => {
    fc.assert(
      fc.property(
        advertArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -20, max: 20 }),
        fc.boolean(),
        (a, flips, resize, fix) => {
          let b = encode(input(a), { srcAddr: a.src, dstAddr: a.dst });
          for (const [i, v] of flips) b[i % b.length] = v;
          b = resize < 0 ? b.subarray(0, Math.max(0, b.length + resize)) : Buffer.concat([b, Buffer.alloc(resize, 0xee)]);
          if (fix && b.length >= 8) rechecksum(b, { srcAddr: a.src, dstAddr: a.dst });
          const r = decode(b, rxOf(a, { vrid: a.vrid }));
          if (r.ok) expect(r.advert.addresses.length).toBe(r.advert.countIp);
          else expect(DROP_REASONS).toContain(r.reason);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('nonsense contexts from untyped callers', () => {
    const junk: unknown[] = [
      {},
      { family: 4, ttl: 255 },
      { family: 5, ttl: 255, srcAddr: new Uint8Array(4), dstAddr: new Uint8Array(4) },
      { family: 4, ttl: 255, srcAddr: null, dstAddr: undefined },
      { family: 6, ttl: 255, srcAddr: new Uint8Array(16), dstAddr: new Uint8Array(16) },
      { family: 4, ttl: Number.NaN, srcAddr: new Uint8Array(4), dstAddr: new Uint8Array(4) },
      { family: 4, ttl: 255, srcAddr: new Uint8Array(4), dstAddr: new Uint8Array(4), expected: { authType: 1, authData: 'not bytes' } },
      null,
    ];
    for (const ctx of junk) {
      for (const b of [V2_PASS, V3_V4, V3_V6, Buffer.alloc(0), 'text' as unknown as Buffer, null as unknown as Buffer]) {
        const r = decode(b, ctx as RxContext);
        expect(r.ok === true || DROP_REASONS.includes(r.reason)).toBe(true);
      }
    }
  });
});
