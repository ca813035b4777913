/** The instance runner with fake transport, addresses and clock: what it puts on the wire. */
import { describe, expect, it } from 'vitest';
import { loadConfig, permissiveEnv } from '../../../src/config/index.js';
import { ipToBytes } from '../../../src/net/ip.js';
import { decode } from '../../../src/vrrp/packet.js';
import { VrrpRunner, type Clock } from '../../../src/vrrp/instance.js';
import type { VrrpTransport } from '../../../src/vrrp/transport.js';
import { memFs } from '../../helpers/memfs.js';

function instance(text: string) {
  const r = loadConfig('/k.conf', { env: permissiveEnv, fs: memFs({ '/k.conf': text }), configId: null });
  return r.config.vrrp.instances[0]!;
}

function fakeClock(): Clock & { fire(): void } {
  let t = 0;
  const timers: Array<{ at: number; fn: () => void; h: number }> = [];
  let n = 0;
  return {
    now: () => t,
    setTimeout: (fn, ms) => { const h = ++n; timers.push({ at: t + ms, fn, h }); return h; },
    clearTimeout: (h) => { const i = timers.findIndex((x) => x.h === h); if (i >= 0) timers.splice(i, 1); },
    fire() { timers.sort((a, b) => a.at - b.at); const x = timers.shift(); if (x) { t = x.at; x.fn(); } },
  };
}

describe('VrrpRunner on the wire', () => {
  it('v3 unicast to several peers: every peer gets an advert whose checksum is right for it', () => {
    const inst = instance('vrrp_instance V {\n interface eth0\n state MASTER\n virtual_router_id 7\n priority 200\n version 3\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n');
    const sent: Array<{ to: string; buf: Buffer }> = [];
    const peers = inst.unicastPeers.map((p) => p.address);
    const transport: VrrpTransport = {
      destinations: peers,
      send: (buf, to) => { for (const d of to ? [to] : peers) sent.push({ to: d, buf: Buffer.from(buf) }); },
      onPacket: () => {},
      close: () => {},
    };
    const clock = fakeClock();
    const r = new VrrpRunner(inst, {
      transport, clock, primaryAddress: '192.0.2.1', destination: peers[0]!,
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
    });
    r.start();
    for (let i = 0; i < 5 && sent.length === 0; i++) clock.fire();
    expect(sent.map((s) => s.to)).toEqual(['192.0.2.2', '192.0.2.3']);
    for (const s of sent) {
      const d = decode(s.buf, { family: 4, ttl: 255, srcAddr: ipToBytes('192.0.2.1'), dstAddr: ipToBytes(s.to) } as never);
      expect(d.ok).toBe(true);
    }
  });
});
