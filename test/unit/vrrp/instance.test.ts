/** The instance runner with fake transport, addresses and clock: what it puts on the wire. */
import { describe, expect, it } from 'vitest';
import { loadConfig, permissiveEnv } from '../../../src/config/index.js';
import { ipToBytes } from '../../../src/net/ip.js';
import { AUTH_NONE, decode, encode } from '../../../src/vrrp/packet.js';
import { VrrpRunner } from '../../../src/vrrp/instance.js';
import type { Clock } from '../../../src/util/clock.js';
import { ahKey, buildAhDatagram, verifyAhDatagram } from '../../../src/vrrp/ah.js';
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

describe('VrrpRunner on the wire', () => {
  it('v3 unicast to several peers: every peer gets an advert whose checksum is right for it', () => {
    const inst = instance(
      'vrrp_instance V {\n interface eth0\n state MASTER\n virtual_router_id 7\n priority 200\n version 3\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n',
    );
    const sent: Array<{ to: string; buf: Buffer }> = [];
    const peers = inst.unicastPeers.map((p) => p.address);
    const transport: VrrpTransport = {
      destinations: peers,
      send: (buf, to) => {
        for (const d of to ? [to] : peers) sent.push({ to: d, buf: Buffer.from(buf) });
      },
      onPacket: () => {},
      close: () => {},
    };
    const clock = fakeClock();
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.1',
      destination: peers[0]!,
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

describe('VrrpRunner announcements (keepalived timing)', () => {
  function master(extra: string) {
    const inst = instance(
      `vrrp_instance V {\n interface eth0\n state MASTER\n virtual_router_id 7\n priority 200\n${extra} virtual_ipaddress {\n  192.0.2.100/24\n }\n virtual_ipaddress_excluded {\n  198.51.100.7/32\n }\n}\n`,
    );
    let onPacket: ((p: Uint8Array, m: never) => void) | undefined;
    const transport: VrrpTransport = { destinations: ['224.0.0.18'], send: () => {}, onPacket: (cb) => (onPacket = cb as never), close: () => {} };
    const clock = fakeClock();
    const garps: Array<{ at: number; vip: string }> = [];
    const added: string[] = [];
    const events: string[] = [];
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.1',
      destination: '224.0.0.18',
      addresses: { add: async (v) => void added.push(v.address), remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
      garp: (vip) => garps.push({ at: clock.now(), vip: [...vip].join('.') }),
      onEvent: (e, p) => events.push(`${e} ${p}`),
    });
    r.start();
    return {
      r,
      clock,
      garps,
      added,
      events,
      rx: (prio: number) => onPacket!(encodeAdvert(prio), { src: ipToBytes('192.0.2.2'), dst: ipToBytes('224.0.0.18'), ttl: 255 } as never),
    };
  }
  const encodeAdvert = (priority: number) =>
    encode(
      { version: 2, vrid: 7, priority, advertIntMs: 1000, authType: AUTH_NONE, addresses: [ipToBytes('192.0.2.100')] },
      { srcAddr: ipToBytes('192.0.2.2'), dstAddr: ipToBytes('224.0.0.18') },
    );
  const flush = () => new Promise((r) => setTimeout(r, 0));
  const runUntil = async (clock: ReturnType<typeof fakeClock>, ms: number) => {
    for (let i = 0; i < 10_000 && clock.now() < ms; i++) {
      clock.fire();
      await flush();
    }
  };

  it('bursts garp_master_repeat at once and after garp_master_delay, then refreshes every garp_master_refresh', async () => {
    const m = master(' garp_master_repeat 2\n garp_master_delay 3\n garp_master_refresh 10\n garp_master_refresh_repeat 1\n');
    await runUntil(m.clock, 25_000);
    // virtual_ipaddress_excluded is held and announced with the state, though not in the adverts.
    expect(m.added.sort()).toEqual(['192.0.2.100', '198.51.100.7']);
    expect(m.garps.filter((g) => g.vip === '198.51.100.7').length).toBe(m.garps.filter((g) => g.vip === '192.0.2.100').length);
    const at = m.garps.filter((g) => g.vip === '192.0.2.100').map((g) => Math.round(g.at));
    const becameMaster = at[0]!;
    expect(at.slice(0, 2)).toEqual([becameMaster, becameMaster]);
    expect(at.slice(2, 4)).toEqual([becameMaster + 3000, becameMaster + 3000]);
    expect(at.slice(4, 6)).toEqual([becameMaster + 10_000, becameMaster + 20_000]);
  });

  it('a MASTER hearing a lower priority re-announces (garp_lower_prio_repeat, again after the delay) and reports MASTER_RX_LOWER_PRI', async () => {
    const m = master(' garp_master_delay 0\n garp_lower_prio_repeat 3\n garp_lower_prio_delay 2\n');
    await runUntil(m.clock, 2000);
    expect(m.r.state.state).toBe('MASTER');
    const vipGarps = () => m.garps.filter((g) => g.vip === '192.0.2.100').length;
    const before = vipGarps();
    m.rx(100);
    await flush();
    expect(m.events).toEqual(['MASTER_RX_LOWER_PRI 200']);
    expect(vipGarps() - before).toBe(3);
    await runUntil(m.clock, m.clock.now() + 2001);
    expect(vipGarps() - before).toBe(6);
  });
});

describe('VrrpRunner with auth_type AH (whole IPv4 datagrams through the transport)', () => {
  // keepalived 2.2.7's first two adverts as MASTER 192.0.2.1, priority 150 (see test/unit/vrrp/ah.test.ts).
  const KA_SEQ1 = Buffer.from(
    '45c0004000010000ff3318b6c0000201e000001270040000c000020100000001dbf63c07114bcf7ec73aeafa2133960102018465c00002640000000000000000',
    'hex',
  );
  const KA_SEQ2 = Buffer.from(
    '45c0004000020000ff3318b5c0000201e000001270040000c0000201000000022d9b568de9e218e97945af402133960102018465c00002640000000000000000',
    'hex',
  );
  const text = (prio: number, pass = 's3cret') =>
    `vrrp_instance V {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n advert_int 1\n authentication {\n  auth_type AH\n  auth_pass ${pass}\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`;
  function runner(prio: number, pass?: string) {
    const inst = instance(text(prio, pass));
    const sent: Buffer[] = [];
    let onPacket: ((p: Uint8Array, m: never) => void) | undefined;
    const transport: VrrpTransport = {
      destinations: ['224.0.0.18'],
      send: (b) => void sent.push(Buffer.from(b)),
      onPacket: (cb) => (onPacket = cb as never),
      close: () => {},
    };
    const clock = fakeClock();
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.2',
      destination: '224.0.0.18',
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
    });
    const rx = (d: Buffer) => onPacket!(d, { src: d.subarray(12, 16), dst: d.subarray(16, 20), ttl: d[8]! } as never);
    return { r, sent, clock, rx };
  }
  const seqOf = (d: Buffer) => d.readUInt32BE(28);

  it('sends protocol 51 datagrams that verify with auth_pass: SPI = its address, sequence and IP ID from 1', () => {
    const { r, sent, clock } = runner(150);
    r.start();
    for (let i = 0; i < 10 && sent.length < 3; i++) clock.fire();
    expect(r.state.state).toBe('MASTER');
    expect(sent.map(seqOf)).toEqual([1, 2, 3]);
    expect(sent.map((d) => d.readUInt16BE(4))).toEqual([1, 2, 3]);
    for (const d of sent) {
      expect(verifyAhDatagram(d, ahKey('s3cret'))).toBe(true);
      expect({ proto: d[9], ttl: d[8], spi: d.readUInt32BE(24).toString(16), vrrpAuthType: d[44 + 4] }).toEqual({
        proto: 51,
        ttl: 255,
        spi: 'c0000202',
        vrrpAuthType: 2,
      });
    }
  });

  it("takes keepalived's adverts (BACKUP), drops a replay (ahSequence) and another key (authMismatch), then goes on from its sequence", () => {
    const { r, sent, clock, rx } = runner(100);
    r.start();
    rx(KA_SEQ1);
    rx(KA_SEQ2);
    rx(KA_SEQ2);
    rx(
      buildAhDatagram({
        src: ipToBytes('192.0.2.1'),
        dst: ipToBytes('224.0.0.18'),
        ipId: 3,
        seq: 3,
        ttl: 255,
        key: ahKey('other'),
        vrrp: KA_SEQ1.subarray(44),
      }),
    );
    expect({ rx: r.stats.advertRx, seq: r.stats.drops.ahSequence, key: r.stats.drops.authMismatch, state: r.state.state }).toEqual({
      rx: 2,
      seq: 1,
      key: 1,
      state: 'BACKUP',
    });
    for (let i = 0; i < 10 && sent.length === 0; i++) clock.fire();
    expect(r.state.state).toBe('MASTER');
    expect(seqOf(sent[0]!)).toBe(3);
  });

  it("unicast peers: one datagram each with the round's sequence number and IP ID, the TTL left out of the ICV", () => {
    const inst = instance(text(150).replace(' advert_int 1\n', ' advert_int 1\n unicast_src_ip 192.0.2.2\n unicast_peer {\n  192.0.2.1\n  192.0.2.9\n }\n'));
    const sent: Array<{ to: string; d: Buffer }> = [];
    const peers = inst.unicastPeers.map((p) => p.address);
    const transport: VrrpTransport = {
      destinations: peers,
      send: (b, to) => void sent.push({ to: to!, d: Buffer.from(b) }),
      onPacket: () => {},
      close: () => {},
    };
    const clock = fakeClock();
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.2',
      destination: peers[0]!,
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
    });
    r.start();
    for (let i = 0; i < 10 && sent.length < 4; i++) clock.fire();
    expect(sent.map((s) => `${s.to} id ${s.d.readUInt16BE(4)} seq ${seqOf(s.d)}`)).toEqual([
      '192.0.2.1 id 1 seq 1',
      '192.0.2.9 id 1 seq 1',
      '192.0.2.1 id 2 seq 2',
      '192.0.2.9 id 2 seq 2',
    ]);
    for (const s of sent) {
      expect([...s.d.subarray(16, 20)].join('.')).toBe(s.to);
      expect(verifyAhDatagram(s.d, ahKey('s3cret'), true)).toBe(true);
    }
  });

  it('a MASTER answering a lower priority skips one number, as keepalived; a reload keeps the counter', () => {
    const { r, sent, clock, rx } = runner(200);
    r.start();
    for (let i = 0; i < 10 && sent.length === 0; i++) clock.fire();
    rx(KA_SEQ2); // priority 150 < 200, sequence 2
    expect(sent.map(seqOf)).toEqual([1, 4]);
    const next = runner(200, 's3cret');
    next.r.resume(r);
    for (let i = 0; i < 10 && next.sent.length === 0; i++) next.clock.fire();
    expect(seqOf(next.sent[0]!)).toBe(5);
  });
});

describe('VrrpRunner after a stalled event loop', () => {
  /** A BACKUP (priority 100) whose clock defers afterPendingIo callbacks until `io()` runs them. */
  function backup() {
    const inst = instance(
      'vrrp_instance V {\n interface eth0\n state BACKUP\n virtual_router_id 7\n priority 100\n advert_int 1\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n',
    );
    let onPacket: ((p: Uint8Array, m: never) => void) | undefined;
    const transport: VrrpTransport = { destinations: ['224.0.0.18'], send: () => {}, onPacket: (cb) => (onPacket = cb as never), close: () => {} };
    const deferred: Array<() => void> = [];
    const clock = { ...fakeClock(), afterPendingIo: (fn: () => void) => void deferred.push(fn) };
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.1',
      destination: '224.0.0.18',
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
    });
    r.start();
    const advert = encode(
      { version: 2, vrid: 7, priority: 150, advertIntMs: 1000, authType: AUTH_NONE, addresses: [ipToBytes('192.0.2.100')] },
      { srcAddr: ipToBytes('192.0.2.2'), dstAddr: ipToBytes('224.0.0.18') },
    );
    return {
      r,
      clock,
      rx: () => onPacket!(advert, { src: ipToBytes('192.0.2.2'), dst: ipToBytes('224.0.0.18'), ttl: 255 } as never),
      io: () => {
        for (const fn of deferred.splice(0)) fn();
      },
    };
  }

  it('a late Master_Down timer waits for the adverts queued meanwhile: one of them keeps the BACKUP a BACKUP', () => {
    const b = backup();
    b.clock.fire(); // the Master_Down timer of the start runs out...
    expect(b.r.state.state).toBe('BACKUP');
    b.rx(); // ...while the MASTER's advert was waiting on the socket
    b.io();
    expect(b.r.state.state).toBe('BACKUP');
    expect(b.r.state.masterDownAtMs).toBeGreaterThan(b.clock.now());
  });

  it('with nothing queued the BACKUP takes over once the pending I/O has been read', () => {
    const b = backup();
    b.clock.fire();
    expect(b.r.state.state).toBe('BACKUP');
    b.io();
    expect(b.r.state.state).toBe('MASTER');
  });
});
