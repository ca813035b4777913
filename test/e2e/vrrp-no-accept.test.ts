/**
 * no_accept and vrrp_strict with nftables, in network namespaces: the ruleset a non-owner MASTER installs is
 * keepalived 2.2.7's for the same configuration (`nft list ruleset` compared, our table's name aside: IPv4
 * and IPv6 VIPs, an excluded VIP, an address owner left out), a client's traffic to the VIP is dropped on a
 * no_accept MASTER and answered with accept, and nothing is left after stop. Needs root, iproute2, nft
 * (package nftables), ping and keepalived; skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const have = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;
const canRun =
  root &&
  fs.existsSync('/usr/sbin/keepalived') &&
  have('nft', '--version') &&
  have('ping', '-V') &&
  spawnSync('ip', ['netns', 'add', `tsknaprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tsknaprobe${process.pid}`]);
if (!canRun) console.log('no_accept tests skipped: they need root, iproute2, nft (nftables), ping and keepalived');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskna${tag}`, c: `tsknc${tag}` };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-na-'));
const procs: ChildProcess[] = [];

const ruleset = () => spawnSync('ip', ['netns', 'exec', NS.a, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
const has = (ip: string) => spawnSync('ip', ['-n', NS.a, '-o', 'addr', 'show', 'dev', 'veth0'], { encoding: 'utf8' }).stdout.includes(` ${ip}/`);
const pingable = (ip: string) => spawnSync('ip', ['netns', 'exec', NS.c, 'ping', '-c', '1', '-W', '1', ip]).status === 0;

function conf(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}
const inst = (name: string, vrid: number, priority: number, extra: string, vips: string) =>
  `vrrp_instance ${name} {\n  state MASTER\n  interface veth0\n  virtual_router_id ${vrid}\n  priority ${priority}\n  advert_int 1\n${extra}  virtual_ipaddress {\n${vips}  }\n}\n`;

let n = 0;
function start(kind: 'ts' | 'ka', file: string): { proc: ChildProcess; pid: string } {
  const pid = path.join(dir, `${kind}-${++n}.pid`);
  const out = fs.openSync(path.join(dir, `${kind}-${n}.log`), 'w');
  const args =
    kind === 'ts' ? [process.execPath, BIN, '-n', '-l', '-f', file, '-p', pid] : ['keepalived', '-n', '-l', '-P', '-f', file, '-p', pid, '-r', `${pid}.vrrp`];
  const proc = spawn('ip', ['netns', 'exec', NS.a, ...args], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, pid };
}
async function stop(d: { proc: ChildProcess }): Promise<void> {
  d.proc.kill('SIGTERM');
  await waitFor(() => d.proc.exitCode !== null, 10_000, 'stopped');
}

describe.skipIf(!canRun)('no_accept / vrrp_strict with nftables, next to keepalived 2.2.7', () => {
  beforeAll(() => {
    for (const ns of Object.values(NS)) sh('ip', 'netns', 'add', ns);
    sh('ip', '-n', NS.a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', NS.c);
    sh('ip', '-n', NS.a, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    sh('ip', '-n', NS.c, 'addr', 'add', '192.0.2.50/24', 'dev', 'veth0');
    for (const ns of Object.values(NS)) {
      sh('ip', '-n', ns, 'link', 'set', 'veth0', 'up');
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    }
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
    await sleep(300);
    spawnSync('ip', ['netns', 'exec', NS.a, 'nft', 'flush', 'ruleset']);
  });
  afterAll(() => {
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the same ruleset as keepalived for IPv4 and IPv6 VIPs, an excluded VIP and an owner; nothing left after stop', async () => {
    const file = conf(
      'rules.conf',
      inst('VI_1', 51, 150, '  no_accept\n', '    2001:db8::100/64\n') +
        inst('VI_2', 52, 150, '  no_accept\n', '    192.0.2.100/32\n').replace(
          '  }\n}\n',
          '  }\n  virtual_ipaddress_excluded {\n    192.0.2.102/32\n  }\n}\n',
        ) +
        inst('VI_3', 53, 255, '  no_accept\n', '    192.0.2.103/32\n'),
    );
    const lists: Record<string, string> = {};
    for (const kind of ['ka', 'ts'] as const) {
      const d = start(kind, file);
      await waitFor(() => has('192.0.2.100') && has('192.0.2.103'), 15_000, `${kind} MASTER`);
      await waitFor(() => ruleset().includes('192.0.2.100'), 5000, `${kind} rules`);
      await sleep(500);
      lists[kind] = ruleset().replaceAll('table ip tskeepalived', 'table ip keepalived').replaceAll('table ip6 tskeepalived', 'table ip6 keepalived');
      await stop(d);
      expect(ruleset().trim()).toBe('');
    }
    expect(lists.ts).toBe(lists.ka);
    expect(lists.ts).toContain('elements = { 192.0.2.100, 192.0.2.102 }');
    expect(lists.ts).not.toContain('192.0.2.103');
  }, 60_000);

  it('a client cannot reach the VIP of a no_accept MASTER (vrrp_strict implies it); it can with accept', async () => {
    const vip = '    192.0.2.100/32\n';
    for (const [name, extra, reachable] of [
      ['accept', '  accept\n', true],
      ['no_accept', '  no_accept\n', false],
      ['strict', '', false],
    ] as const) {
      const top = name === 'strict' ? 'global_defs {\n  vrrp_strict\n}\n' : '';
      const d = start('ts', conf(`${name}.conf`, top + inst('VI_1', 51, 150, extra, vip)));
      await waitFor(() => has('192.0.2.100'), 15_000, `${name}: MASTER`);
      await sleep(300);
      expect({ name, reachable: pingable('192.0.2.100'), primary: pingable('192.0.2.1') }).toEqual({ name, reachable, primary: true });
      await stop(d);
    }
  }, 60_000);
});
