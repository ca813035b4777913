import { describe, expect, it } from 'vitest';
import { desiredTable, initialHealth } from '../../../src/ipvs/desired.js';
import { FWD, SVC_F, type IpvsTable } from '../../../src/ipvs/types.js';
import { load, rs, STD, vs } from '../config/helpers.js';

function table(text: string, health?: Parameters<typeof desiredTable>[1]): IpvsTable {
  const r = load(text);
  return desiredTable(r.config.lvs, health).table;
}
const only = (t: IpvsTable) => [...t.values()][0]!;

describe('desiredTable: keepalived.conf -> the IPVS table keepalived programs', () => {
  it('NAT service with two real servers: MASQ, weights, thresholds', () => {
    const t = table(vs(`${STD}${rs('  weight 3\n  uthreshold 100\n  lthreshold 10')}\n${rs('  weight 0', '203.0.113.12 8080')}`));
    expect([...t.keys()]).toEqual(['tcp|inet|192.0.2.1|80']);
    const e = only(t);
    expect(e.service).toMatchObject({ scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff });
    expect([...e.dests.values()]).toEqual([
      { af: 'inet', address: '203.0.113.11', port: 80, fwd: FWD.MASQ, weight: 3, uThreshold: 100, lThreshold: 10, tunType: 0, tunPort: 0, tunFlags: 0 },
      { af: 'inet', address: '203.0.113.12', port: 8080, fwd: FWD.MASQ, weight: 0, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 },
    ]);
  });

  it('persistence, granularity, ops and scheduler flags', () => {
    const e = only(table(vs(`  lb_algo sh\n  sh-port\n  sh-fallback\n  ops\n  lb_kind DR\n  protocol UDP\n  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n${rs()}`)));
    expect(e.service).toMatchObject({ protocol: 'udp', timeoutS: 600, netmask: 0xffffff00, flags: SVC_F.PERSISTENT | SVC_F.ONEPACKET | SVC_F.SCHED1 | SVC_F.SCHED2 });
    expect([...e.dests.values()][0]!.fwd).toBe(FWD.DROUTE);
  });

  it('TUN with gue port and checksum; ipip by default', () => {
    const e = only(table(vs(`  lb_algo wrr\n  protocol TCP\n  lvs_method TUN type gue port 6080 csum\n${rs()}\n${rs('  lvs_method TUN', '203.0.113.12 80')}`)));
    const [a, b] = [...e.dests.values()];
    expect(a).toMatchObject({ fwd: FWD.TUNNEL, tunType: 1, tunPort: 6080, tunFlags: 1 });
    expect(b).toMatchObject({ fwd: FWD.TUNNEL, tunType: 0, tunPort: 0, tunFlags: 0 });
  });

  it('a fwmark service puts its real servers on port 0', () => {
    const e = only(table(vs(`  lb_algo wlc\n  lb_kind DR\n${rs()}`, 'fwmark 7')));
    expect(e.service).toMatchObject({ fwmark: 7, af: 'inet' });
    expect([...e.dests.values()][0]!.port).toBe(0);
  });

  it('a virtual_server_group expands ranges and fwmarks into one service each', () => {
    const t = table(`virtual_server_group web {\n  192.0.2.200-202 80\n  fwmark 9\n}\n${vs(`  lb_algo lc\n  lb_kind DR\n  protocol TCP\n${rs()}`, 'group web')}`);
    expect([...t.keys()]).toEqual(['tcp|inet|192.0.2.200|80', 'tcp|inet|192.0.2.201|80', 'tcp|inet|192.0.2.202|80', 'fwm|inet|9']);
    expect([...t.get('fwm|inet|9')!.dests.values()][0]!.port).toBe(0);
  });

  it('IPv6: prefix-length granularity, 128 by default', () => {
    const t = table(vs(`${STD}  persistence_timeout 30\n  persistence_granularity 64\n${rs('', '2001:db8::11 80')}`, '2001:db8::100 80'));
    expect(only(t).service).toMatchObject({ af: 'inet6', netmask: 64 });
    expect(only(table(vs(`${STD}${rs('', '2001:db8::11 80')}`, '2001:db8::100 80'))).service.netmask).toBe(128);
  });

  it('a virtual server without real servers is left out, as keepalived does ("no real servers - ignoring")', () => {
    expect(table(vs(`${STD}  sorry_server 203.0.113.20 80`)).size).toBe(0);
  });

  it('health: a failed real server is removed, or kept at weight 0 with inhibit_on_failure; quorum lost brings the sorry server', () => {
    const text = vs(`${STD}  sorry_server 203.0.113.20 80\n${rs('  weight 2')}\n${rs('  weight 1\n  inhibit_on_failure', '203.0.113.12 80')}`);
    const oneDown = table(text, (_v, r) => r === 0);
    expect([...only(oneDown).dests.values()].map((d) => `${d.address}/${d.weight}`)).toEqual(['203.0.113.11/2', '203.0.113.12/0']);
    const allDown = table(text, () => false);
    expect([...only(allDown).dests.values()].map((d) => `${d.address}/${d.weight}`)).toEqual(['203.0.113.12/0', '203.0.113.20/1']);
  });

  it('initialHealth: alpha real servers start down', () => {
    const r = load(vs(`${STD}  alpha\n${rs()}`));
    expect(initialHealth(r.config.lvs)(0, 0)).toBe(false);
    expect(initialHealth(load(vs(`${STD}${rs()}`)).config.lvs)(0, 0)).toBe(true);
  });
});
