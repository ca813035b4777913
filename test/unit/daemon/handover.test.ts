/**
 * The handover state file (pure part): encoding, the checks a file must pass (format, reboot, age, shape),
 * which VRRP instances carry on and in which state, the addresses a MASTER no longer configures, the
 * health IPVS starts from; the runner's handover stop and adopting start with fake transport and addresses;
 * the checkers' carry (a failed real server stays failed, quorum kept).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckerSubsystem, type HealthSink } from '../../../src/check/index.js';
import { loadConfig, permissiveEnv } from '../../../src/config/index.js';
import {
  adoption,
  carriedHealth,
  decodeHandover,
  encodeHandover,
  HANDOVER_MAX_AGE_MS,
  handoverFilePath,
  takeHandoverFile,
  vipsNoLongerConfigured,
  writeHandoverFile,
  type HandoverState,
} from '../../../src/daemon/handover.js';
import { realServerId, virtualServerIds } from '../../../src/ipvs/desired.js';
import type { VipSpec } from '../../../src/net/rtnl.js';
import { VrrpRunner } from '../../../src/vrrp/instance.js';
import type { Clock } from '../../../src/util/clock.js';
import { decode } from '../../../src/vrrp/packet.js';
import { parseAhDatagram } from '../../../src/vrrp/ah.js';
import { ipToBytes } from '../../../src/net/ip.js';
import type { VrrpTransport } from '../../../src/vrrp/transport.js';
import { memFs } from '../../helpers/memfs.js';

const NOW = 1_800_000_000_000;
const BOOT = 'b00t';
const VIP: VipSpec = { address: '192.0.2.100', prefixLen: 24, dev: 'eth0', family: 'inet' };

function state(patch: Partial<HandoverState> = {}): HandoverState {
  return {
    format: 1,
    program: '0.1.0',
    writtenAt: NOW - 1500,
    bootId: BOOT,
    pid: 4242,
    configFile: '/etc/keepalived/keepalived.conf',
    vrrp: { instances: [{ name: 'VI_1', vrid: 51, family: 'inet', interface: 'eth0', state: 'MASTER', priority: 150, vips: [VIP] }] },
    checkers: {
      probes: [{ key: 'k', up: false, failures: 0 }],
      realServers: [{ key: 'r', alive: false, weight: 1 }],
      virtualServers: [{ key: 'v', quorumUp: true }],
    },
    ...patch,
  };
}

function config(text: string) {
  const r = loadConfig('/k.conf', { env: permissiveEnv, fs: memFs({ '/k.conf': text }), configId: null });
  return r.config;
}

const vrrpConf = (extra = '', vid = 51, iface = 'eth0') =>
  `vrrp_instance VI_1 {\n interface ${iface}\n virtual_router_id ${vid}\n priority 150\n${extra} virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`;

describe('handover state file: encoding and checks', () => {
  it('round-trips a state written now', () => {
    const r = decodeHandover(encodeHandover(state()), NOW, BOOT);
    expect(r).toEqual({ ok: true, state: state() });
  });

  it.each([
    ['not JSON', '{"format": 1', /^not JSON/],
    ['not an object', '[1]', /not a JSON object/],
    ['another format', encodeHandover({ ...state(), format: 2 }), /format 2, this program reads format 1/],
    ['a field missing', JSON.stringify({ ...state(), bootId: undefined }), /writtenAt, bootId, pid, program or configFile/],
    ['another boot', encodeHandover({ ...state(), bootId: 'other' }), /before the last reboot/],
    ['too old', encodeHandover({ ...state(), writtenAt: NOW - HANDOVER_MAX_AGE_MS - 1 }), /written 60\.0 s ago \(older than 60 s\)/],
    ['from the future', encodeHandover({ ...state(), writtenAt: NOW + 10_000 }), /10\.0 s in the future/],
    [
      'an unknown state',
      JSON.stringify({ ...state(), vrrp: { instances: [{ ...state().vrrp!.instances[0], state: 'LEADER' }] } }),
      /vrrp\.instances\[0\] is malformed/,
    ],
    [
      'a VIP without its device',
      JSON.stringify({ ...state(), vrrp: { instances: [{ ...state().vrrp!.instances[0], vips: [{ address: '192.0.2.1', prefixLen: 24 }] }] } }),
      /vrrp\.instances\[0\] is malformed/,
    ],
    [
      'a negative AH sequence',
      JSON.stringify({ ...state(), vrrp: { instances: [{ ...state().vrrp!.instances[0], ahSeq: -1 }] } }),
      /vrrp\.instances\[0\] is malformed/,
    ],
    [
      'a checker without its verdict',
      JSON.stringify({ ...state(), checkers: { ...state().checkers, probes: [{ key: 'k', failures: 0 }] } }),
      /checkers\.probes\[0\] is malformed/,
    ],
    [
      'no real server list',
      JSON.stringify({ ...state(), checkers: { probes: [], virtualServers: [] } }),
      /checkers needs probes, realServers and virtualServers lists/,
    ],
  ])('refuses %s, saying why', (_what, text, why) => {
    const r = decodeHandover(text, NOW, BOOT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.why).toMatch(why);
  });

  it('the file is used once: read and removed; a broken one is removed too and reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ho-unit-'));
    try {
      const f = path.join(dir, 'sub', 'handover.json');
      expect(takeHandoverFile(f)).toBeUndefined();
      writeHandoverFile(f, { ...state(), writtenAt: Date.now(), bootId: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() });
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
      expect(takeHandoverFile(f)).toMatchObject({ state: { pid: 4242 } });
      expect(fs.existsSync(f)).toBe(false);
      expect(takeHandoverFile(f)).toBeUndefined();
      fs.writeFileSync(f, 'garbage');
      expect(takeHandoverFile(f)).toMatchObject({ ignored: expect.stringMatching(/^not JSON/) });
      expect(fs.existsSync(f)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lives in the run directory, the namespace one with -s, or where --handover-file says', () => {
    expect(handoverFilePath({})).toBe('/run/tskeepalived/handover.json');
    expect(handoverFilePath({ namespace: 'blue' })).toBe('/run/tskeepalived/blue/handover.json');
    expect(handoverFilePath({ namespace: 'blue', handoverFile: '/x/h.json' })).toBe('/x/h.json');
  });
});

describe('handover state file: what carries on', () => {
  const inst = (text: string) => config(text).vrrp.instances[0]!;

  it('a MASTER or BACKUP matched by name, VRID, family and interface carries on in its state', () => {
    expect(adoption(inst(vrrpConf()), state().vrrp)).toMatchObject({ adopt: 'MASTER' });
    const backup = { instances: [{ ...state().vrrp!.instances[0]!, state: 'BACKUP' as const, vips: [] }] };
    expect(adoption(inst(vrrpConf()), backup)).toMatchObject({ adopt: 'BACKUP' });
    // Other settings may differ (a new priority is advertised at once, as after a reload).
    expect(adoption(inst(vrrpConf(' advert_int 2\n nopreempt\n')), state().vrrp)).toMatchObject({ adopt: 'MASTER' });
  });

  it('anything else starts as usual, saying why', () => {
    expect(adoption(inst(vrrpConf()), undefined)).toEqual({ adopt: undefined, why: 'no handover state' });
    expect(adoption(inst(vrrpConf().replace('VI_1', 'VI_2')), state().vrrp)).toEqual({ adopt: undefined, why: 'not in the handover state' });
    expect(adoption(inst(vrrpConf('', 52)), state().vrrp)).toEqual({
      adopt: undefined,
      why: 'its virtual_router_id, family or interface changed (was 51, inet, eth0)',
    });
    expect(adoption(inst(vrrpConf('', 51, 'eth1')), state().vrrp)).toMatchObject({ adopt: undefined });
    const fault = { instances: [{ ...state().vrrp!.instances[0]!, state: 'FAULT' as const }] };
    expect(adoption(inst(vrrpConf()), fault)).toEqual({ adopt: undefined, why: 'it was in FAULT state' });
  });

  it('the addresses a MASTER held that its new configuration drops are the only ones to remove', () => {
    const other: VipSpec = { ...VIP, address: '192.0.2.101' };
    expect(vipsNoLongerConfigured([VIP, other], [VIP])).toEqual([other]);
    expect(vipsNoLongerConfigured([VIP], [{ ...VIP, prefixLen: 32 }])).toEqual([VIP]);
    expect(vipsNoLongerConfigured([VIP], [VIP])).toEqual([]);
  });

  it('IPVS starts from the recorded health: a failed real server stays out, an unknown one is as at start', () => {
    const cfg = config(
      `virtual_server 192.0.2.10 80 {\n delay_loop 5\n lb_algo rr\n lb_kind NAT\n protocol TCP\n quorum 2\n real_server 10.0.0.1 80 {\n  weight 1\n  TCP_CHECK {\n  }\n }\n real_server 10.0.0.2 80 {\n  weight 3\n  TCP_CHECK {\n  }\n }\n real_server 10.0.0.3 80 {\n  TCP_CHECK {\n   alpha\n  }\n }\n}\n`,
    );
    const vs = virtualServerIds(cfg.lvs)[0]!;
    const [r1, r2, r3] = cfg.lvs.virtualServers[0]!.realServers.map((rs) => realServerId(vs, rs));
    const h = carriedHealth(cfg.lvs, {
      probes: [],
      realServers: [
        { key: r1!, alive: false, weight: 1 },
        { key: r2!, alive: true, weight: 7 },
      ],
      virtualServers: [{ key: vs, quorumUp: false }],
    });
    expect([...h.up]).toEqual([
      [r1, false],
      [r2, true],
      [r3, false],
    ]);
    expect([...h.weight]).toEqual([[r2, 7]]);
    expect([...h.quorumUp]).toEqual([[vs, false]]);
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

describe('the runner across a handover', () => {
  function runner(extra = '') {
    const inst = config(
      `vrrp_instance VI_1 {\n interface eth0\n state MASTER\n virtual_router_id 51\n priority 150\n${extra} virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`,
    ).vrrp.instances[0]!;
    const sent: number[] = [];
    const ops: string[] = [];
    const garps: string[] = [];
    const notified: string[] = [];
    let closed = false;
    const transport: VrrpTransport = {
      destinations: ['224.0.0.18'],
      send: (buf) => {
        const d = decode(buf, { family: 4, ttl: 255, srcAddr: ipToBytes('192.0.2.1'), dstAddr: ipToBytes('224.0.0.18') } as never);
        if (d.ok) sent.push(d.advert.priority);
      },
      onPacket: () => {},
      close: () => {
        closed = true;
      },
    };
    const clock = fakeClock();
    const r = new VrrpRunner(inst, {
      transport,
      clock,
      primaryAddress: '192.0.2.1',
      destination: '224.0.0.18',
      addresses: { add: async (v) => void ops.push(`add ${v.address}`), remove: async (v) => void ops.push(`remove ${v.address}`), close: () => {} },
      log: { info: () => {}, warn: () => {} },
      garp: (vip) => garps.push([...vip].join('.')),
      onNotify: (s) => notified.push(s),
    });
    return { r, sent, ops, garps, notified, clock, closed: () => closed };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('adopting MASTER: an advert at once, the VIP kept (never removed), stale ones removed, a GARP burst, no notify', async () => {
    const x = runner();
    x.r.adopt('MASTER', [{ ...VIP, address: '192.0.2.99' }]);
    await flush();
    expect(x.r.state.state).toBe('MASTER');
    expect(x.sent).toEqual([150]);
    expect(x.ops).toEqual(['add 192.0.2.100', 'remove 192.0.2.99']); // an add of a present address changes nothing
    expect(x.garps.length).toBe(5);
    expect(x.notified).toEqual([]);
    expect(x.r.stats.transitions).toBe(0);
    x.clock.fire();
    expect(x.sent).toEqual([150, 150]);
  });

  it('adopting BACKUP: no advert, no address touched, a whole Master_Down_Interval before taking over', async () => {
    const x = runner();
    x.r.adopt('BACKUP');
    await flush();
    expect(x.r.state.state).toBe('BACKUP');
    expect(x.sent).toEqual([]);
    expect(x.ops).toEqual([]);
    expect(x.r.state.masterDownAtMs).toBeCloseTo(3 * 1000 + ((256 - 150) * 1000) / 256, 6);
  });

  it('the handover stop: one last advert at its priority (no priority 0), nothing removed, no notify, transport closed', async () => {
    const x = runner();
    x.r.adopt('MASTER');
    await flush();
    x.ops.length = 0;
    x.notified.length = 0;
    await x.r.handover();
    expect(x.sent).toEqual([150, 150]);
    expect(x.ops).toEqual([]);
    expect(x.notified).toEqual([]);
    expect(x.closed()).toBe(true);
    for (let i = 0; i < 5; i++) x.clock.fire();
    expect(x.sent).toEqual([150, 150]); // quiet from now on
  });

  it('an ordinary start removes the configured VIPs first (keepalived), then elects', async () => {
    const x = runner();
    x.r.start({ clearVips: true });
    await flush();
    expect(x.ops).toEqual(['remove 192.0.2.100']);
    expect(x.r.state.state).toBe('BACKUP');
  });

  it('auth_type AH: the sequence goes on from the recorded one (a BACKUP drops numbers not above its last)', async () => {
    const inst = config(
      `vrrp_instance VI_1 {\n interface eth0\n state MASTER\n virtual_router_id 51\n priority 150\n authentication {\n  auth_type AH\n  auth_pass s3cret\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`,
    ).vrrp.instances[0]!;
    const seqs: number[] = [];
    const transport: VrrpTransport = {
      destinations: ['224.0.0.18'],
      send: (buf) => {
        const p = parseAhDatagram(buf);
        if (p.ok) seqs.push(p.ah.seq);
      },
      onPacket: () => {},
      close: () => {},
    };
    const r = new VrrpRunner(inst, {
      transport,
      clock: fakeClock(),
      primaryAddress: '192.0.2.1',
      destination: '224.0.0.18',
      addresses: { add: async () => {}, remove: async () => {}, close: () => {} },
      log: { info: () => {}, warn: () => {} },
    });
    r.adopt('MASTER', [], 41);
    await r.handover();
    expect(seqs).toEqual([42, 43]);
    expect(r.ahSequence).toBe(43);
  });

  it('a plain stop still sends priority 0 and removes the VIP', async () => {
    const x = runner();
    x.r.adopt('MASTER');
    await x.r.stop();
    expect(x.sent).toEqual([150, 0]);
    expect(x.ops).toEqual(['add 192.0.2.100', 'remove 192.0.2.100']);
    expect(x.notified).toEqual(['STOP']);
  });
});

describe('the checkers across a handover', () => {
  const text = `virtual_server 192.0.2.10 80 {\n delay_loop 60\n lb_algo rr\n lb_kind NAT\n protocol TCP\n quorum 2\n quorum_down /bin/false\n real_server 127.0.0.1 1 {\n  weight 1\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n real_server 127.0.0.1 2 {\n  weight 1\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n}\n`;
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  it('a real server that had failed starts failed, quorum as it was: the first health pushed to IPVS is the recorded one', async () => {
    const cfg = config(text);
    const pushed: Array<Record<string, boolean>> = [];
    const logs: string[] = [];
    const sink: HealthSink = {
      healthChanged: async (c, h) => {
        const ids = virtualServerIds(c.lvs);
        pushed.push(Object.fromEntries(c.lvs.virtualServers[0]!.realServers.map((rs) => [rs.port, h.isUp(realServerId(ids[0]!, rs))])));
      },
    };
    const first = CheckerSubsystem.start(cfg, sink, quiet);
    await first.stop();
    const rec = first.handoverState();
    expect(rec.probes.map((p) => p.up)).toEqual([true, true]);
    // As if the checks of port 1 had failed before the handover.
    const failed = {
      ...rec,
      probes: rec.probes.map((p, i) => (i === 0 ? { ...p, up: false } : p)),
      realServers: rec.realServers.map((r, i) => (i === 0 ? { ...r, alive: false } : r)),
      virtualServers: rec.virtualServers.map((v) => ({ ...v, quorumUp: false })),
    };
    pushed.length = 0;
    const log = { info: (m: string) => void logs.push(m), warn: (m: string) => void logs.push(m), error: (m: string) => void logs.push(m) };
    const next = CheckerSubsystem.start(cfg, sink, log, CheckerSubsystem.carryFrom(cfg, failed));
    await next.stop();
    expect(pushed[0]).toEqual({ 1: false, 2: true });
    expect(next.snapshot().realServers.map((r) => r.alive)).toEqual([false, true]);
    expect(next.snapshot().virtualServers.map((v) => v.quorumUp)).toEqual([false]);
    // Quorum was already down: no "Lost quorum" line, no quorum_down script run again.
    expect(logs.filter((l) => /quorum/i.test(l))).toEqual([]);
    // A checker whose definition changed: its real server, recorded as failed, still starts failed.
    const changed = config(text.replace('connect_timeout 1\n  }\n }\n real_server 127.0.0.1 2', 'connect_timeout 2\n  }\n }\n real_server 127.0.0.1 2'));
    const again = CheckerSubsystem.start(changed, sink, quiet, CheckerSubsystem.carryFrom(changed, failed));
    await again.stop();
    expect(again.snapshot().realServers.map((r) => r.alive)).toEqual([false, true]);
  });
});
