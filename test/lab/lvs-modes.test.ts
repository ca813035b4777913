/**
 * The classic LVS lab end to end, in NAT, DR and TUN modes, with tskeepalived as the director and,
 * for reference in the same boot, real keepalived with the same configuration (if a case fails for
 * both, the lab is wrong; if only for tskeepalived, we are).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { addVip, buildLab, curlVip, destCount, ipvsAvailable, IN_VM, type Mode, ns, resetLab, RS, RS_LAN, startDaemon, VIP, waitFor } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();
if (!HAVE_IPVS) console.warn('skipping the IPVS lab: no IPVS in this kernel (run it through test/lab/vm.mjs: npm run test:lab)');

function vsConfig(mode: Mode, opts: { sched?: string; weights?: [number, number]; persistence?: number } = {}): string {
  const addr = mode === 'NAT' ? RS : RS_LAN;
  const [w1, w2] = opts.weights ?? [1, 1];
  return `global_defs {
  router_id lab
}
virtual_server ${VIP} 80 {
  delay_loop 6
  lb_algo ${opts.sched ?? 'rr'}
  lb_kind ${mode}
  protocol TCP
${opts.persistence ? `  persistence_timeout ${opts.persistence}\n` : ''}  real_server ${addr.rs1} 80 {
    weight ${w1}
  }
  real_server ${addr.rs2} 80 {
    weight ${w2}
  }
}
`;
}

const DAEMONS = ['keepalived', 'tskeepalived'] as const;

describe.skipIf(!HAVE_IPVS).each(DAEMONS)('LVS lab with %s as director', (kind) => {
  afterAll(() => resetLab());

  async function director(mode: Mode, opts: Parameters<typeof vsConfig>[1] = {}) {
    buildLab(mode);
    addVip();
    const d = startDaemon(kind, 'd1', vsConfig(mode, opts));
    await waitFor(() => destCount() === 2, 60_000, `2 real servers in IPVS (output: ${d.output()})`);
    return d;
  }

  for (const mode of ['NAT', 'DR', 'TUN'] as const) {
    it(`${mode}: 10 requests through the VIP alternate rs1, rs2 (rr)`, async () => {
      const d = await director(mode);
      const answers = curlVip(10);
      expect(answers).toEqual(
        answers[0] === 'rs1'
          ? ['rs1', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2']
          : ['rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1'],
      );
      if (mode !== 'NAT') {
        // DR/TUN: the reply goes from the real server straight to the client, not back through the director.
        const method = ns('d1', 'ipvsadm -Ln').includes(mode === 'DR' ? 'Route' : 'Tunnel');
        expect(method).toBe(true);
      }
      expect(await d.stop()).toBe(0);
      await waitFor(() => destCount() === 0, 20_000, 'the table to be emptied at stop');
    });
  }

  it('NAT: wrr 3:1 splits 40 requests 30/10', async () => {
    const d = await director('NAT', { sched: 'wrr', weights: [3, 1] });
    const answers = curlVip(40);
    expect(answers.filter((a) => a === 'rs1').length).toBe(30);
    expect(answers.filter((a) => a === 'rs2').length).toBe(10);
    await d.stop();
  });

  it('NAT: persistence_timeout keeps the client on one real server', async () => {
    const d = await director('NAT', { persistence: 50 });
    const answers = curlVip(10);
    expect(new Set(answers).size).toBe(1);
    expect(['rs1', 'rs2']).toContain(answers[0]);
    await d.stop();
  });
});
