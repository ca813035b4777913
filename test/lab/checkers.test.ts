/**
 * Health checkers in the VM lab's LVS-NAT lab: HTTP_GET on both real servers. Killing rs1's
 * web server removes it from IPVS within delay_loop + retry x delay_before_retry + connect_timeout (plus
 * emulation slack), the client then only reaches rs2, and restarting rs1 brings it back; with
 * inhibit_on_failure it stays at weight 0 instead; losing quorum swaps in the sorry server and runs
 * quorum_down. Run for tskeepalived and, as the reference, keepalived.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addVip, buildLab, curlVip, IN_VM, ipvsAvailable, ns, resetLab, RS, startDaemon, VIP, waitFor, WORK, killNetns } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();
// delay_loop 2 + retry 1 x delay_before_retry 1 + connect_timeout 1 = 4 s, plus slack for emulation.
const BOUND_MS = 4000 + 6000;

function config(opts: { inhibit?: boolean; quorum?: string } = {}): string {
  const rs = (addr: string) => `  real_server ${addr} 80 {
    weight 1
${opts.inhibit ? '    inhibit_on_failure\n' : ''}    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
`;
  return `virtual_server ${VIP} 80 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
${opts.quorum ?? ''}${rs(RS.rs1)}${rs(RS.rs2)}}
`;
}

const table = () => ns('d1', 'ipvsadm -Ln');
const destLine = (addr: string) =>
  table()
    .split('\n')
    .find((l) => l.includes(`${addr}:`));
const killHttpd = (r: 'rs1' | 'rs2') => killNetns(r);
const startHttpd = (r: 'rs1' | 'rs2', port = 80) => ns(r, `busybox httpd -p ${port} -h ${path.join(WORK, r)}`);

describe.skipIf(!HAVE_IPVS).each(['keepalived', 'tskeepalived'] as const)('health checkers with %s', (kind) => {
  afterAll(() => resetLab());

  it('a dead real server leaves IPVS in time and comes back when restarted', async () => {
    buildLab('NAT', 1);
    addVip();
    const d = startDaemon(kind, 'd1', config(), ['-C']);
    await waitFor(() => destLine(RS.rs1) !== undefined && destLine(RS.rs2) !== undefined, 60_000, `both real servers (${d.output()})`);
    expect(new Set(curlVip(4))).toEqual(new Set(['rs1', 'rs2']));
    killHttpd('rs1');
    const gone = await waitFor(() => destLine(RS.rs1) === undefined, 30_000, 'rs1 to be removed');
    console.log(`${kind}: rs1 removed ${gone} ms after its web server died (bound ${BOUND_MS} ms)`);
    expect(gone).toBeLessThan(BOUND_MS);
    expect(curlVip(6)).toEqual(Array(6).fill('rs2'));
    startHttpd('rs1');
    const back = await waitFor(() => destLine(RS.rs1) !== undefined, 30_000, 'rs1 to come back');
    console.log(`${kind}: rs1 back ${back} ms after restart`);
    await d.stop();
  });

  it('inhibit_on_failure keeps the dead real server at weight 0', async () => {
    buildLab('NAT', 1);
    addVip();
    const d = startDaemon(kind, 'd1', config({ inhibit: true }), ['-C']);
    await waitFor(() => destLine(RS.rs1) !== undefined && destLine(RS.rs2) !== undefined, 60_000, 'both real servers');
    killHttpd('rs1');
    await waitFor(() => /\s0\s+\d+\s+\d+\s*$/.test(destLine(RS.rs1) ?? ''), 30_000, 'rs1 at weight 0');
    expect(curlVip(4)).toEqual(Array(4).fill('rs2'));
    await d.stop();
  });

  it('losing quorum swaps in the sorry server and runs quorum_down', async () => {
    buildLab('NAT', 1);
    addVip();
    startHttpd('rs2', 8080);
    const flag = path.join(WORK, `quorum-down-${kind}`);
    fs.rmSync(flag, { force: true });
    const d = startDaemon(kind, 'd1', config({ quorum: `  quorum 2\n  quorum_down "/bin/touch ${flag}"\n  sorry_server ${RS.rs2} 8080\n` }), ['-C']);
    await waitFor(() => destLine(RS.rs1) !== undefined && destLine(RS.rs2) !== undefined, 60_000, 'both real servers');
    killHttpd('rs1');
    await waitFor(() => table().includes(`${RS.rs2}:8080`) && destLine(`${RS.rs1}`) === undefined, 30_000, 'the sorry server');
    await waitFor(() => fs.existsSync(flag), 10_000, 'quorum_down to run');
    console.log(
      `${kind}: quorum lost -> ${table()
        .split('\n')
        .filter((l) => l.includes('->') && !l.includes('RemoteAddress'))
        .join(' | ')}`,
    );
    await d.stop();
  });
});
