/**
 * The packet decoders under random and mutated input, shared by the test (a few thousand cases in
 * `npm test`) and `npm run fuzz` (a million on demand): VRRP v2/v3 decode, the AH datagram parser and
 * verifier, the IPVS generic netlink attribute and service/destination decoders, and the rtnetlink
 * notification mapper. Each call must return (a verdict, undefined) and never throw.
 */
import { parseAhDatagram, verifyAhDatagram, ahKey } from '../../src/vrrp/ah.js';
import { decode, encode } from '../../src/vrrp/packet.js';
import { decodeDest, decodeInfo, decodeService, decodeStats, decodeTimeouts } from '../../src/ipvs/codec.js';
import { parseAttrs } from '../../src/ipvs/nlmsg.js';
import { toEvent } from '../../src/net/rtnl-events.js';
import { rng } from '../helpers/rng.js';

export { rng };

const SRC4 = Uint8Array.from([192, 0, 2, 1]);
const DST4 = Uint8Array.from([224, 0, 0, 18]);
const SRC6 = Uint8Array.from([0xfe, 0x80, ...new Array<number>(13).fill(0), 1]);
const DST6 = Uint8Array.from([0xff, 0x02, ...new Array<number>(13).fill(0), 0x12]);

/** Valid adverts to mutate (v2 PASS, v2 none, v3 IPv4, v3 IPv6). */
function seeds(): Buffer[] {
  const addrs = [Uint8Array.from([192, 0, 2, 100]), Uint8Array.from([192, 0, 2, 101])];
  return [
    encode({ version: 2, vrid: 51, priority: 100, advertIntMs: 1000, authType: 1, authData: Buffer.from('secret\0\0'), addresses: addrs }),
    encode({ version: 2, vrid: 51, priority: 100, advertIntMs: 1000, authType: 0, addresses: addrs }),
    encode({ version: 3, vrid: 51, priority: 100, advertIntMs: 100, authType: 0, addresses: addrs }, { srcAddr: SRC4, dstAddr: DST4 }),
    encode(
      {
        version: 3,
        vrid: 51,
        priority: 100,
        advertIntMs: 100,
        authType: 0,
        addresses: [Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1])],
      },
      { srcAddr: SRC6, dstAddr: DST6 },
    ),
  ];
}

/** One input: random bytes, or a seed with a few bytes flipped, cut or extended. */
export function input(r: () => number, base: readonly Buffer[] = SEEDS): Buffer {
  const pick = r();
  if (pick < 0.3) {
    const b = Buffer.alloc(Math.floor(r() * 96));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    return b;
  }
  const b = Buffer.from(base[Math.floor(r() * base.length)]!);
  const flips = 1 + Math.floor(r() * 4);
  for (let i = 0; i < flips && b.length > 0; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  if (pick > 0.8) return b.subarray(0, Math.floor(r() * b.length));
  if (pick > 0.7) return Buffer.concat([b, Buffer.alloc(Math.floor(r() * 40), Math.floor(r() * 256))]);
  return b;
}
const SEEDS = seeds();

const KEY = ahKey('secret');

/** Pushes one input through every decoder; throws only if a decoder does. */
export function exercise(buf: Buffer, r: () => number): void {
  const ttl = r() < 0.8 ? 255 : Math.floor(r() * 256);
  decode(buf, {
    family: 4,
    ttl,
    srcAddr: SRC4,
    dstAddr: DST4,
    expected: { version: 2, vrid: 51, authType: 1, authData: Buffer.from('secret\0\0'), advertIntMs: 1000 },
  });
  decode(buf, { family: 4, ttl, srcAddr: SRC4, dstAddr: DST4, unicast: r() < 0.5, expected: { version: 3, vrid: 51 } });
  decode(buf, { family: 6, hopLimit: ttl, srcAddr: SRC6, dstAddr: DST6 });
  // An IPv4 header in front: the AH parser and verifier.
  const ip = Buffer.from([0x45, 0xc0, 0, 0, 0, 1, 0, 0, 255, 51, 0, 0, ...SRC4, ...DST4]);
  ip.writeUInt16BE(ip.length + buf.length, 2);
  const dgram = r() < 0.5 ? Buffer.concat([ip, buf]) : buf;
  parseAhDatagram(dgram);
  verifyAhDatagram(dgram, KEY, r() < 0.5);
  // Netlink attributes and the IPVS decoders over the same bytes.
  parseAttrs(buf);
  decodeService(buf);
  decodeDest(buf, r() < 0.5 ? 'inet' : 'inet6');
  decodeInfo(buf);
  decodeTimeouts(buf);
  decodeStats(buf, r() < 0.5);
  toEvent(16 + Math.floor(r() * 20), {
    data: { family: buf[0], index: buf[1], flags: {} },
    attrs: { ifname: r() < 0.5 ? 'eth0' : undefined, address: buf.subarray(0, r() < 0.5 ? 4 : 16), table: buf[2] },
  });
}
