/**
 * The IPVS table repaired after it was changed behind the daemon's back (tskeepalived_ipvs_check_interval):
 * `ipvsadm -C`, a destination deleted and a weight set by hand are put back to the configuration within a
 * check interval, with a log line; a service that is not ours is left alone. In the VM lab's LVS-NAT lab.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, ns, resetLab, RS, startDaemon, VIP, waitFor } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

const config = `global_defs {
  tskeepalived_ipvs_check_interval 2
}
virtual_server ${VIP} 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight 1
  }
  real_server ${RS.rs2} 80 {
    weight 2
  }
}
`;

const table = () => ns('d1', 'ipvsadm -Ln');
const weightOf = (rs: string) => {
  const line = table()
    .split('\n')
    .find((l) => l.includes(`${rs}:80`));
  return line ? Number(line.trim().split(/\s+/)[3]) : NaN;
};
const intact = () => weightOf(RS.rs1) === 1 && weightOf(RS.rs2) === 2;

describe.skipIf(!HAVE_IPVS)('IPVS changed behind our back is repaired', () => {
  afterAll(() => resetLab());

  it('ipvsadm -C, a deleted destination and a hand-set weight are put back; a foreign service stays', async () => {
    buildLab('NAT', 1);
    const d = startDaemon('tskeepalived', 'd1', config);
    await waitFor(intact, 60_000, `the table programmed (${d.output()})`);
    ns('d1', 'ipvsadm -A -t 192.0.2.200:81 -s rr');
    ns('d1', 'ipvsadm -C');
    const cleared = await waitFor(intact, 10_000, 'the table back after ipvsadm -C');
    ns('d1', `ipvsadm -d -t ${VIP}:80 -r ${RS.rs2}:80`);
    const deleted = await waitFor(intact, 10_000, 'the deleted destination back');
    ns('d1', `ipvsadm -e -t ${VIP}:80 -r ${RS.rs1}:80 -m -w 7`);
    const weighted = await waitFor(intact, 10_000, 'the weight back');
    console.log(`repaired after: ipvsadm -C ${cleared} ms, a deleted destination ${deleted} ms, a hand-set weight ${weighted} ms (check every 2 s)`);
    ns('d1', 'ipvsadm -A -t 192.0.2.200:81 -s rr');
    await new Promise((r) => setTimeout(r, 4500)); // two checks
    expect(table()).toContain('192.0.2.200:81');
    expect(d.output()).toMatch(/IPVS: \d+ entries changed behind our back were put back/);
    await d.stop();
    expect(table()).toContain('192.0.2.200:81'); // ours removed at stop, the foreign one kept
    expect(table()).not.toContain(`${VIP}:80`);
  }, 180_000);
});
