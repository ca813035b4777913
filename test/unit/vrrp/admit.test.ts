/**
 * Unit tests, VRRP layer: the unicast receive rules (admit.ts) and the runner applying them to IPv4
 * adverts on a fake transport: TTL 255 for multicast only, check_unicast_src, per-peer min_ttl/max_ttl,
 * as keepalived 2.2.7 behaves (observed between namespaces: a unicast advert routed once, TTL 254, is
 * accepted; "TTL/HL 254 not in range 255 - 255" with min_ttl 255; "not a unicast peer" otherwise).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, permissiveEnv } from '../../../src/config/index.js';
import { ipToBytes } from '../../../src/net/ip.js';
import { admitSource, isMulticastAddr, peerPolicy, skipsTtlCheck } from '../../../src/vrrp/admit.js';
import { VrrpRunner } from '../../../src/vrrp/instance.js';
import type { Clock } from '../../../src/util/clock.js';
import { encode } from '../../../src/vrrp/packet.js';
import type { RxMeta, VrrpTransport } from '../../../src/vrrp/transport.js';
import { memFs } from '../../helpers/memfs.js';
import { noPeerFault } from '../../../src/vrrp/tracker-priority.js';

function load(text: string) {
  const r = loadConfig('/k.conf', { env: permissiveEnv, fs: memFs({ '/k.conf': text }), configId: null });
  return r.config.vrrp.instances[0]!;
}

const ME = '198.51.100.1';
const PEER = '192.0.2.9';
const OTHER = '192.0.2.8';

function instance(unicast: string, top = '', version = 3) {
  return load(
    `${top}vrrp_instance V {\n interface eth0\n state BACKUP\n virtual_router_id 7\n priority 100\n version ${version}\n${unicast} virtual_ipaddress {\n  203.0.113.10/32\n }\n}\n`,
  );
}

const peersOf = (extra = '') => ` unicast_src_ip ${ME}\n unicast_peer {\n  ${PEER}${extra}\n }\n`;

describe('admit.ts', () => {
  it('multicast addresses: 224.0.0.0/4 and ff00::/8', () => {
    expect(['224.0.0.18', '239.255.255.255', '192.0.2.1', '223.255.255.255', 'ff02::12', 'fe80::1'].map((a) => isMulticastAddr(ipToBytes(a)))).toEqual([
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
  });

  it('the TTL 255 check is skipped only for a unicast instance receiving a unicast-addressed advert', () => {
    const uni = peerPolicy(instance(peersOf()));
    const multi = peerPolicy(instance(''));
    expect([
      skipsTtlCheck(uni, ipToBytes(ME)),
      skipsTtlCheck(uni, ipToBytes('224.0.0.18')),
      skipsTtlCheck(multi, ipToBytes(ME)),
      skipsTtlCheck(multi, ipToBytes('224.0.0.18')),
    ]).toEqual([true, false, false, false]);
  });

  it('check_unicast_src: off by default; on with the keyword, the global vrrp_check_unicast_src, or min_ttl/max_ttl', () => {
    expect(peerPolicy(instance(peersOf())).checkSource).toBe(false);
    expect(peerPolicy(instance(peersOf() + ' check_unicast_src\n')).checkSource).toBe(true);
    expect(peerPolicy(instance(peersOf(), 'global_defs {\n vrrp_check_unicast_src\n}\n')).checkSource).toBe(true);
    expect(peerPolicy(instance(peersOf(' min_ttl 250'))).checkSource).toBe(true);
    // Without unicast peers there is nothing to check against.
    expect(peerPolicy(instance('', 'global_defs {\n vrrp_check_unicast_src\n}\n')).checkSource).toBe(false);
  });

  it.each([
    { peer: '', src: PEER, ttl: 1, ok: true },
    { peer: '', src: OTHER, ttl: 255, ok: false, why: `unicast source address ${OTHER} not a unicast peer`, reason: 'source' },
    { peer: ' min_ttl 254', src: PEER, ttl: 254, ok: true },
    { peer: ' min_ttl 255', src: PEER, ttl: 254, ok: false, why: 'TTL/HL 254 not in range 255 - 255', reason: 'ttl' },
    { peer: ' max_ttl 200', src: PEER, ttl: 201, ok: false, why: 'TTL/HL 201 not in range 0 - 200', reason: 'ttl' },
    { peer: ' min_ttl 100 max_ttl 200', src: PEER, ttl: 200, ok: true },
  ])('peer "$peer", advert from $src with TTL $ttl: ok=$ok', ({ peer, src, ttl, ok, why, reason }) => {
    const p = peerPolicy(instance(peersOf(peer) + ' check_unicast_src\n'));
    const r = admitSource(p, ipToBytes(src), ttl);
    expect(r).toEqual(ok ? { ok: true } : { ok: false, reason, why });
  });

  it('unicast_fault_no_peer: FAULT only when a unicast keyword is given, the flag is set and no peer is', () => {
    expect(noPeerFault(instance(` unicast_src_ip ${ME}\n unicast_fault_no_peer\n`))).toBe(true);
    expect(noPeerFault(instance(peersOf() + ' unicast_fault_no_peer\n'))).toBe(false);
    // Without the flag keepalived falls back to multicast (with a deprecation warning).
    expect(noPeerFault(instance(` unicast_src_ip ${ME}\n`))).toBe(false);
  });

  it('without check_unicast_src any source is admitted', () => {
    expect(admitSource(peerPolicy(instance(peersOf())), ipToBytes(OTHER), 3)).toEqual({ ok: true });
  });
});

function fakeClock(): Clock & { fire(): void } {
  let t = 0;
  const timers: Array<{ at: number; fn: () => void; h: number }> = [];
  let n = 0;
  return {
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

describe('VrrpRunner applying the unicast rules to IPv4 adverts', () => {
  function rig(unicast: string, version: 2 | 3 = 3) {
    const inst = instance(unicast, '', version);
    let rx: ((p: Uint8Array, m: RxMeta) => void) | undefined;
    const dest = inst.unicastPeers[0]?.address ?? '224.0.0.18';
    const transport: VrrpTransport = { destinations: [dest], send: () => {}, onPacket: (cb) => (rx = cb), close: () => {} };
    const debug: string[] = [];
    const r = new VrrpRunner(inst, {
      transport,
      clock: fakeClock(),
      primaryAddress: ME,
      destination: dest,
      peers: peerPolicy(inst),
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {}, debug: (m) => debug.push(m) },
    });
    r.start();
    const inject = (o: { src?: string; dst?: string; ttl: number; vrid?: number }) => {
      const src = ipToBytes(o.src ?? PEER);
      const dst = ipToBytes(o.dst ?? ME);
      const pkt = encode(
        { version, vrid: o.vrid ?? 7, priority: 150, advertIntMs: 1000, addresses: [ipToBytes('203.0.113.10')] },
        { srcAddr: src, dstAddr: dst },
      );
      rx!(pkt, { src, dst, ttl: o.ttl, ...(isMulticastAddr(dst) ? {} : { unicast: true }) });
    };
    return { r, inject, debug };
  }

  it.each([2, 3] as const)('v%i unicast instance: a unicast advert routed once (TTL 254) is accepted; a multicast one with TTL 254 is not', (version) => {
    const { r, inject } = rig(peersOf(), version);
    inject({ ttl: 254 });
    expect(r.stats.advertRx).toBe(1);
    inject({ ttl: 254, dst: '224.0.0.18' });
    expect([r.stats.advertRx, r.stats.drops.ttl]).toEqual([1, 1]);
  });

  it('multicast instance: TTL 254 is dropped as before', () => {
    const { r, inject } = rig('');
    inject({ ttl: 254, dst: '224.0.0.18' });
    inject({ ttl: 254 });
    expect([r.stats.advertRx, r.stats.drops.ttl]).toEqual([0, 2]);
  });

  it("check_unicast_src: an advert from a non-peer is dropped (reason source), with keepalived's words at debug level", () => {
    const { r, inject, debug } = rig(peersOf() + ' check_unicast_src\n');
    inject({ ttl: 254, src: OTHER });
    expect([r.stats.advertRx, r.stats.drops.source]).toEqual([0, 1]);
    expect(debug).toEqual([`(V) unicast source address ${OTHER} not a unicast peer`]);
    // Another VRID from a non-peer is not this instance's business: counted as vrid, not source.
    inject({ ttl: 254, src: OTHER, vrid: 8 });
    expect([r.stats.drops.vrid, r.stats.drops.source]).toEqual([1, 1]);
    inject({ ttl: 254 });
    expect(r.stats.advertRx).toBe(1);
  });

  it("min_ttl/max_ttl: outside the peer's range counts as a TTL drop; inside is accepted", () => {
    const { r, inject, debug } = rig(peersOf(' min_ttl 254 max_ttl 254'));
    inject({ ttl: 253 });
    inject({ ttl: 255 });
    expect([r.stats.advertRx, r.stats.drops.ttl]).toEqual([0, 2]);
    expect(debug).toEqual(['(V) TTL/HL 253 not in range 254 - 254', '(V) TTL/HL 255 not in range 254 - 254']);
    inject({ ttl: 254 });
    expect(r.stats.advertRx).toBe(1);
  });
});
