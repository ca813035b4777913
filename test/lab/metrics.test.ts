/**
 * The Prometheus endpoint against a real IPVS kernel: scraped while the LVS-NAT lab carries
 * traffic, it shows each real server alive with its weight and the kernel's connection counters, and a
 * dead real server's alive series drops to 0 with its checker's failures counted.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addVip, buildLab, curlVip, IN_VM, ipvsAvailable, ns, resetLab, RS, startDaemon, VIP, waitFor, WORK, killNetns } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();
const PORT = 9650;

const config = () => {
  const rs = (addr: string) => `  real_server ${addr} 80 {
    weight 2
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 0
    }
  }
`;
  return `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs(RS.rs1)}${rs(RS.rs2)}}\n`;
};

const scrape = () => ns('d1', `curl -sf http://127.0.0.1:${PORT}/metrics`);
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!HAVE_IPVS)('Prometheus metrics with IPVS and checkers', () => {
  afterAll(() => resetLab());

  it('real servers alive, weights, kernel counters; a dead real server goes to 0', async () => {
    buildLab('NAT', 1);
    addVip();
    const d = startDaemon('tskeepalived', 'd1', config(), ['-C', '--metrics-listen', `127.0.0.1:${PORT}`, '--status-socket', path.join(WORK, 'metrics.sock')]);
    const vs = `[${VIP}]:tcp:80`;
    const rsLabel = (addr: string) => `{virtual_server="${vs}",real_server="[${addr}]:tcp:80"}`;
    await waitFor(
      () => {
        try {
          return (
            value(scrape(), `tskeepalived_real_server_alive${rsLabel(RS.rs1)}`) === 1 &&
            value(scrape(), `tskeepalived_real_server_alive${rsLabel(RS.rs2)}`) === 1
          );
        } catch {
          return false;
        }
      },
      60_000,
      `both real servers alive in the metrics (${d.output()})`,
    );
    expect(new Set(curlVip(10))).toEqual(new Set(['rs1', 'rs2']));
    // The kernel folds its per-CPU counters into the exported ones every 2 s (the rate estimator), so
    // wait for the ten connections to show rather than reading once.
    const connsIn = (text: string, addr: string) =>
      value(text, `tskeepalived_ipvs_connections_total{virtual_server="${vs}",real_server="[${addr}]:tcp:80"}`) ?? -1;
    let m = scrape();
    await waitFor(
      () => {
        m = scrape();
        return connsIn(m, RS.rs1) + connsIn(m, RS.rs2) >= 10;
      },
      15_000,
      'the kernel counters show the ten connections',
    );
    expect(value(m, `tskeepalived_real_server_weight${rsLabel(RS.rs1)}`)).toBe(2);
    expect(value(m, `tskeepalived_virtual_server_quorum_up{virtual_server="${vs}"}`)).toBe(1);
    const conns = (addr: string) => connsIn(m, addr);
    console.log(`connections by the kernel's counters: rs1 ${conns(RS.rs1)}, rs2 ${conns(RS.rs2)}`);
    expect(conns(RS.rs1) + conns(RS.rs2)).toBeGreaterThanOrEqual(10);
    expect(conns(RS.rs1)).toBeGreaterThanOrEqual(5);
    expect(m).toMatch(/^tskeepalived_checker_latency_seconds\{[^}]*checker="HTTP_GET"\} 0\.\d+/m);

    killNetns('rs1');
    await waitFor(() => value(scrape(), `tskeepalived_real_server_alive${rsLabel(RS.rs1)}`) === 0, 20_000, 'rs1 dead in the metrics');
    const after = scrape();
    expect(
      value(after, `tskeepalived_checker_failures_total{virtual_server="${vs}",real_server="[${RS.rs1}]:tcp:80",checker="HTTP_GET"}`),
    ).toBeGreaterThanOrEqual(1);
    expect(value(after, `tskeepalived_real_server_alive${rsLabel(RS.rs2)}`)).toBe(1);
    expect(await d.stop()).toBe(0);
  });
});
