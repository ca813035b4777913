/**
 * Unit tests, VRRP layer: the instance runner for an IPv6 vrrp_instance, on a fake transport, address
 * manager and clock: VRRPv3 adverts with the IPv6 pseudo-header, IPv6 VIPs as keepalived adds them
 * (/128 deprecated by default), unsolicited neighbour advertisements on the GARP schedule, and the
 * receive checks (hop limit 255 for multicast, not for unicast, as keepalived).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, permissiveEnv } from '../../../src/config/index.js';
import { bytesToIp, ipToBytes } from '../../../src/net/ip.js';
import type { VipSpec } from '../../../src/net/rtnl.js';
import { VrrpRunner } from '../../../src/vrrp/instance.js';
import type { Clock } from '../../../src/util/clock.js';
import { decode, encode } from '../../../src/vrrp/packet.js';
import type { RxMeta, VrrpTransport } from '../../../src/vrrp/transport.js';
import { memFs } from '../../helpers/memfs.js';

const ME = 'fe80::a';
const PEER = 'fe80::b';
const GROUP = 'ff02::12';

function instance(extra = '') {
  const text = `vrrp_instance V6 {\n interface eth0\n state BACKUP\n virtual_router_id 9\n priority 100\n advert_int 1\n${extra} virtual_ipaddress {\n  2001:db8::100\n  2001:db8::101/64\n }\n}\n`;
  const r = loadConfig('/k.conf', { env: permissiveEnv, fs: memFs({ '/k.conf': text }), configId: null });
  return r.config.vrrp.instances[0]!;
}

function fakeClock(): Clock & { fire(): void; readonly t: number } {
  let t = 0;
  const timers: Array<{ at: number; fn: () => void; h: number }> = [];
  let n = 0;
  return {
    get t() {
      return t;
    },
    now: () => t,
    setTimeout: (fn, ms) => {
      const h = ++n;
      timers.push({ at: t + ms, fn, h });
      return h;
    },
    clearTimeout: (h) => {
      const i = timers.findIndex((x) => x.h === h);
      if (i >= 0) timers.splice(i, 1);
    },
    fire() {
      timers.sort((a, b) => a.at - b.at);
      const x = timers.shift();
      if (x) {
        t = x.at;
        x.fn();
      }
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

function rig(extra = '') {
  const inst = instance(extra);
  const sent: Buffer[] = [];
  let rx: ((p: Uint8Array, m: RxMeta) => void) | undefined;
  const transport: VrrpTransport = {
    destinations: [GROUP],
    send: (buf) => sent.push(Buffer.from(buf)),
    onPacket: (cb) => (rx = cb),
    close: () => {},
  };
  const added: VipSpec[] = [];
  const una: string[] = [];
  const garp: string[] = [];
  const clock = fakeClock();
  const r = new VrrpRunner(inst, {
    transport,
    clock,
    primaryAddress: ME,
    destination: GROUP,
    addresses: { add: async (v) => void added.push(v), remove: async () => {}, close: () => {} },
    log: { info: () => {}, warn: () => {} },
    una: (vip) => una.push(bytesToIp(vip)),
    garp: (vip) => garp.push(bytesToIp(vip)),
  });
  const inject = (priority: number, meta: Partial<RxMeta> & { dstText?: string } = {}) => {
    const dst = ipToBytes(meta.dstText ?? GROUP);
    const pkt = encode(
      { version: 3, vrid: 9, priority, advertIntMs: 1000, addresses: [ipToBytes('2001:db8::100')] },
      { srcAddr: ipToBytes(PEER), dstAddr: dst },
    );
    rx!(pkt, { src: ipToBytes(PEER), dst: meta.dst ?? dst, ttl: meta.ttl ?? 255, ...(meta.unicast ? { unicast: true } : {}) });
  };
  return { inst, r, sent, added, una, garp, clock, inject };
}

describe('VrrpRunner, IPv6 instance', () => {
  it('resolves to VRRPv3 and, as MASTER, sends adverts that verify with the IPv6 pseudo-header (link-local -> ff02::12)', () => {
    const { inst, r, sent, clock } = rig();
    expect([inst.family, inst.version]).toEqual(['inet6', 3]);
    r.start();
    for (let i = 0; i < 10 && r.state.state !== 'MASTER'; i++) clock.fire();
    expect(r.state.state).toBe('MASTER');
    expect(sent.length).toBeGreaterThan(0);
    const d = decode(sent[0]!, { family: 6, hopLimit: 255, srcAddr: ipToBytes(ME), dstAddr: ipToBytes(GROUP) });
    expect(d.ok && { v: d.advert.version, prio: d.advert.priority, vips: d.advert.addresses.map(bytesToIp) }).toEqual({
      v: 3,
      prio: 100,
      vips: ['2001:db8::100', '2001:db8::101'],
    });
  });

  it('adds the IPv6 VIPs as keepalived does: /128 by default with preferred_lft 0 (deprecated), /64 preferred forever', async () => {
    const { r, added, clock } = rig();
    r.start();
    for (let i = 0; i < 10 && r.state.state !== 'MASTER'; i++) clock.fire();
    await tick();
    expect(added.map((v) => [v.address, v.prefixLen, v.family, v.preferredLft, v.dev])).toEqual([
      ['2001:db8::100', 128, 'inet6', 0, 'eth0'],
      ['2001:db8::101', 64, 'inet6', 'forever', 'eth0'],
    ]);
  });

  it('announces each IPv6 VIP with unsolicited NAs: garp_master_repeat at once and again after garp_master_delay, no ARP', async () => {
    const { r, una, garp, clock } = rig(' garp_master_repeat 3\n garp_master_delay 2\n');
    r.start();
    for (let i = 0; i < 10 && r.state.state !== 'MASTER'; i++) clock.fire();
    await tick();
    expect(una).toEqual(Array(3).fill(['2001:db8::100', '2001:db8::101']).flat());
    expect(r.stats.unaTx).toBe(6);
    const becameMasterAt = clock.t;
    // Advert timers and the delayed burst share the clock: run it 2 s on.
    while (clock.t < becameMasterAt + 2000) clock.fire();
    await tick();
    expect(una.length).toBe(12);
    expect(garp).toEqual([]);
  });

  it('multicast adverts must arrive with hop limit 255; unicast ones need not (keepalived skips the check)', () => {
    const { r, inject } = rig();
    r.start();
    inject(200, { ttl: 254 });
    expect(r.stats.drops.ttl).toBe(1);
    expect(r.stats.advertRx).toBe(0);
    inject(200, { ttl: 64, unicast: true, dstText: ME });
    expect(r.stats.advertRx).toBe(1);
    inject(200);
    expect(r.stats.advertRx).toBe(2);
  });

  it('checks the v3 checksum against the destination the packet really had', () => {
    const { r, inject } = rig();
    r.start();
    // Checksummed for ff02::12 but delivered (says IPV6_PKTINFO) to another address: the pseudo-header differs.
    inject(200, { dst: ipToBytes('ff02::1') });
    expect(r.stats.drops.checksum).toBe(1);
  });

  it('a MASTER hearing a higher priority over IPv6 steps down to BACKUP', () => {
    const { r, clock, inject } = rig();
    r.start();
    for (let i = 0; i < 10 && r.state.state !== 'MASTER'; i++) clock.fire();
    expect(r.state.state).toBe('MASTER');
    inject(200);
    expect(r.state.state).toBe('BACKUP');
  });
});
