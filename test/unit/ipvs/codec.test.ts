import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attr, decodeDest, decodeService, decodeStats, encodeDaemon, encodeDest, encodeService, encodeServiceKey, encodeTimeouts, decodeTimeouts, parseAttrs } from '../../../src/ipvs/codec.js';
import { FWD, SVC_F, type IpvsDest, type IpvsService } from '../../../src/ipvs/types.js';

/** Hex of a buffer, for comparing with byte sequences written out by hand. */
const hex = (b: Buffer) => b.toString('hex');

const TCP80: IpvsService = { af: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff };
const RS1: IpvsDest = { af: 'inet', address: '198.51.100.11', port: 8080, fwd: FWD.MASQ, weight: 1, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 };

describe('IPVS codec: known byte sequences (nlattr = u16 len, u16 type, payload padded to 4; x86 host order)', () => {
  it('a service key: AF, PROTOCOL, 16-byte ADDR and PORT in network order, nested under CMD_ATTR_SERVICE', () => {
    const expected =
      '30000180' + // len 48, type 1 | NLA_F_NESTED
      '0600010002000000' + // AF = 2 (u16 host order) + 2 pad
      '0600020006000000' + // PROTOCOL = 6
      '14000300' + 'c0000201' + '00'.repeat(12) + // ADDR 192.0.2.1 in a 16-byte union
      '0600040000500000'; // PORT 80, network order
    expect(hex(encodeServiceKey(TCP80))).toBe(expected);
  });

  it('a full service adds SCHED_NAME, FLAGS {flags, mask}, TIMEOUT and an IPv4 NETMASK in network order', () => {
    const b = encodeService({ ...TCP80, flags: SVC_F.PERSISTENT | SVC_F.HASHED, timeoutS: 300, netmask: 0xffffff00 });
    const tail =
      '0700060072720000' + // SCHED_NAME "rr\0", len 7
      '0c000700' + '01000000' + 'ffffffff' + // FLAGS: PERSISTENT (HASHED stripped), mask all
      '080008002c010000' + // TIMEOUT 300
      '08000900ffffff00'; // NETMASK 255.255.255.0, network order
    expect(hex(b).endsWith(tail)).toBe(true);
    expect(b.readUInt16LE(0)).toBe(b.length);
  });

  it('an IPv6 service sends its prefix length in host order', () => {
    const b = encodeService({ af: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 443, scheduler: 'wlc', flags: 0, timeoutS: 0, netmask: 64 });
    expect(hex(b)).toContain('060001000a000000'); // AF_INET6 = 10
    expect(hex(b)).toContain('14000300' + '20010db8' + '00'.repeat(11) + '01');
    expect(hex(b).endsWith('0800090040000000')).toBe(true);
  });

  it('a fwmark service key carries FWMARK instead of protocol, address and port', () => {
    expect(hex(encodeServiceKey({ af: 'inet', fwmark: 7 }))).toBe('14000180' + '0600010002000000' + '0800050007000000');
  });

  it('a destination: ADDR, PORT (network order), family, forwarding, weight and thresholds', () => {
    const expected =
      '48000280' + // len 72, type 2 | NESTED
      '14000100' + 'c633640b' + '00'.repeat(12) + // ADDR 198.51.100.11
      '06000200' + '1f90' + '0000' + // PORT 8080
      '06000b00' + '0200' + '0000' + // ADDR_FAMILY 2
      '0800030000000000' + // FWD_METHOD MASQ
      '0800040001000000' + // WEIGHT 1
      '0800050000000000' + // U_THRESH
      '0800060000000000'; // L_THRESH
    expect(hex(encodeDest(RS1))).toBe(expected);
  });

  it('a tunnel destination adds TUN_TYPE (u8), TUN_PORT (network order) and TUN_FLAGS', () => {
    const b = encodeDest({ ...RS1, fwd: FWD.TUNNEL, tunType: 1, tunPort: 6080, tunFlags: 1 });
    expect(hex(b).endsWith('05000d0001000000' + '06000e0017c00000' + '06000f0001000000')).toBe(true);
  });

  it('a destination key for DEL_DEST has no forwarding or weight', () => {
    expect(encodeDest(RS1, false).length).toBe(4 + 20 + 8 + 8);
  });

  it('timeouts for SET_CONFIG are three top-level u32 attributes', () => {
    const b = encodeTimeouts({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(hex(b)).toBe('0800040084030000' + '0800050078000000' + '080006002c010000');
    expect(decodeTimeouts(b)).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });
});

describe('IPVS codec: decoding what the kernel sends', () => {
  it('reads back a service (HASHED stripped) and a destination', () => {
    const svc = encodeService({ ...TCP80, flags: SVC_F.HASHED | SVC_F.ONEPACKET });
    expect(decodeService(svc)?.service).toEqual({ ...TCP80, flags: SVC_F.ONEPACKET });
    const d = decodeDest(encodeDest({ ...RS1, fwd: FWD.TUNNEL, tunType: 2, tunPort: 0, tunFlags: 0 }), 'inet');
    expect(d?.dest).toEqual({ ...RS1, fwd: FWD.TUNNEL, tunType: 2 });
    expect(d?.activeConns).toBe(0);
  });

  it('round-trips IPv6 and fwmark services', () => {
    const v6: IpvsService = { af: 'inet6', protocol: 'udp', address: '2001:db8:0:1::100', port: 53, scheduler: 'mh', flags: SVC_F.SCHED1, timeoutS: 30, netmask: 64, peName: 'sip' };
    expect(decodeService(encodeService(v6))?.service).toEqual(v6);
    const fw: IpvsService = { af: 'inet', fwmark: 9, scheduler: 'lc', flags: 0, timeoutS: 0, netmask: 0xffffffff };
    expect(decodeService(encodeService(fw))?.service).toEqual(fw);
  });

  it('decodes 32-bit and 64-bit counters', () => {
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };
    const s32 = Buffer.concat([attr(1, u32(5)), attr(4, u64(1n << 40n))]);
    expect(decodeStats(s32, false)).toMatchObject({ conns: 5n, inBytes: 1n << 40n, outPkts: 0n });
    expect(decodeStats(Buffer.concat([attr(1, u64(1n << 33n))]), true)?.conns).toBe(1n << 33n);
  });

  it('never throws on junk and rejects truncated framing', () => {
    expect(parseAttrs(Buffer.from('ff00010000', 'hex'))).toBeUndefined();
    expect(decodeService(Buffer.alloc(0))).toBeUndefined();
    expect(decodeDest(encodeServiceKey(TCP80), 'inet')).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        decodeService(b);
        decodeDest(b, 'inet6');
        decodeStats(b, true);
        decodeTimeouts(b);
      }),
      { numRuns: 2000 },
    );
    const whole = encodeService(TCP80);
    for (let n = 0; n < whole.length; n++) expect(() => decodeService(whole.subarray(0, n))).not.toThrow();
  });
});

describe('IPVS codec: the sync daemon', () => {
  it('NEW_DAEMON: state, interface, sync id, group (network order), port and ttl', () => {
    const b = encodeDaemon({ state: 'master', ifname: 'eth0', syncId: 5, group: '224.0.0.81', port: 8848, ttl: 1 });
    expect(b.toString('hex')).toBe(
      '38000380' + // len 56, type 3 | NESTED
        '0800010001000000' + // STATE master
        '0900020065746830' + '00000000' + // MCAST_IFN "eth0\0"
        '0800030005000000' + // SYNC_ID 5
        '08000500e0000051' + // MCAST_GROUP 224.0.0.81
        '0600070022900000' + // MCAST_PORT 8848
        '0500080001000000', // MCAST_TTL 1
    );
    expect(encodeDaemon({ state: 'backup', ifname: 'eth0', syncId: 0 }, false).toString('hex')).toBe('0c000380' + '0800010002000000');
  });
});
