/**
 * lvs_sync_daemon in the VM lab: two LVS-NAT directors with VRRP; the MASTER runs the kernel's master
 * connection-sync daemon and the BACKUP the backup one (`ipvsadm -L --daemon`); after the MASTER dies the
 * new MASTER switches to master; a graceful stop leaves no sync daemon. Same test with keepalived as the
 * reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, ns, resetLab, RS, startDaemon, VIP, waitFor, killNetns } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

function director(priority: number): string {
  return `global_defs {
  lvs_sync_daemon eth0 front id 7
}
vrrp_instance front {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight 1
  }
}
`;
}

const daemons = (d: string) => ns(d, 'ipvsadm -L --daemon');

describe.skipIf(!HAVE_IPVS).each(['keepalived', 'tskeepalived'] as const)('lvs_sync_daemon with %s', (kind) => {
  afterAll(() => resetLab());

  it('MASTER runs the master sync daemon, BACKUP the backup one; they swap on failover; none after stop', async () => {
    buildLab('NAT', 2);
    startDaemon(kind, 'd1', director(150));
    const d2 = startDaemon(kind, 'd2', director(100));
    await waitFor(
      () => /master sync daemon \(mcast=eth0, syncid=7/.test(daemons('d1')) && /backup sync daemon \(mcast=eth0, syncid=7/.test(daemons('d2')),
      60_000,
      'the sync daemons',
    );
    expect(daemons('d1')).not.toMatch(/backup sync daemon/);
    expect(daemons('d2')).not.toMatch(/master sync daemon/);
    ns('d1', 'ip link set eth0 down');
    killNetns('d1');
    await waitFor(() => /master sync daemon \(mcast=eth0, syncid=7/.test(daemons('d2')), 20_000, "d2's master sync daemon");
    console.log(`${kind}: after failover d2 runs: ${daemons('d2').trim().replace(/\n/g, ' | ')}`);
    await d2.stop();
    expect(daemons('d2').trim()).toBe('');
  });
});
