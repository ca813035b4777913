/**
 * A reload that changes a weight, in the VM lab's LVS-NAT lab: one director running VRRP (the
 * VIP) and IPVS, a client fetching through the VIP in a loop the whole time, and `ip monitor address` in
 * the director watching for the VIP disappearing even for a moment. SIGHUP with rs1's weight 1 -> 3 must
 * reach the kernel, without one failed request and without the VIP moving. Then a reload with a broken
 * file changes nothing. Then a series of reloads, most of them sent as a difference (only the virtual servers
 * that changed), must leave the table a fresh start on the last file programs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, ns, resetLab, RS, savedTable, startDaemon, VIP, waitFor, WORK } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

function config(w1: number): string {
  return `vrrp_instance front {
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
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server ${RS.rs1} 80 {
    weight ${w1}
  }
  real_server ${RS.rs2} 80 {
    weight 1
  }
}
`;
}

const weightOf = (rs: string) => {
  const line = ns('d1', 'ipvsadm -Ln')
    .split('\n')
    .find((l) => l.includes(`${rs}:80`));
  return line ? Number(line.trim().split(/\s+/)[3]) : NaN;
};

describe.skipIf(!HAVE_IPVS)('SIGHUP reload with traffic through the VIP (tskeepalived)', () => {
  const extra: ChildProcess[] = [];
  afterAll(() => {
    for (const p of extra) p.kill('SIGKILL');
    resetLab();
  });

  it('a weight change reaches the kernel with no failed request and no VIP removed; a broken file changes nothing', async () => {
    buildLab('NAT', 1);
    // The lab gives d1 the back address 198.51.100.1 itself; the VIP comes from VRRP.
    const d = startDaemon('tskeepalived', 'd1', config(1));
    await waitFor(() => ns('d1', 'ip -4 addr show dev eth0').includes(`${VIP}/32`) && weightOf(RS.rs1) === 1, 60_000, `the VIP and IPVS (${d.output()})`);

    const mon = spawn('ip', ['-n', 'd1', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    extra.push(mon);
    let events = '';
    mon.stdout!.on('data', (b: Buffer) => (events += b.toString()));
    const codes = path.join(WORK, 'codes.txt');
    const client = spawn(
      'ip',
      [
        'netns',
        'exec',
        'client',
        'sh',
        '-c',
        `while true; do curl -s -o /dev/null --max-time 3 -w '%{http_code}\\n' http://${VIP}/ >> ${codes}; sleep 0.05; done`,
      ],
      { stdio: 'ignore' },
    );
    extra.push(client);
    const lines = () => (fs.existsSync(codes) ? fs.readFileSync(codes, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(() => lines().length >= 5, 30_000, 'the client loop');

    const file = path.join(WORK, 'd1-tskeepalived.conf');
    fs.writeFileSync(file, config(3));
    d.proc.kill('SIGHUP');
    const tookMs = await waitFor(() => weightOf(RS.rs1) === 3, 30_000, 'the new weight in the kernel');
    const n0 = lines().length;
    await waitFor(() => lines().length >= n0 + 5, 30_000, 'more requests after the reload');

    fs.writeFileSync(file, `${config(5)}virtual_server ${VIP} 80 {\n  lb_algo nosuchsched\n}\n`);
    d.proc.kill('SIGHUP');
    await waitFor(() => /keeping the running configuration/.test(d.output()), 30_000, 'the broken reload to be refused');
    const n1 = lines().length;
    await waitFor(() => lines().length >= n1 + 5, 30_000, 'more requests after the refused reload');
    expect(weightOf(RS.rs1)).toBe(3);

    client.kill('SIGKILL');
    // The monitor holds the namespace open (its links would outlive `ip netns del`): it goes now.
    mon.kill('SIGKILL');
    const all = lines();
    const failed = all.filter((c) => c !== '200');
    console.log(`reload: weight in the kernel ${tookMs} ms after SIGHUP; ${all.length} requests through the VIP, ${failed.length} failed`);
    expect(failed).toEqual([]);
    expect(events.split('\n').filter((l) => l.startsWith('Deleted') && l.includes(VIP))).toEqual([]);
    expect(
      d
        .output()
        .split('\n')
        .filter((l) => l.includes('Entering MASTER STATE')).length,
    ).toBe(1);
    await d.stop();
  });

  it('reloads by difference (weights, servers, schedulers, ports, virtual servers added and removed, a group) leave the table a fresh start programs', async () => {
    buildLab('NAT', 1);
    type V = { head: string; algo: string; rs: Array<[string, number]> };
    const vss: V[] = [];
    for (let i = 0; i < 12; i++)
      vss.push({
        head: `203.0.113.${10 + i} ${80 + i}`,
        algo: i % 2 ? 'wrr' : 'rr',
        rs: [
          [`198.51.100.${20 + i}`, 1 + (i % 3)],
          [`198.51.100.${40 + i}`, 2],
        ],
      });
    vss.push({ head: 'fwmark 9', algo: 'wlc', rs: [['198.51.100.60', 1]] });
    vss.push({ head: 'group G', algo: 'rr', rs: [['198.51.100.61', 1]] });
    let top = '';
    const text = () =>
      `${top}virtual_server_group G {\n  203.0.113.90 80\n  203.0.113.91 80\n}\n` +
      vss
        .map(
          (v) =>
            `virtual_server ${v.head} {\n  lb_algo ${v.algo}\n  lb_kind NAT\n  protocol TCP\n` +
            v.rs.map(([ip, w]) => `  real_server ${ip} 8080 {\n    weight ${w}\n  }\n`).join('') +
            '}\n',
        )
        .join('');
    const d = startDaemon('tskeepalived', 'd1', text());
    const file = path.join(WORK, 'd1-tskeepalived.conf');
    const dests = () => savedTable().filter((l) => l.startsWith('-a ')).length;
    await waitFor(() => dests() === 27, 60_000, `the first table (${d.output()})`);
    const reloads = () => (d.output().match(/Reload finished|reload: configuration unchanged/g) ?? []).length;
    const edits: Array<[string, () => void]> = [
      [
        'a weight',
        () => {
          vss[3]!.rs[0]![1] = 7;
        },
      ],
      ['a real server added', () => void vss[5]!.rs.push(['198.51.100.70', 3])],
      ['a real server removed', () => void vss[6]!.rs.pop()],
      [
        'a scheduler',
        () => {
          vss[7]!.algo = 'sh';
        },
      ],
      [
        'a port',
        () => {
          vss[8]!.head = '203.0.113.18 8888';
        },
      ],
      ['a virtual server removed', () => void vss.splice(9, 1)],
      ['a virtual server added', () => void vss.splice(2, 0, { head: '203.0.113.50 80', algo: 'wrr', rs: [['198.51.100.71', 4]] })],
      [
        'the fwmark service',
        () => {
          vss.find((v) => v.head === 'fwmark 9')!.rs[0]![1] = 5;
        },
      ],
      [
        'the group service',
        () => {
          vss.find((v) => v.head === 'group G')!.rs[0]![1] = 6;
        },
      ],
      [
        'lines moved only',
        () => {
          top = '# a comment\n';
        },
      ],
      [
        'a weight after the move',
        () => {
          vss[0]!.rs[1]![1] = 9;
        },
      ],
    ];
    for (const [what, edit] of edits) {
      edit();
      const n = reloads();
      fs.writeFileSync(file, text());
      d.proc.kill('SIGHUP');
      await waitFor(() => reloads() > n, 60_000, `the reload after ${what} (${d.output().slice(-2000)})`);
    }
    const afterReloads = savedTable();
    const sliced = d.output().match(/IPVS: reload: \d+ virtual server\(s\) replaced/g) ?? [];
    expect(sliced.length).toBeGreaterThanOrEqual(7);
    expect(d.output()).not.toMatch(/IPVS: .*failed\)(?<! 0 failed\))/);
    await d.stop();
    await waitFor(() => savedTable().length === 0, 30_000, 'the table removed at stop');
    const fresh = startDaemon('tskeepalived', 'd1', text());
    const want = afterReloads.filter((l) => l.startsWith('-a ')).length;
    await waitFor(() => dests() === want, 60_000, `the fresh start's table (${fresh.output()})`);
    expect(savedTable()).toEqual(afterReloads);
    await fresh.stop();
  });
});
