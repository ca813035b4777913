/**
 * Restart without failover, IPVS side, in the VM lab's LVS-NAT lab: one director running VRRP (the VIP)
 * and IPVS with TCP_CHECK on both real servers; rs1's web server is down, so its checker has taken it out.
 * `tskeepalived --handover`, then a new start: the IPVS table is the same before and after, and a watcher
 * polling `ipvsadm -S -n` in the director all along never sees rs1 come back nor rs2 (healthy) or the
 * virtual service leave; the new daemon changes nothing in IPVS (0 changes at start, lvs_flush not acted
 * on) and logs no real server moving; the master connection-sync daemon runs throughout and is taken over,
 * not restarted; `ip monitor address` never sees the VIP deleted. Afterwards the checkers still work: rs1's
 * web server back, rs1 back in IPVS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, killNetns, ns, resetLab, RS, savedTable, startDaemon, TSK, VIP, waitFor, WORK } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

function config(): string {
  const rs = (addr: string) => `  real_server ${addr} 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
`;
  return `global_defs {
  lvs_flush
  lvs_sync_daemon eth0 front id 7
}
vrrp_instance front {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
virtual_server ${VIP} 80 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs(RS.rs1)}${rs(RS.rs2)}}
`;
}

describe.skipIf(!HAVE_IPVS)('--handover with IPVS and checkers (tskeepalived)', () => {
  const extra: ChildProcess[] = [];
  afterAll(() => {
    for (const p of extra) p.kill('SIGKILL');
    resetLab();
  });

  it('the table is unchanged across the handover: the failed real server does not come back, the healthy one never leaves', async () => {
    buildLab('NAT', 1);
    const sock = path.join(WORK, 'tsk.sock');
    const stateFile = path.join(WORK, 'handover.json');
    const args = ['--status-socket', sock, '--handover-file', stateFile];
    killNetns('rs1'); // rs1's web server is down from the start
    const d = startDaemon('tskeepalived', 'd1', config(), args);
    const has = (rs: string) => savedTable().some((l) => l.includes(`-r ${rs}:80`));
    await waitFor(
      () => ns('d1', 'ip -4 addr show dev eth0').includes(`${VIP}/32`) && has(RS.rs2) && !has(RS.rs1),
      60_000,
      `the VIP, rs2 in IPVS, rs1 out (${d.output()})`,
    );
    await waitFor(() => /master sync daemon/.test(ns('d1', 'ipvsadm -L --daemon')), 30_000, 'the master sync daemon');
    const before = savedTable();
    const syncBefore = ns('d1', 'ipvsadm -L --daemon');

    // Watchers: the IPVS table polled in the director, and the director's addresses.
    const polls = path.join(WORK, 'polls.txt');
    const poller = spawn('ip', ['netns', 'exec', 'd1', 'sh', '-c', `while true; do ipvsadm -S -n >> ${polls}; echo --- >> ${polls}; sleep 0.05; done`], {
      stdio: 'ignore',
    });
    extra.push(poller);
    const mon = spawn('ip', ['-n', 'd1', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    extra.push(mon);
    let events = '';
    mon.stdout!.on('data', (b: Buffer) => (events += b.toString()));
    await waitFor(() => fs.existsSync(polls) && fs.readFileSync(polls, 'utf8').includes('---'), 30_000, 'the IPVS poller');

    const t0 = Date.now();
    const ho = spawnSync(process.execPath, [TSK, '--handover', ...args], { encoding: 'utf8' });
    expect(ho.stderr).toBe('');
    expect(ho.status).toBe(0);
    expect(d.proc.exitCode ?? (await d.stop())).toBe(0);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    expect(state.checkers.realServers.map((r: { alive: boolean }) => r.alive).sort()).toEqual([false, true]);
    expect(savedTable()).toEqual(before); // the old daemon left IPVS as it was
    expect(ns('d1', 'ipvsadm -L --daemon')).toBe(syncBefore); // and the sync daemon running

    const d2 = startDaemon('tskeepalived', 'd1', config(), args);
    await waitFor(
      () => /IPVS: start: 1 virtual services, \d+ changes/.test(d2.output()) && /carried on in MASTER STATE/.test(d2.output()),
      60_000,
      `the new daemon's start (${d2.output()})`,
    );
    console.log(`handover: ${Date.now() - t0} ms from --handover to the new daemon's IPVS start`);
    // Two delay_loops: the carried checkers have run again.
    await new Promise((r) => setTimeout(r, 5000));
    poller.kill('SIGKILL');
    mon.kill('SIGKILL');

    expect(savedTable()).toEqual(before);
    const out = d2.output();
    expect(out).toMatch(/starting from the handover state/);
    expect(out).toMatch(/IPVS: start: 1 virtual services, 0 changes/);
    expect(out).not.toMatch(/table flushed/);
    expect(out).not.toMatch(/(Adding|Removing) service/);
    expect(out).toMatch(/IPVS: master sync daemon on eth0 \(syncid 7\) kept from the handover/);
    expect(out).not.toMatch(/sync daemon (started|stopped)/);
    expect(ns('d1', 'ipvsadm -L --daemon')).toBe(syncBefore);
    const snapshots = fs
      .readFileSync(polls, 'utf8')
      .split('---\n')
      .filter((s) => s.trim() !== '');
    expect(snapshots.length).toBeGreaterThan(10);
    const bad = snapshots.filter((s) => s.includes(`-r ${RS.rs1}:80`) || !s.includes(`-r ${RS.rs2}:80`) || !s.includes(`-A -t ${VIP}:80`));
    console.log(`handover: ${snapshots.length} IPVS snapshots across it, ${bad.length} different from before`);
    expect(bad).toEqual([]);
    expect(events.split('\n').filter((l) => l.startsWith('Deleted') && l.includes(VIP))).toEqual([]);

    // The checkers carry on: rs1's web server back, rs1 back in IPVS.
    ns('rs1', `busybox httpd -p 80 -h ${path.join(WORK, 'rs1')}`);
    await waitFor(() => has(RS.rs1), 30_000, 'rs1 back after its web server restarted');
    await waitFor(() => /Adding service \[198\.51\.100\.11\]:tcp:80 to VS \[192\.0\.2\.100\]:tcp:80/.test(d2.output()), 10_000, 'the log line');
    await d2.stop();
  });
});
