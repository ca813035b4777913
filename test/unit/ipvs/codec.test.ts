/**
 * IPVS codec against byte sequences written out by hand from the layouts (nlattr = u16 len, u16 type,
 * payload padded to 4; host order little endian; ADDR/PORT/IPv4 NETMASK/TUN_PORT in network order) and
 * the kernel's fill order in ip_vs_ctl.c, never produced by the encoder under test.
 */
import fc from 'fast-check';
import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeStats,
  decodeTimeouts,
  encodeDaemon,
  encodeDest,
  encodeOp,
  encodeService,
  encodeServiceKey,
  encodeTimeouts,
  request,
} from '../../../src/ipvs/codec.js';
import { CMD } from '../../../src/ipvs/constants.js';
import { bytesToIp, ipToBytes } from '../../../src/net/ip.js';
import { FWD, SVC_F, TUN_FLAG, TUN_TYPE, type IpvsDest, type IpvsService } from '../../../src/ipvs/types.js';

/** Hex written with spaces and line breaks for reading; compared without them. */
const hx = (...parts: string[]) => parts.join('').replace(/\s+/g, '');
const hex = (b: Buffer) => b.toString('hex');
const buf = (...parts: string[]) => Buffer.from(hx(...parts), 'hex');
const Z12 = '00'.repeat(12);

const TCP80: IpvsService = { af: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff };
const RS1: IpvsDest = {
  af: 'inet',
  address: '198.51.100.11',
  port: 8080,
  fwd: FWD.MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  tunType: 0,
  tunPort: 0,
  tunFlags: 0,
};

/** The key of TCP 192.0.2.1:80 inside its nest: AF 2, PROTOCOL 6, ADDR (16 bytes), PORT 80 big endian. */
const TCP80_KEY = hx('06000100 0200 0000', '06000200 0600 0000', `14000300 c0000201 ${Z12}`, '06000400 0050 0000');

describe.skipIf(endianness() !== 'LE')('IPVS codec: requests, byte for byte (x86 host order)', () => {
  it('NEW_SERVICE TCP 192.0.2.1:80 rr: key, SCHED_NAME, FLAGS {0, ~0}, TIMEOUT, NETMASK 255.255.255.255', () => {
    const expected = hx(
      '54000180', // len 84, CMD_ATTR_SERVICE | NLA_F_NESTED
      TCP80_KEY,
      '07000600 727200 00', // SCHED_NAME "rr\0", len 7, 1 byte of padding
      '0c000700 00000000 ffffffff', // FLAGS: flags 0, mask all
      '08000800 00000000', // TIMEOUT 0
      '08000900 ffffffff', // NETMASK
    );
    expect(hex(encodeService(TCP80))).toBe(expected);
    expect(encodeOp({ op: 'new-service', service: TCP80 })).toEqual({ cmd: 1, attrs: Buffer.from(expected, 'hex') });
    expect(encodeOp({ op: 'set-service', service: TCP80 }).cmd).toBe(2);
  });

  it('an IPv6 service: AF 10, 16-byte address, PERSISTENT with a timeout, prefix length in host order', () => {
    const s: IpvsService = {
      af: 'inet6',
      protocol: 'tcp',
      address: '2001:db8::1',
      port: 443,
      scheduler: 'wlc',
      flags: SVC_F.PERSISTENT,
      timeoutS: 300,
      netmask: 128,
    };
    expect(hex(encodeService(s))).toBe(
      hx(
        '54000180',
        '06000100 0a00 0000', // AF_INET6
        '06000200 0600 0000',
        `14000300 20010db8 ${'00'.repeat(11)}01`,
        '06000400 01bb 0000', // 443
        '08000600 776c6300', // "wlc\0", no padding
        '0c000700 01000000 ffffffff',
        '08000800 2c010000', // 300
        '08000900 80000000', // prefix 128, little endian
      ),
    );
  });

  it('a fwmark service: FWMARK instead of protocol, address and port; sh-fallback and sh-port flags', () => {
    const s: IpvsService = { af: 'inet', fwmark: 1, scheduler: 'sh', flags: SVC_F.SCHED1 | SVC_F.SCHED2, timeoutS: 0, netmask: 0xffffffff };
    expect(hex(encodeService(s))).toBe(
      hx('38000180', '06000100 0200 0000', '08000500 01000000', '07000600 736800 00', '0c000700 18000000 ffffffff', '08000800 00000000', '08000900 ffffffff'),
    );
  });

  it('HASHED never goes out; an IPv4 persistence netmask goes out in network order; PE_NAME last', () => {
    const b = encodeService({ ...TCP80, flags: SVC_F.PERSISTENT | SVC_F.HASHED, timeoutS: 300, netmask: 0xffffff00, peName: 'sip' });
    expect(hex(b).endsWith(hx('0c000700 01000000 ffffffff', '08000800 2c010000', '08000900 ffffff00', '08000b00 73697000'))).toBe(true);
    expect(b.readUInt16LE(0)).toBe(b.length);
  });

  it('NEW_DEST MASQ weight 1: the service key nest, then ADDR, PORT, ADDR_FAMILY, FWD_METHOD, WEIGHT, thresholds', () => {
    const r = encodeOp({ op: 'new-dest', service: TCP80, dest: RS1 });
    expect(r.cmd).toBe(CMD.NEW_DEST);
    expect(hex(r.attrs)).toBe(
      hx(
        '30000180', // len 48: the key alone
        TCP80_KEY,
        '48000280', // len 72, CMD_ATTR_DEST | NLA_F_NESTED
        `14000100 c633640b ${Z12}`, // 198.51.100.11
        '06000200 1f90 0000', // 8080
        '06000b00 0200 0000', // ADDR_FAMILY
        '08000300 00000000', // MASQ
        '08000400 01000000', // weight 1
        '08000500 00000000',
        '08000600 00000000',
      ),
    );
  });

  it('a GUE tunnel destination adds TUN_TYPE (u8), TUN_PORT (big endian) and TUN_FLAGS (u16)', () => {
    const d: IpvsDest = { ...RS1, address: '198.51.100.13', port: 80, fwd: FWD.TUNNEL, tunType: TUN_TYPE.GUE, tunPort: 6080, tunFlags: TUN_FLAG.CSUM };
    expect(hex(encodeDest(d))).toBe(
      hx(
        '60000280', // len 96
        `14000100 c633640d ${Z12}`,
        '06000200 0050 0000',
        '06000b00 0200 0000',
        '08000300 02000000', // TUNNEL
        '08000400 01000000',
        '08000500 00000000',
        '08000600 00000000',
        '05000d00 01 000000', // GUE
        '06000e00 17c0 0000', // 6080
        '06000f00 0100 0000', // CSUM
      ),
    );
  });

  it('DEL_DEST carries only the keys; DEL_SERVICE only the service key', () => {
    expect(hex(encodeOp({ op: 'del-dest', service: TCP80, dest: RS1 }).attrs)).toBe(
      hx('30000180', TCP80_KEY, '28000280', `14000100 c633640b ${Z12}`, '06000200 1f90 0000', '06000b00 0200 0000'),
    );
    expect(encodeOp({ op: 'del-service', service: TCP80 })).toEqual({ cmd: CMD.DEL_SERVICE, attrs: buf('30000180', TCP80_KEY) });
    expect(hex(encodeServiceKey({ af: 'inet', fwmark: 7 }))).toBe(hx('14000180', '06000100 0200 0000', '08000500 07000000'));
  });

  it('SET_CONFIG: three top-level u32 timeouts', () => {
    expect(hex(encodeTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }))).toBe(hx('08000400 84030000', '08000500 78000000', '08000600 2c010000'));
  });

  it('NEW_DAEMON: state, interface, sync id, group in network order, port in HOST order, ttl; DEL_DAEMON the state alone', () => {
    const b = encodeDaemon({ state: 'master', ifname: 'eth0', syncId: 5, group: '224.0.0.81', port: 8848, ttl: 1 });
    expect(hex(b)).toBe(
      hx(
        '38000380', // len 56, CMD_ATTR_DAEMON | NESTED
        '08000100 01000000', // STATE master
        '09000200 65746830 00 000000', // MCAST_IFN "eth0\0"
        '08000300 05000000', // SYNC_ID 5
        '08000500 e0000051', // MCAST_GROUP 224.0.0.81
        '06000700 9022 0000', // MCAST_PORT 8848 = 0x2290, little endian (the kernel htons() it)
        '05000800 01 000000', // MCAST_TTL 1
      ),
    );
    expect(request.delDaemon('backup')).toEqual({ cmd: CMD.DEL_DAEMON, attrs: buf('0c000380', '08000100 02000000') });
  });

  it('query requests: commands, dump flags, and no attributes where the kernel wants none', () => {
    expect(request.getServices()).toEqual({ cmd: 4, attrs: Buffer.alloc(0), dump: true });
    expect(request.getDests(TCP80)).toEqual({ cmd: 8, attrs: buf('30000180', TCP80_KEY), dump: true });
    expect(request.getService(TCP80)).toEqual({ cmd: 4, attrs: buf('30000180', TCP80_KEY) });
    expect(request.flush()).toEqual({ cmd: 17, attrs: Buffer.alloc(0) });
    expect(request.getInfo()).toEqual({ cmd: 15, attrs: Buffer.alloc(0) });
    expect(request.getConfig()).toEqual({ cmd: 13, attrs: Buffer.alloc(0) });
    expect(request.getDaemons()).toEqual({ cmd: 11, attrs: Buffer.alloc(0), dump: true });
  });

  it('refuses values no kernel accepts instead of sending the wrong entry', () => {
    expect(() => encodeServiceKey({ ...TCP80, address: '2001:db8::1' })).toThrow(TypeError);
    expect(() => encodeDest({ ...RS1, af: 'inet6' })).toThrow(/not an inet6 address/);
    expect(() => encodeDest({ ...RS1, port: 70000 })).toThrow(RangeError);
    expect(() => encodeDest({ ...RS1, weight: -1 })).toThrow(RangeError);
    expect(() => encodeService({ ...TCP80, address: 'example.org' })).toThrow(TypeError);
  });
});

describe.skipIf(endianness() !== 'LE')('IPVS codec: replies as the kernel fills them', () => {
  /** ip_vs_genl_fill_service: nest without NLA_F_NESTED, HASHED set, STATS (with a PAD before a u64) and STATS64. */
  const SERVICE_REPLY = buf(
    '80000100', // len 128, CMD_ATTR_SERVICE
    TCP80_KEY,
    '07000600 727200 00',
    '0c000700 03000000 ffffffff', // PERSISTENT | HASHED
    '08000800 2c010000',
    '08000900 ffffff00',
    '1c000a00', // STATS, len 28
    '08000100 05000000', // CONNS 5 (u32)
    '04000b00', // PAD
    '0c000400 00000000 00010000', // INBYTES 2^40 (u64)
    '10000c00', // STATS64, len 16
    '0c000100 00000000 02000000', // CONNS 2^33
  );

  it('a service: HASHED stripped, netmask read big endian, STATS64 preferred over STATS', () => {
    const r = decodeService(SERVICE_REPLY);
    expect(r?.service).toEqual({ ...TCP80, flags: SVC_F.PERSISTENT, timeoutS: 300, netmask: 0xffffff00 });
    expect(r?.stats?.conns).toBe(1n << 33n);
    expect(decodeStats(buf('08000100 05000000', '04000b00', '0c000400 00000000 00010000'), false)).toMatchObject({
      conns: 5n,
      inBytes: 1n << 40n,
      outPkts: 0n,
    });
  });

  it('an IPv6 service reads its prefix length in host order; a fwmark service has no address', () => {
    const v6 = buf(
      '54000100',
      '06000100 0a00 0000',
      '06000200 1100 0000',
      `14000300 20010db8 ${'00'.repeat(11)}01`,
      '06000400 0035 0000',
      '07000600 6d6800 00',
      '0c000700 02000000 ffffffff',
      '08000800 00000000',
      '08000900 40000000',
    );
    expect(decodeService(v6)?.service).toEqual({
      af: 'inet6',
      protocol: 'udp',
      address: '2001:db8::1',
      port: 53,
      scheduler: 'mh',
      flags: 0,
      timeoutS: 0,
      netmask: 64,
    });
    const fw = buf(
      '38000100',
      '06000100 0200 0000',
      '08000500 09000000',
      '07000600 6c6300 00',
      '0c000700 00000000 ffffffff',
      '08000800 00000000',
      '08000900 ffffffff',
    );
    expect(decodeService(fw)?.service).toEqual({ af: 'inet', fwmark: 9, scheduler: 'lc', flags: 0, timeoutS: 0, netmask: 0xffffffff });
  });

  it('a destination with its connection counters (ip_vs_genl_fill_dest order)', () => {
    const reply = buf(
      '78000200',
      `14000100 c633640b ${Z12}`,
      '06000200 1f90 0000',
      '08000300 00000000',
      '08000400 03000000',
      '05000d00 00 000000',
      '06000e00 0000 0000',
      '06000f00 0000 0000',
      '08000500 64000000',
      '08000600 0a000000',
      '08000700 07000000',
      '08000800 02000000',
      '08000900 01000000',
      '06000b00 0200 0000',
    );
    expect(decodeDest(reply, 'inet')).toEqual({ dest: { ...RS1, weight: 3, uThreshold: 100, lThreshold: 10 }, activeConns: 7, inactConns: 2, persistConns: 1 });
    // Kernels before 4.3 send no ADDR_FAMILY: the service's family stands in.
    const old = Buffer.from(reply.subarray(0, 0x78 - 8));
    old.writeUInt16LE(0x70, 0);
    expect(decodeDest(old, 'inet')?.dest).toEqual({ ...RS1, weight: 3, uThreshold: 100, lThreshold: 10 });
  });

  it('GET_INFO, GET_CONFIG and GET_DAEMON replies', () => {
    expect(decodeInfo(buf('08000100 01020100', '08000200 00100000'))).toEqual({ version: 0x010201, connTableSize: 4096 });
    expect(decodeTimeouts(buf('08000400 84030000', '08000500 78000000', '08000600 2c010000'))).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
    const daemon = buf(
      '40000300',
      '08000100 01000000',
      '09000200 65746830 00 000000',
      '08000300 05000000',
      '06000400 7805 0000',
      '06000700 9022 0000',
      '05000800 01 000000',
      '08000500 e0000051',
    );
    expect(decodeDaemon(daemon)).toEqual({ state: 'master', ifname: 'eth0', syncId: 5, maxLen: 1400, group: '224.0.0.81', port: 8848, ttl: 1 });
  });
});

// ---- round trips and junk ----------------------------------------------------------------------

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((b) => b.join('.'));
/** Any IPv6 address, in the canonical (RFC 5952) form the decoder produces. */
const v6 = fc.ipV6().map((a) => bytesToIp(ipToBytes(a)));
const family = fc.constantFrom('inet' as const, 'inet6' as const);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const sched = fc.constantFrom('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh');
const flags = fc.nat(0x3f).map((f) => f & ~SVC_F.HASHED);

const service: fc.Arbitrary<IpvsService> = family.chain((af) =>
  fc
    .record({
      addr: af === 'inet' ? v4 : v6,
      fwmark: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: undefined }),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
      port: fc.nat(65535),
      scheduler: sched,
      flags,
      timeoutS: u32,
      peName: fc.option(fc.constant('sip'), { nil: undefined }),
      netmask: af === 'inet' ? u32 : fc.integer({ min: 1, max: 128 }),
    })
    .map((r): IpvsService => {
      const common = { scheduler: r.scheduler, flags: r.flags, timeoutS: r.timeoutS, netmask: r.netmask, ...(r.peName ? { peName: r.peName } : {}) };
      return r.fwmark !== undefined ? { af, fwmark: r.fwmark, ...common } : { af, protocol: r.protocol, address: r.addr, port: r.port, ...common };
    }),
);
const dest: fc.Arbitrary<IpvsDest> = family.chain((af) =>
  fc
    .record({
      address: af === 'inet' ? v4 : v6,
      port: fc.nat(65535),
      fwd: fc.constantFrom(FWD.MASQ, FWD.LOCAL, FWD.TUNNEL, FWD.DROUTE),
      weight: u32,
      uThreshold: u32,
      lThreshold: u32,
      tunType: fc.nat(2),
      tunPort: fc.nat(65535),
      tunFlags: fc.nat(3),
    })
    .map(
      (d): IpvsDest => ({
        af,
        ...d,
        // Tunnel attributes are only sent for TUNNEL; the kernel reads 0 for the others.
        ...(d.fwd === FWD.TUNNEL ? {} : { tunType: 0, tunPort: 0, tunFlags: 0 }),
      }),
    ),
);

describe('IPVS codec: round trips and junk', () => {
  it('every service and destination decodes back to itself', () => {
    fc.assert(
      fc.property(service, (s) => {
        expect(decodeService(encodeService(s))).toEqual({ service: s });
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(dest, (d) => {
        expect(decodeDest(encodeDest(d), 'inet')?.dest).toEqual(d);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(u32, u32, u32, (tcp, tcpFin, udp) => {
        expect(decodeTimeouts(encodeTimeouts({ tcp, tcpFin, udp }))).toEqual({ tcp, tcpFin, udp });
      }),
    );
    const d = { state: 'backup' as const, ifname: 'bond0.12', syncId: 255, maxLen: 1472, group: 'ff02::12', port: 9000, ttl: 3 };
    expect(decodeDaemon(encodeDaemon(d))).toEqual(d);
  });

  it('decoders never throw: random bytes, every truncation, and single-byte corruptions of real encodings', () => {
    const decodeAll = (b: Buffer) => {
      decodeService(b);
      decodeDest(b, 'inet6');
      decodeStats(b, true);
      decodeStats(b, false);
      decodeInfo(b);
      decodeTimeouts(b);
      decodeDaemon(b);
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => decodeAll(Buffer.from(bytes))).not.toThrow();
      }),
      { numRuns: 3000 },
    );
    const samples = [
      encodeService({ ...TCP80, peName: 'sip' }),
      encodeDest({ ...RS1, fwd: FWD.TUNNEL, tunType: 1, tunPort: 1 }),
      encodeDaemon({ state: 'master', ifname: 'eth0', syncId: 1, group: '224.0.0.81' }),
    ];
    for (const whole of samples) for (let n = 0; n <= whole.length; n++) expect(() => decodeAll(whole.subarray(0, n))).not.toThrow();
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.nat(), fc.nat(255), (whole, at, v) => {
        const b = Buffer.from(whole);
        b[at % b.length] = v;
        expect(() => decodeAll(b)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('junk and incomplete entries decode to undefined', () => {
    expect(decodeService(Buffer.alloc(0))).toBeUndefined();
    expect(decodeService(Buffer.from('ff000100', 'hex'))).toBeUndefined(); // length past the end
    expect(decodeDest(encodeServiceKey(TCP80), 'inet')).toBeUndefined(); // a service where a destination was expected
    expect(decodeService(encodeServiceKey(TCP80))).toBeUndefined(); // a key without scheduler, flags, timeout, netmask
    expect(decodeInfo(Buffer.from('0800010001020100', 'hex'))).toBeUndefined(); // no table size
  });
});
