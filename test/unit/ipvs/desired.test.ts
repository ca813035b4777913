/**
 * desiredTable(): keepalived.conf text, through the real parser and validator, to the IPVS table
 * keepalived 2.2.7 programs (ipvswrapper.c, ipwrapper.c). desired-keepalived.test.ts compares a whole
 * configuration with what keepalived itself programmed in the VM lab.
 */
import { describe, expect, it } from 'vitest';
import {
  desiredTable,
  desiredTimeouts,
  entryLocations,
  healthFingerprint,
  healthView,
  initialHealth,
  quorumAfter,
  realServerId,
  realWeight,
  virtualServerIds,
  type HealthState,
  type HealthView,
} from '../../../src/ipvs/desired.js';
import { FWD, SVC_F, TUN_FLAG, TUN_TYPE, type IpvsTable } from '../../../src/ipvs/types.js';
import { load, rs, STD, vs } from '../config/helpers.js';

function build(text: string, health?: HealthView) {
  const r = load(text);
  return { ...desiredTable(r.lvs, health), lvs: r.lvs };
}
const table = (text: string, health?: HealthView): IpvsTable => build(text, health).table;
const only = (t: IpvsTable) => {
  expect(t.size).toBe(1);
  return [...t.values()][0]!;
};
/** `address:port/weight` of each destination. */
const dests = (t: IpvsTable, key?: string) => [...(key ? t.get(key)! : only(t)).dests.values()].map((d) => `${d.address}:${d.port}/${d.weight}`);
const empty = (): HealthState => ({ up: new Map(), weight: new Map(), quorumUp: new Map() });
/** Health with the real servers of the first virtual server at `addresses` down. */
function down(text: string, ...addresses: string[]): HealthView {
  const { lvs } = build(text);
  const s = empty();
  const [id] = virtualServerIds(lvs);
  for (const r of lvs.virtualServers[0]!.realServers) if (addresses.includes(r.address)) s.up.set(realServerId(id!, r), false);
  return healthView(s);
}

describe('desiredTable: services', () => {
  it('NAT service: MASQ destinations with their weight (0 included) and thresholds', () => {
    const t = table(vs(`${STD}${rs('  weight 3\n  uthreshold 100\n  lthreshold 10')}\n${rs('  weight 0', '203.0.113.12 8080')}`));
    expect([...t.keys()]).toEqual(['tcp|inet|192.0.2.1|80']);
    const e = only(t);
    expect(e.service).toEqual({ af: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff });
    expect([...e.dests.values()]).toEqual([
      { af: 'inet', address: '203.0.113.11', port: 80, fwd: FWD.MASQ, weight: 3, uThreshold: 100, lThreshold: 10, tunType: 0, tunPort: 0, tunFlags: 0 },
      { af: 'inet', address: '203.0.113.12', port: 8080, fwd: FWD.MASQ, weight: 0, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 },
    ]);
  });

  it('persistence: PERSISTENT, timeout, IPv4 granularity as a u32 mask, engine only when persistent', () => {
    const e = only(table(vs(`${STD}  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n  persistence_engine sip\n${rs()}`)));
    expect(e.service).toMatchObject({ timeoutS: 600, netmask: 0xffffff00, flags: SVC_F.PERSISTENT, peName: 'sip' });
    const noTimeout = only(table(vs(`${STD}  persistence_engine sip\n${rs()}`)));
    expect(noTimeout.service).toMatchObject({ flags: 0, timeoutS: 0 });
    expect(noTimeout.service.peName).toBeUndefined();
    // persistence_granularity alone implies keepalived's default timeout (360 s).
    expect(only(table(vs(`${STD}  persistence_granularity 255.255.0.0\n${rs()}`))).service).toMatchObject({ timeoutS: 360, netmask: 0xffff0000 });
  });

  it('IPv6: prefix-length granularity (128 by default), addresses in RFC 5952 form', () => {
    const t = table(vs(`${STD}  persistence_timeout 30\n  persistence_granularity 64\n${rs('', '2001:DB8:0:0::0011 80')}`, '2001:db8:0:0:0:0:0:100 80'));
    expect([...t.keys()]).toEqual(['tcp|inet6|2001:db8::100|80']);
    expect(only(t).service).toMatchObject({ af: 'inet6', netmask: 64 });
    expect(dests(t)).toEqual(['2001:db8::11:80/1']);
    expect(only(table(vs(`${STD}${rs('', '2001:db8::11 80')}`, '2001:db8::100 80'))).service.netmask).toBe(128);
  });

  it('scheduler flags: ops (UDP only), sh-/mh-fallback = SCHED1, sh-/mh-port = SCHED2, flag-1..3', () => {
    const udp = '  lb_kind DR\n  protocol UDP\n';
    expect(only(table(vs(`  lb_algo sh\n  sh-port\n  sh-fallback\n  ops\n${udp}${rs()}`))).service.flags).toBe(SVC_F.ONEPACKET | SVC_F.SCHED1 | SVC_F.SCHED2);
    expect(only(table(vs(`  lb_algo mh\n  mh-fallback\n${udp}${rs()}`))).service.flags).toBe(SVC_F.SCHED1);
    expect(only(table(vs(`  lb_algo mh\n  mh-port\n${udp}${rs()}`))).service.flags).toBe(SVC_F.SCHED2);
    expect(only(table(vs(`  lb_algo rr\n  flag-1\n  flag-2\n  flag-3\n${udp}${rs()}`))).service.flags).toBe(SVC_F.SCHED1 | SVC_F.SCHED2 | SVC_F.SCHED3);
    // keepalived resets ops on a TCP service ("one packet scheduling requires UDP").
    expect(only(table(vs(`${STD}  ops\n${rs()}`))).service.flags).toBe(0);
  });

  it('forwarding: DR, TUN with ipip by default, gue with port and checksum, gre', () => {
    const e = only(
      table(
        vs(
          `  lb_algo wrr\n  protocol TCP\n  lvs_method TUN type gue port 6080 csum\n${rs()}\n${rs('  lvs_method TUN', '203.0.113.12 80')}\n` +
            `${rs('  lvs_method TUN type gre csum', '203.0.113.13 80')}\n${rs('  lvs_method DR', '203.0.113.14 80')}`,
        ),
      ),
    );
    expect([...e.dests.values()].map(({ fwd, tunType, tunPort, tunFlags }) => [fwd, tunType, tunPort, tunFlags])).toEqual([
      [FWD.TUNNEL, TUN_TYPE.GUE, 6080, TUN_FLAG.CSUM],
      [FWD.TUNNEL, TUN_TYPE.IPIP, 0, TUN_FLAG.NOCSUM],
      [FWD.TUNNEL, TUN_TYPE.GRE, 0, TUN_FLAG.CSUM],
      [FWD.DROUTE, 0, 0, 0],
    ]);
  });

  it('fwmark services: no protocol, DR/TUN destinations on port 0, NAT ones keep their port', () => {
    const t = table(vs(`  lb_algo wlc\n  protocol TCP\n${rs('  lvs_method DR')}\n${rs('  lvs_method NAT', '203.0.113.12 8080')}`, 'fwmark 7'));
    expect(only(t).service).toEqual({ af: 'inet', fwmark: 7, scheduler: 'wlc', flags: 0, timeoutS: 0, netmask: 0xffffffff });
    expect(dests(t)).toEqual(['203.0.113.11:0/1', '203.0.113.12:8080/1']);
  });

  it('an IPv6 fwmark service may have IPv4 tunnelled real servers (IPVS_DEST_ATTR_ADDR_FAMILY)', () => {
    const t = table(vs(`  ip_family inet6\n  lb_algo rr\n  lb_kind TUN\n${rs('', '203.0.113.11 0')}`, 'fwmark 14'));
    expect(only(t).service).toMatchObject({ af: 'inet6', fwmark: 14, netmask: 128 });
    expect(only(t).dests.get('inet|203.0.113.11|0')).toMatchObject({ af: 'inet', fwd: FWD.TUNNEL });
  });

  it('a virtual server without real servers is not programmed, sorry server or not ("has no real servers - ignoring")', () => {
    expect(table(vs(`${STD}  sorry_server 203.0.113.20 80`)).size).toBe(0);
  });
});

describe('desiredTable: virtual_server_group', () => {
  const grp = (entries: string, body: string, name = 'G') => `virtual_server_group ${name} {\n${entries}\n}\n${vs(body, `group ${name}`)}`;

  it('one service per range address and per fwmark; DR takes the entry port, NAT keeps its own (0 when none)', () => {
    const t = table(
      grp(
        '  192.0.2.200-201 80\n  192.0.2.210 81\n  fwmark 9',
        `  lb_algo lc\n  protocol TCP\n${rs('  lvs_method DR', '203.0.113.11')}\n${rs('  lvs_method NAT', '203.0.113.12')}`,
      ),
    );
    expect([...t.keys()]).toEqual(['tcp|inet|192.0.2.200|80', 'tcp|inet|192.0.2.201|80', 'tcp|inet|192.0.2.210|81', 'fwm|inet|9']);
    expect(dests(t, 'tcp|inet|192.0.2.210|81')).toEqual(['203.0.113.11:81/1', '203.0.113.12:0/1']);
    expect(dests(t, 'fwm|inet|9')).toEqual(['203.0.113.11:0/1', '203.0.113.12:0/1']);
  });

  it("masks expand; fwmark entries take their family, else the virtual server's", () => {
    const t = table(grp('  2001:db8::/126 80\n  fwmark 5\n  fwmark 6 inet6', `${STD}${rs('', '2001:db8:1::11 80')}`));
    expect([...t.keys()]).toEqual([
      'tcp|inet6|2001:db8::|80',
      'tcp|inet6|2001:db8::1|80',
      'tcp|inet6|2001:db8::2|80',
      'tcp|inet6|2001:db8::3|80',
      'fwm|inet6|5',
      'fwm|inet6|6',
    ]);
  });

  it('persistence_granularity is ignored for group services, as keepalived 2.2.7 does (and said)', () => {
    const r = build(grp('  192.0.2.200 80', `${STD}  persistence_timeout 60\n  persistence_granularity 255.255.255.0\n${rs()}`));
    expect(only(r.table).service).toMatchObject({ flags: SVC_F.PERSISTENT, timeoutS: 60, netmask: 0xffffffff });
    expect(r.problems).toEqual([expect.stringMatching(/ignores persistence_granularity for group services/)]);
  });

  it('two virtual servers sharing a group: one service per protocol; with one protocol the first one wins and dests merge', () => {
    const g = 'virtual_server_group G {\n  192.0.2.200 80\n}\n';
    const a = vs(`  lb_algo rr\n  lb_kind DR\n  protocol TCP\n${rs('  weight 3')}`, 'group G');
    const b = (proto: string) => vs(`  lb_algo wlc\n  lb_kind DR\n  protocol ${proto}\n${rs('  weight 5')}\n${rs('', '203.0.113.12 80')}`, 'group G');
    expect([...table(g + a + b('UDP')).keys()]).toEqual(['tcp|inet|192.0.2.200|80', 'udp|inet|192.0.2.200|80']);
    const shared = build(g + a + b('TCP'));
    expect(only(shared.table).service.scheduler).toBe('rr');
    expect(dests(shared.table)).toEqual(['203.0.113.11:80/3', '203.0.113.12:80/1']);
    expect(shared.problems).toEqual([expect.stringMatching(/already defines .*first one's settings are used/)]);
  });

  it('an IPv6 range steps only its last 16 bits, wrapping, as keepalived 2.2.7 does', () => {
    const r = build(grp('  2001:db8::1:fffe-2001:db8::2:1 80', `  lb_algo rr\n  lb_kind TUN\n  protocol TCP\n${rs('', '2001:db8:9::1 80')}`));
    expect([...r.table.values()].map((e) => e.service.address)).toEqual(['2001:db8::1:fffe', '2001:db8::1:ffff', '2001:db8::1:0', '2001:db8::1:1']);
    expect(r.problems).toEqual([expect.stringMatching(/steps only the last 16 bits/)]);
  });

  it('an IPv4 range across octets (keepalived 2.2.7 never finishes it) is programmed whole, with a problem', () => {
    const r = build(grp('  192.0.2.254-192.0.3.1 80', `${STD}${rs()}`));
    expect([...r.table.values()].map((e) => e.service.address)).toEqual(['192.0.2.254', '192.0.2.255', '192.0.3.0', '192.0.3.1']);
    expect(r.problems).toEqual([expect.stringMatching(/never finishes/)]);
  });
});

describe('desiredTable: health, quorum and the sorry server', () => {
  const two = (extra = '', rs1 = '  weight 2', rs2 = '  weight 1') => vs(`${STD}${extra}${rs(rs1)}\n${rs(rs2, '203.0.113.12 80')}`);

  it('a failed real server is removed, or kept at weight 0 with inhibit_on_failure', () => {
    const text = two('', '  weight 2', '  weight 1\n  inhibit_on_failure');
    expect(dests(table(text, down(text, '203.0.113.11')))).toEqual(['203.0.113.12:80/1']);
    expect(dests(table(text, down(text, '203.0.113.12')))).toEqual(['203.0.113.11:80/2', '203.0.113.12:80/0']);
  });

  it('quorum lost with a sorry server: the sorry server in at weight 1, alive real servers out (inhibited at 0)', () => {
    const text = two('  quorum 3\n  sorry_server 203.0.113.20 80\n', '  weight 2', '  weight 1\n  inhibit_on_failure');
    expect(dests(table(text))).toEqual(['203.0.113.11:80/2', '203.0.113.12:80/1']);
    expect(dests(table(text, down(text, '203.0.113.12')))).toEqual(['203.0.113.12:80/0', '203.0.113.20:80/1']);
    // Without a sorry server losing quorum changes nothing in the table.
    const bare = two('  quorum 3\n');
    expect(dests(table(bare, down(bare, '203.0.113.12')))).toEqual(['203.0.113.11:80/2']);
  });

  it('healthFingerprint: what the table reads of the health; equal fingerprints, equal tables', () => {
    const text = two('  quorum 3\n  sorry_server 203.0.113.20 80\n', '  weight 2', '  weight 1');
    const { lvs } = build(text);
    const fp = (h?: HealthView) => healthFingerprint(lvs, h ?? healthView(empty()));
    expect(fp()).toEqual([2, 1, 1]); // weights, then the sorry server's quorum (3 <= 2 + 1: up)
    expect(fp(healthView(initialHealth(lvs)))).toEqual(fp());
    expect(fp(down(text, '203.0.113.12'))).toEqual([2, -1, 0]); // down, and quorum lost
    const heavier = empty();
    heavier.weight.set(realServerId(virtualServerIds(lvs)[0]!, lvs.virtualServers[0]!.realServers[1]!), 5);
    expect(fp(healthView(heavier))).toEqual([2, 5, 1]);
    // The quorum as the checkers track it (hysteresis) wins over the one derived at start.
    const held = empty();
    held.quorumUp.set(virtualServerIds(lvs)[0]!, false);
    expect(fp(healthView(held))).toEqual([2, 1, 0]);
    expect(dests(table(text, healthView(held)))).toEqual(['203.0.113.20:80/1']);
  });

  it('entryLocations: the file:line of each service and destination', () => {
    const { lvs } = build(two());
    const at = entryLocations(lvs);
    const vsLoc = lvs.virtualServers[0]!.loc;
    const rsLoc = lvs.virtualServers[0]!.realServers[1]!.loc;
    expect(at.get('tcp|inet|192.0.2.1|80')).toBe(`${vsLoc.file}:${vsLoc.line}`);
    expect(at.get('tcp|inet|192.0.2.1|80>inet|203.0.113.12|80')).toBe(`${rsLoc.file}:${rsLoc.line}`);
  });

  it('sorry_server_inhibit keeps the sorry server at weight 0 while quorum holds', () => {
    expect(dests(table(two('  sorry_server 203.0.113.20 80\n  sorry_server_inhibit\n')))).toEqual([
      '203.0.113.11:80/2',
      '203.0.113.12:80/1',
      '203.0.113.20:80/0',
    ]);
  });

  it('a NAT sorry server without a port is sent port 0; a DR one takes the service port', () => {
    const all = (text: string) => table(text, { isUp: () => false });
    expect(dests(all(two('  sorry_server 203.0.113.20\n')))).toEqual(['203.0.113.20:0/1']);
    expect(dests(all(two('  sorry_server 203.0.113.20\n  sorry_server_lvs_method DR\n')))).toEqual(['203.0.113.20:80/1']);
  });

  it('a sorry server equal to a real server takes its entry when quorum is lost', () => {
    const text = vs(`  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  quorum 2\n  sorry_server 203.0.113.12 80\n${rs()}\n${rs('  weight 4', '203.0.113.12 80')}`);
    expect(dests(table(text))).toEqual(['203.0.113.11:80/1', '203.0.113.12:80/4']);
    expect(dests(table(text, down(text, '203.0.113.12')))).toEqual(['203.0.113.12:80/1']);
  });

  it('real servers of weight 0 only: quorum 0 with hysteresis 2^32-1 never holds, so the sorry server is in', () => {
    expect(dests(table(vs(`${STD}  sorry_server 203.0.113.20 80\n${rs('  weight 0')}`)))).toEqual(['203.0.113.20:80/1']);
    expect(dests(table(vs(`${STD}${rs('  weight 0')}`)))).toEqual(['203.0.113.11:80/0']);
  });

  it('effective weights from the checkers are clamped (real_weight); a tracked quorum state is used as it is (hysteresis)', () => {
    const text = two('  quorum 3\n  hysteresis 1\n  sorry_server 203.0.113.20 80\n');
    const { lvs } = build(text);
    const [vsId] = virtualServerIds(lvs);
    const s = empty();
    s.weight.set(realServerId(vsId!, lvs.virtualServers[0]!.realServers[0]!), -5);
    s.weight.set(realServerId(vsId!, lvs.virtualServers[0]!.realServers[1]!), 2 ** 40);
    s.quorumUp.set(vsId!, true);
    expect(dests(table(text, healthView(s)))).toEqual(['203.0.113.11:80/0', `203.0.113.12:80/${2 ** 31 - 1}`]);
    s.quorumUp.set(vsId!, false);
    expect(dests(table(text, healthView(s)))).toEqual(['203.0.113.20:80/1']);
  });

  it('a real server the kernel would refuse (lthreshold > uthreshold: ERANGE) is left out with a problem', () => {
    const r = build(vs(`${STD}${rs('  lthreshold 10')}\n${rs('  uthreshold 10\n  lthreshold 5', '203.0.113.12 80')}`));
    expect(dests(r.table)).toEqual(['203.0.113.12:80/1']);
    expect(r.problems).toEqual([expect.stringMatching(/^real server 203\.0\.113\.11 .*ERANGE/)]);
  });
});

describe('health helpers', () => {
  it('initialHealth: a real server with an alpha checker starts down; alpha without checkers is up', () => {
    const text = vs(`${STD}  alpha\n${rs('    TCP_CHECK {\n      connect_port 80\n    }')}\n${rs('', '203.0.113.12 80')}`);
    const { lvs } = build(text);
    const [id] = virtualServerIds(lvs);
    const s = initialHealth(lvs);
    expect([...s.up.entries()]).toEqual([
      [realServerId(id!, lvs.virtualServers[0]!.realServers[0]!), false],
      [realServerId(id!, lvs.virtualServers[0]!.realServers[1]!), true],
    ]);
    expect(dests(table(text, healthView(s)))).toEqual(['203.0.113.12:80/1']);
  });

  it("ids follow keepalived's matching (vs_iseq/rs_iseq), not positions", () => {
    const a = vs(`${STD}${rs()}`);
    const g = `virtual_server_group G {\n  192.0.2.5 80\n}\n${vs(`${STD}${rs()}`, 'group G')}${vs(`${STD}${rs()}`, 'group G')}`;
    const ids = virtualServerIds(build(a + g).lvs);
    expect(ids).toEqual(['tcp|inet|192.0.2.1|80', 'group|G|0', 'group|G|1']);
    expect(virtualServerIds(build(g + a).lvs)).toEqual(['group|G|0', 'group|G|1', 'tcp|inet|192.0.2.1|80']);
    expect(realServerId(ids[0]!, { family: 'inet6', address: '2001:DB8::0:1', port: 80 })).toBe('tcp|inet|192.0.2.1|80>inet6|2001:db8::1|80');
  });

  it('quorumAfter: up at quorum + hysteresis, down below quorum - hysteresis or at 0; start counts as down', () => {
    const q = { quorum: 5, hysteresis: 2 };
    expect([6, 7].map((w) => quorumAfter(q, w, undefined))).toEqual([false, true]);
    expect([6, 7].map((w) => quorumAfter(q, w, false))).toEqual([false, true]);
    expect([3, 2].map((w) => quorumAfter(q, w, true))).toEqual([true, false]);
    expect(quorumAfter({ quorum: 0, hysteresis: 4294967295 }, 0, true)).toBe(false);
    expect(quorumAfter({ quorum: 0, hysteresis: 4294967295 }, 100, undefined)).toBe(false);
  });

  it('realWeight clamps to 0..INT32_MAX; desiredTimeouts is undefined unless one is set', () => {
    expect([-1, 0, 7, 2 ** 33].map(realWeight)).toEqual([0, 0, 7, 2147483647]);
    expect(desiredTimeouts({})).toBeUndefined();
    expect(desiredTimeouts({ tcpS: 0 })).toBeUndefined();
    expect(desiredTimeouts({ tcpFinS: 30 })).toEqual({ tcp: 0, tcpFin: 30, udp: 0 });
    expect(desiredTimeouts(load('global_defs {\n  lvs_timeouts tcp 900 tcpfin 60 udp 300\n}\n').global.lvsTimeouts)).toEqual({
      tcp: 900,
      tcpFin: 60,
      udp: 300,
    });
  });
});
