/**
 * What the kernel refuses, in the VM lab (Linux 6.1): a scheduler the kernel does not have (twos came in
 * 6.7) and a NAT real server at the broadcast address of the director's back subnet (not unicast). tskeepalived must name each refusal with its
 * cause, program everything else, keep running, and leave an empty table at stop.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, ns, resetLab, RS, sh, startDaemon, VIP, waitFor } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();
const HAVE_TWOS = HAVE_IPVS && sh('modprobe ip_vs_twos 2>/dev/null && echo yes || echo no').trim() === 'yes';

const CONFIG = `virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight 1
  }
}
virtual_server ${VIP} 81 {
  lb_algo twos
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight 1
  }
}
virtual_server ${VIP} 82 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.255 80 {
    weight 1
  }
  real_server ${RS.rs2} 80 {
    weight 1
  }
}
`;

describe.skipIf(!HAVE_IPVS || HAVE_TWOS)('kernel refusals are named and contained (tskeepalived)', () => {
  afterAll(() => resetLab());

  it('an unknown scheduler and a non-unicast real server are reported; the rest is programmed', async () => {
    buildLab('NAT', 1);
    const d = startDaemon('tskeepalived', 'd1', CONFIG, ['-C']);
    await waitFor(() => /IPVS: (start|reload): /.test(d.output()), 60_000, `IPVS to be programmed (${d.output()})`);
    const out = d.output();
    expect(out).toMatch(/unknown scheduler 'twos' \(kernel module ip_vs_twos not loaded\?\)/);
    expect(out).toMatch(/198\.51\.100\.255:80[^\n]*not a unicast or local address routable from this director/);
    const table = ns('d1', 'ipvsadm -Ln');
    expect(table).toMatch(new RegExp(`TCP  ${VIP.replace(/\./g, '\\.')}:80 rr`));
    expect(table).not.toContain(':81');
    expect(table).toContain(`${RS.rs2}:80`);
    expect(table).not.toContain('198.51.100.255');
    expect(d.proc.exitCode).toBeNull();
    await d.stop();
    expect(ns('d1', 'ipvsadm -Sn').trim()).toBe('');
  });
});
