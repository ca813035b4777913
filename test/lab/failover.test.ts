/**
 * The acceptance test in spirit: two LVS-NAT directors running VRRP (a sync group moving the front VIP
 * and the real servers' gateway together) and IPVS; the client's requests through the VIP alternate
 * rs1, rs2; the MASTER director is killed and the BACKUP takes the VIPs and the traffic within the VRRP
 * timers. Run for tskeepalived, and for keepalived as the reference, in the same kernel.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, curlVip, destCount, IN_VM, ipvsAvailable, ns, resetLab, RS, startDaemon, VIP, waitFor, killNetns } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

function director(priority: number, state: 'MASTER' | 'BACKUP'): string {
  return `global_defs {
  router_id d${priority}
}
vrrp_sync_group lvs {
  group {
    front
    back
  }
}
vrrp_instance front {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
vrrp_instance back {
  state ${state}
  interface eth1
  virtual_router_id 52
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    198.51.100.1/24
  }
}
virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight 1
  }
  real_server ${RS.rs2} 80 {
    weight 1
  }
}
`;
}

const hasVip = (d: string) => ns(d, 'ip -4 addr show dev eth0').includes(`${VIP}/32`);

describe.skipIf(!HAVE_IPVS).each(['keepalived', 'tskeepalived'] as const)('two directors with %s: MASTER dies, BACKUP carries the traffic', (kind) => {
  afterAll(() => resetLab());

  it('serves rs1, rs2 alternately before and after the MASTER is killed', async () => {
    buildLab('NAT', 2);
    const d1 = startDaemon(kind, 'd1', director(150, 'MASTER'));
    const d2 = startDaemon(kind, 'd2', director(100, 'BACKUP'));
    await waitFor(() => destCount('d1') === 2 && destCount('d2') === 2, 90_000, `both directors' IPVS tables (d1: ${d1.output()} d2: ${d2.output()})`);
    await waitFor(() => hasVip('d1') && !hasVip('d2'), 30_000, 'd1 to be MASTER');
    const before = curlVip(6);
    expect(new Set(before)).toEqual(new Set(['rs1', 'rs2']));
    expect(before[0]).not.toBe(before[1]);

    // The MASTER machine dies: its links go silent first (a dead box sends no priority-0 advert and
    // answers no ARP), then every process in its namespace is killed.
    const silentAt = Date.now();
    ns('d1', 'ip link set eth0 down; ip link set eth1 down');
    killNetns('d1');
    await waitFor(() => hasVip('d2'), 15_000, 'd2 to take the VIP');
    const tookMs = Date.now() - silentAt;
    // advert_int 1, priority 100: Master_Down_Interval = 3 s + skew 0.61 s after the last advert heard,
    // which came at most one advert interval before the links went down; both instances of the sync
    // group must time out (keepalived holds an early one back). Upper bound: emulation and polling slack.
    expect(tookMs).toBeGreaterThan(2_400);
    expect(tookMs).toBeLessThan(8_000);
    const after = curlVip(6);
    expect(new Set(after)).toEqual(new Set(['rs1', 'rs2']));
    console.log(`${kind}: BACKUP took the VIP ${tookMs} ms after the MASTER fell silent; then served ${after.join(',')}`);
    await d2.stop();
  });
});
